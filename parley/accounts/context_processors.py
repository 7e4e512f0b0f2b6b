from django.conf import settings
from django.http import HttpRequest


def current_member(request: HttpRequest) -> dict[str, object]:
    """The member the request works as, and the user's memberships for the switcher (both
    loaded once by CurrentMemberMiddleware); how often open pages ask whether anything
    changed (PARLEY_POLL_SECONDS, as htmx's "every …ms", a plain string whatever the
    language's number format)."""
    return {
        "member": getattr(request, "member", None),
        "memberships": getattr(request, "memberships", []),
        "poll_every": f"{round(float(settings.PARLEY_POLL_SECONDS) * 1000)}ms",
    }
