"""Reads of the SMS channel, always scoped to a workspace (the webhooks find their account by
the key in their URL, then read only that account's workspace)."""

from collections.abc import Iterable

from django.db.models import Q

from parley.accounts.models import Workspace
from parley.channels.sms.models import SmsNumber, SmsOptOut, SmsRecord, TwilioAccount
from parley.core.errors import NotFound
from parley.creators.models import Creator, Identity
from parley.inbox.models import Message


def account_active(*, workspace: Workspace | int) -> TwilioAccount | None:
    workspace_id = workspace if isinstance(workspace, int) else workspace.id
    return (
        TwilioAccount.objects.filter(workspace_id=workspace_id, is_active=True)
        .select_related("connected_by__user")
        .first()
    )


def account_get(*, workspace: Workspace) -> TwilioAccount:
    """The workspace's connected account; NotFound when none is connected."""
    account = account_active(workspace=workspace)
    if account is None:
        raise NotFound
    return account


def account_by_webhook_key(*, key: str) -> TwilioAccount | None:
    """The active account a webhook URL names (for the webhooks only: they carry no login)."""
    if not key or len(key) > 64:
        return None
    return (
        TwilioAccount.objects.filter(webhook_key=key, is_active=True)
        .select_related("workspace")
        .first()
    )


def number_list(*, workspace: Workspace | int) -> list[SmsNumber]:
    workspace_id = workspace if isinstance(workspace, int) else workspace.id
    return list(
        SmsNumber.objects.filter(workspace_id=workspace_id, is_active=True).order_by(
            "-is_default", "kind", "phone_number", "id"
        )
    )


def number_get(*, workspace: Workspace, id: int) -> SmsNumber:
    number = (
        SmsNumber.objects.filter(workspace=workspace, id=id, is_active=True)
        .select_related("account")
        .first()
    )
    if number is None:
        raise NotFound
    return number


def number_default(*, workspace: Workspace | int) -> SmsNumber | None:
    workspace_id = workspace if isinstance(workspace, int) else workspace.id
    return (
        SmsNumber.objects.filter(workspace_id=workspace_id, is_active=True)
        .select_related("account")
        .order_by("-is_default", "id")
        .first()
    )


def number_for_inbound(*, account: TwilioAccount, to: str, service_sid: str) -> SmsNumber | None:
    """The sender an inbound SMS was sent to: its Messaging Service, or its number."""
    numbers = SmsNumber.objects.filter(account=account, is_active=True)
    if service_sid:
        found = numbers.filter(kind=SmsNumber.Kind.SERVICE, twilio_sid=service_sid).first()
        if found is not None:
            return found
    return numbers.filter(phone_number=to).first() if to else None


def phone_identity(*, workspace_id: int, phone: str) -> Identity | None:
    """The identity a phone number belongs to (the unique index on workspace, kind and
    normalized value: one index lookup)."""
    return (
        Identity.objects.filter(
            workspace_id=workspace_id, kind=Identity.Kind.PHONE, normalized=phone
        )
        .select_related("creator")
        .first()
    )


def creator_phone(*, creator: Creator) -> Identity | None:
    """The phone an SMS to the creator goes to: the primary phone identity, else the first."""
    return (
        Identity.objects.filter(creator=creator, kind=Identity.Kind.PHONE)
        .order_by("-is_primary", "id")
        .first()
    )


def opted_out(*, workspace_id: int, phone: str) -> SmsOptOut | None:
    """The opt-out of a number, when it is opted out now."""
    return SmsOptOut.objects.filter(workspace_id=workspace_id, phone=phone, opted_out=True).first()


def opt_outs_many(*, workspace_id: int, phones: Iterable[str]) -> dict[str, SmsOptOut]:
    """phone → its opt-out, for those of `phones` that are opted out (one query)."""
    wanted = [p for p in set(phones) if p]
    if not wanted:
        return {}
    rows = SmsOptOut.objects.filter(workspace_id=workspace_id, phone__in=wanted, opted_out=True)
    return {row.phone: row for row in rows}


def record_of(*, message: Message) -> SmsRecord | None:
    return SmsRecord.objects.filter(message=message).select_related("number__account").first()


def record_by_sid(*, workspace_id: int, sid: str) -> SmsRecord | None:
    if not sid:
        return None
    return (
        SmsRecord.objects.filter(workspace_id=workspace_id, message_sid=sid)
        .select_related("message", "number")
        .first()
    )


def record_outbound(*, workspace_id: int, message_id: int) -> SmsRecord | None:
    return (
        SmsRecord.objects.filter(
            workspace_id=workspace_id,
            message_id=message_id,
            direction=SmsRecord.Direction.OUTBOUND,
        )
        .select_related("message", "number")
        .first()
    )


def numbers_for_banner(*, workspace: Workspace) -> TwilioAccount | None:
    """The account when the whole team must hear about it (Twilio refused its login)."""
    return TwilioAccount.objects.filter(
        workspace=workspace, is_active=True, needs_reauth=True
    ).first()


def phones_of(*, creator_ids: Iterable[int]) -> dict[int, str]:
    """creator id → the phone an SMS goes to (primary first), for many creators."""
    out: dict[int, str] = {}
    rows = (
        Identity.objects.filter(creator_id__in=list(creator_ids), kind=Identity.Kind.PHONE)
        .order_by("creator_id", "-is_primary", "id")
        .values_list("creator_id", "normalized")
    )
    for creator_id, phone in rows:
        out.setdefault(creator_id, phone)
    return out


def has_numbers(*, workspace: Workspace) -> bool:
    return SmsNumber.objects.filter(workspace=workspace, is_active=True).exists()


def search_numbers(*, workspace: Workspace, q: str) -> list[SmsNumber]:
    return list(
        SmsNumber.objects.filter(workspace=workspace, is_active=True).filter(
            Q(phone_number__icontains=q) | Q(friendly_name__icontains=q)
        )
    )
