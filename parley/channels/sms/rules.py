"""What an SMS may be, checked the same way by the message box, a bulk SMS and the API: its
length in segments (a hard cap, PARLEY_SMS_MAX_SEGMENTS) and Twilio's 1,600 characters, and
a recipient number that is a valid number in E.164 (read with Google's libphonenumber)."""

import phonenumbers
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from parley.channels.sms.segments import SegmentCount, sms_segments

# Twilio refuses a longer body (error 21617).
MAX_CHARACTERS = 1600


def max_segments() -> int:
    return int(getattr(settings, "PARLEY_SMS_MAX_SEGMENTS", 10))


def segments_text(count: SegmentCount) -> str:
    """ "2 segments · GSM-7 · 190 of 306" as the message box shows it."""
    segments = ngettext("%(n)d segment", "%(n)d segments", count.segments) % {"n": count.segments}
    return _("%(segments)s · %(encoding)s · %(used)d of %(room)d") % {
        "segments": segments,
        "encoding": count.encoding,
        "used": count.units,
        "room": max(count.segments, 1) * count.per_segment,
    }


def body_problem(text: str) -> str:
    """Why this text cannot go as one SMS ("" when it can)."""
    if not text.strip():
        return _("Write a message first.")
    count = sms_segments(text)
    cap = max_segments()
    if count.segments > cap:
        return ngettext(
            "This is %(n)d segments in %(encoding)s; an SMS is at most %(cap)d segment. "
            "Shorten it.",
            "This is %(n)d segments in %(encoding)s; an SMS is at most %(cap)d segments. "
            "Shorten it.",
            cap,
        ) % {"n": count.segments, "encoding": count.encoding, "cap": cap}
    if len(text) > MAX_CHARACTERS:
        return _("An SMS is at most 1,600 characters.")
    return ""


def phone_valid(phone: str) -> bool:
    """Whether a stored phone (E.164) is a number an SMS can be addressed to."""
    if not phone.startswith("+"):
        return False
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.is_valid_number(number) and (
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == phone
    )
