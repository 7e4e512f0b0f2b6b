from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

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
        return self.get_response(request)
