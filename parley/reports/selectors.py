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
percentile_cont: linear between the two nearest values). The database computes them over
the period's replies read from the partial covering index `message_responses`: PostgreSQL
with its ordered-set aggregate, SQLite with ROW_NUMBER over the same rows, returning only
the (at most four) rows a group's percentiles lie between.
"""

import itertools
import math
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Min, Q, QuerySet, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from parley.accounts.models import Member, Workspace
from parley.accounts.selectors import member_list
from parley.core.errors import ValidationFailed
from parley.inbox.models import Conversation, Message

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


def _interpolate(values: dict[int, float], n: int, p: float) -> float:
    """percentile_cont from the values at 1-based ranks around (n - 1) * p."""
    position = (n - 1) * p
    low = math.floor(position)
    below = values[low + 1]
    above = values.get(low + 2, below)
    return below + (position - low) * (above - below)


def _percentiles(rows: QuerySet) -> dict[Any, Figures]:
    """Figures per group of `rows`, a values() query of `grp` and `secs`."""
    inner, params = rows.query.get_compiler(using=rows.db).as_sql()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT grp, count(*), "
                "percentile_cont(0.5) WITHIN GROUP (ORDER BY secs), "
                "percentile_cont(0.9) WITHIN GROUP (ORDER BY secs) "
                f"FROM ({inner}) AS r GROUP BY grp",
                params,
            )
            return {
                grp: Figures(count=n, median=float(median), p90=float(p90))
                for grp, n, median, p90 in cursor.fetchall()
            }
        # The ranks the two percentiles lie between: floor((n - 1) * p) + 1 and the next.
        cursor.execute(
            "SELECT grp, n, rn, secs FROM ("
            "SELECT grp, secs, ROW_NUMBER() OVER (PARTITION BY grp ORDER BY secs) AS rn, "
            "COUNT(*) OVER (PARTITION BY grp) AS n "
            f"FROM ({inner}) AS r) AS ranked "
            "WHERE rn IN ((n - 1) * 5 / 10 + 1, (n - 1) * 5 / 10 + 2, "
            "(n - 1) * 9 / 10 + 1, (n - 1) * 9 / 10 + 2)",
            params,
        )
        found: dict[Any, tuple[int, dict[int, float]]] = {}
        for grp, n, rank, secs in cursor.fetchall():
            found.setdefault(grp, (n, {}))[1][rank] = float(secs)
    return {
        grp: Figures(count=n, median=_interpolate(values, n, 0.5), p90=_interpolate(values, n, 0.9))
        for grp, (n, values) in found.items()
    }


# Each member's figures (all, first), the team's (all, first), and the team's by day.
Grouped = tuple[dict[Any, Figures], dict[Any, Figures], Figures, Figures, dict[date, Figures]]


def _grouped_pg(replies: QuerySet, zone: zoneinfo.ZoneInfo) -> Grouped:
    """Every figure in one pass over the period's replies: GROUPING SETS by member, by day
    and in all, the first responses by FILTER (with room to sort in memory)."""
    inner, params = (
        replies.values(
            member=F("author_member_id"),
            day=TruncDate("created_at", tzinfo=zone),
            secs=F("response_seconds"),
            first=F("first_response"),
        )
        .query.get_compiler(using=replies.db)
        .as_sql()
    )
    cont = "percentile_cont({p}) WITHIN GROUP (ORDER BY secs)"
    columns = ", ".join(
        [
            "count(*)",
            cont.format(p=0.5),
            cont.format(p=0.9),
            "count(*) FILTER (WHERE first)",
            cont.format(p=0.5) + " FILTER (WHERE first)",
            cont.format(p=0.9) + " FILTER (WHERE first)",
        ]
    )
    members: dict[Any, Figures] = {}
    firsts: dict[Any, Figures] = {}
    days: dict[date, Figures] = {}
    team = team_first = Figures()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL work_mem = '32MB'")
        cursor.execute(
            f"SELECT member, day, GROUPING(member, day), {columns} FROM ({inner}) AS r "
            "GROUP BY GROUPING SETS ((member), (day), ())",
            params,
        )
        for member, day, grouping, n, p50, p90, n_first, f50, f90 in cursor.fetchall():
            figures = Figures(count=n, median=p50, p90=p90)
            first = Figures(count=n_first, median=f50, p90=f90) if n_first else Figures()
            if grouping == 1:  # by member (day not grouped)
                members[member] = figures
                if n_first:
                    firsts[member] = first
            elif grouping == 2:  # by day
                days[day] = figures
            else:
                team, team_first = figures, first
    return members, firsts, team, team_first, days


def _day_index(since: datetime, until: datetime, zone: zoneinfo.ZoneInfo) -> RawSQL:
    """A reply's day in the workspace's zone as a number (0: the period's first day), in
    SQLite's own arithmetic: its UTC time as a Julian day, plus the zone's offset at that
    moment (a CASE over the offset changes in the period, found hour by hour), less the
    first day's. Django's TruncDate would call a Python function for every reply. (Offsets
    change on a local whole hour, as every zone's do, and the search steps by local hours
    from midnight, so it finds each change at its moment.)"""
    column = f'"{Message._meta.db_table}"."created_at"'
    segments: list[tuple[datetime, float]] = []  # (from this UTC moment, offset in days)
    moment = since
    while moment < until + timedelta(hours=1):
        offset = (moment.astimezone(zone).utcoffset() or timedelta()).total_seconds() / 86400
        if not segments or segments[-1][1] != offset:
            segments.append((moment, offset))
        moment += timedelta(hours=1)
    cases = ""
    params: list[Any] = []
    for (_start, offset), (next_start, _next) in itertools.pairwise(segments):
        cases += f"WHEN {column} < %s THEN %s "
        params += [connection.ops.adapt_datetimefield_value(next_start), offset]
    first_day = timezone.localtime(since, zone).date()
    # A Julian day begins at noon: midnight of a date is its ordinal + 1721424.5.
    base = first_day.toordinal() + 1721424.5
    sql = (
        f"CAST(julianday({column}) + CASE {cases}ELSE %s END - %s + 1e-9 AS INTEGER)"
        if cases
        else f"CAST(julianday({column}) + %s - %s + 1e-9 AS INTEGER)"
    )
    return RawSQL(sql, [*params, segments[-1][1], base])


def _grouped_windows(
    replies: QuerySet, zone: zoneinfo.ZoneInfo, since: datetime, until: datetime
) -> Grouped:
    """The same figures where there is no percentile aggregate (SQLite): one ROW_NUMBER
    query for each grouping."""

    def rows(queryset: QuerySet, grp: Any) -> QuerySet:
        return queryset.values(grp=grp, secs=F("response_seconds"))

    firsts = replies.filter(first_response=True)
    members = _percentiles(rows(replies, F("author_member_id")))
    first_members = _percentiles(rows(firsts, F("author_member_id")))
    team = _percentiles(rows(replies, Value(0))).get(0, Figures())
    # Skipped when nobody made a first response in the period.
    team_first = (
        _percentiles(rows(firsts, Value(0))).get(0, Figures()) if first_members else Figures()
    )
    first_day = timezone.localtime(since, zone).date()
    days = {
        first_day + timedelta(days=int(index)): figures
        for index, figures in _percentiles(rows(replies, _day_index(since, until, zone))).items()
    }
    return members, first_members, team, team_first, days


def response_report(
    *, workspace: Workspace, days: int = DEFAULT_PERIOD, now: datetime | None = None
) -> ResponseReport:
    """The team's and each member's response times over the last `days` days (today and the
    days before it, in the workspace's time zone), the team's
    median by day, and the conversations waiting for a reply now. A few queries whatever
    the size: the members, the figures (PostgreSQL: one pass with GROUPING SETS; SQLite:
    five ROW_NUMBER queries), the waiting count."""
    if days not in PERIODS:
        raise ValidationFailed({"period": [_("Choose a period of 7, 30 or 90 days.")]})
    until = now or timezone.now()
    # Whole days in the workspace's zone: today and the days before it.
    zone = zoneinfo.ZoneInfo(workspace.time_zone)
    first_day = timezone.localtime(until, zone).date() - timedelta(days=days - 1)
    since = datetime.combine(first_day, time.min, tzinfo=zone)
    replies = Message.objects.filter(
        workspace=workspace,
        created_at__gte=since,
        created_at__lt=until,
        response_seconds__isnull=False,
    ).order_by()

    members = member_list(workspace=workspace)
    if connection.vendor == "postgresql":
        grouped = _grouped_pg(replies, zone)
    else:
        grouped = _grouped_windows(replies, zone, since, until)
    all_figures, first_figures, team_all, team_first, day_figures = grouped
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
