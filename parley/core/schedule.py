"""Periodic work for `parley worker`. django-tasks has no timer, so the worker runs these.

Each job must be idempotent and safe to run in two workers at once (its rows carry leases).
"""

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.db import close_old_connections
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@dataclass
class Job:
    name: str
    every: float
    func: Callable[[], object]
    next_at: float = 0.0


def jobs_from_settings() -> list[Job]:
    return [
        Job(name=path, every=float(every), func=import_string(path))
        for path, every in settings.PARLEY_PERIODIC.items()
    ]


def run_due(jobs: list[Job], now: float) -> None:
    for job in jobs:
        if now < job.next_at:
            continue
        job.next_at = now + job.every
        close_old_connections()
        try:
            job.func()
        except Exception:  # a failing job is logged and retried next tick; others go on
            logger.exception("periodic job %s failed", job.name)
        finally:
            close_old_connections()


def start_scheduler(stop: threading.Event, tick: float = 0.5) -> threading.Thread:
    jobs = jobs_from_settings()

    def loop() -> None:
        while not stop.is_set():
            run_due(jobs, time.monotonic())
            stop.wait(tick)

    thread = threading.Thread(target=loop, name="parley-scheduler", daemon=True)
    thread.start()
    return thread
