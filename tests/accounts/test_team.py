"""Settings → Team: the workspace's members for everyone to see; owners and admins invite
teammates (an existing login joins, a new one chooses a password through the emailed link),
change roles and remove them. An owner is made, changed or removed only by an owner, and the
last owner stays. A removed member keeps what they wrote."""

import re
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.http import HttpRequest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from parley.accounts.models import ApiToken, Member, User
from parley.accounts.services import api_token_create
from parley.broadcasts.models import Broadcast
from parley.creators.services import note_add
from parley.inbox.models import Conversation, InboxEntry, Message, Notification
from parley.inbox.services import conversation_assign, message_record, notify
from parley.outbox.models import OutboxItem
from parley.outbox.services import message_send
from tests.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db

TEAM = reverse("accounts:settings_team")
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def role_url(member: Member) -> str:
    return reverse("accounts:settings_team_role", args=[member.id])


def remove_url(member: Member) -> str:
    return reverse("accounts:settings_team_remove", args=[member.id])


def resend_url(member: Member) -> str:
    return reverse("accounts:settings_team_invitation", args=[member.id])


@pytest.fixture
def immediate_tasks(settings):  # type: ignore[no-untyped-def]
    """The invitation email is sent as the worker would, when the transaction commits."""
    settings.TASKS = IMMEDIATE


@pytest.fixture
def admin(member: Member) -> Member:
    return MemberFactory(
        workspace=member.workspace,
        role=Member.Role.ADMIN,
        user=UserFactory(email="ada@brand.test", first_name="Ada", last_name="Admin"),
    )


def as_user(member: Member) -> Client:
    client = Client()
    client.force_login(member.user)
    return client


def invite(client: Client, capture: Any, **data: str) -> Any:
    with capture(execute=True):
        return client.post(TEAM, {"role": "member", "name": "", **data})


# The list --------------------------------------------------------------------------------


def test_every_member_sees_the_team_but_only_admins_the_controls(logged_in, member, teammate):
    teammate.user.first_name, teammate.user.last_name = "Mia", "Member"
    teammate.user.save()

    own = logged_in.get(TEAM)
    plain = as_user(teammate).get(TEAM)

    assert own.status_code == plain.status_code == 200
    for page in (own.content.decode(), plain.content.decode()):
        assert "Mia Member" in page and teammate.user.email in page and member.user.email in page
        assert "Owner" in page and "Member since" in page
    assert 'name="email"' in own.content.decode()
    assert 'data-testid="member-remove"' in own.content.decode()
    html = plain.content.decode()
    assert 'name="email"' not in html and 'data-testid="member-remove"' not in html
    assert 'name="role"' not in html
    assert "Only an owner or admin can invite teammates" in html


def test_team_is_in_the_settings_menu(logged_in):
    html = logged_in.get(reverse("accounts:settings_general")).content.decode()
    assert f'href="{TEAM}"' in html


def test_alone_in_the_workspace_the_page_says_to_invite(logged_in):
    html = logged_in.get(TEAM).content.decode()
    assert 'data-testid="team-empty"' in html and "Invite your teammates" in html


def test_the_only_owners_row_offers_no_change_until_there_is_a_second_owner(
    logged_in, member, teammate
):
    def own_row() -> str:
        html = logged_in.get(TEAM).content.decode()
        row = re.search(rf'data-member="{member.id}">(.*?)</tr>', html, re.S)
        assert row
        return row.group(1)

    assert "member-remove" not in own_row() and "role-select" not in own_row()
    teammate.role = Member.Role.OWNER
    teammate.save()
    assert "member-remove" in own_row() and "role-select" in own_row()


def test_an_admin_cannot_change_or_remove_an_owner_so_the_owner_row_has_no_controls(member, admin):
    html = as_user(admin).get(TEAM).content.decode()
    owner_row = re.search(rf'data-member="{member.id}">(.*?)</tr>', html, re.S)
    admin_row = re.search(rf'data-member="{admin.id}">(.*?)</tr>', html, re.S)
    assert owner_row and admin_row
    assert "member-remove" not in owner_row.group(1) and "role-select" not in owner_row.group(1)
    assert "role-select" in admin_row.group(1)
    assert '<option value="owner"' not in html  # an admin cannot make owners


# Inviting --------------------------------------------------------------------------------


def test_invite_a_new_user_who_sets_a_password_through_the_link_and_signs_in(
    logged_in, member, make_conversation, immediate_tasks, django_capture_on_commit_callbacks
):
    make_conversation(inbound=1)
    make_conversation(inbound=2)

    response = invite(
        logged_in,
        django_capture_on_commit_callbacks,
        email="  Nina.New@Brand.TEST ",
        name="Nina  van Neu",
        role="admin",
    )

    assert response.status_code == 302
    user = User.objects.get(email="nina.new@brand.test")
    assert (user.first_name, user.last_name) == ("Nina", "van Neu")
    assert not user.has_usable_password()
    invited = Member.objects.get(user=user)
    assert (invited.workspace_id, invited.role) == (member.workspace_id, "admin")
    # an entry for each conversation, read: the team's inbox from the first page
    entries = InboxEntry.objects.filter(member=invited)
    assert entries.count() == 2 and not entries.filter(unread=True).exists()
    page = logged_in.get(TEAM).content.decode()
    assert "nina.new@brand.test is invited" in page and 'data-testid="invited"' in page
    # the email: who invited them, where, and a link that sets their password
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == ["nina.new@brand.test"]
    assert member.workspace.name in email.subject
    assert str(member.user) in email.body and "Your role: Admin" in email.body
    link = re.search(r"^(https?://\S+)$", email.body, re.M)
    assert link and link.group(1).startswith("http://127.0.0.1:8000/reset/")
    newcomer = Client()
    form = newcomer.get(link.group(1).removeprefix("http://127.0.0.1:8000"), follow=True)
    assert form.status_code == 200 and 'name="new_password1"' in form.content.decode()
    done = newcomer.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a-fresh-secret-91", "new_password2": "a-fresh-secret-91"},
    )
    assert done.status_code == 302
    assert newcomer.login(
        request=HttpRequest(), username="nina.new@brand.test", password="a-fresh-secret-91"
    )
    assert newcomer.get(reverse("inbox:list")).status_code == 200
    # the link worked once: a password is set, so it no longer does
    again = newcomer.get(link.group(1).removeprefix("http://127.0.0.1:8000"), follow=True)
    assert "no longer valid" in again.content.decode()


def test_invite_an_existing_user_adds_them_and_their_switcher_shows_the_workspace(
    logged_in, member, other_member, immediate_tasks, django_capture_on_commit_callbacks
):
    known = other_member.user

    response = invite(
        logged_in, django_capture_on_commit_callbacks, email=known.email.upper(), name="Ignored"
    )

    assert response.status_code == 302
    joined = Member.objects.get(user=known, workspace=member.workspace)
    assert joined.role == "member"
    known.refresh_from_db()
    assert known.first_name != "Ignored" and known.has_usable_password()
    assert len(mail.outbox) == 1
    assert "You were added to" in mail.outbox[0].subject
    assert "/reset/" not in mail.outbox[0].body and "/login/" in mail.outbox[0].body
    switcher = as_user(other_member).get(reverse("inbox:list")).content.decode()
    assert f'value="{member.workspace_id}"' in switcher and member.workspace.name in switcher
    assert f'value="{other_member.workspace_id}"' in switcher


def test_inviting_a_member_again_is_a_clear_error(
    logged_in, member, teammate, django_capture_on_commit_callbacks
):
    response = invite(logged_in, django_capture_on_commit_callbacks, email=teammate.user.email)

    assert response.status_code == 422
    assert "is already a member of this workspace" in response.content.decode()
    assert Member.objects.filter(workspace=member.workspace).count() == 2
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"email": ""}, "email", "This field is required."),
        ({"email": "not-an-address"}, "email", "Enter a valid email address."),
        ({"email": "a@b"}, "email", "Enter a valid email address."),
        ({"email": "ann\u202e@brand.test"}, "email", "Enter a valid email address."),
        ({"email": "a" * 250 + "@b.fi"}, "email", "An email address is at most 150 characters."),
        # A plain address the RFC allows, too long for the login column (was a 500 there)
        (
            {"email": "a" * 60 + "@" + "b" * 60 + "." + "c" * 60 + ".fi"},
            "email",
            "An email address is at most 150 characters.",
        ),
        ({"email": "ok@brand.test", "name": "x" * 5000}, "name", "at most 150 characters"),
        ({"email": "ok@brand.test", "role": "boss"}, "role", "Select a valid choice."),
    ],
)
def test_bad_invitations_are_explained_on_their_field_and_change_nothing(
    logged_in, member, data, field, message, django_capture_on_commit_callbacks
):
    response = invite(logged_in, django_capture_on_commit_callbacks, **data)

    assert response.status_code == 422
    html = response.content.decode()
    assert f'data-field="{field}"' in html and message in html
    assert User.objects.count() == 1 and mail.outbox == []


def test_a_nul_in_the_name_is_refused_at_the_edge(logged_in, member):
    response = logged_in.post(TEAM, {"email": "ok@brand.test", "name": "a\x00b", "role": "member"})
    assert response.status_code == 400 and "NUL" in response.content.decode()
    assert not User.objects.filter(email="ok@brand.test").exists()


def test_a_right_to_left_override_in_the_name_is_removed(
    logged_in, django_capture_on_commit_callbacks
):
    response = invite(
        logged_in,
        django_capture_on_commit_callbacks,
        email="rtl@brand.test",
        name="\u202eevil\u202c Name",
    )

    assert response.status_code == 302
    user = User.objects.get(email="rtl@brand.test")
    assert (user.first_name, user.last_name) == ("evil", "Name")


def test_an_admin_cannot_invite_an_owner_but_an_owner_can(
    member, admin, django_capture_on_commit_callbacks
):
    refused = invite(
        as_user(admin), django_capture_on_commit_callbacks, email="o@brand.test", role="owner"
    )
    assert refused.status_code == 422 and not User.objects.filter(email="o@brand.test").exists()

    done = invite(
        as_user(member), django_capture_on_commit_callbacks, email="o@brand.test", role="owner"
    )
    assert done.status_code == 302
    assert Member.objects.get(user__email="o@brand.test").role == "owner"


def test_sending_the_invitation_again_gives_a_new_link_until_a_password_is_set(
    logged_in, member, teammate, immediate_tasks, django_capture_on_commit_callbacks
):
    invite(logged_in, django_capture_on_commit_callbacks, email="late@brand.test")
    invited = Member.objects.get(user__email="late@brand.test")

    with django_capture_on_commit_callbacks(execute=True):
        again = logged_in.post(resend_url(invited))
    refused = logged_in.post(resend_url(teammate))  # has a password: signs in as usual

    assert again.status_code == 302 and len(mail.outbox) == 2
    assert "/reset/" in mail.outbox[1].body
    assert refused.status_code == 409
    assert "has set a password already" in refused.content.decode()


# Roles -----------------------------------------------------------------------------------


def test_owner_changes_roles_and_makes_another_owner(logged_in, member, teammate):
    assert logged_in.post(role_url(teammate), {"role": "admin"}).status_code == 302
    teammate.refresh_from_db()
    assert teammate.role == "admin"
    assert "is now Admin" in logged_in.get(TEAM).content.decode()

    assert logged_in.post(role_url(teammate), {"role": "owner"}).status_code == 302
    teammate.refresh_from_db()
    assert teammate.role == "owner"


def test_the_last_owner_cannot_be_demoted_but_one_of_two_can(logged_in, member, teammate):
    response = logged_in.post(role_url(member), {"role": "admin"})

    assert response.status_code == 409
    assert "only owner: make someone else an owner first" in response.content.decode()
    member.refresh_from_db()
    assert member.role == "owner"

    teammate.role = Member.Role.OWNER
    teammate.save()
    assert logged_in.post(role_url(member), {"role": "member"}).status_code == 302
    member.refresh_from_db()
    assert member.role == "member"


def test_an_admin_changes_members_and_admins_but_not_owners(member, admin, teammate):
    client = as_user(admin)

    assert client.post(role_url(teammate), {"role": "admin"}).status_code == 302
    to_owner = client.post(role_url(teammate), {"role": "owner"})
    demote_owner = client.post(role_url(member), {"role": "member"})

    for response in (to_owner, demote_owner):
        assert response.status_code == 403
        assert "Only an owner can make someone an owner" in response.content.decode()
    member.refresh_from_db()
    teammate.refresh_from_db()
    assert (member.role, teammate.role) == ("owner", "admin")


def test_an_unknown_role_is_explained(logged_in, teammate):
    response = logged_in.post(role_url(teammate), {"role": "\u202eboss"})
    assert response.status_code == 422
    assert "Choose owner, admin or member." in response.content.decode()


# Removing --------------------------------------------------------------------------------


def test_removing_a_member_ends_their_access_and_keeps_what_they_wrote(
    logged_in, member, teammate, make_conversation
):
    conversation = make_conversation(inbound=1)
    reply = message_record(
        conversation=conversation,
        channel="inapp",
        direction=Message.Direction.OUTBOUND,
        status=Message.Status.SENT,
        body_text="Deal: two reels.",
        author_member=teammate,
    )
    note = note_add(creator=conversation.creator, author=teammate, body="Agreed by phone")
    conversation_assign(actor=member, conversation=conversation, assignee=teammate)
    notify(
        workspace_id=member.workspace_id,
        member_ids=[teammate.id],
        kind=Notification.Kind.INBOUND,
        text="hi",
    )
    api_token_create(member=teammate, name="theirs")
    teammate.user.first_name, teammate.user.last_name = "Tea", "Mate"
    teammate.user.save()
    theirs = as_user(teammate)

    response = logged_in.post(remove_url(teammate))

    assert response.status_code == 302
    assert "no longer belongs to this workspace" in logged_in.get(TEAM).content.decode()
    # gone from the team, from assignment and from their own pages
    assert not Member.objects.filter(id=teammate.id).exists()
    assert Member.all_objects.get(id=teammate.id).removed_at is not None
    assert "Tea Mate" not in logged_in.get(TEAM).content.decode()
    assert theirs.get(reverse("inbox:list")).status_code == 403
    assert not ApiToken.objects.filter(member_id=teammate.id).exists()
    assert not InboxEntry.objects.filter(member_id=teammate.id).exists()
    assert not Notification.objects.filter(member_id=teammate.id).exists()
    assert Conversation.objects.get(id=conversation.id).assignee_id is None
    # what they wrote stays, under their name
    reply.refresh_from_db()
    note.refresh_from_db()
    assert reply.author_member_id == teammate.id and note.author_id == teammate.id
    thread = logged_in.get(reverse("inbox:thread", args=[conversation.id]))
    assert "Tea Mate" in thread.content.decode()


def test_a_removed_member_invited_again_comes_back_with_their_history(
    logged_in, member, teammate, make_conversation, django_capture_on_commit_callbacks
):
    make_conversation(inbound=1)
    logged_in.post(remove_url(teammate))

    response = invite(
        logged_in, django_capture_on_commit_callbacks, email=teammate.user.email, role="admin"
    )

    assert response.status_code == 302
    back = Member.objects.get(user=teammate.user, workspace=member.workspace)
    assert back.id == teammate.id and back.role == "admin" and back.removed_at is None
    assert InboxEntry.objects.filter(member=back).count() == 1
    assert as_user(teammate).get(reverse("inbox:list")).status_code == 200


def test_the_last_owner_cannot_leave_but_an_admin_can(logged_in, member, admin):
    response = logged_in.post(remove_url(member))

    assert response.status_code == 409
    assert "only owner and cannot be removed" in response.content.decode()
    assert Member.objects.filter(id=member.id).exists()

    left = as_user(admin).post(remove_url(admin))
    assert left.status_code == 302 and left["Location"] == reverse("inbox:list")
    assert not Member.objects.filter(id=admin.id).exists()


def test_an_admin_cannot_remove_an_owner(member, admin):
    response = as_user(admin).post(remove_url(member))
    assert response.status_code == 403
    assert Member.objects.filter(id=member.id).exists()


def test_remove_asked_by_htmx_answers_a_redirect_or_says_why_not(logged_in, member, teammate):
    refused = logged_in.post(remove_url(member), headers={"HX-Request": "true"})
    done = logged_in.post(remove_url(teammate), headers={"HX-Request": "true"})

    assert refused.status_code == 409 and "only%20owner" in refused["X-Parley-Error"]
    assert done.status_code == 200 and done["HX-Redirect"] == f"{TEAM}?removed={teammate.id}"


def pending_cancel_url(member: Member) -> str:
    return reverse("accounts:settings_team_pending_cancel", args=[member.id])


def _schedule(author: Member, conversation: Conversation, body: str) -> Message:
    return message_send(
        member=author,
        conversation=conversation,
        channel="inapp",
        body=body,
        send_at=timezone.now() + timedelta(days=1),
    )


def test_what_a_removed_member_left_waiting_is_named_and_can_be_cancelled(
    logged_in, member, teammate, make_conversation
):
    waiting = [_schedule(teammate, make_conversation(), f"Tomorrow {i}") for i in range(2)]
    mine = _schedule(member, make_conversation(), "Mine")
    broadcast = Broadcast.objects.create(
        workspace=member.workspace, author=teammate, channel="inapp", state="sending"
    )
    OutboxItem.objects.filter(message=waiting[1]).update(broadcast=broadcast)

    removed = logged_in.post(remove_url(teammate))

    assert removed["Location"] == f"{TEAM}?removed={teammate.id}"
    page = logged_in.get(removed["Location"]).content.decode()
    assert "left 2 messages waiting to go out" in page and "Cancel all 2" in page
    cancelled = logged_in.post(pending_cancel_url(teammate))
    assert cancelled.status_code == 302
    assert "2 messages of" in logged_in.get(TEAM).content.decode()
    states = {m.id: OutboxItem.objects.get(message=m).state for m in [*waiting, mine]}
    assert states == {waiting[0].id: "cancelled", waiting[1].id: "cancelled", mine.id: "pending"}
    assert Message.objects.get(id=waiting[0].id).status_reason == "Cancelled before it was sent."
    broadcast.refresh_from_db()
    assert broadcast.state == Broadcast.State.CANCELLED
    # nothing waits any more: no notice
    assert (
        'data-testid="removed-pending"' not in logged_in.get(removed["Location"]).content.decode()
    )


def test_the_waiting_notice_and_its_cancel_are_for_admins_and_removed_members_only(
    logged_in, member, teammate, admin, other_member, make_conversation
):
    _schedule(teammate, make_conversation(), "Tomorrow")
    logged_in.post(remove_url(teammate))
    plain = MemberFactory(workspace=member.workspace, role=Member.Role.MEMBER)

    assert (
        'data-testid="removed-pending"'
        in as_user(admin).get(f"{TEAM}?removed={teammate.id}").content.decode()
    )
    assert (
        'data-testid="removed-pending"'
        not in as_user(plain).get(f"{TEAM}?removed={teammate.id}").content.decode()
    )
    assert as_user(plain).post(pending_cancel_url(teammate)).status_code == 403
    # a current member, another workspace's removed member: not found
    assert logged_in.post(pending_cancel_url(admin)).status_code == 404
    other_member.removed_at = timezone.now()
    other_member.save()
    assert logged_in.post(pending_cancel_url(other_member)).status_code == 404
    for value in (str(other_member.id), "9" * 40, "\u202e1", "[]"):
        response = logged_in.get(TEAM, {"removed": value})
        assert response.status_code == 200
        assert 'data-testid="removed-pending"' not in response.content.decode()
    assert logged_in.get(TEAM, {"removed": "1\x00"}).status_code == 400
    assert OutboxItem.objects.filter(state="pending").count() == 1


# A plain member, and another workspace ---------------------------------------------------


def test_a_plain_member_is_refused_every_change(
    member, teammate, django_capture_on_commit_callbacks
):
    other = MemberFactory(workspace=member.workspace, role=Member.Role.MEMBER)
    client = as_user(teammate)

    responses = [
        invite(client, django_capture_on_commit_callbacks, email="x@brand.test"),
        client.post(role_url(other), {"role": "admin"}),
        client.post(role_url(teammate), {"role": "owner"}),
        client.post(remove_url(other)),
        client.post(resend_url(other)),
    ]

    for response in responses:
        assert response.status_code == 403
        assert "Only an owner or admin can" in response.content.decode()
    assert not User.objects.filter(email="x@brand.test").exists()
    other.refresh_from_db()
    teammate.refresh_from_db()
    assert (other.role, teammate.role, other.removed_at) == ("member", "member", None)


def test_another_workspaces_member_is_not_found_on_every_route(logged_in, other_member):
    for url in (role_url(other_member), remove_url(other_member), resend_url(other_member)):
        response = logged_in.post(url, {"role": "admin"})
        assert response.status_code == 404, url
    other_member.refresh_from_db()
    assert other_member.role == "owner" and other_member.removed_at is None


def test_a_removed_members_id_is_not_found(logged_in, teammate):
    logged_in.post(remove_url(teammate))
    assert logged_in.post(role_url(teammate), {"role": "admin"}).status_code == 404
    assert logged_in.post(remove_url(teammate)).status_code == 404
