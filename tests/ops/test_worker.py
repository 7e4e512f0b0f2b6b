"""`parley worker` as a real process, against whichever Tasks backend is configured (the
database queue by default, Redis/RQ under `make test-rq`): it runs queued tasks and their
results are read back, runs deferred tasks when due, runs the periodic outbox dispatch,
and stops cleanly on SIGTERM and SIGINT."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone
from django_tasks import TaskResult, TaskResultStatus
from django_tasks.signals import task_enqueued
from django_tasks_db.models import DBTaskResult
from rq import Worker

from parley.inbox.models import Message
from parley.inbox.services import message_record
from parley.outbox.models import OutboxItem
from parley.outbox.services import message_send, outbox_enqueue
from tests.conftest import database_url
from tests.ops.tasks import add, fail, sleep_then_add
from tests.tasks_fixtures import rq_selected

pytestmark = pytest.mark.django_db(transaction=True)

StartWorker = Callable[..., subprocess.Popen[bytes]]


@pytest.fixture
def start_worker(tmp_path) -> Iterator[StartWorker]:  # type: ignore[no-untyped-def]
    """Start `parley worker` on the test database (and the tests' Redis, inherited through
    PARLEY_REDIS_URL). `periodic=False` runs it without the periodic jobs, so what it
    delivers can only have come through the task queue."""
    workers: list[subprocess.Popen[bytes]] = []

    def start(*, periodic: bool = True) -> subprocess.Popen[bytes]:
        env = {**os.environ, "DATABASE_URL": database_url()}
        if not periodic:
            env["DJANGO_SETTINGS_MODULE"] = "tests.ops.settings_tasks_only"
        # The log goes to a file: a pipe nobody reads would stall a chatty worker.
        with open(tmp_path / f"worker-{len(workers)}.log", "wb") as log:
            worker = subprocess.Popen(
                [sys.executable, settings.BASE_DIR / "manage.py", "worker", "--interval", "0.2"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=log,
                start_new_session=True,  # its own process group: nothing it starts outlives it
            )
        worker.log_path = log.name  # type: ignore[attr-defined]
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.terminate()
        try:
            worker.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)


def wait_for(
    result: TaskResult, worker: subprocess.Popen[bytes], *, until: Callable[[], bool]
) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        result.refresh()
        if until():
            return
        if worker.poll() is not None:
            pytest.fail(f"the worker exited ({worker.returncode}): {stderr_of(worker)}")
        time.sleep(0.1)
    pytest.fail(f"task {result.id} still {result.status} after 20 s")


def finished(result: TaskResult, worker: subprocess.Popen[bytes]) -> TaskResult:
    wait_for(result, worker, until=lambda: result.is_finished)
    return result


def stderr_of(worker: subprocess.Popen[bytes]) -> str:
    """The worker's log, for a failure message."""
    with open(worker.log_path, encoding="utf-8", errors="replace") as log:  # type: ignore[attr-defined]
        return log.read()[-3000:]


def test_worker_runs_queued_tasks_and_their_results_are_read_back(start_worker):
    # Given a running worker
    worker = start_worker()
    # When tasks are enqueued, one that succeeds and one that raises
    ok, broken = add.enqueue(2, 3), fail.enqueue("no good")
    # Then the worker runs both and the results say how each went, from the worker process
    assert finished(ok, worker).status == TaskResultStatus.SUCCESSFUL, stderr_of(worker)
    assert ok.return_value == 5
    assert f"-{worker.pid}" in ok.worker_ids[0]
    assert finished(broken, worker).status == TaskResultStatus.FAILED
    assert broken.errors[0].exception_class_path == "builtins.ValueError"
    assert "no good" in broken.errors[0].traceback
    # And they went through the configured queue: Redis for RQ, the table otherwise
    stored = set(DBTaskResult.objects.values_list("id", flat=True))
    if rq_selected():
        assert stored == set()
    else:
        assert {str(i) for i in stored} == {ok.id, broken.id}


def test_a_deferred_task_runs_once_it_is_due(start_worker):
    # Given a worker that is up and taking tasks
    worker = start_worker()
    assert finished(add.enqueue(0, 0), worker).status == TaskResultStatus.SUCCESSFUL
    # When a task is deferred by two seconds
    run_after = timezone.now() + timedelta(seconds=2)
    result = add.using(run_after=run_after).enqueue(20, 22)
    # Then it waits, and runs once due. RQ keeps the due time in whole seconds (its
    # ScheduledJobRegistry), so there it may start up to a second early; the database
    # queue keeps the exact time.
    precision = timedelta(seconds=1) if rq_selected() else timedelta(0)
    time.sleep(0.5)
    result.refresh()
    assert result.status == TaskResultStatus.READY
    assert finished(result, worker).status == TaskResultStatus.SUCCESSFUL, stderr_of(worker)
    assert result.return_value == 42
    assert result.started_at is not None and result.started_at >= run_after - precision


def test_a_queued_outbox_item_goes_out_through_the_task_queue(
    member, make_conversation, start_worker
):
    # Given an outbound message queued in the outbox, which enqueues its delivery task
    conversation = make_conversation()
    enqueued: list[TaskResult] = []

    def capture(sender, task_result: TaskResult, **kwargs) -> None:  # type: ignore[no-untyped-def]
        enqueued.append(task_result)

    task_enqueued.connect(capture)
    try:
        with transaction.atomic():
            message = message_record(
                conversation=conversation,
                channel="inapp",
                direction=Message.Direction.OUTBOUND,
                status=Message.Status.QUEUED,
                body_text="through the queue",
                author_member=member,
            )
            outbox_enqueue(message=message)
    finally:
        task_enqueued.disconnect(capture)
    assert [r.task.name for r in enqueued] == ["outbox_deliver_task"]
    # When a worker without the periodic dispatch runs
    worker = start_worker(periodic=False)
    # Then the delivery task sends the message and reports the outbox item done
    result = finished(enqueued[0], worker)
    assert result.status == TaskResultStatus.SUCCESSFUL, stderr_of(worker)
    assert result.return_value == OutboxItem.State.DONE
    message.refresh_from_db()
    assert message.status == Message.Status.SENT


def test_worker_sends_a_scheduled_message_once_it_is_due(member, make_conversation, start_worker):
    message = message_send(
        member=member,
        conversation=make_conversation(),
        channel="inapp",
        body="good morning",
        send_at=timezone.now() + timedelta(hours=1),
    )
    OutboxItem.objects.filter(message=message).update(not_before=timezone.now())
    worker = start_worker()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        message.refresh_from_db()
        if message.status == Message.Status.SENT:
            break
        time.sleep(0.2)
    assert message.status == Message.Status.SENT, stderr_of(worker)
    assert OutboxItem.objects.get(message=message).state == "done"


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stop_signal_lets_the_task_in_hand_finish_then_the_worker_exits(
    start_worker, signum, request
):
    # Given a worker in the middle of a task
    worker = start_worker()
    result = sleep_then_add.enqueue(1.5, 1, 2)
    wait_for(result, worker, until=lambda: result.status != TaskResultStatus.READY)
    # When it is told to stop
    worker.send_signal(signum)
    # Then it finishes that task and exits cleanly
    try:
        code = worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the worker did not stop: {stderr_of(worker)}")
    assert code == 0, stderr_of(worker)
    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL and result.return_value == 3
    if rq_selected():  # and it has left RQ's registry of live workers
        assert Worker.all(connection=request.getfixturevalue("tasks_redis")) == []


def test_worker_says_so_when_redis_is_unreachable():
    worker = subprocess.run(
        [sys.executable, str(settings.BASE_DIR / "manage.py"), "worker"],
        env={
            **os.environ,
            "DATABASE_URL": database_url(),
            "PARLEY_TASKS_BACKEND": "rq",
            "PARLEY_REDIS_URL": "redis://127.0.0.1:1/0",
        },
        capture_output=True,
        timeout=60,
    )
    assert worker.returncode != 0
    assert "Cannot reach Redis for the task queue at 127.0.0.1:1/0" in worker.stderr.decode()


def test_worker_refuses_a_backend_it_cannot_run(settings):  # type: ignore[no-untyped-def]
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    with pytest.raises(CommandError, match="needs its own worker"):
        call_command("worker")
