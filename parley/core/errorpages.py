"""Parley's own error pages, and JSON instead of HTML for the API, whatever DEBUG says.

The pages stand alone (no base template, no context processors): a 500 page must render
when the database or a template tag is what failed.
"""

import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views import defaults

API_PREFIX = "/api/"
logger = logging.getLogger("django.request")


def _api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PREFIX)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if _api(request):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return defaults.page_not_found(request, exception, template_name="404.html")


def server_error(request: HttpRequest) -> HttpResponse:
    if _api(request):
        return JsonResponse({"detail": _("Something went wrong on our side.")}, status=500)
    return defaults.server_error(request, template_name="500.html")


def api_server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    """The API's handler for any exception no other handler takes (a bug): logged as Django
    logs a failing view, answered with a JSON 500 and never a traceback, even with DEBUG on
    (Ninja's own handler would send the traceback then)."""
    logger.error(
        "Internal Server Error: %s",
        request.path,
        exc_info=(type(exc), exc, exc.__traceback__),
        extra={"status_code": 500, "request": request},
    )
    return JsonResponse({"detail": _("Something went wrong on our side.")}, status=500)
