from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from parley.accounts.selectors import member_for_user

SESSION_KEY = "parley_workspace_id"


class CurrentMemberMiddleware:
    """Sets `request.member`: the logged-in user's membership of the workspace they work in."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.member = None  # type: ignore[attr-defined]
        if request.user.is_authenticated and not request.path.startswith("/api/"):
            request.member = member_for_user(  # type: ignore[attr-defined]
                user=request.user,  # type: ignore[arg-type]
                workspace_id=request.session.get(SESSION_KEY),
            )
        return self.get_response(request)
