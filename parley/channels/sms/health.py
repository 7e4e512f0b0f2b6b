"""Writes about the SMS channel's state: its health (Twilio refused the login, the last error
of an account or a number) and opt-outs."""

from datetime import datetime

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from parley.accounts.models import Member
from parley.channels.sms.models import SmsNumber, SmsOptOut, TwilioAccount
from parley.inbox.events import Said, said
from parley.inbox.models import Notification
from parley.inbox.services import notify


def _notify_admins(*, account: TwilioAccount, text: Said, at: datetime) -> None:
    recipients = set(
        Member.objects.filter(
            workspace_id=account.workspace_id, role__in=[Member.Role.OWNER, Member.Role.ADMIN]
        ).values_list("id", flat=True)
    )
    if account.connected_by_id:
        recipients.add(account.connected_by_id)
    notify(
        workspace_id=account.workspace_id,
        member_ids=sorted(recipients),
        kind=Notification.Kind.REAUTH,
        text=text,
        at=at,
    )


def account_mark_reauth(*, account: TwilioAccount, reason: str) -> None:
    """Twilio refused the credentials: sending waits (nothing queued is lost) until they are
    connected again; the admins hear of it once per incident."""
    now = timezone.now()
    with transaction.atomic():
        flipped = TwilioAccount.objects.filter(id=account.id, needs_reauth=False).update(
            needs_reauth=True, last_error=reason[:500], last_error_at=now
        )
        account.needs_reauth, account.last_error, account.last_error_at = True, reason[:500], now
        if flipped:
            _notify_admins(
                account=account,
                text=said(
                    gettext_noop(
                        "Twilio refused Parley's login: SMS sending waits until it is reconnected."
                    )
                ),
                at=now,
            )


def account_mark_error(*, account: TwilioAccount, error: str) -> None:
    now = timezone.now()
    TwilioAccount.objects.filter(id=account.id).update(last_error=error[:500], last_error_at=now)
    account.last_error, account.last_error_at = error[:500], now


def number_mark_error(*, number_id: int, error: str) -> None:
    SmsNumber.objects.filter(id=number_id).update(
        last_error=error.replace("\x00", "")[:500], last_error_at=timezone.now()
    )


# --- Opt-out --------------------------------------------------------------------------------


def opt_out_set(
    *, workspace_id: int, phone: str, opted_out: bool, keyword: str, at: datetime | None = None
) -> SmsOptOut:
    """Record that a number opted out (STOP, or Twilio's 21610) or back in (START)."""
    at = at or timezone.now()
    fields = {"opted_out": opted_out, "keyword": keyword[:20], "changed_at": at}
    for _attempt in range(2):
        try:
            with transaction.atomic():
                row, _created = SmsOptOut.objects.update_or_create(
                    workspace_id=workspace_id, phone=phone, defaults=fields
                )
                return row
        except IntegrityError:  # made by a concurrent webhook a moment ago: update it
            continue
    raise RuntimeError("opt-out could not be recorded")
