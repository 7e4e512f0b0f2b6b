"""Sending: every outbound message is recorded first, then delivered by its channel.

A message that a channel delivers instantly and locally (in-app, not scheduled) is marked sent
in the same transaction. Everything else becomes an OutboxItem and goes out from the worker;
the item carries its own lease, so a worker that dies mid-send loses and doubles nothing.
"""

import logging
import socket
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from parley.accounts.models import Member
from parley.channels.registry import channel_adapter
from parley.core.errors import ValidationFailed
from parley.inbox.models import Conversation, Message, Notification
from parley.inbox.services import message_record
from parley.outbox.models import OutboxItem

logger = logging.getLogger(__name__)

MAX_BODY = 50_000
# The same limit as an email subject (outbox.email_send); the column holds 998.
MAX_SUBJECT = 900
MAX_ATTEMPTS = 5
LEASE = timedelta(minutes=5)
# How long an item waits before looking again when its sender is paused (a mailbox that
# needs re-authorisation). Holding counts no attempt: nothing queued is lost.
HOLD = timedelta(seconds=60)
WORKER_ID = f"{socket.gethostname()}:{id(object())}"


def message_send(
    *,
    member: Member,
    conversation: Conversation,
    channel: str,
    body: str,
    subject: str = "",
    campaign_id: int | None = None,
    send_at: datetime | None = None,
    priority: int = OutboxItem.Priority.PERSONAL,
) -> Message:
    """Send a message written by a member to the conversation's creator."""
    body = body.strip()
    errors: dict[str, list[str]] = {}
    if not body:
        errors["body"] = [_("Write a message first.")]
    elif len(body) > MAX_BODY:
        errors["body"] = [_("A message is at most 50,000 characters.")]
    if len(subject) > MAX_SUBJECT:
        errors["subject"] = [_("A subject is at most 900 characters.")]
    if send_at is not None and send_at <= timezone.now():
        errors["send_at"] = [_("Pick a time in the future.")]
    if conversation.workspace_id != member.workspace_id:
        errors["conversation"] = [_("Unknown conversation.")]
    if errors:
        raise ValidationFailed(errors)
    adapter = channel_adapter(channel)
    deliver_now = adapter.immediate and send_at is None
    with transaction.atomic():
        message = message_record(
            conversation=conversation,
            channel=channel,
            direction=Message.Direction.OUTBOUND,
            status=Message.Status.SENT if deliver_now else Message.Status.QUEUED,
            body_text=body,
            subject=subject,
            campaign_id=campaign_id,
            author_member=member,
            scheduled_for=send_at,
        )
        if deliver_now:
            result = adapter.send(message)
            message.provider_sid = result.provider_id
            message.save(update_fields=["provider_sid"])
            return message
        outbox_enqueue(message=message, priority=priority, send_at=send_at)
    return message


def outbox_enqueue(
    *,
    message: Message,
    sender_key: str = "",
    priority: int = OutboxItem.Priority.PERSONAL,
    send_at: datetime | None = None,
) -> OutboxItem:
    """Queue a recorded message for its channel. Call inside the caller's transaction: the
    delivery task is enqueued on commit."""
    item = OutboxItem.objects.create(
        workspace_id=message.workspace_id,
        message=message,
        channel=message.channel,
        sender_key=sender_key,
        priority=priority,
        not_before=send_at or timezone.now(),
    )
    if send_at is None:
        transaction.on_commit(lambda: _enqueue_delivery(item.pk))
    return item


def _enqueue_delivery(item_id: int) -> None:
    from parley.outbox.tasks import outbox_deliver_task

    outbox_deliver_task.enqueue(item_id)


def outbox_claim(*, worker_id: str = WORKER_ID, limit: int = 50) -> list[int]:
    """Lease up to `limit` due items, highest priority first. Safe to run in many workers."""
    now = timezone.now()
    due = (
        OutboxItem.objects.filter(state=OutboxItem.State.PENDING, not_before__lte=now)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .order_by("priority", "not_before", "id")
        .values_list("id", flat=True)[:limit]
    )
    claimed = []
    for item_id in list(due):
        # Compare-and-set: only one worker wins each item.
        won = (
            OutboxItem.objects.filter(id=item_id, state=OutboxItem.State.PENDING)
            .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
            .update(lease_until=now + LEASE, leased_by=worker_id)
        )
        if won:
            claimed.append(item_id)
    return claimed


def outbox_deliver(*, item_id: int, worker_id: str = WORKER_ID) -> str:
    """Deliver one item through its channel and record the outcome. Idempotent."""
    now = timezone.now()
    taken = (
        OutboxItem.objects.filter(id=item_id, state=OutboxItem.State.PENDING, not_before__lte=now)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now) | Q(leased_by=worker_id))
        .update(lease_until=now + LEASE, leased_by=worker_id)
    )
    item = OutboxItem.objects.select_related("message").get(id=item_id)
    if not taken:
        return item.state
    message = item.message
    adapter = channel_adapter(item.channel)
    sender_ready = getattr(adapter, "sender_ready", None)
    if sender_ready is not None and not sender_ready(message):
        return _hold(item, message)
    result = adapter.send(message)  # network I/O: outside a transaction
    if not result.ok and sender_ready is not None and not sender_ready(message):
        return _hold(item, message, reason=result.error)
    with transaction.atomic():
        item.attempts += 1
        item.lease_until = None
        item.leased_by = ""
        if result.ok:
            item.state = OutboxItem.State.DONE
            message.status = Message.Status.SENT
            message.sent_at = timezone.now()
            message.provider_sid = result.provider_id[:64]
            message.status_reason = ""
        elif result.retry and item.attempts < MAX_ATTEMPTS:
            item.not_before = timezone.now() + timedelta(minutes=2**item.attempts)
            item.last_error = result.error
            message.status_reason = result.error
        else:
            item.state = OutboxItem.State.FAILED
            item.last_error = result.error
            message.status = Message.Status.FAILED
            message.status_reason = result.error
            _notify_failure(message)
        item.save(
            update_fields=[
                "attempts",
                "lease_until",
                "leased_by",
                "state",
                "not_before",
                "last_error",
            ]
        )
        message.save(update_fields=["status", "sent_at", "provider_sid", "status_reason"])
    return item.state


def _hold(item: OutboxItem, message: Message, reason: str = "") -> str:
    """Keep the item pending without counting an attempt; look again after HOLD."""
    with transaction.atomic():
        item.lease_until = None
        item.leased_by = ""
        item.not_before = timezone.now() + HOLD
        item.last_error = reason or _("Waiting for the sender to be reconnected.")
        item.save(update_fields=["lease_until", "leased_by", "not_before", "last_error"])
        message.status_reason = _("Waiting for the mailbox to be reconnected.")
        message.save(update_fields=["status_reason"])
    return item.state


def _notify_failure(message: Message) -> None:
    if message.author_member_id is None:
        return
    Notification.objects.create(
        workspace_id=message.workspace_id,
        member_id=message.author_member_id,
        kind=Notification.Kind.SEND_FAILED,
        conversation_id=message.conversation_id,
        text=_("Send failed: %(reason)s") % {"reason": message.status_reason[:200]},
        created_at=timezone.now(),
    )


def outbox_dispatch_due(*, worker_id: str = WORKER_ID, limit: int = 50) -> int:
    """One pass of the dispatcher: claim what is due and deliver it."""
    delivered = 0
    for item_id in outbox_claim(worker_id=worker_id, limit=limit):
        try:
            outbox_deliver(item_id=item_id, worker_id=worker_id)
            delivered += 1
        except Exception:  # one broken item must not hold up the rest
            logger.exception("outbox item %s failed to deliver", item_id)
    return delivered
