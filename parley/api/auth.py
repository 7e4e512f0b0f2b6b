"""Bearer-token authentication: `Authorization: Bearer <token>` identifies one Member.

Tokens are made with `manage.py token create --email …` and stored as a SHA-256 digest
only; the raw value is never logged or echoed back.
"""

from django.http import HttpRequest
from ninja.errors import AuthenticationError
from ninja.security import HttpBearer

from parley.accounts.models import Member
from parley.accounts.selectors import api_token_member, api_token_needs_touch
from parley.accounts.services import api_token_touch


class ApiTokenAuth(HttpBearer):
    def __call__(self, request: HttpRequest) -> Member | None:
        # Ninja's own parser logs an unexpected header in full under DEBUG; this one never
        # logs, so a token sent with the wrong scheme does not end up in a log file.
        scheme, _sep, token = request.headers.get(self.header, "").partition(" ")
        if scheme.lower() != self.openapi_scheme or not token.strip():
            return None
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> Member | None:
        found = api_token_member(raw=token)
        if found is None:
            return None
        api_token, member = found
        if api_token_needs_touch(token=api_token):
            api_token_touch(token=api_token)
        return member


def acting_member(request: HttpRequest) -> Member:
    """The member the request's token belongs to (every route requires a token)."""
    member = getattr(request, "auth", None)
    if not isinstance(member, Member):  # unreachable behind ApiTokenAuth; fail closed
        raise AuthenticationError
    return member
