"""What Twilio's error codes mean, in words a team member can act on.

The codes a message can come back with (from the API when it is created, or from a status
callback when it was not delivered); any other code is shown with its number and a link
to Twilio's page for it (https://www.twilio.com/docs/errors/<code>).
"""

from django.utils.translation import gettext_lazy as _

# Opted out at the carrier or at Twilio: the recipient replied STOP to this sender.
OPTED_OUT = 21610
AUTHENTICATION = 20003
TOO_MANY_REQUESTS = 20429

MEANINGS = {
    AUTHENTICATION: _("Twilio refused the credentials (wrong Account SID, token or key)."),
    TOO_MANY_REQUESTS: _("Too many requests to Twilio at once; Parley tries again."),
    21211: _("The 'To' number is not a valid phone number."),
    21408: _("Sending to this country is not enabled on the Twilio account."),
    21602: _("The message is empty."),
    21606: _("The 'From' number cannot send SMS to this destination."),
    21608: _("A trial account can only send to verified numbers."),
    OPTED_OUT: _("The recipient has opted out (replied STOP) and cannot be texted."),
    21612: _("The 'To' number cannot be reached by SMS from this number."),
    21614: _("The 'To' number is not a mobile number."),
    21617: _("The message is longer than Twilio's 1,600 characters."),
    30001: _("Twilio's queue for this number overflowed: sent too fast for too long."),
    30002: _("The Twilio account is suspended."),
    30003: _("Unreachable handset: the phone is off or out of coverage."),
    30004: _("Message blocked by the recipient or their carrier."),
    30005: _("Unknown handset: the number does not exist or is no longer in service."),
    30006: _("Landline or unreachable carrier: the number cannot take SMS."),
    30007: _("Filtered by the carrier as spam or for its content."),
    30008: _("Unknown error from the carrier."),
    30009: _("A part of the message went missing on the way."),
    30010: _("The message costs more than the maximum price set for it."),
    30034: _("The sending number is not registered for A2P 10DLC (US) messaging."),
}


def error_text(code: int | None, fallback: str = "") -> str:
    """ "Twilio error 30003: Unreachable handset: …" (or the fallback's words)."""
    if code is None:
        return fallback or str(_("Twilio gave no reason."))
    known = MEANINGS.get(code)
    meaning = str(known) if known is not None else fallback
    if not meaning:
        meaning = str(_("See https://www.twilio.com/docs/errors/%(code)d.") % {"code": code})
    return str(_("Twilio error %(code)d: %(meaning)s") % {"code": code, "meaning": meaning})
