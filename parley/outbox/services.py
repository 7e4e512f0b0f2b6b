"""Sending: every outbound message is recorded first, then delivered by its channel.

A message that a channel delivers instantly and locally (in-app, not scheduled) is marked sent
in the same transaction. Everything else becomes an OutboxItem, placed on the day its
sender's limit has room for it (outbox.planner), and goes out from the worker
(outbox.dispatch: leases, slots, exactly-once). A person can retry a failed message or one
whose outcome is unknown, mark the latter as sent, and cancel what has not gone out.
"""

from datetime import datetime

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from parley.accounts.models import Member
from parley.channels.registry import channel_adapter
from parley.channels.sms.rules import body_problem as sms_body_problem
from parley.core.bidi import bidi_strip
from parley.core.errors import Conflict, ValidationFailed
from parley.inbox.models import Channel, Conversation, Message
from parley.inbox.search import search_index_replace
from parley.inbox.services import message_record
from parley.outbox.dispatch import WORKER_ID, outbox_claim, outbox_deliver_items
from parley.outbox.models import OutboxItem
from parley.outbox.planner import outbox_place
from parley.outbox.senders import sender_mark_dirty

MAX_BODY = 50_000
# The same limit as an email subject (outbox.email_send); the column holds 998.
MAX_SUBJECT = 900


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
    sender_label: str = "",
    priority: int = OutboxItem.Priority.PERSONAL,
    send_at: datetime | None = None,
) -> OutboxItem:
    """Queue a recorded message for its channel, on the first day its sender has room for
    it. Call inside the caller's transaction: a delivery task is enqueued on commit when the
    item is due now."""
    now = timezone.now()
    item = OutboxItem.objects.create(
        workspace_id=message.workspace_id,
        message=message,
        channel=message.channel,
        sender_key=sender_key,
        sender_label=sender_label,
        priority=priority,
        send_after=send_at or now,
        not_before=send_at or now,
    )
    outbox_place(item=item)
    if item.not_before <= now:
        transaction.on_commit(lambda: _enqueue_delivery(item.pk))
    return item


def _enqueue_delivery(item_id: int) -> None:
    from parley.outbox.tasks import outbox_deliver_task

    outbox_deliver_task.enqueue(item_id)


def outbox_deliver(*, item_id: int, worker_id: str = WORKER_ID) -> str:
    """Deliver one item now if it is due and free (the task a send enqueues); its state after.
    Idempotent: a done, held or leased item is left as it is."""
    items = outbox_claim(worker_id=worker_id, ids=[item_id])
    if items:
        outbox_deliver_items(items=items, worker_id=worker_id)
    return OutboxItem.objects.filter(id=item_id).values_list("state", flat=True).get()


def _author_item(*, member: Member, message: Message, states: set[str]) -> OutboxItem:
    item = OutboxItem.objects.filter(
        message=message, workspace_id=member.workspace_id, state__in=states
    ).first()
    if item is None:
        # The message is fine; its state is not (the API answers 409).
        raise Conflict(_("This message cannot be changed any more."))
    return item


def outbox_retry(*, member: Member, message: Message) -> OutboxItem:
    """Send a failed message, or one whose outcome is unknown, again."""
    item = _author_item(
        member=member,
        message=message,
        states={OutboxItem.State.FAILED, OutboxItem.State.UNKNOWN},
    )
    with transaction.atomic():
        now = timezone.now()
        item.state, item.attempts, item.last_error = OutboxItem.State.PENDING, 0, ""
        item.send_after = item.not_before = now
        item.lease_until, item.leased_by = None, ""
        item.save(
            update_fields=[
                "state",
                "attempts",
                "last_error",
                "send_after",
                "not_before",
                "lease_until",
                "leased_by",
            ]
        )
        message.status, message.status_reason = Message.Status.QUEUED, ""
        message.save(update_fields=["status", "status_reason"])
        outbox_place(item=item)
        if item.not_before <= now:
            transaction.on_commit(lambda: _enqueue_delivery(item.pk))
    return item


def outbox_mark_sent(*, member: Member, message: Message) -> OutboxItem:
    """A person checked the Sent folder: the message whose outcome was unknown went out."""
    item = _author_item(member=member, message=message, states={OutboxItem.State.UNKNOWN})
    with transaction.atomic():
        item.state = OutboxItem.State.DONE
        item.save(update_fields=["state"])
        message.status, message.status_reason = Message.Status.SENT, ""
        message.sent_at = message.sent_at or timezone.now()
        message.save(update_fields=["status", "status_reason", "sent_at"])
    return item


def outbox_cancel(*, member: Member, message: Message) -> OutboxItem:
    """Cancel one message that has not gone out (scheduled, or waiting for its day); the
    rest of its sender's queue may move up. Conflict when it is going out or gone."""
    item = _author_item(member=member, message=message, states={OutboxItem.State.PENDING})
    with transaction.atomic():
        if not outbox_cancel_items(items=OutboxItem.objects.filter(id=item.id)):
            raise Conflict(_("This message is being sent; it cannot be cancelled any more."))
        if item.sender_key:
            sender_mark_dirty(workspace_id=item.workspace_id, sender_key=item.sender_key)
    item.refresh_from_db()
    message.refresh_from_db()
    return item


def outbox_reschedule(
    *,
    member: Member,
    message: Message,
    body: str,
    send_at: datetime | None,
    subject: str | None = None,
) -> OutboxItem:
    """Change what a message that has not gone out says (and an email's subject), or when
    it goes (None: as soon as it can). As with Cancel: only while it waits, unclaimed; once
    a worker holds its lease, or it went, it is a Conflict and nothing changes."""
    item = _author_item(member=member, message=message, states={OutboxItem.State.PENDING})
    body = body.strip()
    errors: dict[str, list[str]] = {}
    if not bidi_strip(body).strip():
        errors["body"] = [_("Write a message first.")]
    elif len(body) > MAX_BODY:
        errors["body"] = [_("A message is at most 50,000 characters.")]
    elif message.channel == Channel.SMS and (problem := sms_body_problem(body)):
        errors["body"] = [problem]
    if subject is not None and len(subject) > MAX_SUBJECT:
        errors["subject"] = [_("A subject is at most 900 characters.")]
    now = timezone.now()
    if send_at is not None and send_at <= now:
        errors["send_at"] = [_("Pick a time in the future.")]
    if errors:
        raise ValidationFailed(errors)
    when = send_at or now
    with transaction.atomic():
        moved = (
            OutboxItem.objects.filter(id=item.id, state=OutboxItem.State.PENDING)
            .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
            .update(send_after=when, not_before=when)
        )
        if not moved:
            raise Conflict(_("This message is being sent; it cannot be changed any more."))
        old_subject, old_body = message.subject, message.body_text
        message.body_text = body
        if subject is not None and message.channel == Channel.EMAIL:
            message.subject = subject.strip()
        message.scheduled_for = send_at
        message.save(update_fields=["body_text", "subject", "scheduled_for"])
        search_index_replace(message=message, old_subject=old_subject, old_body=old_body)
        item.refresh_from_db()
        outbox_place(item=item)
        if item.not_before <= now:
            transaction.on_commit(lambda: _enqueue_delivery(item.pk))
    return item


def outbox_cancel_by_author(*, workspace_id: int, member_id: int) -> int:
    """Cancel every message of one member that waits to go out (a removed teammate's, from
    the Team page); their senders' queues are placed again. How many were cancelled."""
    items = OutboxItem.objects.filter(
        workspace_id=workspace_id, message__author_member_id=member_id
    )
    with transaction.atomic():
        keys = set(
            items.filter(state=OutboxItem.State.PENDING)
            .exclude(sender_key="")
            .values_list("sender_key", flat=True)
            .distinct()
        )
        cancelled = outbox_cancel_items(items=items)
        for key in keys:
            sender_mark_dirty(workspace_id=workspace_id, sender_key=key)
    return cancelled


def outbox_cancel_items(*, items: QuerySet[OutboxItem]) -> int:
    """Cancel what has not gone out (pending, not leased): their messages say so."""
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            items.filter(state=OutboxItem.State.PENDING)
            .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
            .values_list("id", flat=True)
        )
        for first in range(0, len(ids), 1000):
            chunk = ids[first : first + 1000]
            OutboxItem.objects.filter(id__among=chunk).update(state=OutboxItem.State.CANCELLED)
            Message.objects.filter(outbox_item__id__among=chunk).update(
                status=Message.Status.FAILED, status_reason=_("Cancelled before it was sent.")
            )
    return len(ids)
