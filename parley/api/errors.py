"""Errors as JSON: one shape for every failure the API reports.

- NotFound (a missing row, or another workspace's) → 404 `{"detail": "Not found."}`
- ValidationFailed from a service, and malformed parameters or bodies that the schemas
  reject → 422 `{"detail": {field: [messages]}}`; a field inside a list is `items.0.name`.
- No or a bad token → 401 with `WWW-Authenticate: Bearer`.

Messages go through gettext; pydantic's own (English-only) messages are replaced.
"""

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from parley.core.errors import PermissionDenied, ValidationFailed

# Names of the operation parameters that hold a whole schema; they are not field names.
SCHEMA_PARAMS = {"payload", "params"}


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = list(loc[1:])  # loc[0] is the source: body, query, path
    if parts and parts[0] in SCHEMA_PARAMS:
        parts = parts[1:]
    return ".".join(str(p) for p in parts) or "__all__"


def _message(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "missing":
        return _("This field is required.")
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return _("Enter a whole number.")
    if kind in ("bool_parsing", "bool_type"):
        return _("Enter true or false.")
    if kind == "string_type":
        return _("Enter text.")
    if kind == "string_too_long":
        n = int(ctx.get("max_length", 0))
        return ngettext(
            "Ensure this is at most %(n)d character.",
            "Ensure this is at most %(n)d characters.",
            n,
        ) % {"n": n}
    if kind == "string_too_short":
        n = int(ctx.get("min_length", 0))
        return ngettext(
            "Ensure this is at least %(n)d character.",
            "Ensure this is at least %(n)d characters.",
            n,
        ) % {"n": n}
    if kind == "too_long":
        n = int(ctx.get("max_length", 0))
        return ngettext("Give at most %(n)d item.", "Give at most %(n)d items.", n) % {"n": n}
    if kind == "too_short":
        n = int(ctx.get("min_length", 0))
        return ngettext("Give at least %(n)d item.", "Give at least %(n)d items.", n) % {"n": n}
    if kind in ("list_type", "tuple_type", "set_type"):
        return _("Enter a list.")
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return _("Enter an object.")
    if kind in ("literal_error", "enum"):
        return _("Choose one of: %(choices)s.") % {"choices": ctx.get("expected", "")}
    if kind == "timezone_aware":
        return _("Include a time zone, e.g. 2030-05-01T09:00:00+02:00.")
    if kind.startswith("datetime") or kind.startswith("date_"):
        return _("Enter a date and time in ISO 8601 form.")
    if kind == "greater_than_equal":
        return _("Ensure this is at least %(ge)s.") % {"ge": ctx.get("ge")}
    if kind == "less_than_equal":
        return _("Ensure this is at most %(le)s.") % {"le": ctx.get("le")}
    return _("Enter a valid value.")


def field_errors(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Ninja's list of pydantic errors → {field: [messages]}."""
    out: dict[str, list[str]] = {}
    for error in errors:
        messages = out.setdefault(_field(error.get("loc", ())), [])
        message = _message(error)
        if message not in messages:
            messages.append(message)
    return out


def install(api: NinjaAPI) -> None:
    """Register the handlers on the API (they replace Ninja's defaults)."""

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
        # NotFound subclasses Http404; the message never says whose row it was.
        return api.create_response(request, {"detail": _("Not found.")}, status=404)

    @api.exception_handler(ValidationFailed)
    def validation_failed(request: HttpRequest, exc: ValidationFailed) -> HttpResponse:
        return api.create_response(request, {"detail": exc.errors}, status=422)

    @api.exception_handler(ValidationError)
    def invalid_input(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return api.create_response(request, {"detail": field_errors(exc.errors)}, status=422)

    @api.exception_handler(PermissionDenied)
    def permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return api.create_response(request, {"detail": _("You may not do this.")}, status=403)

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if isinstance(exc, AuthenticationError) or exc.status_code == 401:
            response = api.create_response(
                request,
                {"detail": _("Send a valid API token: 'Authorization: Bearer <token>'.")},
                status=401,
            )
            response["WWW-Authenticate"] = 'Bearer realm="api"'
            return response
        if exc.status_code == 400:
            detail = _("The request body is not valid JSON.")
        elif exc.status_code == 403:
            detail = _("You may not do this.")
        else:
            detail = str(exc)
        return api.create_response(request, {"detail": detail}, status=exc.status_code)

    # Anything else is a bug: a JSON 500 whatever DEBUG says, never a traceback (logged).
    from parley.core.errorpages import api_server_error

    @api.exception_handler(Exception)
    def server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
        return api_server_error(request, exc)
