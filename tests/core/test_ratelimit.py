"""The database rate limiter: fixed windows, exact across processes (SQLite and PostgreSQL)."""

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from parley.core.models import RateLimit
from parley.core.ratelimit import rate_limit_hit, rate_limits_prune
from tests.conftest import database_url

WINDOW = timedelta(hours=1)


@pytest.mark.django_db
def test_a_key_is_allowed_up_to_the_limit_then_told_how_long_to_wait() -> None:
    start = timezone.now()
    # Given a limit of 3 an hour, when the key is hit 4 times in ten minutes
    results = [
        rate_limit_hit(
            scope="t", value="a@x.test", limit=3, window=WINDOW, now=start + timedelta(minutes=i)
        )
        for i in (0, 1, 2, 10)
    ]
    # Then the first three pass and the fourth waits until the window ends (50 minutes)
    assert [r.allowed for r in results] == [True, True, True, False]
    assert results[-1].retry_after == timedelta(minutes=50)
    assert results[-1].retry_minutes == 50
    # And another value, or another scope, has its own count
    assert rate_limit_hit(scope="t", value="b@x.test", limit=3, window=WINDOW, now=start).allowed
    assert rate_limit_hit(scope="u", value="a@x.test", limit=3, window=WINDOW, now=start).allowed
    # When the window has passed, the count starts again
    later = start + WINDOW + timedelta(seconds=1)
    again = rate_limit_hit(scope="t", value="a@x.test", limit=3, window=WINDOW, now=later)
    assert again.allowed and again.count == 1
    # And the table holds no address
    assert not RateLimit.objects.filter(key__contains="x.test").exists()


@pytest.mark.django_db
def test_old_counters_are_pruned() -> None:
    old = timezone.now() - timedelta(days=3)
    rate_limit_hit(scope="t", value="old", limit=3, window=WINDOW, now=old)
    rate_limit_hit(scope="t", value="new", limit=3, window=WINDOW)
    assert rate_limits_prune() == 1
    assert RateLimit.objects.count() == 1


HIT_SCRIPT = """
import django
django.setup()
from datetime import timedelta
from parley.core.ratelimit import rate_limit_hit
allowed = sum(
    rate_limit_hit(scope="race", value="k", limit=37, window=timedelta(hours=1)).allowed
    for _ in range(100)
)
print(allowed)
"""


@pytest.mark.django_db(transaction=True)
def test_processes_hitting_one_key_at_once_let_exactly_the_limit_through() -> None:
    # Given three processes on the same database, each hitting one key 100 times at once
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DJANGO_SETTINGS_MODULE": "parley.settings",
    }
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", HIT_SCRIPT],
            env=env,
            cwd=settings.BASE_DIR,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(3)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), [err.decode()[-2000:] for _, err in outputs]
    # Then exactly the limit got through, and all 300 hits were counted
    assert sum(int(out) for out, _ in outputs) == 37
    assert RateLimit.objects.get().count == 300
