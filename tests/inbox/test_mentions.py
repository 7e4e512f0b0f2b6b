"""Mentions in notes, and notifications as each member's preferences say."""

import pytest

from parley.accounts.models import Member
from parley.core.errors import ValidationFailed
from parley.inbox.mentions import mention_names, mentioned, note_html, note_post
from parley.inbox.models import Message, Notification, NotificationPreference
from parley.inbox.services import (
    conversation_assign,
    message_record,
    notification_preferences_update,
)
from tests.factories import MemberFactory, UserFactory

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def team(member: Member) -> dict[str, Member]:
    """The acting member and three teammates: two Annas, one Ben."""
    ws = member.workspace
    make = lambda email, first, last: MemberFactory(  # noqa: E731
        workspace=ws, user=UserFactory(email=email, first_name=first, last_name=last)
    )
    return {
        "me": member,
        "anna_v": make("anna.v@brand.test", "Anna", "Virtanen"),
        "anna_k": make("akorhonen@brand.test", "Anna", "Korhonen"),
        "ben": make("ben@brand.test", "Ben", "Weber"),
    }


@pytest.fixture
def immediate_tasks(settings):  # type: ignore[no-untyped-def]
    settings.TASKS = IMMEDIATE


def test_names_a_shared_first_name_reaches_nobody_but_addresses_and_full_names_do(team):
    names = mention_names(team.values())

    assert "anna" not in names
    assert names["annavirtanen"] == team["anna_v"]
    assert names["akorhonen"] == team["anna_k"]
    assert names["ben"] == names["benweber"] == team["ben"]


def test_mentioned_finds_each_member_once_in_order_and_skips_email_addresses(team):
    body = "@Ben and @anna.v: see mail from info@ben.test. Also @ben again, @nobody, @anna."

    found = mentioned(body, team.values())

    assert found == [team["ben"], team["anna_v"]]


def test_note_html_links_mentions_and_escapes_everything_else(team):
    html = note_html("<b>hi</b> @Ben.\nline two @nobody", team.values())

    assert html.startswith("&lt;b&gt;hi&lt;/b&gt; ")
    assert '<a class="mention" href="mailto:ben@brand.test"' in html
    assert ">@Ben</a>.<br>line two @nobody" in html


def test_note_post_notifies_each_mentioned_teammate_not_the_author(
    team, make_conversation, django_capture_on_commit_callbacks, mailoutbox, immediate_tasks
):
    conversation = make_conversation(name="Mia Laine")

    with django_capture_on_commit_callbacks(execute=True):
        note_post(
            creator=conversation.creator,
            author=team["me"],
            body=f"@benweber @{team['me'].user.email.split('@')[0]} can you ship it?",
        )

    mentions = Notification.objects.filter(kind=Notification.Kind.MENTION)
    assert [(n.member_id, n.conversation_id) for n in mentions] == [
        (team["ben"].id, conversation.id)
    ]
    assert "mentioned you in a note on Mia Laine" in mentions[0].text
    # a mention emails by default
    assert [m.to for m in mailoutbox] == [["ben@brand.test"]]
    assert f"/inbox/c/{conversation.id}/" in mailoutbox[0].body


def test_preferences_turn_the_app_notification_off_and_the_email_on(
    team, make_conversation, django_capture_on_commit_callbacks, mailoutbox, immediate_tasks
):
    ben = team["ben"]
    notification_preferences_update(member=ben, changes={Notification.Kind.INBOUND: (False, True)})
    conversation = make_conversation(name="Mia Laine")

    with django_capture_on_commit_callbacks(execute=True):
        message_record(
            conversation=conversation,
            channel="email",
            direction=Message.Direction.INBOUND,
            status=Message.Status.RECEIVED,
            body_text="Hello team",
            author_creator=conversation.creator,
        )

    inbound = Notification.objects.filter(kind=Notification.Kind.INBOUND)
    assert ben.id not in set(inbound.values_list("member_id", flat=True))
    assert team["me"].id in set(inbound.values_list("member_id", flat=True))
    assert [m.to for m in mailoutbox] == [["ben@brand.test"]]
    assert "Hello team" in mailoutbox[0].subject


def test_turning_everything_off_means_no_notification_at_all(
    team, make_conversation, django_capture_on_commit_callbacks, mailoutbox, immediate_tasks
):
    ben = team["ben"]
    notification_preferences_update(
        member=ben, changes={Notification.Kind.ASSIGNED: (False, False)}
    )
    conversation = make_conversation()

    with django_capture_on_commit_callbacks(execute=True):
        conversation_assign(actor=team["me"], conversation=conversation, assignee=ben)

    assert not Notification.objects.filter(member=ben).exists()
    assert mailoutbox == []


def test_preferences_refuse_an_unknown_kind_and_change_nothing(member):
    with pytest.raises(ValidationFailed):
        notification_preferences_update(
            member=member, changes={"inbound": (True, True), "x" * 5000: (True, True)}
        )

    assert not NotificationPreference.objects.exists()
