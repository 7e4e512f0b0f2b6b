"""Teammates through the API: invite (POST /members), change a role (PATCH /members/{id}),
remove (DELETE /members/{id}), send an invitation again; the same services and rules as
Settings → Team."""

import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from django.core import mail
from django.http import HttpRequest
from django.test import Client
from django.utils import timezone

from parley.accounts.models import ApiToken, Member, User
from parley.accounts.services import api_token_create
from parley.inbox.models import InboxEntry
from parley.outbox.models import OutboxItem
from parley.outbox.services import message_send
from tests.api.conftest import ApiClient
from tests.factories import MemberFactory, UserFactory

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def immediate_tasks(settings):  # type: ignore[no-untyped-def]
    settings.TASKS = IMMEDIATE


def api_for(member: Member) -> ApiClient:
    return ApiClient(api_token_create(member=member, name="t")[1])


def test_invite_a_new_user_who_chooses_a_password_from_the_email(
    api, member, make_conversation, immediate_tasks, django_capture_on_commit_callbacks
):
    make_conversation(inbound=1)

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/members", {"email": "Nina@Brand.test", "name": "Nina Neu", "role": "admin"}
        )

    assert response.status_code == 201
    body = response.json()
    invited = Member.objects.get(id=body["id"])
    assert body == {
        "id": invited.id,
        "name": "Nina Neu",
        "email": "nina@brand.test",
        "role": "admin",
        "since": body["since"],
        "invitation_pending": True,
    }
    assert invited.workspace_id == member.workspace_id
    assert InboxEntry.objects.filter(member=invited).count() == 1
    assert [m.to for m in mail.outbox] == [["nina@brand.test"]]
    link = re.search(r"http://127\.0\.0\.1:8000(/reset/\S+)", mail.outbox[0].body)
    assert link
    browser = Client()
    form = browser.get(link.group(1), follow=True)
    done = browser.post(
        form.redirect_chain[-1][0],
        {"new_password1": "a-fresh-secret-91", "new_password2": "a-fresh-secret-91"},
    )
    assert done.status_code == 302
    assert browser.login(
        request=HttpRequest(), username="nina@brand.test", password="a-fresh-secret-91"
    )
    listed = {m["id"]: m for m in api.get("/members").json()}
    assert listed[invited.id]["invitation_pending"] is False


def test_invite_an_existing_user(
    api, member, other_member, immediate_tasks, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/members", {"email": other_member.user.email, "name": "Not used"})

    assert response.status_code == 201
    assert response.json()["invitation_pending"] is False
    assert response.json()["name"] == str(other_member.user)
    assert Member.objects.filter(user=other_member.user).count() == 2
    assert "You were added to" in mail.outbox[0].subject


def test_inviting_a_member_again_is_409(api, member, teammate):
    response = api.post("/members", {"email": teammate.user.email})

    assert response.status_code == 409
    assert response.json() == {
        "detail": {"email": [f"{teammate.user.email} is already a member of this workspace."]}
    }


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "not-an-address"}, "email"),
        ({"email": "ann\u202e@brand.test"}, "email"),
        ({"email": " padded@brand.test"}, "email"),
        ({"email": "a" * 250 + "@b.fi"}, "email"),
        ({"email": "a" * 60 + "@" + "b" * 60 + "." + "c" * 60 + ".fi"}, "email"),
        ({"email": "a\x00@brand.test"}, "email"),
        ({"email": "ok@brand.test", "name": "x" * 5000}, "name"),
        ({"email": "ok@brand.test", "name": "a\x00b"}, "name"),
        ({"email": "ok@brand.test", "role": "boss"}, "role"),
        ({"email": 5}, "email"),
        ({"email": ["ok@brand.test"]}, "email"),
        ({"email": "ok@brand.test", "name": {"first": "A"}}, "name"),
        ({"email": "ok@brand.test", "role": None}, "role"),
        ({"email": "ok@brand.test", "extra": 1}, "extra"),
        ({}, "email"),
    ],
)
def test_bad_invitations_are_422_on_their_field(api, member, payload, field):
    response = api.post("/members", payload)

    assert response.status_code == 422, response.content
    assert list(response.json()["detail"]) == [field]
    assert User.objects.count() == 1


def test_a_right_to_left_override_in_the_name_is_removed(api):
    response = api.post("/members", {"email": "rtl@brand.test", "name": "\u202eevil\u202c Name"})

    assert response.status_code == 201 and response.json()["name"] == "evil Name"


def test_bodies_that_are_no_object_are_400_or_422(api):
    for raw in ["[]", "5", "{", '"x"']:
        response = api.client.post(
            "/api/v1/members", data=raw, content_type="application/json", headers=api._headers()
        )
        assert response.status_code in (400, 422), raw


def test_role_changes_and_the_owner_rules(api, member, teammate):
    admin = MemberFactory(workspace=member.workspace, role=Member.Role.ADMIN)
    as_admin = api_for(admin)

    assert api.patch(f"/members/{teammate.id}", {"role": "admin"}).json()["role"] == "admin"
    assert as_admin.patch(f"/members/{teammate.id}", {"role": "member"}).status_code == 200
    assert as_admin.patch(f"/members/{teammate.id}", {"role": "owner"}).status_code == 403
    assert as_admin.patch(f"/members/{member.id}", {"role": "member"}).status_code == 403
    last = api.patch(f"/members/{member.id}", {"role": "admin"})
    assert last.status_code == 409
    assert "only owner" in last.json()["detail"]["role"][0]
    assert api.patch(f"/members/{teammate.id}", {"role": "owner"}).status_code == 200
    assert api.patch(f"/members/{member.id}", {"role": "member"}).status_code == 200
    roles = dict(Member.objects.values_list("id", "role"))
    assert roles == {member.id: "member", teammate.id: "owner", admin.id: "admin"}


@pytest.mark.parametrize("body", [{"role": 5}, {"role": "boss"}, {}, {"role": "owner", "x": 1}])
def test_bad_roles_are_422(api, teammate, body):
    assert api.patch(f"/members/{teammate.id}", body).status_code == 422
    teammate.refresh_from_db()
    assert teammate.role == "member"


def test_remove_ends_access_and_the_last_owner_stays(api, member, teammate):
    _token, raw = api_token_create(member=teammate, name="theirs")

    assert api.delete(f"/members/{teammate.id}").status_code == 204

    assert [m["id"] for m in api.get("/members").json()] == [member.id]
    assert ApiClient(raw).get("/me").status_code == 401
    assert not ApiToken.objects.filter(member_id=teammate.id).exists()
    assert api.delete(f"/members/{teammate.id}").status_code == 404
    last = api.delete(f"/members/{member.id}")
    assert last.status_code == 409 and "only owner" in last.json()["detail"]["__all__"][0]


def test_remove_keeps_or_cancels_what_they_left_waiting(api, member, teammate, make_conversation):
    leaving = MemberFactory(workspace=member.workspace)
    later = timezone.now() + timedelta(days=1)
    kept, gone = (
        message_send(
            member=m, conversation=make_conversation(), channel="inapp", body="Hi", send_at=later
        )
        for m in (teammate, leaving)
    )

    assert api.delete(f"/members/{teammate.id}").status_code == 204
    assert api.delete(f"/members/{leaving.id}?waiting=cancel").status_code == 204

    assert OutboxItem.objects.get(message=kept).state == "pending"
    assert OutboxItem.objects.get(message=gone).state == "cancelled"
    other = MemberFactory(workspace=member.workspace)
    for bad in ("drop", "\u202ecancel", "x" * 5000, "1"):
        response = api.delete(f"/members/{other.id}?waiting={quote(bad)}")
        assert response.status_code == 422, bad
    assert Member.objects.filter(id=other.id).exists()


def test_a_plain_member_is_refused_403(member, teammate):
    plain = api_for(teammate)
    other = MemberFactory(workspace=member.workspace, role=Member.Role.MEMBER)

    responses = [
        plain.post("/members", {"email": "x@brand.test"}),
        plain.patch(f"/members/{other.id}", {"role": "admin"}),
        plain.patch(f"/members/{teammate.id}", {"role": "owner"}),
        plain.delete(f"/members/{other.id}"),
        plain.post(f"/members/{other.id}/invitation"),
    ]

    assert [r.status_code for r in responses] == [403] * 5
    assert all(r.json() == {"detail": "You may not do this."} for r in responses)
    assert not User.objects.filter(email="x@brand.test").exists()
    assert sorted(Member.objects.values_list("role", flat=True)) == ["member", "member", "owner"]


def test_another_workspaces_member_is_404_on_every_route(api, other_member):
    responses = [
        api.patch(f"/members/{other_member.id}", {"role": "admin"}),
        api.delete(f"/members/{other_member.id}"),
        api.post(f"/members/{other_member.id}/invitation"),
    ]

    assert [r.status_code for r in responses] == [404] * 3
    assert all(r.json() == {"detail": "Not found."} for r in responses)
    other_member.refresh_from_db()
    assert (other_member.role, other_member.removed_at) == ("owner", None)


def test_send_the_invitation_again(
    api, member, teammate, immediate_tasks, django_capture_on_commit_callbacks
):
    invited = api.post("/members", {"email": "late@brand.test"}).json()["id"]

    with django_capture_on_commit_callbacks(execute=True):
        again = api.post(f"/members/{invited}/invitation")
    refused = api.post(f"/members/{teammate.id}/invitation")

    assert again.status_code == 202 and len(mail.outbox) == 1  # (the first never committed)
    assert "/reset/" in mail.outbox[0].body
    assert refused.status_code == 409


def test_the_invitation_is_in_the_invitees_language_else_the_inviters(
    api, member, immediate_tasks, django_capture_on_commit_callbacks
):
    UserFactory(email="finn@brand.test", language="fi")
    ws = member.workspace.name

    with django_capture_on_commit_callbacks(execute=True):
        api.post("/members", {"email": "finn@brand.test", "role": "admin"})
        api.client.post(
            "/api/v1/members",
            data='{"email": "hans@brand.test"}',
            content_type="application/json",
            headers={**api._headers(), "Accept-Language": "de"},
        )

    finnish, german = mail.outbox
    assert finnish.to == ["finn@brand.test"]
    assert finnish.subject == f"Sinut lisättiin työtilaan {ws} Parleyssa"
    assert "Roolisi: Ylläpitäjä." in finnish.body
    assert german.to == ["hans@brand.test"]
    assert german.subject == f"{member.user} hat dich zu {ws} auf Parley eingeladen"
    assert "Der Link funktioniert 3 Tage lang" in german.body and "/reset/" in german.body
