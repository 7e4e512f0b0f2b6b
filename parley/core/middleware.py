"""Requests answered at the edge, and errors said in words.

RejectNulMiddleware: input no page can take, a NUL character in a query or form value or a
field name. PostgreSQL cannot store one, and no form of ours needs one, so the request is
answered at the edge with a clear 400 page instead of failing deep inside. The API (/api/)
checks the same in its schemas and answers JSON itself.

HtmxErrorMiddleware: a page's htmx request that fails (4xx but 422, whose form errors are
swapped in; 5xx) swaps nothing, so the page would look as if the button did nothing. The
answer carries what went wrong, in the user's language, in the `X-Parley-Error` header
(percent-encoded: headers are Latin-1), and app.js shows it.
"""

from collections.abc import Callable
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def _has_nul(request: HttpRequest) -> bool:
    for data in (request.GET, request.POST):
        for key, values in data.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                return True
    # (Django already drops unprintable characters from uploaded file names.)
    return any("\x00" in key for key in request.FILES)


ERROR_HEADER = "X-Parley-Error"


def _error_text(status: int) -> str:
    if status >= 500:
        return _(
            "Something went wrong on our side, and nothing was changed. Try again; if it "
            "happens again, tell your administrator."
        )
    texts = {
        403: _("You may not do this, or you were signed out. Reload the page."),
        404: _("This is no longer here: it may have been deleted. Reload the page."),
        413: _("That is too large to send."),
        429: _("Too many requests at once. Wait a moment and try again."),
    }
    return texts.get(
        status, _("This could not be done: check what you typed, reload the page and try again.")
    )


def error_header(response: HttpResponse, text: str) -> None:
    """Say on an htmx answer what went wrong (shown by app.js)."""
    response[ERROR_HEADER] = quote(text)


class HtmxErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        failed = response.status_code >= 400 and response.status_code != 422
        if failed and request.headers.get("HX-Request") and ERROR_HEADER not in response:
            error_header(response, _error_text(response.status_code))
        return response


class RejectNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith("/api/") and _has_nul(request):
            text = _(
                "The form or address contains a NUL character (\\0), which no field can "
                "hold. Remove it and try again."
            )
            response = render(request, "bad_request.html", {"text": text}, status=400)
            if request.headers.get("HX-Request"):
                error_header(response, text)
            return response
        return self.get_response(request)
