"""Editing a message that waits to go out, under the outbox's lease rules: its text and
time change while it is pending and unclaimed; once a worker holds it, or it went, not."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from parley.core.errors import Conflict, ValidationFailed
from parley.inbox.models import Message
from parley.outbox.models import OutboxItem
from parley.outbox.services import message_send, outbox_reschedule


@pytest.fixture
def scheduled(member, make_conversation) -> Message:  # type: ignore[no-untyped-def]
    return message_send(
        member=member,
        conversation=make_conversation(),
        channel="inapp",
        body="See you tomorrow",
        send_at=timezone.now() + timedelta(days=1),
    )


def test_text_and_time_change_while_it_waits(member, scheduled):
    later = timezone.now() + timedelta(hours=2)

    item = outbox_reschedule(member=member, message=scheduled, body=" See you soon ", send_at=later)

    scheduled.refresh_from_db()
    assert scheduled.body_text == "See you soon" and scheduled.scheduled_for == later
    assert item.state == OutboxItem.State.PENDING and item.send_after == later


def test_no_time_means_as_soon_as_it_can(member, scheduled, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        item = outbox_reschedule(member=member, message=scheduled, body="Now", send_at=None)

    scheduled.refresh_from_db()
    assert scheduled.scheduled_for is None and item.not_before <= timezone.now()
    assert len(callbacks) == 1  # the delivery task, queued on commit


def test_a_claimed_message_cannot_be_changed(member, scheduled):
    OutboxItem.objects.filter(message=scheduled).update(
        lease_until=timezone.now() + timedelta(minutes=5), leased_by="worker-1"
    )

    with pytest.raises(Conflict):
        outbox_reschedule(member=member, message=scheduled, body="Changed", send_at=None)

    scheduled.refresh_from_db()
    assert scheduled.body_text == "See you tomorrow"


@pytest.mark.parametrize("state", [OutboxItem.State.DONE, OutboxItem.State.CANCELLED])
def test_a_sent_or_cancelled_message_cannot_be_changed(member, scheduled, state):
    OutboxItem.objects.filter(message=scheduled).update(state=state)

    with pytest.raises(Conflict):
        outbox_reschedule(member=member, message=scheduled, body="Changed", send_at=None)


def test_bad_text_or_time_changes_nothing(member, scheduled):
    with pytest.raises(ValidationFailed) as refused:
        outbox_reschedule(
            member=member,
            message=scheduled,
            body="x" * 50_001,
            send_at=timezone.now() - timedelta(minutes=1),
        )

    assert set(refused.value.errors) == {"body", "send_at"}
    scheduled.refresh_from_db()
    assert scheduled.body_text == "See you tomorrow"


# The page --------------------------------------------------------------------------------


def _url(message: Message) -> str:
    return reverse("inbox:message_edit", args=[message.conversation_id, message.id])


def test_thread_offers_edit_and_the_page_saves(logged_in, scheduled):
    thread = logged_in.get(reverse("inbox:thread", args=[scheduled.conversation_id]))
    assert 'data-testid="edit-scheduled"' in thread.content.decode()
    page = logged_in.get(_url(scheduled))
    assert page.status_code == 200 and "See you tomorrow" in page.content.decode()

    later = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = logged_in.post(_url(scheduled), {"body": "Edited", "send_at": later})

    assert response.status_code == 302
    scheduled.refresh_from_db()
    assert scheduled.body_text == "Edited"


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"body": "ok", "send_at": "2026-13-45T99:99"}, 422),
        ({"body": "ok", "send_at": "2001-01-01T10:00"}, 422),
        ({"body": "x" * 60_000}, 422),
        ({"body": "\u202e\u2066"}, 422),
        ({"body": "ok", "send_at": "9999-12-31T23:59"}, 302),
        ({"body": "a\x00b"}, 400),
    ],
)
def test_hostile_input_is_a_clear_4xx(logged_in, scheduled, data, status):
    response = logged_in.post(_url(scheduled), data)
    assert response.status_code == status


def test_a_claimed_message_is_a_409_on_the_page(logged_in, scheduled):
    OutboxItem.objects.filter(message=scheduled).update(
        lease_until=timezone.now() + timedelta(minutes=5), leased_by="worker-1"
    )

    response = logged_in.post(_url(scheduled), {"body": "Changed"})

    assert response.status_code == 409
    assert "cannot be changed any more" in response.content.decode()


def test_another_workspaces_message_is_a_404(client, other_member, scheduled):
    client.force_login(other_member.user)

    assert client.get(_url(scheduled)).status_code == 404
    assert client.post(_url(scheduled), {"body": "Taken over"}).status_code == 404
    scheduled.refresh_from_db()
    assert scheduled.body_text == "See you tomorrow"
