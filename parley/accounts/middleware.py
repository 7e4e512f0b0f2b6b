import zoneinfo
from collections.abc import Callable
from functools import lru_cache

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from parley.accounts.selectors import member_list_for_user, member_pick

SESSION_KEY = "parley_workspace_id"


class CurrentMemberMiddleware:
    """Sets `request.member`, the logged-in user's membership of the workspace they work in,
    and `request.memberships`, all of theirs (the switcher): both from one query."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.member = None  # type: ignore[attr-defined]
        request.memberships = []  # type: ignore[attr-defined]
        if request.user.is_authenticated and not request.path.startswith("/api/"):
            memberships = member_list_for_user(user=request.user)  # type: ignore[arg-type]
            request.memberships = memberships  # type: ignore[attr-defined]
            request.member = member_pick(  # type: ignore[attr-defined]
                memberships=memberships, workspace_id=request.session.get(SESSION_KEY)
            )
        member = request.member  # type: ignore[attr-defined]
        # Pages show times in the workspace's time zone (where its days, and its daily
        # sending limits, begin and end).
        if member is not None:
            timezone.activate(zone(member.workspace.time_zone))
        else:
            timezone.deactivate()
        return self.get_response(request)


@lru_cache(maxsize=64)
def zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")
