"""What `parley worker` runs: the consumer of the configured Tasks backend (the database
queue, or Redis through RQ) and, beside it, Parley's periodic scheduler thread. With RQ a
second thread moves deferred tasks onto the queue when they are due (the database worker
does that itself).

Both consumers stop cleanly on SIGTERM or SIGINT: the task in hand finishes, then the
scheduler is asked to stop and given a moment to finish the job it is running.
"""

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from typing import Any

from django.db import close_old_connections
from django.utils.translation import gettext as _
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django_tasks.backends.base import BaseTaskBackend
from django_tasks_db import DatabaseBackend

from parley.core.schedule import start_scheduler

logger = logging.getLogger(__name__)

# How long a stopping worker waits for a periodic job in flight (an outbox pass). Rows
# carry leases, so a job cut short is taken up again; this only avoids needless retries.
SCHEDULER_STOP_SECONDS = 5.0


class WorkerConfigError(Exception):
    """The configured backend cannot be consumed here (unknown backend, Redis down)."""


def backend_kind(backend: BaseTaskBackend | None = None) -> str:
    """`db` or `rq`: which consumer the configured backend needs."""
    backend = backend or task_backends[DEFAULT_TASK_BACKEND_ALIAS]
    if isinstance(backend, DatabaseBackend):
        return "db"
    from django_tasks_rq import RQBackend

    if isinstance(backend, RQBackend):
        return "rq"
    raise WorkerConfigError(
        _("parley worker runs the database and RQ task backends; %(backend)s needs its own worker.")
        % {"backend": type(backend).__module__ + "." + type(backend).__qualname__}
    )


def run_worker(*, interval: float, announce: Callable[[str], None]) -> None:
    """Run tasks of the configured backend and the periodic jobs until told to stop."""
    backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
    kind = backend_kind(backend)
    consume = _db_consumer(interval) if kind == "db" else _rq_consumer(backend)
    stop = threading.Event()
    scheduler = start_scheduler(stop)
    announce(
        _("Parley worker running (%(backend)s tasks and periodic jobs). Ctrl-C stops it.")
        % {"backend": {"db": _("database"), "rq": _("Redis/RQ")}[kind]}
    )
    try:
        consume()
    finally:
        stop.set()
        scheduler.join(SCHEDULER_STOP_SECONDS)


def _db_consumer(interval: float) -> Callable[[], None]:
    from django_tasks_db.management.commands.db_worker import Worker

    worker = Worker(
        queue_names=["*"],
        interval=interval,
        batch=False,
        backend_name=DEFAULT_TASK_BACKEND_ALIAS,
        startup_delay=False,
        max_tasks=None,
        worker_id=f"{socket.gethostname()}-{os.getpid()}",
        excluded_queue_names=[],
    )
    worker.configure_signals()
    return worker.run


def _rq_consumer(backend: BaseTaskBackend) -> Callable[[], None]:
    import redis
    from django_rq.queues import get_queues
    from django_tasks_rq import Job
    from rq.worker import SimpleWorker

    class ParleyRQWorker(SimpleWorker):
        """Runs each job in this process, as the database worker does, rather than in a
        fork: this process also runs the scheduler and mailbox watcher threads, and forking
        a threaded process copies whatever locks those threads hold. Database connections
        are checked around each job, as Django does around a request."""

        def execute_job(self, job: Any, queue: Any) -> None:
            close_old_connections()
            try:
                super().execute_job(job, queue)
            finally:
                close_old_connections()

    # Without the backend's job class RQ calls the Task object itself and every job fails
    # with "'Task' object is not callable".
    queues = get_queues(*sorted(backend.queues), job_class=Job)
    connection = queues[0].connection
    try:
        connection.ping()
    except redis.exceptions.ConnectionError as exc:
        kwargs = connection.connection_pool.connection_kwargs
        where = f"{kwargs.get('host', '?')}:{kwargs.get('port', '?')}/{kwargs.get('db', 0)}"
        raise WorkerConfigError(
            _("Cannot reach Redis for the task queue at %(where)s: %(error)s")
            % {"where": where, "error": exc}
        ) from exc
    worker = ParleyRQWorker(
        queues,
        connection=connection,
        job_class=Job,
        queue_class=type(queues[0]),
        # Unique even when a restarted container reuses the host name and the pid while
        # the dead worker's key has not yet expired in Redis.
        name=f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}",
    )

    def consume() -> None:
        stop = threading.Event()
        scheduler = threading.Thread(
            target=_rq_schedule_deferred,
            args=([q.name for q in queues], connection, stop),
            name="parley-rq-scheduler",
            daemon=True,
        )
        scheduler.start()
        try:
            # No logging level: RQ's loggers follow Parley's LOGGING (PARLEY_LOG_LEVEL).
            worker.work(logging_level=None)
        finally:
            stop.set()
            scheduler.join(SCHEDULER_STOP_SECONDS)

    return consume


def _rq_schedule_deferred(queue_names: list[str], connection: Any, stop: threading.Event) -> None:
    """Move deferred tasks (`run_after`) onto their queue when due: RQ's own scheduler loop
    (`RQScheduler.work`), run as a thread. RQ's `work(with_scheduler=True)` would fork it
    into a process of its own, which outlives a worker killed with SIGKILL and keeps
    holding the scheduler lock; a thread stops with the worker. Several workers share the
    work through RQ's per-queue lock."""
    from rq.scheduler import RQScheduler

    scheduler = RQScheduler(
        queue_names, connection=connection, logging_level=logging.getLogger().level
    )
    born = False
    try:
        while not stop.is_set():
            try:
                if not born:
                    scheduler.register_birth()
                    born = True
                if scheduler.should_reacquire_locks:
                    scheduler.acquire_locks()
                scheduler.heartbeat()
                scheduler.enqueue_scheduled_jobs()
            except Exception:  # Redis gone for a moment: log, try again next round
                logger.exception("moving due deferred tasks onto the RQ queue failed")
            stop.wait(scheduler.interval)
    finally:
        try:
            scheduler.stop()  # releases the locks for the next worker
        except Exception:
            logger.exception("releasing the RQ scheduler locks failed")
