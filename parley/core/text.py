"""Rules for ids and text from outside, in one place: the services, the page views and the
API schema (which states them in OpenAPI) all use these.

Patterns are written in the common subset of Python's `re`, Rust's `regex` (pydantic) and
ECMA-262 (OpenAPI clients): explicit ASCII classes and `\\xNN`/`\\uNNNN` escapes only, no
`\\s`, `\\d` or `\\w`, whose meaning differs between them.
"""

import re

from django.template.defaultfilters import filesizeformat
from django.utils import formats

# Database ids are signed 64-bit integers (BigAutoField on SQLite and PostgreSQL); a larger
# number is not an id, and the database drivers raise OverflowError on it.
MAX_ID = 2**63 - 1

# Exactly the characters `str.strip()` removes (`str.isspace()`), so a pattern can say what
# a service that strips its input accepts.
SPACE = r"\t\n\x0b\x0c\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# The bidirectional controls that names and identities lose (core.bidi.BIDI_CONTROLS).
BIDI = r"\u202a-\u202e\u2066-\u2069"
# Any text without a NUL character (PostgreSQL cannot store one).
NUL_FREE = r"^[^\x00]*$"
# Text without NUL that is not empty once stripped of spaces and bidirectional controls.
NON_BLANK = rf"^[^\x00]*[^\x00{SPACE}{BIDI}][^\x00]*$"


def has_nul(value: str) -> bool:
    return "\x00" in value


def matches(pattern: str, value: str) -> bool:
    """Whether the whole of `value` matches `pattern` (as JSON Schema's anchored patterns)."""
    return re.fullmatch(pattern, value) is not None


def id_or_none(value: object) -> int | None:
    """`value` as a database id (1 to MAX_ID), or None for anything else: text that is not a
    plain decimal number, zero, negative or too large."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.isascii() and value.strip().isdigit():
        digits = value.strip()
        if len(digits) > 19:  # also keeps int() away from huge strings
            return None
        number = int(digits)
    else:
        return None
    return number if 1 <= number <= MAX_ID else None


# One line of text without NUL: what an email header takes (a subject, a sender's name).
ONE_LINE = r"^[^\x00\r\n]*$"
# A mail server: a host name (letters, digits and hyphens in dot-separated labels; a final
# dot allowed), an IPv4 address (it has that form too) or an IPv6 address.
_HOST_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
HOST_NAME = rf"^({_HOST_LABEL}(\.{_HOST_LABEL})*\.?|[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*)$"
# Standard base64 (RFC 4648 section 4) with its padding, no line breaks.
BASE64 = r"^([A-Za-z0-9+/]{4})*([A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$"
# A media type without parameters: `application/pdf`, `image/svg+xml`.
_TOKEN = r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}"
MEDIA_TYPE = rf"^{_TOKEN}/{_TOKEN}$"
# Printable ASCII only: what an SMTP or IMAP login can carry (smtplib and imaplib send ASCII).
PRINTABLE_ASCII = r"^[\x20-\x7e]*$"


def megabytes(size: int) -> str:
    """A size in megabytes of a million bytes, as the settings give limits (100 MB, not the
    95.4 MB of binary units), in the active language's number format; under a megabyte, as
    Django's filesizeformat says it."""
    if size < 1_000_000:
        return str(filesizeformat(size))
    mb = size / 1_000_000
    places = 0 if mb >= 10 or mb == int(mb) else 1
    return f"{formats.number_format(mb, places)} MB"
