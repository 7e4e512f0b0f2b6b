"""Throttling of logins (django-axes, configured in settings) and of password-reset emails
(parley.core.ratelimit).

Logins: axes counts failures per account (from any address) and per client address (for any
account) and compares the larger count with one limit; `login_failure_limit` makes that one
limit the account's when the account has reached it and the address's otherwise, so each
has its own (settings: PARLEY_LOGIN_FAILURES_PER_ACCOUNT, PARLEY_LOGIN_FAILURES_PER_IP).

Password resets: counted per address and per client address whether or not an account has
the address, so the answer never tells whether it exists.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Sum
from django.http import HttpRequest
from django.utils import timezone

from parley.core.ratelimit import rate_limit_hit

RESET_WINDOW = timedelta(hours=1)


def login_username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str:
    """The account a login names, as axes counts it: the email, trimmed and lower-cased (so
    "Jane@X.test" and "jane@x.test " are one account)."""
    raw = (credentials or {}).get("username")
    if raw is None:
        raw = request.POST.get("username", "") if request.method == "POST" else ""
    return str(raw).strip().lower()[:255]


def _recent_failures(request: HttpRequest, **lookup: str) -> tuple[int, Any]:
    cool_off = get_cool_off(request) or timedelta(0)
    row = AccessAttempt.objects.filter(
        attempt_time__gte=timezone.now() - cool_off, **lookup
    ).aggregate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
    return row["failures"] or 0, row["last"]


def login_failure_limit(request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
    """AXES_FAILURE_LIMIT: the account's limit once the account has reached it, else the
    address's. (Axes locks when max(account failures, address failures) reaches it.)"""
    per_account = settings.PARLEY_LOGIN_FAILURES_PER_ACCOUNT
    username = login_username(request, credentials)
    if username and _recent_failures(request, username=username)[0] >= per_account:
        return per_account
    return settings.PARLEY_LOGIN_FAILURES_PER_IP


def login_lockout_minutes(request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
    """Whole minutes until the lock that applies ends (the later one if both do)."""
    cool_off = get_cool_off(request) or timedelta(0)
    now = timezone.now()
    waits: list[timedelta] = []
    checks = (
        ({"username": login_username(request, credentials)}, "ACCOUNT"),
        ({"ip_address": getattr(request, "axes_ip_address", None) or ""}, "IP"),
    )
    for lookup, which in checks:
        if not next(iter(lookup.values())):
            continue
        failures, last = _recent_failures(request, **lookup)
        if last is not None and failures >= getattr(settings, f"PARLEY_LOGIN_FAILURES_PER_{which}"):
            waits.append(last + cool_off - now)
    wait = max(waits) if waits else cool_off
    return max(1, -(-int(wait.total_seconds()) // 60))


@dataclass(frozen=True)
class ResetDecision:
    send: bool  # whether the email may go out
    wait_minutes: int = 0  # the client's address is over its limit: say so, send nothing


def password_reset_throttle(*, email: str, ip: str) -> ResetDecision:
    """Count a password-reset request. Over the client address's limit: wait (said on the
    page, which does not depend on the address). Over the address's limit: nothing is sent,
    and the page answers as always."""
    by_ip = rate_limit_hit(
        scope="password-reset-ip",
        value=ip or "unknown",
        limit=settings.PARLEY_PASSWORD_RESETS_PER_IP,
        window=RESET_WINDOW,
    )
    if not by_ip.allowed:
        return ResetDecision(send=False, wait_minutes=by_ip.retry_minutes)
    by_address = rate_limit_hit(
        scope="password-reset-address",
        value=email.strip().lower(),
        limit=settings.PARLEY_PASSWORD_RESETS_PER_ADDRESS,
        window=RESET_WINDOW,
    )
    return ResetDecision(send=by_address.allowed)
