"""The counts the Reports page reads: a member's replies that ended a wait, by day (in the
workspace's time zone), first response or not, and the wait's bucket (ResponseCount).

A 90-day report over 400,000 replies reads some 70,000 counts instead of the replies. Waits
under 100 seconds have a bucket each; above, buckets are 2% wide, and a bucket is read as
the mean of the exact waits in it, so a median or 90th percentile is within 1% of the one
over the exact waits, and exact wherever its bucket holds one wait (or equal ones).
"""

import math
import zoneinfo
from collections.abc import Iterable
from datetime import date, datetime
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from parley.accounts.models import Workspace
from parley.inbox.models import Message, ResponseCount

EXACT_BELOW = 100
STEP = 1.02
_LOG_STEP = math.log(STEP)
REBUILD_CHUNK = 20_000

# (day, member id, first response, bucket) → (how many, their exact waits added up)
Key = tuple[date, int | None, bool, int]
Counts = dict[Key, list[int]]


def response_bucket(seconds: int) -> int:
    """A wait's bucket: the wait itself under 100 s; above, the middle of its bucket
    [100·1.02^k, 100·1.02^(k+1)), rounded to the second (within 1% of `seconds`)."""
    if seconds < EXACT_BELOW:
        return max(0, seconds)
    k = math.floor(math.log(seconds / EXACT_BELOW) / _LOG_STEP)
    return round(EXACT_BELOW * STEP ** (k + 0.5))


def response_key(
    *, at: datetime, zone: zoneinfo.ZoneInfo, member_id: int | None, first: bool, seconds: int
) -> Key:
    return (timezone.localtime(at, zone).date(), member_id, first, response_bucket(seconds))


def response_counts_add(*, workspace_id: int, counts: Counts) -> None:
    """Add to the counts (in the caller's transaction): one INSERT … ON CONFLICT DO UPDATE a
    few thousand keys at a time, on both databases."""
    table = connection.ops.quote_name(ResponseCount._meta.db_table)
    items = list(counts.items())
    per_batch = 5000
    with connection.cursor() as cursor:
        for start in range(0, len(items), per_batch):
            batch = items[start : start + per_batch]
            values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(batch))
            params: list[Any] = []
            for (day, member_id, first, seconds), (n, total) in batch:
                params += [workspace_id, day, member_id, first, seconds, n, total]
            cursor.execute(
                f"INSERT INTO {table} "
                '(workspace_id, day, member_id, "first", seconds, count, total_seconds) '
                f"VALUES {values} "
                'ON CONFLICT (workspace_id, day, member_id, "first", seconds) '
                f"DO UPDATE SET count = {table}.count + excluded.count, "
                f"total_seconds = {table}.total_seconds + excluded.total_seconds",
                params,
            )


def response_count_add(
    *, workspace_id: int, at: datetime, member_id: int, first: bool, seconds: int
) -> None:
    """Count one reply (message_record, in its transaction)."""
    zone_name = Workspace.objects.values_list("time_zone", flat=True).get(id=workspace_id)
    key = response_key(
        at=at, zone=zoneinfo.ZoneInfo(zone_name), member_id=member_id, first=first, seconds=seconds
    )
    response_counts_add(workspace_id=workspace_id, counts={key: [1, seconds]})


def response_counts_of(
    rows: Iterable[tuple[datetime, Any, bool, Any]], zone: zoneinfo.ZoneInfo
) -> Counts:
    """The counts of (created_at, author member id, first response, wait) rows."""
    counts: Counts = {}
    for at, member_id, first, seconds in rows:
        key = response_key(at=at, zone=zone, member_id=member_id, first=first, seconds=seconds)
        entry = counts.get(key)
        if entry is None:
            counts[key] = [1, seconds]
        else:
            entry[0] += 1
            entry[1] += seconds
    return counts


def response_counts_rebuild(*, workspace_id: int) -> int:
    """The workspace's counts made again from its replies (after its time zone changed), in
    one transaction. Idempotent. How many replies were counted."""
    with transaction.atomic():
        workspace = Workspace.objects.select_for_update().get(id=workspace_id)
        zone = zoneinfo.ZoneInfo(workspace.time_zone)
        ResponseCount.objects.filter(workspace_id=workspace_id).delete()
        replies = (
            Message.objects.filter(workspace_id=workspace_id, response_seconds__isnull=False)
            .order_by()
            .values_list("created_at", "author_member_id", "first_response", "response_seconds")
        )
        counts = response_counts_of(replies.iterator(chunk_size=REBUILD_CHUNK), zone)
        response_counts_add(workspace_id=workspace_id, counts=counts)
    return sum(n for n, _total in counts.values())


def response_counts_rebuild_later(*, workspace_id: int) -> None:
    """Rebuild the counts in the worker once the caller's transaction commits."""
    transaction.on_commit(lambda: _enqueue_rebuild(workspace_id))


def _enqueue_rebuild(workspace_id: int) -> None:
    from parley.inbox.tasks import response_counts_rebuild_task

    response_counts_rebuild_task.enqueue(workspace_id)
