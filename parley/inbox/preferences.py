"""Reads of a member's notification preferences (the writes are in inbox.services)."""

from dataclasses import dataclass

from parley.accounts.models import Member
from parley.inbox.models import Notification, NotificationPreference
from parley.inbox.services import NOTIFY_DEFAULTS


@dataclass(frozen=True)
class Preference:
    kind: str
    label: str
    in_app: bool
    email: bool


def notification_preferences(*, member: Member) -> list[Preference]:
    """Every kind of notification with how the member hears of it (the default where they
    chose nothing), in the order of Notification.Kind."""
    chosen = {
        p.kind: (p.in_app, p.email) for p in NotificationPreference.objects.filter(member=member)
    }
    return [
        Preference(kind, str(label), *chosen.get(kind, NOTIFY_DEFAULTS[kind]))
        for kind, label in Notification.Kind.choices
    ]
