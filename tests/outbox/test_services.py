from datetime import timedelta

import pytest
from django.utils import timezone

from parley.channels import registry
from parley.channels.base import DeliveryResult
from parley.core.errors import ValidationFailed
from parley.inbox.models import Message, Notification
from parley.outbox.dispatch import outbox_claim, outbox_dispatch_due
from parley.outbox.models import OutboxItem
from parley.outbox.services import message_send, outbox_deliver

pytestmark = pytest.mark.django_db


class FlakyChannel:
    """A channel outside this machine (like an SMS provider): answers what the test scripts."""

    name = "flaky"
    immediate = False

    def __init__(self, results: list[DeliveryResult]):
        self.results = results
        self.sent: list[int] = []

    def send(self, message: Message) -> DeliveryResult:
        self.sent.append(message.pk)
        return self.results.pop(0)


@pytest.fixture
def flaky(monkeypatch):  # type: ignore[no-untyped-def]
    def install(*results: DeliveryResult) -> FlakyChannel:
        channel = FlakyChannel(list(results))
        monkeypatch.setitem(registry._ADAPTERS, "flaky", channel)
        return channel

    return install


def test_in_app_send_is_immediate(member, make_conversation):
    conversation = make_conversation()
    message = message_send(member=member, conversation=conversation, channel="inapp", body=" hi ")
    assert message.status == "sent" and message.body_text == "hi"
    assert not OutboxItem.objects.exists()


def test_validation_errors_keep_nothing(member, make_conversation):
    conversation = make_conversation()
    with pytest.raises(ValidationFailed) as err:
        message_send(
            member=member,
            conversation=conversation,
            channel="inapp",
            body="",
            send_at=timezone.now() - timedelta(minutes=1),
        )
    assert set(err.value.errors) == {"body", "send_at"}
    with pytest.raises(ValidationFailed):
        message_send(member=member, conversation=conversation, channel="fax", body="x")
    assert not Message.objects.exists()


def test_scheduled_message_waits_then_goes_out(member, make_conversation):
    conversation = make_conversation()
    later = timezone.now() + timedelta(hours=2)
    message = message_send(
        member=member, conversation=conversation, channel="inapp", body="later", send_at=later
    )
    assert message.status == "queued"
    assert outbox_dispatch_due() == 0
    OutboxItem.objects.filter(message=message).update(not_before=timezone.now())
    assert outbox_dispatch_due() == 1
    message.refresh_from_db()
    assert message.status == "sent" and message.sent_at is not None
    assert outbox_dispatch_due() == 0


def test_lease_means_one_worker_per_item(member, make_conversation, flaky):
    flaky(DeliveryResult(ok=True, provider_id="x"))
    message_send(member=member, conversation=make_conversation(), channel="flaky", body="a")
    assert len(outbox_claim(worker_id="w1")) == 1
    assert outbox_claim(worker_id="w2") == []
    # the first worker died: once its lease runs out another takes over
    OutboxItem.objects.update(lease_until=timezone.now() - timedelta(seconds=1))
    assert len(outbox_claim(worker_id="w2")) == 1


def test_retry_then_success_sends_once(member, make_conversation, flaky):
    channel = flaky(
        DeliveryResult(ok=False, error="server busy", retry=True),
        DeliveryResult(ok=True, provider_id="abc"),
    )
    message = message_send(
        member=member, conversation=make_conversation(), channel="flaky", body="b"
    )
    item = OutboxItem.objects.get(message=message)
    assert outbox_deliver(item_id=item.id) == "pending"
    message.refresh_from_db()
    assert message.status == "queued" and message.status_reason == "server busy"
    assert outbox_deliver(item_id=item.id) == "pending"  # not due yet: nothing sent
    OutboxItem.objects.filter(id=item.id).update(not_before=timezone.now())
    assert outbox_deliver(item_id=item.id) == "done"
    assert outbox_deliver(item_id=item.id) == "done"  # idempotent
    message.refresh_from_db()
    assert (message.status, message.provider_sid) == ("sent", "abc")
    assert len(channel.sent) == 2


def test_permanent_failure_keeps_message_with_reason_and_notifies(member, make_conversation, flaky):
    flaky(DeliveryResult(ok=False, error="mailbox rejected the address"))
    message = message_send(
        member=member, conversation=make_conversation(), channel="flaky", body="c"
    )
    outbox_deliver(item_id=OutboxItem.objects.get(message=message).id)
    message.refresh_from_db()
    assert message.status == "failed"
    assert message.status_reason == "mailbox rejected the address"
    assert message.body_text == "c"
    assert Notification.objects.filter(member=member, kind="send_failed").exists()


def test_priority_order(member, make_conversation, flaky):
    flaky(*[DeliveryResult(ok=True)] * 3)
    conversation = make_conversation()
    mass = message_send(
        member=member,
        conversation=conversation,
        channel="flaky",
        body="mass",
        priority=OutboxItem.Priority.MASS,
    )
    personal = message_send(member=member, conversation=conversation, channel="flaky", body="p")
    claimed = [item.message_id for item in outbox_claim(worker_id="w")]
    assert claimed == [personal.id, mass.id]
