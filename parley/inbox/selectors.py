"""Reads of the inbox. Every function is scoped to the acting member's workspace."""

from dataclasses import dataclass
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.db import connections
from django.db.models import Exists, Field, OuterRef, Prefetch, QuerySet
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from parley.accounts.models import Member, Workspace
from parley.core import cursor as cursors
from parley.core.errors import NotFound, ValidationFailed
from parley.creators.models import CreatorTag
from parley.inbox.filters import InboxFilters
from parley.inbox.models import Attachment, Conversation, InboxEntry, Message, Notification

ENTRY_TABLE = InboxEntry._meta.db_table


@dataclass
class InboxPage:
    entries: list[InboxEntry]
    next_cursor: str | None


def _campaign_members() -> QuerySet:
    # campaigns sits above inbox (DESIGN.md, Layering): reach its model by name, not import.
    return apps.get_model("campaigns", "CampaignMember").objects.all()


def _filtered_entries(*, member: Member, filters: InboxFilters) -> QuerySet[InboxEntry]:
    entries = InboxEntry.objects.filter(member=member)
    if filters.unread:
        entries = entries.filter(unread=True)
    if filters.assigned_to_me:
        entries = entries.filter(conversation__assignee=member)
    if filters.awaiting:
        cutoff = timezone.now() - timedelta(hours=settings.PARLEY_AWAITING_REPLY_HOURS)
        entries = entries.filter(conversation__awaiting_reply_since__lt=cutoff)
    # Campaign, client and tag filters: a correlated EXISTS on the membership table alone,
    # keyed by the entry's own copy of creator_id. The former IN (workspace creators JOIN
    # memberships) scanned every creator and left PostgreSQL estimating one matching row,
    # so it sorted every match (a 26k-member campaign: ~65 ms at 100k creators); SQLite
    # built the whole IN list and sorted it. Now both walk entry_order and probe the
    # membership index per row (PostgreSQL still picks the set for small ones).
    # Scoping holds without the creators join: entries are the member's own.
    creator = OuterRef("creator_id")
    members = _campaign_members()
    if filters.campaign:
        entries = entries.filter(
            Exists(members.filter(campaign_id=filters.campaign, creator_id=creator))
        )
    if filters.campaigns:
        entries = entries.filter(
            Exists(members.filter(campaign_id__in=filters.campaigns, creator_id=creator))
        )
    if filters.clients:
        entries = entries.filter(
            Exists(members.filter(campaign__client_id__in=filters.clients, creator_id=creator))
        )
    if filters.tags:
        entries = entries.filter(
            Exists(CreatorTag.objects.filter(tag_id__in=filters.tags, creator_id=creator))
        )
    if filters.q:
        entries = entries.filter(conversation__creator__search_text__contains=filters.q.lower())
    return entries


def _db_value(field: str, value: object, alias: str) -> object:
    """A value as the database stores it, for the raw cursor comparison."""
    model_field = InboxEntry._meta.get_field(field)
    assert isinstance(model_field, Field)
    return model_field.get_db_prep_value(value, connection=connections[alias])


def conversation_list(
    *, member: Member, filters: InboxFilters, cursor: str | None = None, limit: int | None = None
) -> InboxPage:
    """One page of the member's inbox: unread first, then most recent activity."""
    limit = limit or settings.PARLEY_INBOX_PAGE_SIZE
    entries = _filtered_entries(member=member, filters=filters)
    if cursor:
        unread, sort_at_raw, conversation_id = cursors.decode(cursor, length=3)
        sort_at = parse_datetime(str(sort_at_raw))
        if sort_at is None or not isinstance(conversation_id, int):
            raise ValidationFailed({"cursor": [_("Invalid cursor.")]})
        # A row-value comparison walks the (member, unread, sort_at, conversation) index
        # from the cursor on, on SQLite and PostgreSQL alike.
        entries = entries.extra(
            where=[
                f'("{ENTRY_TABLE}"."unread", "{ENTRY_TABLE}"."sort_at", '
                f'"{ENTRY_TABLE}"."conversation_id") < (%s, %s, %s)'
            ],
            params=[
                _db_value("unread", bool(unread), entries.db),
                _db_value("sort_at", sort_at, entries.db),
                conversation_id,
            ],
        )
    rows = list(
        entries.select_related("conversation", "conversation__creator").order_by(
            "-unread", "-sort_at", "-conversation_id"
        )[: limit + 1]
    )
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = cursors.encode(
            [int(last.unread), last.sort_at.isoformat(), last.conversation_id]
        )
    return InboxPage(entries=rows, next_cursor=next_cursor)


def conversation_match_ids(*, member: Member, filters: InboxFilters, cap: int) -> list[int]:
    """Creator ids of every conversation matching the filters, for "select all that match"."""
    ids = _filtered_entries(member=member, filters=filters).values_list(
        "conversation__creator_id", flat=True
    )
    return list(ids[: cap + 1])


def conversation_get(*, workspace: Workspace, id: int) -> Conversation:
    conversation = (
        Conversation.objects.select_related("creator", "assignee__user")
        .filter(workspace=workspace, id=id)
        .first()
    )
    if conversation is None:
        raise NotFound
    return conversation


def conversation_for_creator(*, workspace: Workspace, creator_id: int) -> Conversation | None:
    return Conversation.objects.filter(workspace=workspace, creator_id=creator_id).first()


def thread_messages(
    *, conversation: Conversation, campaign_id: int | None = None, limit: int = 200
) -> list[Message]:
    """The newest `limit` messages of the thread, oldest first."""
    messages = Message.objects.filter(conversation=conversation)
    if campaign_id:
        messages = messages.filter(campaign_id=campaign_id)
    newest = list(
        messages.select_related("author_member__user", "author_creator", "campaign")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
        .order_by("-created_at", "-id")[:limit]
    )
    newest.reverse()
    return newest


def thread_campaign_ids(*, conversation: Conversation) -> list[int]:
    return list(
        Message.objects.filter(conversation=conversation, campaign_id__isnull=False)
        .values_list("campaign_id", flat=True)
        .distinct()
    )


def message_get(*, conversation: Conversation, id: int) -> Message:
    """A message of the conversation (itself already scoped to the workspace)."""
    message = Message.objects.filter(conversation=conversation, id=id).first()
    if message is None:
        raise NotFound
    return message


def unread_count(*, member: Member) -> int:
    """Conversations unread for the member: counted inside the member's index range only."""
    return InboxEntry.objects.filter(member=member, unread=True).count()


def inbox_pulse(*, member: Member) -> tuple[int, str]:
    """The unread count, and a token that changes whenever the member's inbox moves."""
    latest = (
        InboxEntry.objects.filter(member=member)
        .order_by("-sort_at")
        .values_list("sort_at", flat=True)
        .first()
    )
    unread = unread_count(member=member)
    stamp = f"{latest.timestamp():.6f}" if latest else "0"
    return unread, f"{unread}-{stamp}"


def notification_list(*, member: Member, limit: int = 10) -> list[Notification]:
    return list(
        Notification.objects.filter(member=member)
        .select_related("conversation__creator")
        .order_by("-created_at", "-id")[:limit]
    )
