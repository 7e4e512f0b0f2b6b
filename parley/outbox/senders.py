"""Senders (one connected address each): their daily limit, their calendar day, the slots
used today, their per-second pace, and pauses the provider asked for.

A slot is reserved in SenderDay by a compare-and-set update before every send, so two or
four workers together never exceed a sender's limit; a send that did not reach the
provider gives its slot back.

A sender with a per-second rate (`SenderPolicy.min_interval`, an SMS number's throughput)
is paced the same way: SenderState.next_send_at is the earliest moment its next send may
start. A worker about to send waits until then, and takes its turn by a compare-and-set
that moves the moment to now plus the interval. Any number of workers together start two
sends of one sender at least the interval apart (by their clocks: hosts are assumed in sync).
"""

import zoneinfo
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from time import sleep as time_sleep

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from parley.channels.base import SenderPolicy
from parley.channels.registry import channel_adapter
from parley.outbox.models import OutboxItem, SenderDay, SenderState


def sender_policy(*, channel: str, sender_key: str) -> SenderPolicy | None:
    """The sender's limit and time zone, from its channel; None: no limit applies."""
    if not sender_key:
        return None
    policy = getattr(channel_adapter(channel), "sender_policy", None)
    return policy(sender_key) if policy is not None else None


def local_day(policy: SenderPolicy, at: datetime | None = None) -> date:
    return timezone.localtime(at or timezone.now(), zoneinfo.ZoneInfo(policy.time_zone)).date()


def day_start(policy: SenderPolicy, day: date) -> datetime:
    """Midnight at the start of `day` in the sender's time zone."""
    return datetime.combine(day, time.min, tzinfo=zoneinfo.ZoneInfo(policy.time_zone))


def slots_used(*, sender_key: str, day: date) -> int:
    row = SenderDay.objects.filter(sender_key=sender_key, day=day).values_list("used", flat=True)
    return next(iter(row), 0)


def slots_used_many(*, sender_keys: Iterable[str], day: date) -> dict[str, int]:
    """Slots used on `day` by each of many senders, in one query (none used: left out)."""
    return dict(
        SenderDay.objects.filter(sender_key__in=list(sender_keys), day=day).values_list(
            "sender_key", "used"
        )
    )


def slots_reserve(*, sender_key: str, day: date, limit: int, want: int) -> int:
    """Reserve up to `want` of the day's slots; how many were got (0 when the day is full).
    Safe in any number of processes: each try is one conditional update."""
    if want <= 0:
        return 0
    try:
        with transaction.atomic():
            SenderDay.objects.get_or_create(sender_key=sender_key, day=day)
    except IntegrityError:
        pass  # created by another worker a moment ago
    while True:
        used = slots_used(sender_key=sender_key, day=day)
        got = min(want, limit - used)
        if got <= 0:
            return 0
        won = SenderDay.objects.filter(sender_key=sender_key, day=day, used=used).update(
            used=F("used") + got
        )
        if won:
            return got


def slots_release(*, sender_key: str, day: date, count: int = 1) -> None:
    if count > 0:
        SenderDay.objects.filter(sender_key=sender_key, day=day, used__gte=count).update(
            used=F("used") - count
        )


def sender_state(*, workspace_id: int, sender_key: str) -> SenderState:
    state, _created = SenderState.objects.get_or_create(
        sender_key=sender_key, defaults={"workspace_id": workspace_id}
    )
    return state


def sender_mark_dirty(*, workspace_id: int, sender_key: str) -> None:
    """The sender's queue changed: the planner places it again on its next pass."""
    if not SenderState.objects.filter(sender_key=sender_key).update(plan_dirty=True):
        try:
            with transaction.atomic():
                SenderState.objects.create(
                    workspace_id=workspace_id, sender_key=sender_key, plan_dirty=True
                )
        except IntegrityError:
            SenderState.objects.filter(sender_key=sender_key).update(plan_dirty=True)


def sender_paused_until(*, sender_key: str) -> datetime | None:
    row = SenderState.objects.filter(sender_key=sender_key, paused_until__gt=timezone.now())
    return next(iter(row.values_list("paused_until", flat=True)), None)


def sender_pause(
    *, workspace_id: int, sender_key: str, policy: SenderPolicy, reason: str
) -> datetime:
    """Pause the sender until the start of its next day: its pending items wait until then
    (nothing failed, nothing lost). Returns the end of the pause."""
    until = day_start(policy, local_day(policy) + timedelta(days=1))
    with transaction.atomic():
        state = sender_state(workspace_id=workspace_id, sender_key=sender_key)
        state.paused_until, state.pause_reason, state.plan_dirty = until, reason[:500], True
        state.save(update_fields=["paused_until", "pause_reason", "plan_dirty"])
        OutboxItem.objects.filter(
            sender_key=sender_key, state=OutboxItem.State.PENDING, not_before__lt=until
        ).update(not_before=until)
    return until


def sender_turn(*, workspace_id: int, sender_key: str, interval: float) -> None:
    """Wait for the sender's turn and take it: return once a send may start, having moved
    the sender's next moment to `interval` seconds from now. The turn is taken by one
    conditional update at the moment of sending (not booked ahead), so two sends of the
    sender start at least `interval` apart whichever workers make them, even when a worker
    is late to wake up. Safe in any number of processes."""
    if interval <= 0:
        return
    step = timedelta(seconds=interval)
    while True:
        now = timezone.now()
        found = list(
            SenderState.objects.filter(sender_key=sender_key).values_list("next_send_at", flat=True)
        )
        if not found:
            sender_state(workspace_id=workspace_id, sender_key=sender_key)
            continue
        current = found[0]
        if current is not None and current > now:
            time_sleep(min((current - now).total_seconds(), 1.0))
            continue
        same = (
            SenderState.objects.filter(sender_key=sender_key, next_send_at__isnull=True)
            if current is None
            else SenderState.objects.filter(sender_key=sender_key, next_send_at=current)
        )
        if same.update(next_send_at=now + step):
            return
