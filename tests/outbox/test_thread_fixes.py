"""In the thread: a failed message has Retry; one whose outcome is unknown has Retry and Mark
as sent; one waiting for its time or its day can be cancelled. Another workspace's message
is a 404."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from parley.channels import registry
from parley.channels.base import DeliveryResult
from parley.inbox.models import Message
from parley.outbox.models import OutboxItem
from parley.outbox.services import message_send, outbox_deliver

pytestmark = pytest.mark.django_db


class Scripted:
    name = "scripted"
    immediate = False

    def __init__(self) -> None:
        self.results: list[DeliveryResult] = []
        self.sent: list[int] = []

    def send(self, message: Message) -> DeliveryResult:
        self.sent.append(message.pk)
        return self.results.pop(0)


@pytest.fixture
def channel(monkeypatch):  # type: ignore[no-untyped-def]
    scripted = Scripted()
    monkeypatch.setitem(registry._ADAPTERS, "scripted", scripted)
    return scripted


def _url(name, message):  # type: ignore[no-untyped-def]
    return reverse(f"inbox:{name}", args=[message.conversation_id, message.id])


def _thread(logged_in, message):  # type: ignore[no-untyped-def]
    return logged_in.get(reverse("inbox:thread", args=[message.conversation_id])).content.decode()


def test_a_failed_message_can_be_retried(logged_in, member, make_conversation, channel):  # type: ignore[no-untyped-def]
    channel.results = [DeliveryResult(ok=False, error="rejected"), DeliveryResult(ok=True)]
    message = message_send(
        member=member, conversation=make_conversation(), channel="scripted", body="hi"
    )
    outbox_deliver(item_id=message.outbox_item.id)
    assert 'data-testid="retry"' in _thread(logged_in, message)
    response = logged_in.post(_url("message_retry", message), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    outbox_deliver(item_id=message.outbox_item.id)
    message.refresh_from_db()
    assert message.status == "sent" and channel.sent == [message.id, message.id]


def test_outcome_unknown_can_be_marked_as_sent(logged_in, member, make_conversation, channel):  # type: ignore[no-untyped-def]
    message = message_send(
        member=member, conversation=make_conversation(), channel="scripted", body="hi"
    )
    OutboxItem.objects.filter(message=message).update(state=OutboxItem.State.UNKNOWN)
    Message.objects.filter(id=message.id).update(status="sending", status_reason="interrupted")
    html = _thread(logged_in, message)
    assert "Outcome unknown" in html and 'data-testid="mark-sent"' in html
    assert logged_in.post(_url("message_mark_sent", message)).status_code == 200
    message.refresh_from_db()
    assert message.status == "sent" and message.outbox_item.state == OutboxItem.State.DONE
    assert channel.sent == []  # nothing went out again by itself
    # and it cannot be marked twice
    assert logged_in.post(_url("message_mark_sent", message)).status_code == 422


def test_a_scheduled_message_can_be_cancelled(logged_in, member, make_conversation, channel):  # type: ignore[no-untyped-def]
    message = message_send(
        member=member,
        conversation=make_conversation(),
        channel="scripted",
        body="later",
        send_at=timezone.now() + timedelta(days=1),
    )
    assert 'hx-confirm="Cancel this message? It will not be sent." data-testid="cancel"' in (
        _thread(logged_in, message)
    )
    assert logged_in.post(_url("message_cancel", message)).status_code == 200
    message.refresh_from_db()
    assert message.outbox_item.state == OutboxItem.State.CANCELLED
    assert message.status == "failed" and "Cancelled" in message.status_reason
    # the thread says it was cancelled, in grey: someone chose it, nothing failed
    thread = _thread(logged_in, message)
    assert 'class="delivery delivery-cancelled" data-testid="status">Cancelled: not sent<' in thread
    assert 'data-testid="cancel"' not in thread


def test_another_workspaces_message_is_404(
    client, other_member, member, make_conversation, channel
):  # type: ignore[no-untyped-def]
    message = message_send(
        member=member, conversation=make_conversation(), channel="scripted", body="x"
    )
    client.force_login(other_member.user)
    for name in ("message_retry", "message_mark_sent", "message_cancel"):
        assert client.post(_url(name, message)).status_code == 404
