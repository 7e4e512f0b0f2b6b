"""Placing a sender's queue by day (outbox.plan does the arithmetic; this reads and writes).

`outbox_plan` places a sender's whole pending queue again: run by the worker for senders
whose queue changed, and at once after a broadcast is queued. `outbox_place` places one new
item without reading the whole queue (a typed message on the request path): a count of what
is ahead of it on a day, per day, until one has room.
"""

from collections import defaultdict
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from parley.channels.base import SenderPolicy
from parley.outbox.models import OutboxItem, SenderState
from parley.outbox.plan import Queued, plan_days
from parley.outbox.senders import (
    day_start,
    local_day,
    sender_mark_dirty,
    sender_paused_until,
    sender_policy,
    slots_used,
)

# How many dirty senders one worker pass plans.
PLAN_SENDERS = 20
# Items moved by one UPDATE.
PLAN_CHUNK = 2000


def _due(
    policy: SenderPolicy, send_after: datetime, day: date | None, paused: datetime | None
) -> datetime:
    """When an item planned for `day` is due: never before it was asked for, its day's
    start, or the end of a pause."""
    due = send_after
    if day is not None and day > local_day(policy):
        due = max(due, day_start(policy, day))
    if paused is not None:
        due = max(due, paused)
    return due


def day_asked(policy: SenderPolicy, send_after: datetime) -> date:
    """The first day an item may go: the day it was asked for, never before today."""
    return max(local_day(policy), local_day(policy, send_after))


def outbox_place(*, item: OutboxItem) -> None:
    """Place a new pending item on the first day with room for it, counting only what is
    ahead of it there (same or higher priority: it is the newest). Lower-priority items it
    pushes out are moved by the next full plan (the sender is marked for one)."""
    policy = sender_policy(channel=item.channel, sender_key=item.sender_key)
    if policy is None or policy.daily_limit is None:
        return
    limit = policy.daily_limit
    today = local_day(policy)
    paused = sender_paused_until(sender_key=item.sender_key)
    day = day_asked(policy, item.send_after)
    if paused is not None:
        day = max(day, local_day(policy, paused))
    queue = OutboxItem.objects.filter(
        sender_key=item.sender_key, state=OutboxItem.State.PENDING, priority__lte=item.priority
    ).exclude(id=item.id)
    while True:
        room = limit - slots_used(sender_key=item.sender_key, day=day) if day == today else limit
        if room > 0 and queue.filter(planned_day=day).count() < room:
            break
        day += timedelta(days=1)
    item.planned_day = day
    item.not_before = max(item.not_before, _due(policy, item.send_after, day, paused))
    item.save(update_fields=["planned_day", "not_before"])
    sender_mark_dirty(workspace_id=item.workspace_id, sender_key=item.sender_key)


def outbox_plan(*, sender_key: str) -> int:
    """Place the sender's pending queue by day; how many items moved."""
    SenderState.objects.filter(sender_key=sender_key).update(plan_dirty=False)
    rows = list(
        OutboxItem.objects.filter(sender_key=sender_key, state=OutboxItem.State.PENDING)
        .order_by()
        .values_list(
            "id", "channel", "priority", "send_after", "not_before", "planned_day", "attempts"
        )
    )
    if not rows:
        return 0
    policy = sender_policy(channel=rows[0][1], sender_key=sender_key)
    if policy is None or policy.daily_limit is None:
        return 0
    today = local_day(policy)
    paused = sender_paused_until(sender_key=sender_key)
    days = plan_days(
        [Queued(r[0], r[2], local_day(policy, r[3])) for r in rows],
        today=today,
        room_today=policy.daily_limit - slots_used(sender_key=sender_key, day=today),
        limit=policy.daily_limit,
        paused_until=local_day(policy, paused) if paused else None,
    )
    # Items that move, grouped by where they go: a mass message's thousands share a day and
    # a time, and are moved by a few UPDATE … WHERE id IN statements.
    moves: dict[tuple[date | None, datetime], list[int]] = defaultdict(list)
    for item_id, _ch, _p, send_after, not_before, planned_day, attempts in rows:
        day = days[item_id]
        due = _due(policy, send_after, day, paused)
        if attempts:  # a retry's back-off stands
            due = max(due, not_before)
        if day != planned_day or due != not_before:
            moves[(day, due)].append(item_id)
    with transaction.atomic():
        for (to_day, to_due), ids in moves.items():
            for first in range(0, len(ids), PLAN_CHUNK):
                OutboxItem.objects.filter(id__among=ids[first : first + PLAN_CHUNK]).update(
                    planned_day=to_day, not_before=to_due
                )
    return sum(len(ids) for ids in moves.values())


def outbox_plan_added(*, channel: str, sender_key: str, send_after: datetime) -> int:
    """After many items asked for `send_after` were placed on their day_asked (a mass
    message's): the full plan only if they do not fit there; how many items moved.

    When the queue was planned before them (the sender is not marked for a plan, nothing is
    left on a day gone by or unplaced, no pause) and their day still has room for everything
    on it, the plan would move nothing: no item waits on a later day for room on theirs (it
    would have had it), and the days before and after are as they were."""
    policy = sender_policy(channel=channel, sender_key=sender_key)
    if policy is None or policy.daily_limit is None:
        return 0
    today, day = local_day(policy), day_asked(policy, send_after)
    used = slots_used(sender_key=sender_key, day=today) if day == today else 0
    room = policy.daily_limit - used
    pending = OutboxItem.objects.filter(sender_key=sender_key, state=OutboxItem.State.PENDING)
    unsettled = SenderState.objects.filter(sender_key=sender_key).filter(
        Q(plan_dirty=True) | Q(paused_until__gt=timezone.now())
    )
    if (
        not unsettled.exists()
        and not pending.filter(Q(planned_day__lt=today) | Q(planned_day__isnull=True)).exists()
        and pending.filter(planned_day=day).count() <= room
    ):
        return 0
    return outbox_plan(sender_key=sender_key)


def outbox_plan_dirty(*, limit: int = PLAN_SENDERS) -> int:
    """Periodic: plan the senders whose queue changed since they were last planned."""
    keys = list(
        SenderState.objects.filter(plan_dirty=True).values_list("sender_key", flat=True)[:limit]
    )
    for key in keys:
        outbox_plan(sender_key=key)
    return len(keys)


def outbox_plan_expired_pauses() -> int:
    """Periodic: a pause that ended leaves nothing to do but clear itself."""
    return SenderState.objects.filter(paused_until__lte=timezone.now()).update(
        paused_until=None, pause_reason=""
    )
