"""Canonical forms of identities, so an inbound address finds its creator."""

import re

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.utils.translation import gettext as _

from parley.core.bidi import bidi_strip
from parley.core.errors import ValidationFailed
from parley.creators.models import Identity

_PHONE_KEEP = re.compile(r"[^\d+]")
_HANDLE = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def identity_normalize(kind: str, value: str) -> str:
    value = bidi_strip(value)  # no bidirectional controls in a handle (core.bidi)
    value = value.strip()
    if kind not in Identity.Kind.values:
        raise ValidationFailed({"kind": [_("Unknown identity kind.")]})
    if not value:
        raise ValidationFailed({"value": [_("This field is required.")]})
    if kind == Identity.Kind.EMAIL:
        try:
            validate_email(value)
        except ValidationError as exc:
            raise ValidationFailed({"value": [_("Enter a valid email address.")]}) from exc
        return value.lower()
    if kind == Identity.Kind.PHONE:
        digits = _PHONE_KEEP.sub("", value)
        if digits.startswith("00"):
            digits = "+" + digits[2:]
        if not digits.startswith("+") or not 8 <= len(digits) <= 16 or "+" in digits[1:]:
            raise ValidationFailed(
                {"value": [_("Enter the phone number in international form, e.g. +358401234567.")]}
            )
        return digits
    handle = value.removeprefix("@").strip()
    if not handle:
        raise ValidationFailed({"value": [_("This field is required.")]})
    if kind == Identity.Kind.OTHER:
        return handle.lower()
    if not _HANDLE.match(handle):
        raise ValidationFailed({"value": [_("Enter a handle without spaces, e.g. @jane.doe.")]})
    return handle.lower()


PROFILE_URLS = {
    Identity.Kind.INSTAGRAM: "https://www.instagram.com/{}/",
    Identity.Kind.TIKTOK: "https://www.tiktok.com/@{}",
    Identity.Kind.YOUTUBE: "https://www.youtube.com/@{}",
    Identity.Kind.TWITTER: "https://x.com/{}",
}


def profile_url(kind: str, normalized: str, url: str = "") -> str:
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError as exc:
            raise ValidationFailed({"url": [_("Enter a valid http(s) URL.")]}) from exc
        return url
    template = PROFILE_URLS.get(kind)  # type: ignore[call-overload]
    return template.format(normalized) if template else ""
