"""The Tasks backend the tests run against.

By default the database queue. With `PARLEY_TASKS_BACKEND=rq` (`make test-rq`) the tests
use Redis: a database of their own (`PARLEY_TEST_REDIS_URL`, by default DB 15 of the
server in `PARLEY_REDIS_URL`, and under pytest-xdist one database a process: 15, 14, …),
emptied before every test so no run or test sees another's jobs. Worker processes started
by a test inherit that URL through the environment.
Redis being down then fails the tests; it never skips them.
"""

import os
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
from django.conf import settings

TEST_REDIS_DB = 15


def rq_requested() -> bool:
    """Whether the environment asks for the RQ backend: the settings must then agree."""
    value = os.environ.get("PARLEY_TASKS_BACKEND", "").strip().lower()
    return value in {"rq", settings.PARLEY_TASKS_BACKEND_ALIASES["rq"].lower()}


def rq_selected() -> bool:
    return settings.TASKS["default"]["BACKEND"] == settings.PARLEY_TASKS_BACKEND_ALIASES["rq"]


requires_rq = pytest.mark.skipif(
    not rq_requested(),
    reason="the RQ task backend is not selected (PARLEY_TASKS_BACKEND=rq; `make test-rq`)",
)


def redis_url_for_tests() -> str:
    explicit = os.environ.get("PARLEY_TEST_REDIS_URL", "").strip()
    if explicit:
        if _xdist_index():
            raise pytest.UsageError(
                "PARLEY_TEST_REDIS_URL names one Redis database: run the tests in one "
                "process (TEST_PROCESSES=0), or leave it unset for a database a process."
            )
        return explicit
    url = urlsplit(settings.RQ_QUEUES["default"]["URL"])
    if url.scheme not in {"redis", "rediss"} or "db=" in url.query:
        raise pytest.UsageError(
            "Set PARLEY_TEST_REDIS_URL: the tests need a Redis database of their own, and "
            f"one cannot be derived from PARLEY_REDIS_URL={url.geturl()!r}."
        )
    return urlunsplit(url._replace(path=f"/{TEST_REDIS_DB - _xdist_index()}"))


def _xdist_index() -> int:
    """This test process's number under pytest-xdist ("gw1": 1), 0 without it."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    index = int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0
    if index > TEST_REDIS_DB:
        raise pytest.UsageError("At most 16 test processes share a Redis: one database each.")
    return index


@pytest.fixture(scope="session", autouse=True)
def _tasks_redis_for_tests() -> Iterator[str | None]:
    if not rq_selected():
        yield None
        return
    url = redis_url_for_tests()
    saved_env, saved_queues = os.environ.get("PARLEY_REDIS_URL"), settings.RQ_QUEUES
    os.environ["PARLEY_REDIS_URL"] = url
    settings.RQ_QUEUES = {name: {**cfg, "URL": url} for name, cfg in saved_queues.items()}
    yield url
    settings.RQ_QUEUES = saved_queues
    if saved_env is None:
        del os.environ["PARLEY_REDIS_URL"]
    else:
        os.environ["PARLEY_REDIS_URL"] = saved_env


@pytest.fixture(autouse=True)
def _tasks_redis_empty(_tasks_redis_for_tests: str | None) -> None:
    if _tasks_redis_for_tests is not None:
        with redis.Redis.from_url(_tasks_redis_for_tests) as connection:
            connection.flushdb()


@pytest.fixture
def tasks_redis(_tasks_redis_for_tests: str | None) -> redis.Redis:
    """A client of the tests' Redis database (RQ backend only)."""
    if _tasks_redis_for_tests is None:
        pytest.fail("tasks_redis needs the RQ task backend (PARLEY_TASKS_BACKEND=rq)")
    return redis.Redis.from_url(_tasks_redis_for_tests)
