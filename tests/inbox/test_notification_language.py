"""Notifications in each reader's language, as events are (parley.inbox.events): a
notification keeps its words as said beside its text as written, so a teammate who reads
German sees in German what an English-speaking teammate or the worker caused, on the page,
in the API and in the notification's email; a new message's preview (the creator's own
words) and the notifications from before show as written."""

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from parley.channels.base import SenderPolicy
from parley.inbox.models import Notification
from parley.inbox.services import (
    conversation_assign,
    conversation_mark_unread,
    notification_email_send,
)
from parley.outbox.notify import notify_paused

pytestmark = pytest.mark.django_db

ASSIGNED = "%(actor)s assigned a conversation to you"


def _in(language: str, words: str, **values: object) -> str:
    with translation.override(language):
        return gettext(words) % values


def _dropdown(client, member, language: str) -> str:  # type: ignore[no-untyped-def]
    client.force_login(member.user)
    client.cookies["django_language"] = language
    return client.get(reverse("inbox:notifications")).content.decode()


@pytest.fixture
def assigned(member, teammate, make_conversation) -> Notification:  # type: ignore[no-untyped-def]
    """The member assigned a conversation by a teammate who reads English."""
    conversation = make_conversation(name="Mia Laine")
    with translation.override("en"):
        conversation_assign(actor=teammate, conversation=conversation, assignee=member)
    return Notification.objects.get(member=member, kind=Notification.Kind.ASSIGNED)


def test_an_assignment_made_in_english_reads_in_german_and_in_finnish(
    client, member, teammate, assigned
):
    assert assigned.text == _in("en", ASSIGNED, actor=teammate)  # as written, for search
    for language in ("de", "fi"):
        shown = _in(language, ASSIGNED, actor=teammate)
        assert shown != assigned.text
        assert shown in _dropdown(client, member, language)


def test_the_email_is_in_the_members_language(member, assigned, teammate, mailoutbox):
    member.user.language = "fi"
    member.user.save(update_fields=["language"])
    with translation.override("en"):  # the worker's language
        assert notification_email_send(
            member_id=member.id,
            text=assigned.text,
            conversation_id=assigned.conversation_id,
            said=assigned.said,
        )
    (sent,) = mailoutbox
    assert _in("fi", ASSIGNED, actor=teammate) in sent.body
    assert _in("fi", "Parley: %(text)s", text="") in sent.subject
    footer = "You get this email because of your notification settings in %(workspace)s."
    assert _in("fi", footer, workspace=member.workspace.name) in sent.body


def test_a_worker_notice_reads_in_the_readers_language(client, member):
    policy = SenderPolicy(daily_limit=300, time_zone="UTC", label="max@brand.example")
    with translation.override("en"):  # the worker's language
        notify_paused(
            workspace_id=member.workspace_id,
            policy=policy,
            until=timezone.now(),
            reason="550 5.4.5 Daily user sending quota exceeded",
        )
    notice = Notification.objects.get(member=member, kind=Notification.Kind.LIMIT)
    paused = "%(sender)s is paused until %(when)s: %(reason)s. Nothing is lost."
    german = _in("de", paused, **notice.said["v"])
    assert german != notice.text and "550 5.4.5" in german
    assert german in _dropdown(client, member, "de")


def test_a_reminder_and_notifications_from_before_show_as_they_are(
    client, member, make_conversation
):
    conversation = make_conversation(name="Mia Laine", inbound=1)
    with translation.override("en"):
        conversation_mark_unread(member=member, conversation=conversation)
    reminder = Notification.objects.get(member=member, kind=Notification.Kind.REMINDER)
    with translation.override("de"):
        assert reminder.shown_text == _in("de", "Marked as unread: %(name)s", name="Mia Laine")
    inbound = Notification.objects.get(member=member, kind=Notification.Kind.INBOUND)
    assert inbound.said is None  # the creator's own words
    Notification.objects.filter(id=inbound.id).update(text="Written before: as it was")
    assert "Written before: as it was" in _dropdown(client, member, "de")
    assert not mail.outbox
