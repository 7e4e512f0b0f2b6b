"""Response-time figures against a hand-computed fixture, on SQLite and PostgreSQL. The
figures come from the response counts: exact where a bucket holds one wait (as in the
fixture), within 1% where waits share buckets."""

from datetime import UTC, date, datetime, timedelta

import pytest

from parley.core.errors import ValidationFailed
from parley.inbox.models import Message, ResponseCount
from parley.inbox.responses import response_bucket, response_counts_rebuild
from parley.inbox.tasks import response_counts_rebuild_task
from parley.inbox.workspace import workspace_general_update
from parley.reports.selectors import Figures, period_days, response_report
from tests.factories import MemberFactory
from tests.reports.messages import inbound, reply

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
H = 3600


def about(count: int, median: float, p90: float) -> Figures:
    """Figures that equal these to within 1% (waits that share a bucket)."""
    return Figures(
        count=count,
        median=pytest.approx(median, rel=0.01),  # type: ignore[arg-type]
        p90=pytest.approx(p90, rel=0.01),  # type: ignore[arg-type]
    )


@pytest.fixture
def fixture(member, make_conversation):  # type: ignore[no-untyped-def]
    """Member A (the fixture's `member`) and B. In the last 30 days:
    A answers in 600 s (first), 3600 s (first) and 7200 s; B in 10800 s and 1800 s (first).
    Older: A's first reply 40 days ago after 99999 s (outside the period). Waiting now: one
    conversation for two days (over the goal), one for an hour."""
    a = member
    b = MemberFactory(workspace=member.workspace)

    old = NOW - timedelta(days=40)
    c0 = make_conversation(at=old)
    inbound(c0, old)
    reply(c0, a, old + timedelta(seconds=99999))

    t = NOW - timedelta(days=10)
    c1 = make_conversation(at=t)
    inbound(c1, t)
    reply(c1, a, t + timedelta(seconds=H))  # 3600, first
    inbound(c1, t + timedelta(hours=20))
    inbound(c1, t + timedelta(hours=21))  # the wait began at the first one
    reply(c1, b, t + timedelta(hours=23))  # 10800
    reply(c1, a, t + timedelta(hours=24))  # no wait: no response

    t = NOW - timedelta(days=8)
    c2 = make_conversation(at=t)
    reply(c2, a, t)  # we wrote first: no response
    inbound(c2, t + timedelta(days=1))
    reply(c2, a, t + timedelta(days=1, hours=2))  # 7200, not first (we had written)

    t = NOW - timedelta(days=3)
    c3 = make_conversation(at=t)
    inbound(c3, t)
    reply(c3, a, t + timedelta(seconds=600))  # 600, first

    c4 = make_conversation(at=t)
    inbound(c4, t)
    reply(c4, b, t + timedelta(seconds=1800))  # 1800, first

    waiting_long = make_conversation(at=NOW - timedelta(days=2))
    inbound(waiting_long, NOW - timedelta(days=2))
    waiting_short = make_conversation(at=NOW - timedelta(hours=1))
    inbound(waiting_short, NOW - timedelta(hours=1))
    return {"a": a, "b": b}


def test_each_reply_stores_the_wait_it_ended(fixture):
    stored = sorted(
        Message.objects.filter(response_seconds__isnull=False).values_list(
            "response_seconds", "first_response"
        )
    )

    assert stored == [
        (600, True),
        (1800, True),
        (3600, True),
        (7200, False),
        (10800, False),
        (99999, True),
    ]


def test_thirty_days_hand_computed(fixture, member):
    report = response_report(workspace=member.workspace, days=30, now=NOW)

    assert report.team == Figures(count=5, median=3600, p90=9360)
    assert report.team_first == Figures(count=3, median=1800, p90=3240)
    by_member = {m.member.id: m for m in report.members}
    a, b = by_member[fixture["a"].id], by_member[fixture["b"].id]
    assert a.responses == Figures(count=3, median=3600, p90=6480)
    assert a.first == Figures(count=2, median=2100, p90=3300)
    assert b.responses == Figures(count=2, median=6300, p90=9900)
    assert b.first == Figures(count=1, median=1800, p90=1800)
    assert (report.waiting, report.overdue) == (2, 1)
    assert report.oldest_waiting_since == NOW - timedelta(days=2)


def test_seven_days_keeps_only_the_last_week_and_its_days(fixture, member):
    report = response_report(workspace=member.workspace, days=7, now=NOW)

    # the week is today and the six days before (from June 9, 00:00): the 7200 s reply of
    # June 8, 14:00 is out
    assert report.since == datetime(2026, 6, 9, tzinfo=UTC)
    assert report.team == Figures(count=2, median=1200, p90=1680)
    assert len(report.daily) == 7 and report.daily[-1].day == date(2026, 6, 15)
    by_day = {d.day: d.responses for d in report.daily if d.responses.count}
    assert by_day == {date(2026, 6, 12): Figures(count=2, median=1200, p90=1680)}


def test_another_workspace_sees_none_of_it(fixture, other_member):
    report = response_report(workspace=other_member.workspace, days=90, now=NOW)

    assert report.team == Figures()
    assert (report.waiting, report.overdue) == (0, 0)
    assert [m.member.id for m in report.members] == [other_member.id]


@pytest.mark.parametrize("raw", ["14", "abc", "-7", "9" * 400, "7\x00", " ", "\u202e30"])
def test_a_period_other_than_7_30_90_is_a_clear_error(raw):
    with pytest.raises(ValidationFailed) as refused:
        period_days(raw)
    assert "7, 30 or 90" in str(refused.value)


def test_period_defaults_to_thirty_and_reads_the_three_choices():
    assert [period_days(v) for v in (None, "", "7", "30", 90)] == [30, 30, 7, 30, 90]


def test_report_query_count_is_pinned(fixture, member, django_assert_max_num_queries):
    with django_assert_max_num_queries(4):
        response_report(workspace=member.workspace, days=90, now=NOW)


def test_days_follow_the_workspace_zone_across_a_summer_time_change(member, make_conversation):
    """Europe/Helsinki leaves summer time on 2026-10-25 at 04:00 (01:00 UTC): 23:30 UTC is
    the next day's 02:30 in summer (UTC+3) and its 01:30 in winter (UTC+2)."""
    member.workspace.time_zone = "Europe/Helsinki"
    member.workspace.save(update_fields=["time_zone"])
    now = datetime(2026, 10, 28, 12, 0, tzinfo=UTC)
    for inbound_at, seconds in (
        (datetime(2026, 10, 23, 23, 0, tzinfo=UTC), 1800),  # Oct 24, 02:30 local (UTC+3)
        (datetime(2026, 10, 25, 23, 0, tzinfo=UTC), 600),  # Oct 26, 01:10 local (UTC+2)
        (datetime(2026, 10, 25, 21, 0, tzinfo=UTC), 300),  # Oct 25, 23:05 local (UTC+2)
    ):
        conversation = make_conversation(at=inbound_at)
        inbound(conversation, inbound_at)
        reply(conversation, member, inbound_at + timedelta(seconds=seconds))

    report = response_report(workspace=member.workspace, days=7, now=now)

    by_day = {d.day: d.responses.median for d in report.daily if d.responses.count}
    assert by_day == {date(2026, 10, 24): 1800, date(2026, 10, 25): 300, date(2026, 10, 26): 600}


def test_waits_are_bucketed_exactly_under_100_seconds_and_to_1_percent_above():
    assert [response_bucket(s) for s in range(100)] == list(range(100))
    values = [*range(100, 20_000, 7), *range(20_000, 40_000_000, 9_973)]
    buckets = [response_bucket(s) for s in values]
    assert all(abs(b - s) <= 0.01 * s + 0.5 for s, b in zip(values, buckets, strict=True))
    assert buckets == sorted(buckets)  # rounding keeps the order of waits
    assert len(set(buckets)) < 700  # waits from 100 s to 15 months: a few hundred buckets


def test_figures_of_many_waits_stay_within_one_percent(member, make_conversation):
    """Waits of 90 s to 30 h, exact percentiles computed here against the report's."""
    waits = [90 + (k * 7919) % 108_000 for k in range(41)]
    at = NOW - timedelta(days=2)
    for seconds in waits:
        conversation = make_conversation(at=at)
        inbound(conversation, at)
        reply(conversation, member, at + timedelta(seconds=seconds))

    def cont(p: float) -> float:
        ordered, position = sorted(waits), (len(waits) - 1) * p
        low = int(position)
        return ordered[low] + (position - low) * (ordered[low + 1] - ordered[low])

    report = response_report(workspace=member.workspace, days=7, now=NOW)

    assert report.team == about(41, cont(0.5), cont(0.9))
    assert report.team_first == report.team  # each reply the first in its thread


def test_the_counts_kept_by_each_reply_are_the_counts_rebuilt_from_the_replies(fixture, member):
    def counts() -> list[tuple[object, ...]]:
        return sorted(
            ResponseCount.objects.filter(workspace=member.workspace).values_list(
                "day", "member_id", "first", "seconds", "count"
            )
        )

    kept = counts()
    assert sum(row[-1] for row in kept) == 6
    assert response_counts_rebuild(workspace_id=member.workspace.id) == 6
    assert counts() == kept


def test_a_new_time_zone_counts_the_replies_again_by_its_days(
    member, make_conversation, django_capture_on_commit_callbacks
):
    """23:30 UTC on June 12 is June 13 in Helsinki: once the zone is saved (Settings →
    General), the worker's rebuild moves the reply to that day."""
    at = datetime(2026, 6, 12, 23, 0, tzinfo=UTC)
    conversation = make_conversation(at=at)
    inbound(conversation, at)
    reply(conversation, member, at + timedelta(minutes=30))

    def days() -> dict[date, int]:
        report = response_report(workspace=member.workspace, days=7, now=NOW)
        return {d.day: d.responses.count for d in report.daily if d.responses.count}

    assert days() == {date(2026, 6, 12): 1}
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        workspace_general_update(
            member=member,
            name="Brand",
            kind="brand",
            time_zone="Europe/Helsinki",
            search_language=member.workspace.search_language,
        )
    assert len(callbacks) == 1  # the rebuild is queued, nothing else
    response_counts_rebuild_task.call(member.workspace.id)
    member.workspace.refresh_from_db()
    assert days() == {date(2026, 6, 13): 1}


def test_an_unchanged_time_zone_queues_no_rebuild(member, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        workspace_general_update(
            member=member,
            name="Renamed",
            kind=member.workspace.kind,
            time_zone=member.workspace.time_zone,
            search_language=member.workspace.search_language,
        )
    assert callbacks == []
