"""A bulk SMS, as the mass-message check and writer see it: who cannot be texted (no phone, a
number that is no valid one, an opt-out) and how many segments each recipient's own text
takes (the personal fields make them differ), against the cap."""

from collections.abc import Iterable

from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from parley.channels.sms.models import SmsOptOut
from parley.channels.sms.rules import max_segments, phone_valid
from parley.channels.sms.selectors import opt_outs_many

CHUNK = 2000


def opt_outs_for(*, workspace_id: int, phones: Iterable[str]) -> dict[str, SmsOptOut]:
    """phone → its opt-out, for those of many phones that are opted out (a query a chunk)."""
    wanted = sorted({p for p in phones if p})
    found: dict[str, SmsOptOut] = {}
    for first in range(0, len(wanted), CHUNK):
        found.update(opt_outs_many(workspace_id=workspace_id, phones=wanted[first : first + CHUNK]))
    return found


def skip_reason(phone: str, opt_outs: dict[str, SmsOptOut]) -> str:
    """Why this recipient gets no SMS ("" when they do)."""
    if not phone:
        return _("No phone number")
    if not phone_valid(phone):
        return _("%(phone)s is not a valid phone number") % {"phone": phone}
    opt_out = opt_outs.get(phone)
    if opt_out is not None:
        when = formats.date_format(timezone.localtime(opt_out.changed_at), "DATE_FORMAT")
        return _("Opted out of SMS (%(word)s on %(when)s)") % {
            "word": opt_out.keyword,
            "when": when,
        }
    return ""


def segments_problem(too_long: list[tuple[str, int]]) -> str:
    """The check's problem when some recipients' texts are over the cap ("" when none)."""
    if not too_long:
        return ""
    cap = max_segments()
    shown = "; ".join(f"{name} ({n})" for name, n in too_long[:5])
    return ngettext(
        "Over %(cap)d segments for %(n)d recipient: %(which)s. Shorten the message.",
        "Over %(cap)d segments for %(n)d recipients: %(which)s. Shorten the message.",
        len(too_long),
    ) % {"cap": cap, "n": len(too_long), "which": shown}
