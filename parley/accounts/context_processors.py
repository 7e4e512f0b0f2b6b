from django.http import HttpRequest


def current_member(request: HttpRequest) -> dict[str, object]:
    """The member the request works as, and the user's memberships for the switcher (both
    loaded once by CurrentMemberMiddleware)."""
    return {
        "member": getattr(request, "member", None),
        "memberships": getattr(request, "memberships", []),
    }
