"""The day planner alone: limits per day, priorities, first in first out, nothing lost."""

from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from parley.outbox.plan import Queued, plan_days

TODAY = date(2026, 11, 27)


def test_what_does_not_fit_today_moves_to_the_next_days_in_priority_order() -> None:
    # Given 5 mass emails queued first, then a typed message, with room for 3 a day and 2 today
    items = [Queued(i, 30, TODAY) for i in range(1, 6)] + [Queued(6, 0, TODAY)]
    # When planned
    days = plan_days(items, today=TODAY, room_today=2, limit=3)
    # Then the typed message goes today, ahead of the mass emails queued before it
    assert days[6] == TODAY
    assert [i for i in range(1, 6) if days[i] == TODAY] == [1]
    assert [i for i in range(1, 6) if days[i] == TODAY + timedelta(days=1)] == [2, 3, 4]
    assert days[5] == TODAY + timedelta(days=2)


def test_paused_sender_plans_nothing_before_the_pause_ends() -> None:
    tomorrow = TODAY + timedelta(days=1)
    days = plan_days(
        [Queued(1, 0, TODAY)], today=TODAY, room_today=5, limit=5, paused_until=tomorrow
    )
    assert days == {1: tomorrow}


def test_without_a_limit_everything_goes_on_its_own_day() -> None:
    later = TODAY + timedelta(days=3)
    days = plan_days(
        [Queued(1, 30, TODAY), Queued(2, 0, later)], today=TODAY, room_today=0, limit=None
    )
    assert days == {1: TODAY, 2: later}


queues = st.lists(st.tuples(st.sampled_from([0, 10, 20, 30, 40]), st.integers(0, 4)), max_size=60)


@settings(max_examples=300, derandomize=True)
@given(queue=queues, limit=st.integers(1, 7), room=st.integers(0, 7))
def test_plan_keeps_the_limit_the_order_and_every_item(queue, limit, room) -> None:  # type: ignore[no-untyped-def]
    items = [Queued(i, p, TODAY + timedelta(days=d)) for i, (p, d) in enumerate(queue)]
    days = plan_days(items, today=TODAY, room_today=room, limit=limit)
    # Nothing lost, nothing before its day
    assert set(days) == {q.id for q in items}
    assert all(days[q.id] >= q.earliest for q in items)
    # No day over its limit
    per_day: dict[date, list[Queued]] = {}
    for q in items:
        per_day.setdefault(days[q.id], []).append(q)
    for day, planned in per_day.items():
        assert len(planned) <= (room if day == TODAY else limit)
    # An item waits only behind items of higher (or equal, earlier) priority that were due
    for q in items:
        for other in items:
            if other.earliest <= days[q.id] < days[other.id]:
                assert (q.priority, q.id) < (other.priority, other.id)
