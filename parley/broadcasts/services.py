"""Writes of mass messages: a draft with its recipients, its content, sending it, cancelling.

Sending checks everything first (broadcast_check) and queues nothing on any problem. The
messages are then written by the worker (`broadcast_queue`, a task): every recipient gets
their own message in their own thread (an email with its own signed Message-ID), in a few
bulk statements per chunk of 1,000, each chunk in one transaction with its bookmark, so a
worker that dies half-way resumes where it stopped. Emails go through the outbox like any
other, with the broadcast's priority, under the mailbox's daily limit.
"""

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from parley.accounts.models import Member
from parley.accounts.services import TeamAdminOnly
from parley.broadcasts.fields import (
    MAX_TEMPLATE,
    WRITE,
    Recipient,
    RenderError,
    fields_made,
    renderer,
    templates_check,
)
from parley.broadcasts.models import Broadcast, BroadcastChunk
from parley.broadcasts.selectors import (
    Check,
    Skipped,
    broadcast_check,
    broadcast_preview,
    creator_ids_in_workspace,
    recipients_fill,
    recipients_load,
)
from parley.broadcasts.sms import opt_outs_for as sms_opt_outs_for
from parley.broadcasts.sms import skip_reason as sms_skip_reason
from parley.campaigns.models import Campaign
from parley.campaigns.workflow import EMAIL_EVENT, EMAIL_OF_PRIORITY, event_said
from parley.channels.email.adapter import email_send_direct
from parley.channels.email.models import Mailbox
from parley.channels.sms.models import SmsNumber
from parley.channels.sms.rules import body_problem as sms_body_problem
from parley.channels.sms.selectors import number_default as sms_number_default
from parley.core.bulk import rows_insert
from parley.core.errors import NotFound, ValidationFailed
from parley.inbox.models import Channel, Message
from parley.inbox.services import (
    conversations_for_creators,
    events_record_many,
    messages_record_outbound,
)
from parley.outbox.email_send import email_message_ids, email_records_bulk
from parley.outbox.models import OutboxItem
from parley.outbox.planner import day_asked, outbox_plan_added
from parley.outbox.senders import local_day, sender_policy, slots_release, slots_reserve
from parley.outbox.services import outbox_cancel_by_author, outbox_cancel_items
from parley.outbox.sms_send import sms_records_bulk

CHUNK = 1000
MAX_SUBJECT = 900


def broadcast_limit() -> int:
    return int(settings.PARLEY_BROADCAST_LIMIT)


def broadcast_draft(
    *, member: Member, creator_ids: list[int], campaign: Campaign | None = None
) -> Broadcast:
    """A draft to the given creators of the workspace (others' ids are left out)."""
    if campaign is not None and campaign.workspace_id != member.workspace_id:
        raise ValidationFailed({"campaign": [_("Unknown campaign.")]})
    if len(creator_ids) > broadcast_limit():
        raise ValidationFailed(
            _("At most %(n)d recipients in one mass message: narrow the filter.")
            % {"n": broadcast_limit()}
        )
    ids = creator_ids_in_workspace(workspace_id=member.workspace_id, ids=creator_ids)
    if not ids:
        raise ValidationFailed(_("Select at least one creator."))
    return Broadcast.objects.create(
        workspace_id=member.workspace_id,
        author=member,
        campaign=campaign,
        priority=OutboxItem.Priority.MASS,
        recipient_ids=ids,
    )


def broadcast_update(
    *,
    member: Member,
    broadcast: Broadcast,
    channel: str,
    mailbox: Mailbox | None,
    subject: str,
    body: str,
    send_at: datetime | None = None,
    sms_number: SmsNumber | None = None,
) -> Broadcast:
    """Save the draft's content (checked for form, not yet for sending). A bulk SMS without
    `sms_number` goes from the workspace's default number."""
    _editable(member, broadcast)
    errors: dict[str, list[str]] = {}
    if channel not in Broadcast.Channel.values:
        errors["channel"] = [_("Choose email, in-app or SMS.")]
    if mailbox is not None and mailbox.workspace_id != member.workspace_id:
        errors["mailbox"] = [_("Choose a connected mailbox.")]
    if sms_number is not None and sms_number.workspace_id != member.workspace_id:
        errors["sms_number"] = [_("Choose a connected SMS number.")]
    if len(subject) > MAX_SUBJECT or "\r" in subject or "\n" in subject:
        errors["subject"] = [_("A subject is one line of at most 900 characters.")]
    if len(body) > MAX_TEMPLATE:
        errors["body"] = [_("A message is at most 50,000 characters.")]
    if send_at is not None and send_at <= timezone.now():
        errors["send_at"] = [_("Pick a time in the future.")]
    if errors:
        raise ValidationFailed(errors)
    broadcast.channel = channel
    broadcast.mailbox = mailbox if channel == Broadcast.Channel.EMAIL else None
    broadcast.sms_number = None
    if channel == Broadcast.Channel.SMS:
        broadcast.sms_number = sms_number or sms_number_default(workspace=member.workspace_id)
    broadcast.subject_template, broadcast.body_template = subject.strip(), body
    broadcast.send_at = send_at
    broadcast.save(
        update_fields=[
            "channel",
            "mailbox",
            "sms_number",
            "subject_template",
            "body_template",
            "send_at",
        ]
    )
    return broadcast


def _editable(member: Member, broadcast: Broadcast) -> None:
    if broadcast.workspace_id != member.workspace_id:
        raise ValidationFailed(_("Unknown mass message."))
    if broadcast.state != Broadcast.State.DRAFT:
        raise ValidationFailed(_("This mass message was sent already."))


def broadcast_send(*, member: Member, broadcast: Broadcast) -> Check:
    """Check, then hand to the worker. Every problem at once, nothing queued on any."""
    _editable(member, broadcast)
    check = broadcast_check(broadcast=broadcast)
    if not check.ok:
        raise ValidationFailed(check.problems)
    with transaction.atomic():
        broadcast.state = Broadcast.State.PREPARING
        broadcast.skipped = [s.stored() for s in check.skipped]
        broadcast.recipient_ids = [item.recipient.creator_id for item in check.sendable]
        broadcast.save(update_fields=["state", "skipped", "recipient_ids"])
        transaction.on_commit(lambda: _enqueue(broadcast.pk))
    return check


def _enqueue(broadcast_id: int) -> None:
    from parley.broadcasts.tasks import broadcast_queue_task

    broadcast_queue_task.enqueue(broadcast_id)


def broadcast_queue(*, broadcast_id: int) -> int:
    """Write the broadcast's messages, chunk by chunk, skipping the chunks already written:
    each chunk commits with its bookmark (a BroadcastChunk), so a worker that dies half-way
    resumes where it stopped. Idempotent. On PostgreSQL, outside a transaction (as the
    worker runs it), two threads write chunks at once, each on a database connection of its
    own: one loads and renders its chunk while the other's statements run, and the database
    works on both. (On SQLite, whose write transactions run one at a time, two threads
    fighting over the GIL were slower than one.)"""
    broadcast = Broadcast.objects.select_related("author", "mailbox", "sms_number", "campaign").get(
        id=broadcast_id
    )
    if broadcast.state != Broadcast.State.PREPARING or broadcast.author is None:
        return broadcast.queued
    writer = _ChunkWriter(broadcast)
    done = set(broadcast.chunks.values_list("number", flat=True))
    todo = [n for n in range(len(writer.chunks)) if n not in done]
    Broadcast.objects.filter(id=broadcast.id).update(
        queued=sum(len(c) for n, c in enumerate(writer.chunks) if n in done)
    )
    numbers = iter(todo)
    if (
        WRITERS > 1
        and connection.vendor == "postgresql"
        and not connection.in_atomic_block
        # Codes and links are given out in the recipients' order, one chunk at a time.
        and not writer.made
    ):
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="broadcast-writer") as second:
            try:
                other = second.submit(writer.write_all, numbers)
                writer.write_all(numbers)
                other.result()
            finally:
                second.submit(connections.close_all).result()
    else:
        writer.write_all(numbers)
    return _queue_finish(broadcast, chunks=len(writer.chunks))


# PostgreSQL: how many threads write a broadcast's chunks at once.
WRITERS = 2
# A recipient, and their subject and body.
Rendered = tuple[Recipient, str, str]


class _ChunkWriter:
    """Writes chunks of a broadcast's recipients, each in a transaction of its own with its
    bookmark. Shared by the threads writing them: `write_all` takes chunk numbers from one
    iterator until none are left, or the broadcast is cancelled, or another thread failed."""

    def __init__(self, broadcast: Broadcast) -> None:
        self.broadcast = broadcast
        ids = list(broadcast.recipient_ids)
        self.chunks = [ids[first : first + CHUNK] for first in range(0, len(ids), CHUNK)]
        self.subject = renderer(broadcast.subject_template)
        self.body = renderer(broadcast.body_template)
        # Codes or links given out for the send: in the transaction that writes the messages.
        self.made = fields_made([broadcast.subject_template, broadcast.body_template])
        self.lock = threading.Lock()
        self.stopped = False

    def write_all(self, numbers: Iterator[int]) -> None:
        while not self.stopped:
            with self.lock:
                number = next(numbers, None)
            if number is None:
                return
            try:
                if not self.write(number):
                    self.stopped = True
            except BaseException:
                self.stopped = True
                raise

    def write(self, number: int) -> bool:
        """Write one chunk; False when the broadcast is no longer being prepared."""
        broadcast = self.broadcast
        chunk = self.chunks[number]
        loaded = recipients_load(
            workspace_id=broadcast.workspace_id,
            creator_ids=chunk,
            campaign=broadcast.campaign.name if broadcast.campaign else "",
        )
        recipients = [x.recipient for x in loaded]
        skipped: list[dict[str, object]] = []
        rendered = None if self.made else self._render(recipients, skipped)
        with transaction.atomic():
            if _state_held(broadcast.id) != Broadcast.State.PREPARING:
                return False  # cancelled meanwhile (what was queued is cancelled with it)
            if rendered is None:
                rendered = self._render(recipients, skipped)
            _queue_chunk(broadcast, rendered)
            BroadcastChunk.objects.create(broadcast_id=broadcast.id, number=number, skipped=skipped)
        Broadcast.objects.filter(id=broadcast.id).update(queued=F("queued") + len(chunk))
        return True

    def _render(
        self, recipients: list[Recipient], skipped: list[dict[str, object]]
    ) -> list[Rendered]:
        """Each recipient's subject and body (codes and links the templates use given out
        first, in bulk); whom they cannot be made for is added to `skipped`."""
        broadcast = self.broadcast
        sms = broadcast.channel == Broadcast.Channel.SMS
        if sms:
            recipients = _sms_reachable(broadcast, recipients, skipped)
        recipients_fill(broadcast=broadcast, recipients=recipients, mode=WRITE)
        rendered: list[Rendered] = []
        for recipient in recipients:
            try:
                rendered.append((recipient, self.subject(recipient), self.body(recipient)))
                if sms and (problem := sms_body_problem(rendered[-1][2].strip())):
                    raise RenderError(problem)  # over the cap once written for this creator
            except RenderError as exc:
                if rendered and rendered[-1][0] is recipient:
                    rendered.pop()
                # Checked before sending; a creator changed meanwhile, or the coupon pool
                # ran out: left out, and listed with the skipped.
                skipped.append(Skipped(recipient.creator_id, recipient.name, str(exc)).stored())
        return rendered


def _state_held(broadcast_id: int) -> str | None:
    """The broadcast's state, its row held until the transaction ends: FOR KEY SHARE on
    PostgreSQL, which chunks written at once and their progress updates do not wait for,
    and a cancel (FOR UPDATE) does: it cancels what they wrote too. (SQLite's transactions
    hold the write lock from their start.)"""
    held = " FOR KEY SHARE" if connection.vendor == "postgresql" else ""
    table = connection.ops.quote_name(Broadcast._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT state FROM {table} WHERE id = %s{held}", [broadcast_id])
        row = cursor.fetchone()
    return row[0] if row else None


def _queue_finish(broadcast: Broadcast, *, chunks: int) -> int:
    """After the last of its `chunks`: the progress, and the skipped from the chunks'
    bookmarks; the broadcast sending (in-app: done), and the queue planned."""
    with transaction.atomic():
        locked = Broadcast.objects.select_for_update().get(id=broadcast.id)
        written = list(locked.chunks.order_by("number").values_list("skipped", flat=True))
        if locked.state != Broadcast.State.PREPARING or len(written) < chunks:
            return locked.queued  # cancelled, or a chunk not written (it failed)
        locked.queued = len(locked.recipient_ids)
        locked.skipped = [*locked.skipped, *(s for skipped in written for s in skipped)]
        done = locked.channel == Broadcast.Channel.INAPP
        locked.state = Broadcast.State.DONE if done else Broadcast.State.SENDING
        locked.finished_at = timezone.now() if done else None
        locked.save(update_fields=["queued", "skipped", "state", "finished_at"])
    if locked.mailbox is not None:
        outbox_plan_added(
            channel=locked.channel,
            sender_key=locked.mailbox.sender_key,
            send_after=locked.send_at or timezone.now(),
        )
    broadcast.state, broadcast.queued = locked.state, locked.queued
    return locked.queued


def _queue_chunk(broadcast: Broadcast, rendered: list[Rendered]) -> None:
    """Write the messages of one chunk of recipients, rendered. Call in its transaction."""
    now = timezone.now()
    author = broadcast.author
    assert author is not None
    sms = broadcast.channel == Broadcast.Channel.SMS
    conversations = conversations_for_creators(
        workspace_id=broadcast.workspace_id,
        creator_ids=[r.creator_id for r, _s, _b in rendered],
        at=now,
    )
    email = broadcast.channel == Broadcast.Channel.EMAIL
    mailbox = broadcast.mailbox
    messages = messages_record_outbound(
        author=author,
        conversations=[conversations[r.creator_id] for r, _s, _b in rendered],
        bodies=[b.strip() for _r, _s, b in rendered],
        subjects=[("" if sms else " ".join(s.split())[:MAX_SUBJECT]) for _r, s, _b in rendered],
        channel=broadcast.channel,
        status=Message.Status.QUEUED if email or sms else Message.Status.SENT,
        campaign_id=broadcast.campaign_id,
        at=now,
        scheduled_for=broadcast.send_at,
        prepare=partial(email_message_ids, mailbox=mailbox) if email and mailbox else None,
    )
    # A campaign email (invitation, approval, rejection: parley/broadcasts/campaign_mail.py)
    # posts its status event beside each message, in the same transaction.
    kind = EMAIL_OF_PRIORITY.get(broadcast.priority) if broadcast.campaign else None
    if kind is not None and broadcast.campaign is not None:
        event = event_said(broadcast.campaign, EMAIL_EVENT[kind])
        events_record_many(
            workspace_id=broadcast.workspace_id,
            bodies={r.creator_id: event for r, _s, _b in rendered},
            campaign_id=broadcast.campaign_id,
            author=author,
            at=now,
            conversations=conversations,
        )
    if not email and not sms:
        return
    if sms:
        number = broadcast.sms_number
        assert number is not None
        sms_records_bulk(
            messages=messages, number=number, phones=[r.phone for r, _s, _b in rendered]
        )
        sender_key, sender_label = number.sender_key, number.label
    else:
        assert mailbox is not None
        email_records_bulk(messages=messages, mailbox=mailbox)
        sender_key, sender_label = mailbox.sender_key, mailbox.address
    send_after = broadcast.send_at or now
    # Placed on the day they were asked for: after the last chunk, outbox_plan_added plans
    # the queue again only if they do not fit there.
    policy = sender_policy(channel=broadcast.channel, sender_key=sender_key)
    planned = (
        day_asked(policy, send_after)
        if policy is not None and policy.daily_limit is not None
        else None
    )
    rows_insert(
        OutboxItem,
        [
            "workspace_id",
            "message_id",
            "channel",
            "sender_key",
            "sender_label",
            "priority",
            "broadcast_id",
            "send_after",
            "not_before",
            "planned_day",
        ],
        (
            (
                broadcast.workspace_id,
                message.id,
                message.channel,
                sender_key,
                sender_label,
                broadcast.priority,
                broadcast.id,
                send_after,
                send_after,
                planned,
            )
            for message in messages
        ),
    )


def _sms_reachable(
    broadcast: Broadcast, recipients: list[Recipient], skipped: list[dict[str, object]]
) -> list[Recipient]:
    """The recipients a bulk SMS can go to now; the others (no valid phone, or opted out
    since the check) are added to `skipped` with the reason."""
    opt_outs = sms_opt_outs_for(
        workspace_id=broadcast.workspace_id, phones=[r.phone for r in recipients]
    )
    reachable = []
    for recipient in recipients:
        reason = sms_skip_reason(recipient.phone, opt_outs)
        if reason:
            skipped.append(Skipped(recipient.creator_id, recipient.name, reason).stored())
        else:
            reachable.append(recipient)
    return reachable


def broadcast_cancel(*, member: Member, broadcast: Broadcast) -> int:
    """Cancel what has not gone out yet; how many were cancelled."""
    if broadcast.workspace_id != member.workspace_id:
        raise ValidationFailed(_("Unknown mass message."))
    if not broadcast.going_out:
        raise ValidationFailed(_("Only a mass message that is still going out can be cancelled."))
    with transaction.atomic():
        locked = Broadcast.objects.select_for_update().get(id=broadcast.id)
        cancelled = outbox_cancel_items(items=OutboxItem.objects.filter(broadcast=locked))
        locked.state = Broadcast.State.CANCELLED
        locked.finished_at = timezone.now()
        locked.save(update_fields=["state", "finished_at"])
    broadcast.state = locked.state
    return cancelled


def author_pending_cancel(*, actor: Member, author: Member) -> int:
    """Cancel everything of `author` that waits to go out: their mass messages still going
    out (cancelled as a whole, as their Cancel button does) and every other message of
    theirs that is scheduled or queued for a later day (owners and admins: Settings → Team
    offers it for a teammate who was removed). How many messages were cancelled."""
    if author.workspace_id != actor.workspace_id:
        raise NotFound
    if not actor.is_admin:
        raise TeamAdminOnly(_("Only an owner or admin can cancel a teammate's messages."))
    with transaction.atomic():
        # Locked FOR UPDATE, as broadcast_cancel does: a chunk being written (which holds its
        # broadcast FOR KEY SHARE) finishes first, and the next sees the cancel.
        going_out = list(
            Broadcast.objects.select_for_update()
            .filter(
                workspace_id=author.workspace_id,
                author=author,
                state__in=[Broadcast.State.PREPARING, Broadcast.State.SENDING],
            )
            .values_list("id", flat=True)
        )
        Broadcast.objects.filter(id__in=going_out).update(
            state=Broadcast.State.CANCELLED, finished_at=timezone.now()
        )
        return outbox_cancel_by_author(workspace_id=author.workspace_id, member_id=author.id)


def broadcasts_finish() -> int:
    """Periodic: a sending broadcast with nothing left open is done."""
    open_states = [OutboxItem.State.PENDING, OutboxItem.State.SENDING]
    finished = Broadcast.objects.filter(state=Broadcast.State.SENDING).exclude(
        items__state__in=open_states
    )
    return finished.update(state=Broadcast.State.DONE, finished_at=timezone.now())


def broadcast_test_send(*, member: Member, broadcast: Broadcast, to: str) -> str:
    """Send the message as its first recipient gets it to `to` (the author's own address),
    now, from the chosen mailbox; it counts against the mailbox's daily limit. Returns the
    subject sent."""
    _editable(member, broadcast)
    if broadcast.channel == Broadcast.Channel.SMS:
        raise ValidationFailed(
            _("A test goes by email only: the preview shows the SMS as each creator gets it.")
        )
    mailbox = broadcast.mailbox
    if broadcast.channel != Broadcast.Channel.EMAIL or mailbox is None:
        raise ValidationFailed({"mailbox": [_("Choose the mailbox to send from.")]})
    loaded = recipients_load(
        workspace_id=broadcast.workspace_id,
        creator_ids=list(broadcast.recipient_ids)[:1],
        campaign=broadcast.campaign.name if broadcast.campaign else "",
    )
    if not loaded:
        raise ValidationFailed(_("Select at least one creator."))
    problems = recipients_fill(broadcast=broadcast, recipients=[loaded[0].recipient])
    if problems:
        raise ValidationFailed({"body": problems})
    try:
        subject = renderer(broadcast.subject_template)(loaded[0].recipient)
        body = renderer(broadcast.body_template)(loaded[0].recipient)
    except Exception as exc:  # a syntax error or a field that cannot be written
        raise ValidationFailed({"body": [str(exc)]}) from exc
    policy = sender_policy(channel=Channel.EMAIL, sender_key=mailbox.sender_key)
    day = None
    if policy is not None and policy.daily_limit is not None:
        day = local_day(policy)
        got = slots_reserve(
            sender_key=mailbox.sender_key, day=day, limit=policy.daily_limit, want=1
        )
        if not got:
            raise ValidationFailed(_("Today's sending limit of this mailbox is reached."))
    error = email_send_direct(mailbox=mailbox, to_addr=to, subject=subject, body=body)
    if error:
        if day is not None:
            slots_release(sender_key=mailbox.sender_key, day=day)
        raise ValidationFailed({"mailbox": [error]})
    return subject


@dataclass
class Created:
    """What `broadcast_create` made: the broadcast on its way (None after a check only), the
    check it passed (or, checking only, its problems) and the first recipient's preview."""

    broadcast: Broadcast | None
    check: Check
    preview: dict[str, str] | None = None


def broadcast_create(
    *,
    member: Member,
    creator_ids: list[int],
    campaign: Campaign | None,
    channel: str,
    mailbox: Mailbox | None,
    subject: str,
    body: str,
    send_at: datetime | None = None,
    check_only: bool = False,
    sms_number: SmsNumber | None = None,
) -> Created:
    """A mass message in one step (the API): drafted, checked and handed to the worker, in
    one transaction. Every problem at once, the recipients' and the templates' together:
    ValidationFailed, and nothing is saved or queued. With `check_only`, nothing is saved
    either way: the check (problems included) and a preview for the first recipient who
    would get it."""
    with transaction.atomic():
        try:
            draft = broadcast_draft(member=member, creator_ids=creator_ids, campaign=campaign)
        except ValidationFailed as exc:
            problems = dict(exc.errors)
            for problem in templates_check(subject=subject, body=body):
                problems.setdefault(problem.field, []).append(problem.message)
            raise ValidationFailed(problems) from exc
        broadcast_update(
            member=member,
            broadcast=draft,
            channel=channel,
            mailbox=mailbox,
            subject=subject,
            body=body,
            send_at=send_at,
            sms_number=sms_number,
        )
        if not check_only:
            return Created(broadcast=draft, check=broadcast_send(member=member, broadcast=draft))
        check = broadcast_check(broadcast=draft)
        first = check.sendable[0].recipient.creator_id if check.sendable else None
        preview = broadcast_preview(broadcast=draft, creator_id=first)
        # A check only: the draft goes with the transaction.
        transaction.set_rollback(True)
    return Created(broadcast=None, check=check, preview=preview)
