"""Tasks for the worker tests. The worker process imports them by path, as it would any of
Parley's own tasks."""

import time

from django_tasks import task


@task()
def add(a: int, b: int) -> int:
    return a + b


@task()
def fail(reason: str) -> None:
    raise ValueError(reason)


@task()
def sleep_then_add(seconds: float, a: int, b: int) -> int:
    time.sleep(seconds)
    return a + b
