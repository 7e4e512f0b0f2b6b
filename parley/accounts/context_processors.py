from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from parley.accounts.selectors import member_list_for_user


def current_member(request: HttpRequest) -> dict[str, object]:
    """The member the request works as, and (lazily) the user's workspaces for the switcher."""
    member = getattr(request, "member", None)
    return {
        "member": member,
        "memberships": SimpleLazyObject(
            lambda: member_list_for_user(user=request.user) if member else []  # type: ignore[arg-type]
        ),
    }
