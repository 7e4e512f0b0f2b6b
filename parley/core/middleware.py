"""Input no page can take: a NUL character in a query or form value or a field name.
PostgreSQL cannot store one, and no form of ours needs one, so the request is answered at
the edge with a clear 400 page instead of failing deep inside. The API (/api/) checks the
same in its schemas and answers JSON itself."""

from collections.abc import Callable

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


class RejectNulMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith("/api/") and _has_nul(request):
            return render(
                request,
                "bad_request.html",
                {
                    "text": _(
                        "The form or address contains a NUL character (\\0), which no field "
                        "can hold. Remove it and try again."
                    )
                },
                status=400,
            )
        return self.get_response(request)
