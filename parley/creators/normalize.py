"""Canonical forms of identities, so an inbound address finds its creator.

What a value of each kind may look like is one pattern per kind (below); the service checks
values with it and the API schema states it, so the two cannot disagree. A value may have
spaces around it (they are stripped). Bidirectional controls are removed before the check
(core.bidi); the patterns allow them around a value, not inside one, so the schema is a
little stricter than the service there.
"""

import re
import unicodedata

import phonenumbers
from django.utils.translation import gettext as _

from parley.core.bidi import bidi_strip
from parley.core.errors import ValidationFailed
from parley.core.text import BIDI, SPACE, matches
from parley.creators.models import Identity

_WS = f"[{SPACE}{BIDI}]*"
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
# A plain address: dot-atom local part, a domain of labels and a letters-only top level.
EMAIL_PATTERN = rf"^{_WS}{_ATOM}(\.{_ATOM})*@({_LABEL}\.)+[A-Za-z]{{2,63}}{_WS}$"
# International form: "+" or "00", then 7 to 15 digits; spaces, dots, dashes and
# parentheses may separate them.
PHONE_PATTERN = rf"^{_WS}(\+|00)[ ().-]*([0-9][ ().-]*){{7,15}}{_WS}$"
# A social handle, with or without its "@": at most MAX_HANDLE characters.
MAX_HANDLE = 64
HANDLE_PATTERN = rf"^{_WS}@?{_WS}[A-Za-z0-9._-]{{1,{MAX_HANDLE}}}{_WS}$"
# Anything that is not empty once a leading "@" and spaces are taken off.
OTHER_PATTERN = rf"^{_WS}(@{_WS}[^\x00{SPACE}{BIDI}]|[^\x00@{SPACE}{BIDI}])[^\x00]*$"
# A profile link: http(s), a host name, then anything without spaces or control characters.
URL_PATTERN = rf"^{_WS}(https?://[A-Za-z0-9.-]+(:[0-9]{{1,5}})?([/?#][^\x00-\x20\x7f]*)?)?{_WS}$"

PATTERNS: dict[str, str] = {
    Identity.Kind.EMAIL: EMAIL_PATTERN,
    Identity.Kind.PHONE: PHONE_PATTERN,
    Identity.Kind.INSTAGRAM: HANDLE_PATTERN,
    Identity.Kind.TIKTOK: HANDLE_PATTERN,
    Identity.Kind.YOUTUBE: HANDLE_PATTERN,
    Identity.Kind.TWITTER: HANDLE_PATTERN,
    Identity.Kind.OTHER: OTHER_PATTERN,
}
MAX_VALUE = 254
MAX_URL = 200

_PHONE_KEEP = re.compile(r"[^0-9+]")


def invalid_message(kind: str) -> str:
    """What to say about a value that does not match its kind's pattern."""
    if kind == Identity.Kind.EMAIL:
        return _("Enter a valid email address.")
    if kind == Identity.Kind.PHONE:
        return _("Enter the phone number in international form, e.g. +358401234567.")
    if kind == Identity.Kind.OTHER:
        return _("This field is required.")
    return _("Enter a handle without spaces, e.g. @jane.doe.")


_HANDLE_CHARS = re.compile(r"[A-Za-z0-9._-]+")


def invalid_messages(kind: str, value: str) -> list[str]:
    """What is wrong with a value that does not match its kind's pattern. A handle that is
    too long is told so (a long handle has no spaces to remove); when its characters are
    wrong too, both are said."""
    if kind in (Identity.Kind.EMAIL, Identity.Kind.PHONE, Identity.Kind.OTHER):
        return [invalid_message(kind)]
    handle = value.strip().removeprefix("@").strip()
    if len(handle) <= MAX_HANDLE:
        return [invalid_message(kind)]
    too_long = _("A handle is at most %(n)d characters.") % {"n": MAX_HANDLE}
    return [too_long] if _HANDLE_CHARS.fullmatch(handle) else [too_long, invalid_message(kind)]


# (Kind.values builds a new list on every call: the import normalises 10,000s a second.)
_KINDS = frozenset(Identity.Kind.values)
_COMPILED = {kind: re.compile(pattern) for kind, pattern in PATTERNS.items()}


def identity_normalize(kind: str, value: str) -> str:
    value = bidi_strip(value)  # no bidirectional controls in a handle (core.bidi)
    if kind not in _KINDS:
        raise ValidationFailed({"kind": [_("Unknown identity kind.")]})
    handle_like = kind not in (Identity.Kind.EMAIL, Identity.Kind.PHONE)
    if not value.strip() or (handle_like and not value.strip().removeprefix("@").strip()):
        raise ValidationFailed({"value": [_("This field is required.")]})
    if _COMPILED[kind].fullmatch(value) is None:  # core.text.matches, precompiled
        raise ValidationFailed({"value": invalid_messages(kind, value)})
    value = value.strip()
    if kind == Identity.Kind.EMAIL:
        return value.lower()
    if kind == Identity.Kind.PHONE:
        digits = _PHONE_KEEP.sub("", value)
        return "+" + digits[2:] if digits.startswith("00") else digits
    return value.removeprefix("@").strip().lower()


PROFILE_URLS = {
    Identity.Kind.INSTAGRAM: "https://www.instagram.com/{}/",
    Identity.Kind.TIKTOK: "https://www.tiktok.com/@{}",
    Identity.Kind.YOUTUBE: "https://www.youtube.com/@{}",
    Identity.Kind.TWITTER: "https://x.com/{}",
}


def profile_url(kind: str, normalized: str, url: str = "") -> str:
    if url:
        if not matches(URL_PATTERN, url):
            raise ValidationFailed({"url": [_("Enter a valid http(s) URL.")]})
        return url.strip()
    template = PROFILE_URLS.get(kind)  # type: ignore[call-overload]
    return template.format(normalized) if template else ""


def phone_e164(value: str, region: str = "") -> str:
    """A phone number in E.164 (`+358401234567`), read with Google's libphonenumber: in
    international form (`+` or `00`), or national when `region` (ISO 3166 alpha-2, e.g.
    "FI") says which country. ValidationFailed when it is no valid number there. Its digits
    are what identity_normalize keeps of the same number written internationally."""
    text = bidi_strip(value).strip()
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region.upper() or None)
    except phonenumbers.NumberParseException as exc:
        raise ValidationFailed({"value": [invalid_message(Identity.Kind.PHONE)]}) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValidationFailed(
            {"value": [_("%(number)s is not a valid phone number.") % {"number": text[:40]}]}
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# Letters that Unicode does not decompose into a base letter and a mark, and their plain
# Latin spelling.
_FOLDED = str.maketrans(
    {
        "ß": "ss",
        "ø": "o",
        "æ": "ae",
        "œ": "oe",
        "ł": "l",
        "đ": "d",
        "ð": "d",
        "þ": "th",
        "\u0131": "i",
    }
)


def search_fold(text: str) -> str:
    """Lower-case `text` without its diacritics ("Mäkinen" → "makinen", "Weiß" → "weiss"),
    as people type a name they have only seen written."""
    decomposed = unicodedata.normalize("NFKD", text.lower().translate(_FOLDED))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def search_text(name: str, normalized: list[str]) -> str:
    """A creator's search text: their name in lower case, and without its diacritics when
    that differs (so "makinen" finds "Mäkinen", and "mäkinen" still does), then their
    identities' normalized values."""
    lower = name.lower()
    folded = search_fold(name)
    parts = [lower, folded if folded != lower else "", *normalized]
    return " ".join(p.lower() for p in parts if p)
