"""Opaque keyset cursors: a list of JSON values, base64-encoded, tamper-evident by shape only."""

import base64
import json
from typing import Any

from django.utils.translation import gettext as _

from parley.core.errors import ValidationFailed


def encode(values: list[Any]) -> str:
    raw = json.dumps(values, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str, *, length: int) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed({"cursor": [_("Invalid cursor.")]}) from exc
    if not isinstance(values, list) or len(values) != length:
        raise ValidationFailed({"cursor": [_("Invalid cursor.")]})
    return values
