"""Delivering the outbox: claim what is due, send it sender by sender, record what happened.

Exactly once, under faults:
- Claiming takes a lease with `SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL (workers skip
  each other's rows); on SQLite every write transaction holds the database's write lock from
  its start (IMMEDIATE), so claims are serialised.
- A slot of the sender's day is reserved (outbox.senders) before a send: workers together
  never exceed a daily limit.
- The attempt is recorded (state SENDING) before anything reaches the server. A worker that
  dies after that leaves the item SENDING; when its lease ends (at once when the holder is a
  dead process on this host), whoever takes it up asks the channel whether the provider has
  the message (`verify`: its Message-ID in the Sent folder). Sent: it is recorded as sent.
  Not sent: it is sent again. Cannot tell (a send-only mailbox): it is held, "outcome
  unknown", for a person to retry or mark as sent, never sent twice by itself.
- One connection per sender per batch; the outcomes of a batch are written together.
- A worker's pass is pipelined (_Pipeline): a second thread, on a database connection of
  its own, claims and readies the next batch and writes the last one's outcomes while the
  first sends. The attempt is still recorded right before a group is sent, by the thread
  that sends it, so a worker that dies leaves only that group SENDING.
- A sender with a per-second rate (`SenderPolicy.min_interval`: an SMS number's throughput)
  is paced across workers (outbox.senders.sender_turn): each send waits for the sender's
  turn and takes it, right before the provider is called (the batch's `wait_turn`, so the
  channel's own reads before that do not blur the pace). A batch of such a sender takes
  only what fits in PACED_BATCH_SECONDS and gives the rest back at once (any worker takes
  it up next), so a slow-paced sender never holds up the other senders of one claim long.
- A provider may report on a message before its batch's outcomes are written (an SMS status
  callback saying it was delivered): the outcome then leaves the message as the report left
  it and only settles the outbox row.
"""

import logging
import time
from collections import defaultdict
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import connection, connections, router, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from parley.channels.base import BatchSender, DeliveryResult, SenderPolicy, Verdict
from parley.channels.registry import channel_adapter
from parley.core.bulk import rows_update
from parley.core.workers import holder_is_dead, worker_id
from parley.inbox.models import Message
from parley.outbox.models import OutboxItem
from parley.outbox.notify import notify_outcome_unknown, notify_paused, notify_send_failed
from parley.outbox.planner import outbox_plan_dirty, outbox_plan_expired_pauses
from parley.outbox.senders import (
    day_start,
    local_day,
    sender_mark_dirty,
    sender_pause,
    sender_policy,
    sender_turn,
    slots_release,
    slots_reserve,
)

logger = logging.getLogger(__name__)

WORKER_ID = worker_id("outbox")
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 5
CLAIM = 100
# One dispatch pass keeps claiming while there is due work, for at most this long.
PASS_SECONDS = 10.0
# How long an item waits before looking again when its sender needs a person (a mailbox
# that needs re-authorisation). Holding counts no attempt: nothing queued is lost.
HOLD = timedelta(seconds=60)
# How long an item a dead worker left waits before it is looked at again, when the channel
# could not tell whether it went out (its mailbox was unreachable).
RECHECK = timedelta(seconds=60)
# A paced sender's batch takes what it can send in about this long (at least one item).
PACED_BATCH_SECONDS = 5.0


def _free(now) -> Q:  # type: ignore[no-untyped-def]
    return Q(lease_until__isnull=True) | Q(lease_until__lt=now)


def _ahead_of(ids: list[int]) -> Q:
    """The items of the same senders that come before these in the queue: a higher
    priority, or the same priority queued first."""
    ahead = Q(pk__in=[])
    heads = OutboxItem.objects.filter(id__among=ids).exclude(sender_key="")
    for key, priority, item_id in heads.values_list("sender_key", "priority", "id"):
        ahead |= Q(sender_key=key) & (
            Q(priority__lt=priority) | Q(priority=priority, id__lt=item_id)
        )
    return ahead


def outbox_claim(
    *, worker_id: str = WORKER_ID, limit: int = CLAIM, ids: list[int] | None = None
) -> list[OutboxItem]:
    """Lease up to `limit` due pending items, highest priority first. Given `ids` (the
    delivery task of a new message), those and the due items of their senders ahead of them:
    an item never goes out while one ahead of it is due and waits, which could then miss
    its day (a rejection sent, then a typed message takes the day's last slot from the mass
    email queued before the rejection)."""
    now = timezone.now()
    with transaction.atomic():
        due = OutboxItem.objects.filter(state=OutboxItem.State.PENDING, not_before__lte=now)
        due = due.filter(_free(now))
        if ids is not None:
            due = due.filter(Q(id__in=ids) | _ahead_of(ids))
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        ordered = due.order_by("priority", "not_before", "id").values_list("id", flat=True)
        claimed = list(ordered[:limit])
        if claimed:
            OutboxItem.objects.filter(id__among=claimed).update(
                lease_until=now + LEASE, leased_by=worker_id
            )
    # The messages only: a channel's batch loads what its sends need for all of them at once
    # (the email batch: records, attachments, recipients).
    return list(
        OutboxItem.objects.select_related("message")
        .filter(id__among=claimed, leased_by=worker_id)
        .order_by("priority", "not_before", "id")
    )


def outbox_dispatch_due(*, worker_id: str = WORKER_ID, limit: int = CLAIM) -> int:
    """Periodic: recover what dead workers left, plan changed queues, then deliver what is
    due, sender by sender, for up to PASS_SECONDS. How many were delivered.

    Outside a transaction the pass is pipelined (_Pipeline): a second thread, on a
    connection of its own, claims and prepares the next batch and writes the outcomes of
    the last one while this thread sends. Inside one (a caller's, or a test's) every step
    runs here, one after the other, in it."""
    outbox_recover(worker_id=worker_id)
    outbox_plan_expired_pauses()
    outbox_plan_dirty()
    deadline = time.monotonic() + PASS_SECONDS
    if not connections[router.db_for_write(OutboxItem)].in_atomic_block:
        return _Pipeline(worker_id, limit).run(deadline)
    delivered = 0
    while time.monotonic() < deadline:
        items = outbox_claim(worker_id=worker_id, limit=limit)
        if not items:
            break
        delivered += outbox_deliver_items(items=items, worker_id=worker_id)
    return delivered


def outbox_deliver_items(*, items: list[OutboxItem], worker_id: str = WORKER_ID) -> int:
    """Deliver claimed items, grouped by sender (one connection each). Sent count."""
    sent = 0
    for (channel, sender_key), group in _by_sender(items).items():
        try:
            ready = _group_ready(channel, sender_key, group)
            if ready is not None:
                _group_send(ready, worker_id)
                sent += _group_finish(ready)
        except Exception:  # one broken sender must not hold up the others
            logger.exception("outbox: delivering for %s failed", sender_key or channel)
            _unlease([i.id for i in group if i.state == OutboxItem.State.PENDING])
    return sent


def _by_sender(items: list[OutboxItem]) -> dict[tuple[str, str], list[OutboxItem]]:
    groups: dict[tuple[str, str], list[OutboxItem]] = defaultdict(list)
    for item in items:
        groups[(item.channel, item.sender_key)].append(item)
    return groups


@dataclass
class _Group:
    """One sender's claimed items, ready to send: their slots reserved, the batch opened
    and prepared (nothing has reached the provider, no attempt is recorded). Once sent
    (_group_send): the items still this worker's, the results by item id, and whether the
    failures are the sender's (it needs reconnecting)."""

    channel: str
    sender_key: str
    items: list[OutboxItem]
    policy: SenderPolicy | None
    interval: float
    batch: BatchSender | None
    results: dict[int, DeliveryResult] = field(default_factory=dict)
    held: bool = False


def _group_ready(channel: str, sender_key: str, items: list[OutboxItem]) -> _Group | None:
    """Before sending: hold a sender that needs a person, keep what a paced sender fits,
    reserve today's slots, open the batch and load what it needs. None: nothing to send."""
    adapter = channel_adapter(channel)
    ready = getattr(adapter, "sender_ready", None)
    if ready is not None and not ready(items[0].message):
        _hold(items)
        return None
    policy = sender_policy(channel=channel, sender_key=sender_key)
    interval = policy.min_interval if policy is not None else 0.0
    if interval > 0:
        fits = max(1, int(PACED_BATCH_SECONDS / interval))
        _unlease([i.id for i in items[fits:]])
        items = items[:fits]
    items = _reserve(items, policy)
    if not items:
        return None
    group = _Group(channel, sender_key, items, policy, interval, None)
    opener = getattr(adapter, "open_batch", None)
    try:
        if opener is not None and (len(items) > 1 or interval > 0):
            group.batch = opener(sender_key)
            prepare = getattr(group.batch, "prepare", None)
            if prepare is not None:  # what the batch needs, loaded for all of it at once
                prepare([item.message for item in items])
    except Exception:
        _group_abandon(group)
        raise
    return group


def _group_abandon(group: _Group) -> None:
    """A group that will not be sent now: its slots go back, its items to any worker."""
    if group.batch is not None:
        group.batch.close()
    reserved = [i for i in group.items if i.reserved_day is not None]
    if reserved:
        day = reserved[0].reserved_day
        assert day is not None
        slots_release(sender_key=group.sender_key, day=day, count=len(reserved))
    OutboxItem.objects.filter(id__among=[i.id for i in group.items]).update(
        lease_until=None, leased_by="", reserved_day=None
    )


def _group_send(group: _Group, worker_id: str) -> None:
    """Record the attempt, send, close; what happened is kept on the group."""
    items, batch, sender_key = group.items, group.batch, group.sender_key
    adapter = channel_adapter(group.channel)
    _record_attempt(items)
    results = group.results
    lease = _Lease(items, worker_id)
    turn = None
    if group.interval > 0:
        workspace_id, interval = items[0].workspace_id, group.interval

        def turn() -> None:
            sender_turn(workspace_id=workspace_id, sender_key=sender_key, interval=interval)

    try:
        # A batch that takes its turn itself waits right before it calls the provider.
        batch_waits = turn is not None and hasattr(batch, "wait_turn")
        if batch_waits:
            batch.wait_turn = turn  # type: ignore[union-attr]
        for item in items:
            if not lease.holds(item):
                continue
            if turn is not None and not batch_waits:
                turn()
            send = batch.send if batch is not None else adapter.send
            result = send(item.message)
            results[item.id] = result
            if result.pause:
                break
    finally:
        if batch is not None:
            batch.close()
    group.items = items = [i for i in items if lease.holds(i)]
    # A failure because the sender now needs a person (re-authorisation) holds the items:
    # no attempt counted, nothing failed.
    ready = getattr(adapter, "sender_ready", None)
    group.held = bool(
        items
        and ready is not None
        and any(not r.ok for r in results.values())
        and not ready(items[0].message)
    )


def _group_finish(group: _Group) -> int:
    """Write what happened to a sent group's items."""
    if not group.items:
        return 0
    return _record_outcomes(group.items, group.results, group.policy, held=group.held)


class _Pipeline:
    """One dispatch pass in two threads. A second thread (its own database connection)
    claims the next batch and gets its groups ready (_group_ready), then writes the last
    batch's outcomes, while this one records each group's attempt and sends it: the
    database's time and the providers' overlap. The guarantees are the sequential pass's:
    an attempt is recorded, in this thread, right before its group is sent, so only the
    group being sent is ever SENDING; a batch claimed ahead is leased and PENDING, as any
    claimed batch is. A sender that paused (or needs a person) in one batch is not sent
    to again in the pass: its groups claimed ahead are given back (_group_abandon)."""

    def __init__(self, worker_id: str, limit: int) -> None:
        self.worker_id = worker_id
        self.limit = limit
        self.stopped: set[tuple[str, str]] = set()

    def run(self, deadline: float) -> int:
        delivered = 0
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="outbox-db") as db:
            try:
                ahead = db.submit(self._claim_ready)
                finishing: list[Future[int]] = []
                while True:
                    claimed, groups = ahead.result()
                    if not claimed:
                        break
                    more = time.monotonic() < deadline
                    if more:
                        ahead = db.submit(self._claim_ready)
                    for group in groups:
                        if self._send(group, db):
                            finishing.append(db.submit(self._finish, group))
                    delivered += sum(f.result() for f in finishing[:-1])
                    finishing = finishing[-1:]
                    if not more:
                        break
                delivered += sum(f.result() for f in finishing)
            finally:
                db.submit(connections.close_all).result()
        return delivered

    def _claim_ready(self) -> tuple[int, list[_Group]]:
        """In the second thread: how many items the next claim took, and its groups ready to
        send (a sender held or out of slots has none)."""
        claimed = outbox_claim(worker_id=self.worker_id, limit=self.limit)
        groups = []
        for (channel, sender_key), items in _by_sender(claimed).items():
            try:
                ready = _group_ready(channel, sender_key, items)
            except Exception:
                logger.exception("outbox: delivering for %s failed", sender_key or channel)
                _unlease([i.id for i in items if i.state == OutboxItem.State.PENDING])
                continue
            if ready is not None:
                groups.append(ready)
        return len(claimed), groups

    def _send(self, group: _Group, db: ThreadPoolExecutor) -> bool:
        """Send the group unless its sender stopped in this pass; whether it was sent."""
        key = (group.channel, group.sender_key)
        if key in self.stopped:
            db.submit(_group_abandon, group)
            return False
        try:
            _group_send(group, self.worker_id)
        except Exception:
            logger.exception("outbox: delivering for %s failed", group.sender_key or key[0])
            self.stopped.add(key)
            pending = [i.id for i in group.items if i.state == OutboxItem.State.PENDING]
            db.submit(_unlease, pending)
            return False
        if group.held or any(r.pause for r in group.results.values()):
            self.stopped.add(key)
        return True

    def _finish(self, group: _Group) -> int:
        try:
            return _group_finish(group)
        except Exception:  # left SENDING: recovered as a dead worker's would be
            logger.exception("outbox: recording for %s failed", group.sender_key)
            return 0


class _Lease:
    """This worker's lease on a batch in flight, renewed as the batch goes (every third of
    LEASE). A send that hangs past the lease lets another worker take the batch over: it
    looks in Sent and sends again what it finds no copy of. The items it took are then no
    longer this worker's to send or record, or the rest of the batch would go out twice."""

    def __init__(self, items: list[OutboxItem], worker_id: str) -> None:
        self.ids = {i.id for i in items}
        self.worker_id = worker_id
        self.renewed = time.monotonic()

    def holds(self, item: OutboxItem) -> bool:
        if time.monotonic() - self.renewed > LEASE.total_seconds() / 3:
            self._renew()
        return item.id in self.ids

    def _renew(self) -> None:
        mine = OutboxItem.objects.filter(
            id__among=self.ids, state=OutboxItem.State.SENDING, leased_by=self.worker_id
        )
        if mine.update(lease_until=timezone.now() + LEASE) < len(self.ids):
            self.ids = set(mine.values_list("id", flat=True))
        self.renewed = time.monotonic()


def _reserve(items: list[OutboxItem], policy: SenderPolicy | None) -> list[OutboxItem]:
    """Reserve a slot of today for each item, in order; the ones that do not fit move to
    the next day (the plan was out of date, or another worker used the slots)."""
    if policy is None or policy.daily_limit is None:
        return items
    today = local_day(policy)
    key = items[0].sender_key
    got = slots_reserve(sender_key=key, day=today, limit=policy.daily_limit, want=len(items))
    for item in items[:got]:
        item.reserved_day = today
    later = items[got:]
    if later:
        tomorrow = today + timedelta(days=1)
        OutboxItem.objects.filter(id__among=[i.id for i in later]).update(
            planned_day=tomorrow,
            not_before=day_start(policy, tomorrow),
            lease_until=None,
            leased_by="",
        )
        sender_mark_dirty(workspace_id=items[0].workspace_id, sender_key=key)
    return items[:got]


def _record_attempt(items: list[OutboxItem]) -> None:
    """Before anything reaches the server: these are being sent (one write for the batch)."""
    now = timezone.now()
    ids = [i.id for i in items]
    with transaction.atomic():
        OutboxItem.objects.filter(id__among=ids).update(
            state=OutboxItem.State.SENDING,
            reserved_day=items[0].reserved_day,  # one sender, one day
            attempts=F("attempts") + 1,
        )
        Message.objects.filter(outbox_item__id__among=ids).update(status=Message.Status.SENDING)
    for item in items:
        item.state = OutboxItem.State.SENDING
        item.attempts += 1
        item.lease_until = now + LEASE


def _record_outcomes(
    items: list[OutboxItem],
    results: dict[int, DeliveryResult],
    policy: SenderPolicy | None,
    *,
    held: bool = False,
) -> int:
    """Write what happened to every item of a batch, in one transaction. `held`: the
    failures are the sender's (it needs reconnecting): they wait, no attempt counted."""
    now = timezone.now()
    sent = 0
    released = 0
    # The day the batch's slots were taken from (one sender, one day: _reserve): a slot
    # not used goes back to that day, even when the batch ended after midnight.
    reserved_day = items[0].reserved_day
    pause_reason = ""
    done_items, failed_messages = [], []
    for item in items:
        message = item.message
        result = results.get(item.id)
        item.lease_until, item.leased_by = None, ""
        if result is None or result.pause or (held and not result.ok):
            # Not tried (a pause came first), refused for now, or held: no failed attempt.
            item.state = OutboxItem.State.PENDING
            item.attempts -= 1
            released += bool(item.reserved_day)
            item.reserved_day = None
            message.status = Message.Status.QUEUED
            if held and result is not None and not result.pause:
                item.not_before = now + HOLD
                item.last_error = result.error
                message.status_reason = _("Waiting for the mailbox to be reconnected.")
            elif result is not None:
                pause_reason = result.error
                message.status_reason = result.error
        elif result.ok:
            sent += 1
            item.state = OutboxItem.State.DONE
            item.last_error = ""
            message.status = Message.Status.SENT
            message.sent_at = now
            message.provider_sid = result.provider_id[:64]
            message.status_reason = result.note
        elif result.retry and item.attempts < MAX_ATTEMPTS:
            item.state = OutboxItem.State.PENDING
            item.not_before = now + timedelta(minutes=2**item.attempts)
            item.last_error = message.status_reason = result.error
            released += bool(item.reserved_day)
            item.reserved_day = None
            message.status = Message.Status.QUEUED
        else:
            item.state = OutboxItem.State.FAILED
            item.last_error = message.status_reason = result.error
            released += bool(item.reserved_day)
            item.reserved_day = None
            message.status = Message.Status.FAILED
            failed_messages.append(message)
        done_items.append(item)
    with transaction.atomic():
        # A provider's report that came in while the batch was sending (an SMS delivered
        # already) stands: those messages keep what it wrote.
        reported = set(
            Message.objects.select_for_update()
            .filter(id__among=[i.message_id for i in done_items])
            .exclude(status=Message.Status.SENDING)
            .values_list("id", flat=True)
        )
        rows_update(
            done_items,
            [
                "state",
                "attempts",
                "lease_until",
                "leased_by",
                "not_before",
                "last_error",
                "reserved_day",
            ],
        )
        rows_update(
            [i.message for i in done_items if i.message_id not in reported],
            ["status", "sent_at", "provider_sid", "status_reason"],
        )
        if released and reserved_day is not None:
            slots_release(sender_key=items[0].sender_key, day=reserved_day, count=released)
        for message in failed_messages:
            notify_send_failed(message)
        if pause_reason and policy is not None:
            until = sender_pause(
                workspace_id=items[0].workspace_id,
                sender_key=items[0].sender_key,
                policy=policy,
                reason=pause_reason,
            )
            paused = getattr(channel_adapter(items[0].channel), "sender_paused", None)
            if paused is not None:
                paused(items[0].sender_key, until, pause_reason)
            notify_paused(
                workspace_id=items[0].workspace_id, policy=policy, until=until, reason=pause_reason
            )
    return sent


def _hold(items: list[OutboxItem]) -> None:
    """The sender needs a person: keep the items pending, no attempt counted, look again
    after HOLD."""
    ids = [i.id for i in items]
    with transaction.atomic():
        OutboxItem.objects.filter(id__among=ids).update(
            lease_until=None,
            leased_by="",
            not_before=timezone.now() + HOLD,
            last_error=_("Waiting for the sender to be reconnected."),
        )
        Message.objects.filter(outbox_item__id__among=ids).update(
            status_reason=_("Waiting for the mailbox to be reconnected.")
        )


def _unlease(ids: list[int]) -> None:
    OutboxItem.objects.filter(id__among=ids, state=OutboxItem.State.PENDING).update(
        lease_until=None, leased_by=""
    )


# --- A worker died mid-send -----------------------------------------------------------------


def outbox_recover(*, worker_id: str = WORKER_ID, limit: int = 50) -> int:
    """Take up items left SENDING by a worker that died (lease over, or holder gone) and
    settle each: sent, send again, or hold as outcome unknown."""
    now = timezone.now()
    stale = list(
        OutboxItem.objects.filter(state=OutboxItem.State.SENDING)
        .exclude(leased_by=worker_id)
        .values_list("id", "leased_by", "lease_until")[:limit]
    )
    settled = 0
    for item_id, holder, until in stale:
        if until is not None and until >= now and not holder_is_dead(holder):
            continue
        won = OutboxItem.objects.filter(
            id=item_id, state=OutboxItem.State.SENDING, leased_by=holder
        ).update(leased_by=worker_id, lease_until=now + LEASE)
        if not won:
            continue
        try:
            _settle(OutboxItem.objects.select_related("message").get(id=item_id))
        except Exception:
            # The channel cannot tell now (its mailbox is unreachable). Give the item back
            # for any worker to look at again after RECHECK, this one too: left leased by
            # this worker, it was skipped by this worker's recovery for as long as the
            # process lived, and raising ended the pass for everything else.
            logger.exception("outbox: settling item %s failed; looking again later", item_id)
            OutboxItem.objects.filter(
                id=item_id, state=OutboxItem.State.SENDING, leased_by=worker_id
            ).update(leased_by="", lease_until=timezone.now() + RECHECK)
            continue
        settled += 1
    return settled


def _settle(item: OutboxItem) -> None:
    message = item.message
    adapter = channel_adapter(item.channel)
    verify = getattr(adapter, "verify", None)
    verdict = verify(message) if verify is not None else Verdict.UNKNOWN
    policy = sender_policy(channel=item.channel, sender_key=item.sender_key)
    with transaction.atomic():
        item.lease_until, item.leased_by = None, ""
        if verdict == Verdict.SENT:
            item.state = OutboxItem.State.DONE
            message.status, message.sent_at, message.status_reason = (
                Message.Status.SENT,
                timezone.now(),
                "",
            )
        elif verdict == Verdict.NOT_SENT:
            item.state = OutboxItem.State.PENDING
            item.not_before = timezone.now()
            if item.reserved_day and policy is not None:
                slots_release(sender_key=item.sender_key, day=item.reserved_day)
            item.reserved_day = None
            message.status = Message.Status.QUEUED
        else:
            item.state = OutboxItem.State.UNKNOWN
            # A channel may say it in its own words (SMS: no Sent folder to look in).
            message.status_reason = getattr(adapter, "unknown_reason", "") or _(
                "Outcome unknown: sending was interrupted, and the mailbox cannot tell whether "
                "the email went out. Check your Sent folder, then Retry or Mark as sent."
            )
            notify_outcome_unknown(message)
        item.save(update_fields=["state", "lease_until", "leased_by", "not_before", "reserved_day"])
        message.save(update_fields=["status", "sent_at", "status_reason"])
