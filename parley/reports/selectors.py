"""Response times: how long creators wait for the team's reply.

Definitions (as Chatwoot's reports have them, for a thread that never closes):
- a **response** is a member's message that ended a wait, the wait starting at the first
  creator message after our last reply; its time is stored on the reply when it is recorded
  (`Message.response_seconds`, by inbox.services.message_record), so nothing here walks
  threads;
- a **first response** is the first such reply in a thread (`Message.first_response`): the
  creator wrote before the team ever had.
A mass message ends a wait without being a response (nobody answered that creator).

The median and 90th percentile are the continuous percentiles (PostgreSQL's
percentile_cont: linear between the two nearest values), taken over the period's counts
(inbox.models.ResponseCount: replies by day, member and wait's bucket, kept as they are
written), so the work grows with the buckets the period's waits fill, not with its
replies. The figures are within 1% of those over the exact waits, and exact where a
bucket holds one wait (inbox.responses).
"""

import math
import zoneinfo
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from parley.accounts.models import Member, Workspace
from parley.accounts.selectors import member_list
from parley.core.errors import ValidationFailed
from parley.inbox.models import Conversation, ResponseCount

PERIODS = (7, 30, 90)
DEFAULT_PERIOD = 30


@dataclass(frozen=True)
class Figures:
    """How many responses, and their median and 90th percentile in seconds (None without
    any)."""

    count: int = 0
    median: float | None = None
    p90: float | None = None


@dataclass
class MemberFigures:
    member: Member
    responses: Figures
    first: Figures


@dataclass
class DayFigures:
    day: date
    responses: Figures


@dataclass
class ResponseReport:
    days: int
    since: datetime
    until: datetime
    team: Figures
    team_first: Figures
    members: list[MemberFigures]
    daily: list[DayFigures]
    waiting: int
    overdue: int
    oldest_waiting_since: datetime | None
    goal_hours: int = field(default=24)


def period_days(raw: Any) -> int:
    """7, 30 or 90 from a query value or a number; anything else is a clear error."""
    if raw in (None, ""):
        return DEFAULT_PERIOD
    try:
        days = int(str(raw).strip()) if len(str(raw)) <= 10 else 0
    except ValueError:
        days = 0
    if days not in PERIODS:
        raise ValidationFailed({"period": [_("Choose a period of 7, 30 or 90 days.")]})
    return days


# A group's buckets in the order of their waits: (how many, their waits added up).
Buckets = list[tuple[int, float]]


def _figures(buckets: Buckets) -> Figures:
    """The count, median and 90th percentile of the waits in `buckets`."""
    ranges, seen = [], 0
    for count, total in buckets:
        ranges.append((seen, seen + count, count, total))
        seen += count
    return _ranked_figures(seen, ranges) if seen else Figures()


def _ranked_figures(n: int, buckets: Sequence[tuple[int, int, float, float]]) -> Figures:
    """The count, median and 90th percentile of `n` waits from the buckets around the ranks
    that matter, each (first 0-based rank, last + 1, how many, their waits added up) and
    read as its mean: percentile_cont, linear between the values at the two ranks around
    (n - 1) · p."""

    def value(rank: int) -> float:
        return next(t / count for low, high, count, t in buckets if low <= rank < high)

    def at(p: float) -> float:
        position = (n - 1) * p
        low = math.floor(position)
        below = value(low)
        return below + (position - low) * (value(low + 1) - below) if low + 1 < n else below

    return Figures(count=n, median=at(0.5), p90=at(0.9))


def _merged(buckets: dict[int, list[float]]) -> Buckets:
    return [(int(count), total) for _wait, (count, total) in sorted(buckets.items())]


def _add(buckets: dict[int, list[float]], seconds: int, count: int, total: float) -> None:
    entry = buckets.setdefault(seconds, [0, 0.0])
    entry[0] += count
    entry[1] += total


# Each member's figures (all, first), the team's (all, first), and the team's by day.
Grouped = tuple[dict[Any, Figures], dict[Any, Figures], Figures, Figures, dict[date, Figures]]


def _grouped(workspace: Workspace, first_day: date, last_day: date) -> Grouped:
    """Every figure from two reads of the period's counts: by member, first response and
    bucket (a few thousand rows); by day, its percentiles' buckets picked in the database
    (a few rows a day)."""
    table = connection.ops.quote_name(ResponseCount._meta.db_table)
    where = f"FROM {table} WHERE workspace_id = %s AND day >= %s AND day <= %s"
    params: list[Any] = [workspace.id, first_day, last_day]
    # (SUM of a bigint is a numeric on PostgreSQL: read as a float instead of a Decimal.)
    sums = "SUM(count), CAST(SUM(total_seconds) AS DOUBLE PRECISION)"
    members: dict[Any, dict[int, list[float]]] = defaultdict(dict)
    firsts: dict[Any, dict[int, list[float]]] = defaultdict(dict)
    team: dict[int, list[float]] = {}
    team_first: dict[int, list[float]] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f'SELECT member_id, "first", seconds, {sums} {where} '
            'GROUP BY member_id, "first", seconds',
            params,
        )
        for member_id, first, seconds, n, total in cursor.fetchall():
            _add(members[member_id], seconds, n, total)
            _add(team, seconds, n, total)
            if first:
                _add(firsts[member_id], seconds, n, total)
                _add(team_first, seconds, n, total)
        # Each day's figures in the database: the day's buckets in the order of their
        # waits, with the ranks each covers; only those holding the ranks around a median
        # or 90th percentile come back (a few a day).
        cursor.execute(
            "SELECT day, total, hi - n, hi, n, t FROM ("
            "SELECT day, n, t, SUM(n) OVER (PARTITION BY day) AS total, "
            "SUM(n) OVER (PARTITION BY day ORDER BY seconds ROWS UNBOUNDED PRECEDING) AS hi "
            "FROM (SELECT day, seconds, CAST(SUM(count) AS INTEGER) AS n, "
            f"CAST(SUM(total_seconds) AS DOUBLE PRECISION) AS t {where} "
            "GROUP BY day, seconds) AS buckets) AS ranked "
            "WHERE (hi - n <= (total - 1) * 5 / 10 + 1 AND (total - 1) * 5 / 10 < hi) "
            "OR (hi - n <= (total - 1) * 9 / 10 + 1 AND (total - 1) * 9 / 10 < hi)",
            params,
        )
        ranked: dict[Any, list[tuple[int, int, float, float]]] = defaultdict(list)
        totals: dict[Any, int] = {}
        for day, total, low, high, n, t in cursor.fetchall():
            ranked[day].append((low, high, n, t))
            totals[day] = total
        days = {_as_date(d): _ranked_figures(totals[d], rows) for d, rows in ranked.items()}
    return (
        {m: _figures(_merged(b)) for m, b in members.items()},
        {m: _figures(_merged(b)) for m, b in firsts.items()},
        _figures(_merged(team)),
        _figures(_merged(team_first)),
        days,
    )


def _as_date(value: Any) -> date:
    """A day as the database gives it back (SQLite: its ISO text)."""
    return value if isinstance(value, date) else date.fromisoformat(value)


def response_report(
    *, workspace: Workspace, days: int = DEFAULT_PERIOD, now: datetime | None = None
) -> ResponseReport:
    """The team's and each member's response times over the last `days` days (today and the
    days before it, in the workspace's time zone), the team's median by day, and the
    conversations waiting for a reply now. Four queries whatever the size: the members,
    the period's counts twice (_grouped), the waiting count."""
    if days not in PERIODS:
        raise ValidationFailed({"period": [_("Choose a period of 7, 30 or 90 days.")]})
    until = now or timezone.now()
    # Whole days in the workspace's zone: today and the days before it.
    zone = zoneinfo.ZoneInfo(workspace.time_zone)
    today = timezone.localtime(until, zone).date()
    first_day = today - timedelta(days=days - 1)
    since = datetime.combine(first_day, time.min, tzinfo=zone)
    members = member_list(workspace=workspace)
    all_figures, first_figures, team_all, team_first, day_figures = _grouped(
        workspace, first_day, today
    )
    daily = [
        DayFigures(day=day, responses=day_figures.get(day, Figures()))
        for day in (first_day + timedelta(days=offset) for offset in range(days))
    ]

    goal = int(settings.PARLEY_AWAITING_REPLY_HOURS)
    waiting = Conversation.objects.filter(
        workspace=workspace, awaiting_reply_since__isnull=False
    ).aggregate(
        waiting=Count("id"),
        overdue=Count("id", filter=Q(awaiting_reply_since__lt=until - timedelta(hours=goal))),
        oldest=Min("awaiting_reply_since"),
    )
    return ResponseReport(
        days=days,
        since=since,
        until=until,
        team=team_all,
        team_first=team_first,
        members=[
            MemberFigures(
                member=m,
                responses=all_figures.get(m.id, Figures()),
                first=first_figures.get(m.id, Figures()),
            )
            for m in members
        ],
        daily=daily,
        waiting=waiting["waiting"],
        overdue=waiting["overdue"],
        oldest_waiting_since=waiting["oldest"],
        goal_hours=goal,
    )
