"""Property: random sends of every kind, over several days, from two or three mailboxes with
random daily limits, in a workspace whose calendar is not UTC's, through the real planner and
dispatcher to a real SMTP server (aiosmtpd). Time moves with time_machine, day by day, with
sends at several times of a day (just after midnight, morning, mid-day, just before
midnight) and some sends scheduled for a later day.

Checked at the SMTP server, where it matters:
- per mailbox per local calendar day, no more accepted than the mailbox's limit;
- priorities: nothing went out while an item of higher priority of the same mailbox was due
  and had not gone out yet (so it never waited for a later day meanwhile either);
- first in, first out within a priority, among items that were due;
- nothing lost: once the days run on, every email was accepted;
- nothing twice: every Message-ID accepted exactly once.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

from parley.accounts.models import Member
from parley.channels.email.models import EmailRecord, Mailbox
from parley.inbox.models import Conversation
from parley.outbox.dispatch import outbox_dispatch_due
from parley.outbox.email_send import email_message_send
from parley.outbox.mailboxes import mailbox_daily_limit_set
from parley.outbox.models import OutboxItem, SenderDay
from parley.outbox.services import outbox_deliver
from tests.channels.email.servers import SmtpServer
from tests.outbox.support import accepted, conversation_with, send_only_mailbox

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

# Zones whose local day is ahead of or behind UTC's for much of the day (Chatham is UTC+12:45
# or +13:45, Kolkata +5:30), with daylight saving changes inside some of the runs below.
ZONES = ["Europe/Helsinki", "America/New_York", "Asia/Kolkata", "Pacific/Chatham"]
# First simulated days: around the European and American spring and autumn changes, the
# southern hemisphere's (Chatham, 2026-04-05 and 2026-09-27), and a plain late-November week.
STARTS = [date(2026, 3, 6), date(2026, 3, 27), date(2026, 4, 3), date(2026, 9, 25)]
STARTS += [date(2026, 10, 23), date(2026, 10, 30), date(2026, 11, 27)]
# Local times a wave of sends happens at, then the worker runs.
WAVE_TIMES = [time(0, 5), time(9, 0), time(13, 30), time(23, 50)]
PRIORITIES = list(OutboxItem.Priority)
RUN_ON_DAYS = 60


@dataclass(frozen=True)
class Send:
    mailbox: int  # index into the scenario's mailboxes
    priority: int
    # None: now; else scheduled for 10:00 local on the day this many days later.
    later: int | None
    # Every send due now enqueues its delivery task; True: a worker runs it at once (before
    # the next periodic pass), else the periodic pass gets there first.
    task: bool


@dataclass(frozen=True)
class Wave:
    at: time
    # First a person sets a mailbox's daily limit (mailbox index, new limit) on its page,
    # and the worker's next pass plans its queue again.
    limit: tuple[int, int] | None
    sends: list[Send]


@dataclass(frozen=True)
class Scenario:
    zone: str
    start: date
    limits: list[int]
    days: list[list[Wave]]


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    limits = draw(st.lists(st.integers(1, 5), min_size=2, max_size=3))
    mailbox = st.integers(0, len(limits) - 1)
    send = st.builds(
        Send,
        mailbox=mailbox,
        priority=st.sampled_from(PRIORITIES),
        later=st.one_of(st.none(), st.none(), st.integers(1, 2)),
        task=st.booleans(),
    )
    wave = st.builds(
        Wave,
        at=st.sampled_from(WAVE_TIMES),
        limit=st.one_of(st.none(), st.none(), st.none(), st.tuples(mailbox, st.integers(1, 5))),
        sends=st.lists(send, min_size=1, max_size=6),
    )
    day = st.lists(wave, min_size=1, max_size=2, unique_by=lambda w: w.at).map(
        lambda ws: sorted(ws, key=lambda w: w.at)
    )
    return Scenario(
        zone="UTC",  # set by the test's parameter
        start=draw(st.sampled_from(STARTS)),
        limits=limits,
        days=draw(st.lists(day, min_size=2, max_size=4)),
    )


@dataclass
class Item:
    message_id: int
    header_id: str
    mailbox: int
    priority: int
    due: datetime  # when it was asked to go: queued at, or its scheduled time
    # When the SMTP server accepted it: [run number].
    sent: list[int]


class Run:
    """The simulated workspace: sends through the service, the worker through the real
    dispatcher (and the delivery task a send enqueues), and what the SMTP server accepted,
    attributed to the worker run that sent it."""

    def __init__(self, scenario: Scenario, member: Member, smtp: SmtpServer) -> None:
        self.zone = ZoneInfo(scenario.zone)
        self.smtp = smtp
        workspace = member.workspace
        workspace.time_zone = scenario.zone
        workspace.save(update_fields=["time_zone"])
        self.member = member
        self.limits = list(scenario.limits)
        self.mailboxes: list[Mailbox] = [
            send_only_mailbox(self.member, smtp, limit=limit) for limit in scenario.limits
        ]
        self.threads: list[Conversation] = [
            conversation_with(workspace, f"Creator {i}") for i in range(4)
        ]
        self.items: list[Item] = []
        self.by_header: dict[str, Item] = {}
        # Each worker run: when it started (what was due then was due for it), its local
        # day, and the mailboxes' limits then.
        self.runs: list[tuple[datetime, date, list[int]]] = []
        self.seen = len(smtp.handler.messages)

    def at(self, day: date, when: time) -> datetime:
        return datetime.combine(day, when, tzinfo=self.zone)

    def set_limit(self, mailbox: int, limit: int, day: date) -> None:
        self.mailboxes[mailbox] = mailbox_daily_limit_set(
            member=self.member, mailbox=self.mailboxes[mailbox], daily_limit=limit
        )
        self.limits[mailbox] = limit
        self.work(day)

    def send(self, spec: Send, today: date) -> None:
        send_at = None if spec.later is None else self.at(today + timedelta(spec.later), time(10))
        message = email_message_send(
            member=self.member,
            conversation=self.threads[len(self.items) % len(self.threads)],
            mailbox=self.mailboxes[spec.mailbox],
            subject="Hello",
            body=f"email {len(self.items)}",
            priority=spec.priority,
            send_at=send_at,
        )
        header = EmailRecord.objects.get(message=message, folder__isnull=True).header_id
        item = Item(message.pk, header, spec.mailbox, spec.priority, send_at or timezone.now(), [])
        self.items.append(item)
        self.by_header[header] = item
        if spec.task and send_at is None:
            task_item = OutboxItem.objects.get(message_id=message.pk).pk
            self.work(today, lambda: outbox_deliver(item_id=task_item))

    def work(self, day: date, worker: Callable[[], object] | None = None) -> None:
        """A worker runs: the periodic dispatch until nothing more goes out now, or one
        delivery task."""
        self.runs.append((timezone.now(), day, list(self.limits)))
        if worker is not None:
            worker()
        else:
            while outbox_dispatch_due():
                pass
        for header in accepted(self.smtp, self.seen):
            if header in self.by_header:
                self.by_header[header].sent.append(len(self.runs) - 1)
        self.seen = len(self.smtp.handler.messages)

    def unsent(self) -> int:
        return sum(1 for i in self.items if not i.sent)


def check(run: Run) -> None:
    items = run.items
    # Nothing lost, nothing twice: every email accepted exactly once.
    assert [len(i.sent) for i in items] == [1] * len(items)
    # Never more than the limit per mailbox per local day (the highest it was set to that
    # day); the day's slots say the same.
    per_day: dict[tuple[int, date], int] = defaultdict(int)
    limit: dict[tuple[int, date], int] = defaultdict(int)
    for _started, day, limits in run.runs:
        for mailbox, value in enumerate(limits):
            limit[(mailbox, day)] = max(limit[(mailbox, day)], value)
    for item in items:
        per_day[(item.mailbox, run.runs[item.sent[0]][1])] += 1
    for (mailbox, day), count in per_day.items():
        assert count <= limit[(mailbox, day)], (mailbox, day, count)
        used = SenderDay.objects.get(sender_key=run.mailboxes[mailbox].sender_key, day=day).used
        assert used == count, (mailbox, day)
    # When an item went out, every item of its mailbox that comes before it (a higher
    # priority, or the same priority queued first) and was due by then went out that day
    # or earlier: it never waited for a later day meanwhile.
    for later in items:
        started, day, _limits = run.runs[later.sent[0]]
        for earlier in items:
            if earlier is later or earlier.mailbox != later.mailbox or earlier.due > started:
                continue
            ahead = earlier.priority < later.priority or (
                earlier.priority == later.priority and earlier.message_id < later.message_id
            )
            earlier_day = run.runs[earlier.sent[0]][1]
            assert not ahead or earlier_day <= day, (
                f"message {later.message_id} (priority {later.priority}) went out on {day}; "
                f"message {earlier.message_id} (priority {earlier.priority}), due since "
                f"{earlier.due}, waited until {earlier_day}"
            )
    # The outbox agrees: everything done.
    states = OutboxItem.objects.filter(message_id__in=[i.message_id for i in items])
    assert set(states.values_list("state", flat=True)) <= {OutboxItem.State.DONE}


@pytest.mark.parametrize("zone", ZONES)
@settings(
    max_examples=5,
    derandomize=True,
    deadline=None,
    database=None,
    # A failure prints its scenario (note) as found: shrinking one takes minutes here.
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenarios())
def test_limits_priorities_and_exactly_once_over_random_days(  # type: ignore[no-untyped-def]
    zone, scenario: Scenario, member, smtp_server
):
    scenario = replace(scenario, zone=zone)
    note(repr(scenario))
    first = datetime.combine(scenario.start, time(0, 1), tzinfo=ZoneInfo(zone))
    with transaction.atomic(), time_machine.travel(first, tick=True) as traveller:
        run = Run(scenario, member, smtp_server)
        day = scenario.start
        for waves in scenario.days:
            for wave in waves:
                traveller.move_to(run.at(day, wave.at))
                if wave.limit is not None:
                    run.set_limit(*wave.limit, day)
                for spec in wave.sends:
                    run.send(spec, day)
                run.work(day)
            day += timedelta(days=1)
        # The days run on until the queue is empty.
        for _ in range(RUN_ON_DAYS):
            if not run.unsent():
                break
            traveller.move_to(run.at(day, time(9)))
            run.work(day)
            day += timedelta(days=1)
        check(run)
        transaction.set_rollback(True)  # the next example starts from an empty outbox
