"""Two and four dispatch workers, real processes, against one real SMTP server (aiosmtpd),
started together and claiming three emails at a time so their claims, slot reservations
and sends interleave. One mailbox has 40 emails due and a limit of 25 a day; another has 40
and no limit in the way. The SMTP server gets exactly 25 of the first mailbox's emails,
never one twice; its day's slots say 25; the other 15 are planned for the next day; and
all 40 of the other mailbox go out exactly once."""

import textwrap
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from parley.channels.email.models import Mailbox
from parley.outbox.models import OutboxItem, SenderDay, SenderState
from tests.outbox.support import (
    Workers,
    accepted,
    emails_due,
    send_only_mailbox,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

LIMITED, LIMIT = 40, 25
UNLIMITED = 40

# A dispatch worker: waits for the start signal, then runs the real dispatcher (recovery,
# planning, claims of three, slots, SMTP) until nothing is due, and says how many it sent.
WORKER = textwrap.dedent(
    """
    import pathlib, time
    from django.utils import timezone
    from parley.core.workers import worker_id
    from parley.outbox.dispatch import outbox_dispatch_due
    from parley.outbox.models import OutboxItem

    me, sent = worker_id("outbox"), 0
    pathlib.Path("{ready}").touch()
    while not pathlib.Path("{go}").exists():
        time.sleep(0.01)
    while True:
        got = outbox_dispatch_due(worker_id=me, limit=3)
        sent += got
        due = OutboxItem.objects.filter(state="pending", not_before__lte=timezone.now())
        if not got and not due.exists():
            break
    print("sent", sent, flush=True)
    """
)


def _noon_zone() -> str:
    """A zone where it is about noon now, so the run never crosses a local midnight (the
    workers cannot travel in time)."""
    offset = 12 - datetime.now(UTC).hour
    return f"Etc/GMT{-offset:+d}" if offset else "Etc/GMT"


@pytest.mark.parametrize("processes", [2, 4])
def test_concurrent_workers_never_exceed_the_limit_nor_send_twice(  # type: ignore[no-untyped-def]
    processes, member, smtp_server, tmp_path
):
    zone = _noon_zone()
    member.workspace.time_zone = zone
    member.workspace.save(update_fields=["time_zone"])
    today = datetime.now(ZoneInfo(zone)).date()
    # Given 40 emails due on a mailbox and 40 on another, all planned for today
    limited = send_only_mailbox(member, smtp_server)
    unlimited = send_only_mailbox(member, smtp_server)
    capped = emails_due(member, limited, (f"Capped {i}" for i in range(LIMITED)))
    free = emails_due(member, unlimited, (f"Free {i}" for i in range(UNLIMITED)))
    # And then the first mailbox's limit set to 25, with its plan out of date on purpose:
    # the day's slots alone stand between 40 due emails and the limit
    Mailbox.objects.filter(id=limited.id).update(daily_limit=LIMIT)
    SenderState.objects.update(plan_dirty=False)
    assert OutboxItem.objects.filter(not_before__lte=timezone.now()).count() == LIMITED + UNLIMITED
    before = len(smtp_server.handler.messages)

    # When 2 (or 4) worker processes start together and run until nothing is due
    workers = Workers(tmp_path)
    go = tmp_path / "go"
    started = [
        workers.start(script=WORKER.format(ready=tmp_path / f"ready-{n}", go=go))
        for n in range(processes)
    ]
    try:
        workers.wait_ready([tmp_path / f"ready-{n}" for n in range(processes)])
        go.touch()
        for worker in started:
            worker.wait(timeout=90)
    finally:
        workers.close()
    logs = [workers.log(w) for w in started]
    assert [w.returncode for w in started] == [0] * processes, logs

    # Then the server got exactly 25 of the limited mailbox's emails, none twice
    at_server = accepted(smtp_server, before)
    capped_ids = {m.provider_message_id.lower() for m in capped}
    free_ids = {m.provider_message_id.lower() for m in free}
    got_capped = [h for h in at_server if h in capped_ids]
    assert len(got_capped) == LIMIT and len(set(got_capped)) == LIMIT
    assert SenderDay.objects.get(sender_key=limited.sender_key, day=today).used == LIMIT
    # And the other 15 wait for tomorrow, planned for it
    waiting = OutboxItem.objects.filter(message__in=capped, state="pending")
    assert waiting.count() == LIMITED - LIMIT
    assert set(waiting.values_list("planned_day", flat=True)) == {today + timedelta(days=1)}
    assert OutboxItem.objects.filter(message__in=capped, state="done").count() == LIMIT
    # And every email of the mailbox without a limit in the way went out exactly once
    got_free = [h for h in at_server if h in free_ids]
    assert sorted(got_free) == sorted(free_ids)
    assert set(OutboxItem.objects.filter(message__in=free).values_list("state", flat=True)) == {
        "done"
    }
    # And the work was shared: more than one process sent
    sent_by = [int(log.rsplit("sent", 1)[1].split()[0]) for log in logs]
    assert sum(sent_by) == LIMIT + UNLIMITED, logs
    assert sum(1 for n in sent_by if n) >= 2, sent_by
