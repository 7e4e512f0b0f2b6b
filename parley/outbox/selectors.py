"""Reads of the outbox: what waits in a sender's queue, by day and kind."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.db.models import Count

from parley.outbox.models import OutboxItem


@dataclass(frozen=True)
class QueueDay:
    day: date | None  # None: not planned yet (a sender without a limit, or just queued)
    # (kind label, count), highest priority first.
    kinds: list[tuple[str, int]]

    @property
    def total(self) -> int:
        return sum(n for _kind, n in self.kinds)


def sender_queues(*, workspace_id: int, sender_keys: list[str]) -> dict[str, list[QueueDay]]:
    """Each sender's pending queue by planned day and kind, in one grouped query (bounded by
    the queues, not the outbox). The last day is when the queue is expected to empty."""
    rows = (
        OutboxItem.objects.filter(
            workspace_id=workspace_id,
            sender_key__in=sender_keys,
            state=OutboxItem.State.PENDING,
        )
        .values_list("sender_key", "planned_day", "priority")
        .annotate(n=Count("id"))
        .order_by("sender_key", "planned_day", "priority")
    )
    labels = dict(OutboxItem.Priority.choices)
    grouped: dict[str, dict[date | None, list[tuple[str, int]]]] = defaultdict(dict)
    for key, day, priority, n in rows:
        grouped[key].setdefault(day, []).append((str(labels.get(priority, priority)), n))
    return {
        key: [QueueDay(day, kinds) for day, kinds in days.items()] for key, days in grouped.items()
    }


def pending_by_author(*, workspace_id: int, member_id: int) -> int:
    """How many of a member's messages wait to go out (scheduled, or queued for a later day
    by a daily limit): a removed teammate's, on the Team page."""
    return OutboxItem.objects.filter(
        workspace_id=workspace_id,
        state=OutboxItem.State.PENDING,
        message__author_member_id=member_id,
    ).count()
