"""Reads of mailboxes and email content, always scoped to a workspace."""

from django.db.models import Q, QuerySet
from django.utils import timezone

from parley.accounts.models import Workspace
from parley.channels.email.models import EmailRecord, Mailbox
from parley.core.errors import NotFound
from parley.inbox.models import Attachment, Channel, Message


def mailbox_list(*, workspace: Workspace) -> list[Mailbox]:
    return list(
        Mailbox.objects.filter(workspace=workspace, is_active=True)
        .select_related("connected_by__user")
        .order_by("-is_default", "address")
    )


def mailbox_get(*, workspace: Workspace, id: int) -> Mailbox:
    mailbox = (
        Mailbox.objects.filter(workspace=workspace, id=id, is_active=True)
        .select_related("connected_by__user")
        .first()
    )
    if mailbox is None:
        raise NotFound
    return mailbox


def mailbox_default(*, workspace: Workspace) -> Mailbox | None:
    return (
        Mailbox.objects.filter(workspace=workspace, is_active=True)
        .order_by("-is_default", "id")
        .first()
    )


def mailboxes_for_banner(*, workspace: Workspace) -> list[Mailbox]:
    """Mailboxes the whole team must hear about: needing re-authorisation, or paused by the
    provider (one query: every page shows the banner)."""
    return list(
        Mailbox.objects.filter(workspace=workspace, is_active=True)
        .filter(Q(needs_reauth=True) | Q(paused_until__gt=timezone.now()))
        .order_by("address")
    )


def mailboxes_to_watch() -> QuerySet[Mailbox]:
    """Every mailbox whose replies Parley reads (all workspaces: for the worker only)."""
    return Mailbox.objects.filter(
        is_active=True, needs_reauth=False, access=Mailbox.Access.FULL
    ).order_by("id")


def email_message_get(*, workspace: Workspace, id: int) -> Message:
    message = Message.objects.filter(workspace=workspace, id=id, channel=Channel.EMAIL).first()
    if message is None:
        raise NotFound
    return message


def attachment_get(*, workspace: Workspace, id: int) -> Attachment:
    attachment = (
        Attachment.objects.select_related("message")
        .filter(id=id, message__workspace=workspace)
        .first()
    )
    if attachment is None:
        raise NotFound
    return attachment


def outbound_record(*, message: Message) -> EmailRecord | None:
    return (
        EmailRecord.objects.select_related("mailbox")
        .filter(message=message, folder__isnull=True)
        .first()
    )


def thread_references(*, conversation_id: int, limit: int = 20) -> list[str]:
    """Message-IDs of the thread's emails, oldest first (the References of a new email)."""
    ids = list(
        EmailRecord.objects.filter(message__conversation_id=conversation_id)
        .exclude(header_id="")
        .order_by("-message__created_at", "-id")
        .values_list("header_id", flat=True)[:limit]
    )
    seen: list[str] = []
    for mid in reversed(ids):
        if mid not in seen:
            seen.append(mid)
    return seen
