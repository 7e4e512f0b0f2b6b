"""The API's request body parser: a JSON object, or an error that says what is wrong.

Ninja's own parser takes any JSON value, and its schemas read a number or a list as an
object with every field left out (`PATCH /campaigns/1` with body `5` changed nothing and
answered 200). Here the body must be a JSON object, and no string in it, key or value, may
hold a NUL character (PostgreSQL cannot store one). Ninja turns any exception raised here
into an HttpError(400) whose cause is that exception; errors.py answers with the status
and message of a BodyRejected cause.
"""

import json
from collections.abc import Callable
from functools import wraps
from io import BytesIO
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from ninja.errors import ValidationError
from ninja.parser import Parser


class BodyRejected(Exception):
    def __init__(self, status: int, detail: str | dict[str, list[str]]):
        self.status = status
        self.detail = detail
        super().__init__(str(detail))


def _nul_path(data: Any) -> str | None:
    """Where the first NUL is (`field`, `items.0.name`), walking without recursion."""
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return path or "__all__"
        elif isinstance(value, dict):
            for key, item in value.items():
                name = f"{path}.{key}" if path else str(key)
                if "\x00" in key:
                    return name.replace("\x00", "\\0")
                stack.append((name, item))
        elif isinstance(value, list):
            stack.extend((f"{path}.{i}" if path else str(i), item) for i, item in enumerate(value))
    return None


class JsonObjectParser(Parser):
    def parse_body(self, request: HttpRequest) -> Any:  # a dict, or None for `null`
        try:
            data = json.loads(request.body)
        except (ValueError, RecursionError) as exc:
            # Not JSON, not UTF-8, nested too deep, or a number too long to read.
            raise BodyRejected(400, _("The request body is not valid JSON.")) from exc
        if data is None:  # `null`: no body, where the body may be left out
            return data
        if not isinstance(data, dict):
            raise BodyRejected(422, {"__all__": [_("Send a JSON object.")]})
        where = _nul_path(data)
        if where is not None:
            raise BodyRejected(422, {where: [_("Remove the NUL character (\\0) from the text.")]})
        return data

    def parse_querydict(
        self, data: MultiValueDict, list_fields: list[str], request: HttpRequest
    ) -> dict[str, Any]:
        # Unknown parameters are ignored, as HTTP clients expect; one without a name
        # (`?=x`) is no parameter at all.
        if "" in data:
            raise ValidationError([{"loc": ("query", ""), "type": "extra_forbidden"}])
        return super().parse_querydict(data, list_fields, request)


def json_body_limit(
    limit: int,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Read a JSON body of up to `limit` bytes.

    Django keeps a request body in memory up to DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB), which
    suits forms: files in a form are streamed to disk and do not count. The API's JSON
    carries an email's attachments as base64, so its bodies may be as large as the
    attachment limit once encoded. This reads such a body the way `HttpRequest.body` does,
    with the API's limit; a larger one is still refused (400, errors.py).
    """

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            try:
                length = int(request.META.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = 0
            form_limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            if (
                form_limit is not None
                and form_limit < length <= limit
                and request.content_type == "application/json"
                and not hasattr(request, "_body")
                and not request._read_started  # type: ignore[attr-defined]
            ):
                request._body = request.read()  # type: ignore[attr-defined]
                request._stream = BytesIO(request._body)  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)

        return wrapped

    return decorate
