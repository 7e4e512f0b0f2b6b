"""Opaque keyset cursors: a list of JSON values, base64-encoded, tamper-evident by shape only."""

import base64
import json
from datetime import UTC, datetime
from typing import Any

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from parley.core.errors import ValidationFailed
from parley.core.text import MAX_ID, has_nul

# A cursor holds a name (at most 160 characters, JSON-escaped), a time and an id or two.
MAX_LENGTH = 2000


def encode(values: list[Any]) -> str:
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _sane(value: Any) -> bool:
    """A value the database can compare with: no NUL, no integer beyond 64 bits."""
    if isinstance(value, bool) or value is None:
        return True
    if isinstance(value, int):
        return -MAX_ID - 1 <= value <= MAX_ID
    if isinstance(value, str):
        return not has_nul(value)
    return isinstance(value, float)


def decode(cursor: str, *, length: int) -> list[Any]:
    invalid = ValidationFailed({"cursor": [_("Invalid cursor.")]})
    if len(cursor) > MAX_LENGTH:
        raise invalid
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise invalid from exc
    if not isinstance(values, list) or len(values) != length:
        raise invalid
    if not all(_sane(v) for v in values):
        raise invalid
    return values


def decode_datetime(raw: Any) -> datetime | None:
    """A time from a cursor, or None when it is not one the database can take: malformed,
    without a time zone, or so near year 1 or 9999 that it has no UTC equivalent."""
    try:
        parsed = parse_datetime(str(raw))
        if parsed is None or parsed.tzinfo is None:
            return None
        parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    return parsed
