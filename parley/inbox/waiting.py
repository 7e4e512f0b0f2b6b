"""Conversations waiting for our reply longer than the goal (PARLEY_AWAITING_REPLY_HOURS,
24 h): the inbox row and the thread mark them, in the same words."""

from datetime import datetime, timedelta

from django.conf import settings
from django.utils.translation import gettext as _


def waiting_cutoff(now: datetime) -> datetime:
    return now - timedelta(hours=int(settings.PARLEY_AWAITING_REPLY_HOURS))


def waiting_text(since: datetime | None, now: datetime) -> str:
    """ "Waiting 26 h" or "Waiting 3 d" when the creator has waited past the goal, else ""."""
    if since is None or since >= waiting_cutoff(now):
        return ""
    hours = int((now - since).total_seconds() // 3600)
    if hours < 48:
        return _("Waiting %(n)d h") % {"n": hours}
    return _("Waiting %(n)d d") % {"n": hours // 24}
