"""A rate limiter in the database: at most `limit` hits of a key per window.

Used for password-reset emails (per address and per IP) and, later, the creator portal's
magic links. Fixed windows: the first hit opens a window of `window`; hits in it are counted;
the first hit after it opens a new one. The count is read and written in one statement (an
upsert with RETURNING, on SQLite 3.35+ and PostgreSQL alike), so web processes and workers
sharing the database never both see room for the last hit.

Keys are stored as "scope:" plus a hash of the value, so the table holds no addresses.
"""

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from parley.core.models import RateLimit


@dataclass(frozen=True)
class RateLimitResult:
    allowed: bool
    count: int
    retry_after: timedelta  # until the window ends (zero when allowed)

    @property
    def retry_minutes(self) -> int:
        """Whole minutes to wait, at least 1."""
        return max(1, -(-int(self.retry_after.total_seconds()) // 60))


def rate_limit_key(scope: str, value: str) -> str:
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:40]
    return f"{scope[:50]}:{digest}"


def _as_datetime(value: object) -> datetime:
    if isinstance(value, datetime):
        return value if timezone.is_aware(value) else value.replace(tzinfo=UTC)
    parsed = parse_datetime(str(value))
    if parsed is None:  # pragma: no cover - the column always holds a time
        raise ValueError(f"not a time: {value!r}")
    return parsed if timezone.is_aware(parsed) else parsed.replace(tzinfo=UTC)


def rate_limit_hit(
    *, scope: str, value: str, limit: int, window: timedelta, now: datetime | None = None
) -> RateLimitResult:
    """Count one hit of (scope, value); allowed while the window holds at most `limit`."""
    now = now or timezone.now()
    expired = now - window
    table = connection.ops.quote_name(RateLimit._meta.db_table)
    key, start, count = (connection.ops.quote_name(c) for c in ("key", "window_start", "count"))
    adapt = connection.ops.adapt_datetimefield_value
    sql = (
        f"INSERT INTO {table} ({key}, {start}, {count}) VALUES (%s, %s, 1) "
        f"ON CONFLICT ({key}) DO UPDATE SET "
        f"{count} = CASE WHEN {table}.{start} <= %s THEN 1 ELSE {table}.{count} + 1 END, "
        f"{start} = CASE WHEN {table}.{start} <= %s THEN %s ELSE {table}.{start} END "
        f"RETURNING {count}, {start}"
    )
    params = [rate_limit_key(scope, value), adapt(now), adapt(expired), adapt(expired), adapt(now)]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        hits, window_start = cursor.fetchone()
    if hits <= limit:
        return RateLimitResult(allowed=True, count=hits, retry_after=timedelta(0))
    retry = _as_datetime(window_start) + window - now
    return RateLimitResult(allowed=False, count=hits, retry_after=max(retry, timedelta(0)))


def rate_limits_prune(*, older_than: timedelta = timedelta(days=2)) -> int:
    """Delete counters whose window ended long ago (a periodic job of `parley worker`)."""
    deleted, _ = RateLimit.objects.filter(window_start__lt=timezone.now() - older_than).delete()
    return deleted
