"""Errors as JSON: one shape for every failure the API reports.

- NotFound (a missing row, or another workspace's), or a path that is no route → 404
  `{"detail": "Not found."}`
- ValidationFailed from a service, and malformed parameters or bodies that the schemas
  reject → 422 `{"detail": {field: [messages]}}`; a field inside a list is `items.0.name`.
- Conflict from a service (a name or address that is taken) → 409, the same shape.
- A body that is not JSON (or too large) → 400 `{"detail": "..."}`.
- No or a bad token → 401 with `WWW-Authenticate: Bearer`.
- A method the path does not have → 405 `{"detail": "..."}` with `Allow`.

`document()` writes the statuses every operation can answer into the OpenAPI schema (401
everywhere, 422 where there are parameters or a body, 400 where there is a body); the
routers declare their own 404 and 409. Messages go through gettext; pydantic's own
(English-only) messages are replaced.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    JsonResponse,
)
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from parley.accounts.services import MEMBER_EMAIL_PATTERN
from parley.api.parser import BodyRejected
from parley.channels.email.models import Mailbox
from parley.core.errors import Conflict, PermissionDenied, ValidationFailed
from parley.core.text import BASE64, HOST_NAME, MEDIA_TYPE, NON_BLANK, ONE_LINE, PRINTABLE_ASCII
from parley.creators import normalize
from parley.creators.models import Identity

# Names of the operation parameters that hold a whole schema; they are not field names.
SCHEMA_PARAMS = {"payload", "params"}


# What pydantic puts in an error's location for a union: the member's tag (an identity's
# kind, a message's channel, a mailbox's access) or type name (a custom field's value:
# text, true/false, a number). No input field has such a name, so they are left out of the
# field name.
_UNION_TAGS = set(Identity.Kind.values) | set(Mailbox.Access.values) | {"inapp", "email", "sms"}
_UNION_TYPES = {"str", "constrained-str", "bool", "int", "float", "none"}


def _field(loc: tuple[Any, ...] | list[Any]) -> tuple[str, bool]:
    """The field name of an error's location, and whether it was one member of a union."""
    parts = list(loc[1:])  # loc[0] is the source: body, query, path
    if parts and parts[0] in SCHEMA_PARAMS:
        parts = parts[1:]
    names: list[str] = []
    union = False
    for i, part in enumerate(parts):
        if part == "[key]":  # the key itself is wrong: name the object, not the key
            if names:
                names.pop()
        elif isinstance(part, str) and (
            part in _UNION_TYPES or part.startswith("function-") or "[" in part
        ):
            union = True
        elif isinstance(part, str) and part in _UNION_TAGS and i < len(parts) - 1:
            # a member's tag is followed by the member's field; last, it is a field of that
            # name (a teammate's `email`)
            pass
        else:
            names.append(str(part))
    return ".".join(names) or "__all__", union


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
        if n == 1:
            return _("This field cannot be blank.")
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
    if kind == "union_tag_invalid":
        return _("Choose one of: %(choices)s.") % {"choices": ctx.get("expected_tags", "")}
    if kind == "union_tag_not_found":
        return _("Give the %(field)s.") % {"field": _discriminator(error)}
    if kind == "extra_forbidden":
        return _("Unknown field.")
    if kind == "string_pattern_mismatch":
        if ctx.get("nul"):  # set by ParleyApi: the text held a NUL
            return _("Remove the NUL character (\\0) from the text.")
        pattern = ctx.get("pattern")
        if pattern == NON_BLANK:
            return _("This field cannot be blank.")
        if pattern == ONE_LINE:
            return _("Remove the line breaks: this goes in an email header.")
        if pattern == HOST_NAME:
            return _("Enter a server's host name or IP address, e.g. smtp.example.com.")
        if pattern == PRINTABLE_ASCII:
            return _("Use only ASCII letters, digits, punctuation and spaces.")
        if pattern == BASE64:
            return _("Enter the file as base64 (with its = padding, without line breaks).")
        if pattern == MEDIA_TYPE:
            return _("Enter a media type, e.g. application/pdf.")
        if pattern == normalize.URL_PATTERN:
            return _("Enter a valid http(s) URL.")
        if pattern == MEMBER_EMAIL_PATTERN:
            return _("Enter a valid email address.")
        for identity_kind, kind_pattern in normalize.PATTERNS.items():
            if pattern == kind_pattern:
                # A long handle is told its length (it has no spaces to remove).
                text = str(ctx.get("text", ""))
                return " ".join(normalize.invalid_messages(identity_kind, text))
        return _("Enter a valid value.")
    if kind == "timezone_aware":
        return _("Include a time zone, e.g. 2030-05-01T09:00:00+02:00.")
    if kind.startswith("datetime") or kind.startswith("date_"):
        return _("Enter a date and time in ISO 8601 form.")
    if kind == "greater_than_equal":
        return _("Ensure this is at least %(ge)s.") % {"ge": ctx.get("ge")}
    if kind == "less_than_equal":
        return _("Ensure this is at most %(le)s.") % {"le": ctx.get("le")}
    return _("Enter a valid value.")


def _discriminator(error: dict[str, Any]) -> str:
    """The field a union is told apart by (pydantic quotes it: `'kind'`)."""
    return str((error.get("ctx") or {}).get("discriminator", "")).strip("'")


def field_errors(errors: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Ninja's list of pydantic errors → {field: [messages]}."""
    out: dict[str, list[str]] = {}
    union_fields: dict[str, list[str]] = {}
    for error in errors:
        field, union = _field(error.get("loc", ()))
        if error.get("type") in ("union_tag_invalid", "union_tag_not_found"):
            tag = _discriminator(error)
            field = tag if field == "__all__" else f"{field}.{tag}"
        message = _message(error)
        if union and error.get("type", "").endswith(("_type", "_parsing")):
            # Every member of the union said "not my type": one message for them all.
            union_fields.setdefault(field, [])
            continue
        messages = out.setdefault(field, [])
        if message not in messages:
            messages.append(message)
    for field in union_fields:
        if field not in out:
            out[field] = [_("Enter text, a number, true or false.")]
    return out


def install(api: NinjaAPI) -> None:
    """Register the handlers on the API (they replace Ninja's defaults)."""

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
        # NotFound subclasses Http404; the message never says whose row it was.
        return api.create_response(request, {"detail": _("Not found.")}, status=404)

    @api.exception_handler(Conflict)
    def conflict(request: HttpRequest, exc: Conflict) -> HttpResponse:
        return api.create_response(request, {"detail": exc.errors}, status=409)

    @api.exception_handler(RequestDataTooBig)
    def too_big(request: HttpRequest, exc: Exception) -> HttpResponse:
        return api.create_response(
            request, {"detail": _("The request body is too large.")}, status=400
        )

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
        cause = exc.__cause__
        if isinstance(cause, BodyRejected):
            return api.create_response(request, {"detail": cause.detail}, status=cause.status)
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


ERROR_SCHEMA = {"$ref": "#/components/schemas/ErrorOut"}
FIELD_ERRORS_SCHEMA = {"$ref": "#/components/schemas/FieldErrorsOut"}


def _response(description: str, schema: dict[str, str]) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def document(schema: dict[str, Any]) -> dict[str, Any]:
    """Add the errors every operation can answer to the OpenAPI schema, in place."""
    from parley.api.schemas import ErrorOut, FieldErrorsOut

    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.setdefault("ErrorOut", ErrorOut.model_json_schema())
    components.setdefault("FieldErrorsOut", FieldErrorsOut.model_json_schema())
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            # Ninja keys its responses by int: as strings (what JSON makes of them anyway),
            # so a status added here is never a second "422" key beside Ninja's 422, which
            # Swagger UI refuses as a duplicated key.
            responses = {str(k): v for k, v in operation.get("responses", {}).items()}
            operation["responses"] = responses
            responses.setdefault("401", _response("No token, or not a valid one.", ERROR_SCHEMA))
            if operation.get("requestBody"):
                responses.setdefault(
                    "400", _response("The body is not JSON, or too large.", ERROR_SCHEMA)
                )
            if operation.get("requestBody") or operation.get("parameters"):
                responses.setdefault(
                    "422", _response("Invalid input, by field.", FIELD_ERRORS_SCHEMA)
                )
    return schema


def not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    """Any path under the API that is no route: JSON, not Django's HTML page."""
    return JsonResponse({"detail": _("Not found.")}, status=404)


def json_not_allowed(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Ninja answers a method a path does not have with a plain-text 405; make it JSON."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            response = JsonResponse(
                {"detail": _("This path does not take %(method)s.") % {"method": request.method}},
                status=405,
            )
            response["Allow"] = allowed
        return response

    return wrapped
