"""Which day each queued item of one sender goes out: the daily limit and the priorities.

Pure functions, no database: `plan_days` is what the outbox planner writes into the queue and
what the property tests check the dispatcher against.

The rule (the help centre's, seed 003): a sender (one connected address) sends at most
`limit` items a day, counted per calendar day in the workspace's time zone. When a day is
over-full, items go out highest priority first (a message a person typed, campaign
invitations, application approvals, mass campaign emails, application rejections), first
in, first out within a priority; what does not fit moves to the next day with room. An item
scheduled for later is not sent before its day.
"""

import heapq
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta


@dataclass(frozen=True)
class Queued:
    id: int
    priority: int
    # The first day it may go out: its scheduled day, or today.
    earliest: date


def plan_days(
    items: Iterable[Queued],
    *,
    today: date,
    room_today: int,
    limit: int | None,
    paused_until: date | None = None,
) -> dict[int, date]:
    """Item id → the day it is planned for. `room_today`: what today's limit has left;
    `limit`: a day's capacity (None: no limit); `paused_until`: no item before that day
    (the provider paused the sender)."""
    if limit is not None and limit < 1:
        raise ValueError("a daily limit is at least 1")
    by_earliest = sorted(items, key=lambda q: (max(q.earliest, today), q.priority, q.id))
    planned: dict[int, date] = {}
    if limit is None:
        start = max(today, paused_until or today)
        return {q.id: max(q.earliest, start) for q in by_earliest}
    waiting: list[tuple[int, int]] = []  # (priority, id): a heap, highest priority first
    i, day = 0, today
    while i < len(by_earliest) or waiting:
        if not waiting and i < len(by_earliest):
            day = max(day, by_earliest[i].earliest)  # nothing due before its day
        while i < len(by_earliest) and by_earliest[i].earliest <= day:
            heapq.heappush(waiting, (by_earliest[i].priority, by_earliest[i].id))
            i += 1
        room = _room(day, today=today, room_today=room_today, limit=limit, paused=paused_until)
        for _ in range(min(room, len(waiting))):
            _priority, item_id = heapq.heappop(waiting)
            planned[item_id] = day
        day += timedelta(days=1)
    return planned


def _room(day: date, *, today: date, room_today: int, limit: int, paused: date | None) -> int:
    if paused is not None and day < paused:
        return 0
    return max(0, room_today) if day == today else limit
