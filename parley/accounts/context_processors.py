from django.conf import settings
from django.http import HttpRequest


def current_member(request: HttpRequest) -> dict[str, object]:
    """The member the request works as (loaded by CurrentMemberMiddleware, with the user's
    memberships, which the switcher reads as `request.memberships`: pages name their
    campaign memberships `memberships`); how often open pages ask whether anything changed
    (PARLEY_POLL_SECONDS, as htmx's "every …ms", a plain string whatever the language's
    number format)."""
    return {
        "member": getattr(request, "member", None),
        "poll_every": f"{round(float(settings.PARLEY_POLL_SECONDS) * 1000)}ms",
    }
