"""The client's IP address, for throttling (django-axes and the rate limiter)."""

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR; behind PARLEY_PROXY_COUNT trusted reverse proxies, the address the
    outermost of them saw (that many entries from the right of X-Forwarded-For), so a
    client cannot choose its own address by sending the header itself."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    proxies = int(getattr(settings, "PARLEY_PROXY_COUNT", 0) or 0)
    if proxies <= 0:
        return remote
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if len(forwarded) < proxies:
        return remote
    return forwarded[-proxies][:64]
