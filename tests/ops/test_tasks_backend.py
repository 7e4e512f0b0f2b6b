"""PARLEY_TASKS_BACKEND picks the Tasks backend, and the one it picks is the one in use."""

import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django_tasks import TaskResultStatus, task_backends
from django_tasks_db.models import DBTaskResult
from django_tasks_rq import RQBackend
from rq import Queue
from rq.job import Job

import parley.settings
from tests.ops.tasks import add
from tests.tasks_fixtures import requires_rq

DB = "django_tasks_db.DatabaseBackend"
RQ = "django_tasks_rq.RQBackend"


@pytest.fixture
def settings_with(monkeypatch):  # type: ignore[no-untyped-def]
    """Parley's settings module evaluated afresh under the given environment."""

    def load(**env: str) -> dict:
        for name in ("PARLEY_TASKS_BACKEND", "PARLEY_REDIS_URL"):
            monkeypatch.delenv(name, raising=False)
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(str(Path(parley.settings.__file__)))

    return load


@pytest.mark.parametrize("value", [None, "", "db", "DB", DB])
def test_the_database_queue_is_the_default(settings_with, value):
    loaded = settings_with(**({} if value is None else {"PARLEY_TASKS_BACKEND": value}))
    assert loaded["TASKS"] == {"default": {"BACKEND": DB}}
    assert "django_rq" not in loaded["INSTALLED_APPS"]
    assert "RQ_QUEUES" not in loaded


@pytest.mark.parametrize("value", ["rq", "RQ", " rq ", RQ])
def test_rq_selects_redis_with_its_apps_and_queue(settings_with, value):
    loaded = settings_with(PARLEY_TASKS_BACKEND=value)
    assert loaded["TASKS"] == {"default": {"BACKEND": RQ}}
    assert {"django_tasks", "django_rq", "django_tasks_rq"} <= set(loaded["INSTALLED_APPS"])
    assert loaded["RQ_QUEUES"] == {"default": {"URL": "redis://127.0.0.1:6379/0"}}


def test_the_redis_url_comes_from_the_environment(settings_with):
    loaded = settings_with(PARLEY_TASKS_BACKEND="rq", PARLEY_REDIS_URL="redis://cache:6380/3")
    assert loaded["RQ_QUEUES"]["default"]["URL"] == "redis://cache:6380/3"


@pytest.mark.parametrize("value", ["redis", "celery", "r q"])
def test_an_unknown_alias_stops_start_up(settings_with, value):
    with pytest.raises(ImproperlyConfigured, match="PARLEY_TASKS_BACKEND"):
        settings_with(PARLEY_TASKS_BACKEND=value)


def test_the_rq_configuration_passes_djangos_checks():
    # Django's checks include the backend's own (django_rq installed, queues configured);
    # they need no Redis.
    check = subprocess.run(
        [sys.executable, settings.BASE_DIR / "manage.py", "check"],
        env={**os.environ, "PARLEY_TASKS_BACKEND": "rq"},
        capture_output=True,
        timeout=60,
    )
    assert check.returncode == 0, check.stderr.decode()[-2000:]


@requires_rq
@pytest.mark.django_db
def test_with_rq_asked_for_tasks_go_to_redis_and_not_to_the_database(request):
    # Given PARLEY_TASKS_BACKEND=rq: the backend in use is RQ's, nothing else
    backend = task_backends["default"]
    assert isinstance(backend, RQBackend), f"PARLEY_TASKS_BACKEND=rq but {backend!r} is in use"
    tasks_redis = request.getfixturevalue("tasks_redis")
    # When a task is enqueued
    result = add.enqueue(1, 2)
    # Then it waits in the Redis queue, and the database queue never saw it
    job = Job.fetch(result.id, connection=tasks_redis)
    assert job.func_name == "tests.ops.tasks.add" and job.args == (1, 2)
    assert Queue("default", connection=tasks_redis).job_ids == [result.id]
    assert not DBTaskResult.objects.exists()
    assert backend.get_result(result.id).status == TaskResultStatus.READY
