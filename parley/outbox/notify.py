"""What the outbox tells people: a send failed, its outcome is unknown, a sender is paused."""

from datetime import datetime

from django.utils import formats, timezone
from django.utils.translation import gettext_noop

from parley.accounts.models import Member
from parley.channels.base import SenderPolicy
from parley.inbox.events import said
from parley.inbox.models import Message, Notification
from parley.inbox.services import notify


def notify_send_failed(message: Message) -> None:
    _to_author(message, Notification.Kind.SEND_FAILED, gettext_noop("Send failed: %(reason)s"))


def notify_outcome_unknown(message: Message) -> None:
    _to_author(
        message,
        Notification.Kind.SEND_FAILED,
        gettext_noop("Sending was interrupted; check it and retry or mark as sent: %(reason)s"),
    )


def _to_author(message: Message, kind: str, text: str) -> None:
    """`text`: the catalogue's words, with the message's reason put in when shown."""
    if message.author_member_id is None:
        return
    notify(
        workspace_id=message.workspace_id,
        member_ids=[message.author_member_id],
        kind=kind,
        conversation_id=message.conversation_id,
        text=said(text, reason=message.status_reason[:200]),
    )


def notify_paused(*, workspace_id: int, policy: SenderPolicy, until: datetime, reason: str) -> None:
    """Every owner and admin hears that a sender is paused until its next day."""
    when = formats.date_format(timezone.localtime(until), "DATETIME_FORMAT")
    text = said(
        gettext_noop("%(sender)s is paused until %(when)s: %(reason)s. Nothing is lost."),
        sender=policy.label,
        when=when,
        reason=reason[:120],
    )
    admins = Member.objects.filter(
        workspace_id=workspace_id, role__in=[Member.Role.OWNER, Member.Role.ADMIN]
    ).values_list("id", flat=True)
    notify(
        workspace_id=workspace_id,
        member_ids=list(admins),
        kind=Notification.Kind.LIMIT,
        text=text,
    )
