"""After a mass email is written, the queue is planned again only when its items do not fit
on their day (outbox_plan_added): whichever way it goes, the queue ends as the full plan
would leave it (planning it again moves nothing)."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from parley.broadcasts.services import broadcast_queue, broadcast_send
from parley.outbox.models import OutboxItem, SenderState
from parley.outbox.planner import outbox_plan
from parley.outbox.senders import sender_mark_dirty
from tests.broadcasts.test_services import _creators, _draft
from tests.outbox.support import MORNING, helsinki_send_only

pytestmark = pytest.mark.django_db


@pytest.fixture
def five_a_day(member, connect):  # type: ignore[no-untyped-def]
    return helsinki_send_only(member, connect, 5)


def _mass(member, mailbox, n: int) -> list[str]:  # type: ignore[no-untyped-def]
    """Write a mass email to n new creators; the SQL the write ran."""
    broadcast = _draft(member, _creators(member, n), mailbox)
    broadcast_send(member=member, broadcast=broadcast)
    with CaptureQueriesContext(connection) as queries:
        broadcast_queue(broadcast_id=broadcast.id)
    return [q["sql"] for q in queries.captured_queries]


def _full_plan_ran(sql: list[str]) -> bool:
    # Only the full plan reads every pending item with its attempts.
    return any('"outbox_outboxitem"."attempts"' in s and s.startswith("SELECT") for s in sql)


def _days(mailbox) -> list[int]:  # type: ignore[no-untyped-def]
    pending = OutboxItem.objects.filter(sender_key=mailbox.sender_key, state="pending")
    counts: dict[object, int] = {}
    for day in pending.values_list("planned_day", flat=True):
        counts[day] = counts.get(day, 0) + 1
    return [counts[d] for d in sorted(counts)]  # type: ignore[type-var]


def test_what_fits_its_day_is_not_planned_again_and_what_does_not_is(member, five_a_day):  # type: ignore[no-untyped-def]
    with time_machine.travel(MORNING, tick=True):
        # Given room for five today, a mass email to three: it fits, the full plan is skipped
        assert not _full_plan_ran(_mass(member, five_a_day, 3))
        assert _days(five_a_day) == [3]
        assert outbox_plan(sender_key=five_a_day.sender_key) == 0
        # A second one to three: six for a day of five, so the queue is planned again
        assert _full_plan_ran(_mass(member, five_a_day, 3))
        assert _days(five_a_day) == [5, 1]
        assert outbox_plan(sender_key=five_a_day.sender_key) == 0


def test_a_sender_marked_for_a_plan_is_planned(member, five_a_day):  # type: ignore[no-untyped-def]
    with time_machine.travel(MORNING, tick=True):
        sender_mark_dirty(workspace_id=member.workspace_id, sender_key=five_a_day.sender_key)
        assert _full_plan_ran(_mass(member, five_a_day, 2))
        assert not SenderState.objects.get(sender_key=five_a_day.sender_key).plan_dirty


def test_what_a_past_day_left_is_planned_with_the_new(member, five_a_day):  # type: ignore[no-untyped-def]
    with time_machine.travel(MORNING, tick=True):
        _mass(member, five_a_day, 4)  # planned for Friday, never sent
    with time_machine.travel(MORNING + timedelta(days=1), tick=True):
        # On Saturday two more: Friday's four are moved to today with them, and one waits
        assert _full_plan_ran(_mass(member, five_a_day, 2))
        assert _days(five_a_day) == [5, 1]
        assert outbox_plan(sender_key=five_a_day.sender_key) == 0
        saturday = (MORNING + timedelta(days=1)).date()
        assert (
            OutboxItem.objects.filter(sender_key=five_a_day.sender_key)
            .order_by("planned_day")
            .values_list("planned_day", flat=True)
            .first()
            == saturday
        )
