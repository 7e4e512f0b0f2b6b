"""Reads of the inbox. Every function is scoped to the acting member's workspace."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import connections
from django.db.models import (
    BooleanField,
    Case,
    DateTimeField,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    When,
)
from django.db.models.expressions import BaseExpression, RawSQL
from django.db.models.fields.tuple_lookups import Tuple, TupleGreaterThanOrEqual, TupleLessThan
from django.utils import timezone
from django.utils.translation import gettext as _

from parley.accounts.models import Member, Workspace
from parley.core import cursor as cursors
from parley.core.errors import NotFound, ValidationFailed
from parley.creators.models import CreatorTag, Identity
from parley.creators.selectors import creator_search_filter
from parley.inbox.filters import InboxFilters
from parley.inbox.models import Attachment, Conversation, InboxEntry, Message, Notification

ENTRY_TABLE = InboxEntry._meta.db_table

# What a list row shows (the page and the API): no timestamps, JSON or search text to parse
# for nothing, 31 rows of three models per page.
LIST_FIELDS = (
    "unread",
    "marked_unread",
    "sort_at",
    "creator_id",
    "conversation__creator_id",
    "conversation__assignee_id",
    "conversation__last_activity_at",
    "conversation__last_inbound_at",
    "conversation__awaiting_reply_since",
    "conversation__preview",
    "conversation__channels",
    "conversation__creator__name",
)


@dataclass
class InboxPage:
    entries: list[InboxEntry]
    next_cursor: str | None
    pulse: tuple[int, str] | None = None  # with_pulse: as inbox_pulse() returns it


def _campaign_members() -> QuerySet:
    # campaigns sits above inbox (DESIGN.md, Layering): reach its model by name, not import.
    return apps.get_model("campaigns", "CampaignMember").objects.all()


def _creator_sets(filters: InboxFilters) -> list[QuerySet]:
    """The campaign, client and tag filters, each as the rows (with a creator_id) of the
    creators it keeps. Scoping holds without a creators join: entries are the member's own,
    and each entry carries its creator_id."""
    members = _campaign_members()
    sets = []
    if filters.campaign:
        sets.append(members.filter(campaign_id=filters.campaign))
    if filters.campaigns:
        sets.append(members.filter(campaign_id__in=filters.campaigns))
    if filters.clients:
        sets.append(members.filter(campaign__client_id__in=filters.clients))
    if filters.tags:
        sets.append(CreatorTag.objects.filter(tag_id__in=filters.tags))
    return sets


class _HashedIn(Func):
    """`(creator_id IN (set)) IS TRUE`. PostgreSQL turns an IN at the top of WHERE into a
    join, and then must find and sort every match; wrapped, the IN is a "hashed SubPlan":
    the set is hashed once and each entry tested against it while entry_order is walked
    in list order."""

    template = "(%(expressions)s) IS TRUE"
    output_field = BooleanField()


# Set sizes that change how PostgreSQL tests entries against a creator set (measured at
# 100k creators, a member's 100k entries):
# - up to SMALL_SET creators: a plain IN, which PostgreSQL joins, then sorts the matches;
# - up to LARGE_SET: walk entry_order testing each entry against a hash of the set (a
#   798-creator tag: 1.3 ms against 11 ms probing an index per entry; the walk to fill a
#   page is about 31 x 100k / 798 entries long, the same at any size for the same share);
# - above: the walks are short, and probing an index per entry costs less than hashing the
#   whole set (a 23k-creator tag: 2.5 ms against 9 ms).
SMALL_SET = 500
LARGE_SET = 4000


def _size_checks(sets: list[QuerySet], using: str) -> dict[str, Exists]:
    if connections[using].vendor != "postgresql":
        return {}
    checks = {}
    for i, rows in enumerate(sets):
        ids = rows.order_by().values("pk")
        checks[f"over_small_{i}"] = Exists(ids[SMALL_SET : SMALL_SET + 1])
        checks[f"over_large_{i}"] = Exists(ids[LARGE_SET : LARGE_SET + 1])
    return checks


def creator_set_checks(filters: InboxFilters, *, using: str) -> dict[str, Exists]:
    """The capped existence checks that size the filter's creator sets on PostgreSQL (none
    elsewhere), as columns: a caller that reads the filter's ids anyway (the tenancy
    check) selects them in its own query and hands the values to `conversation_list`."""
    return _size_checks(_creator_sets(filters), using)


def _set_tests(
    member: Member, sets: list[QuerySet], using: str, sizes: dict[str, bool] | None
) -> list[BaseExpression | Q]:
    """How to test entries against each creator set. SQLite walks entry_order and tests a
    correlated EXISTS on the index entry itself (creator_id is its last column) before it
    reads the row; PostgreSQL reads the row first, so it gets the cheapest test for the
    set's size (`creator_set_checks`, run here unless the caller has their values)."""
    checks = _size_checks(sets, using)
    if checks and (sizes is None or set(sizes) != set(checks)):
        row = Member.objects.filter(pk=member.pk).values(**checks).first() or {}
        sizes = {name: bool(value) for name, value in row.items()}
    known = sizes or {}
    tests: list[BaseExpression | Q] = []
    for i, rows in enumerate(sets):
        in_set = Q(creator_id__in=rows.values("creator_id"))
        if checks and not known.get(f"over_small_{i}"):
            tests.append(in_set)
        elif checks and not known.get(f"over_large_{i}"):
            tests.append(_HashedIn(in_set))
        else:
            tests.append(Exists(rows.filter(creator_id=OuterRef("creator_id"))))
    return tests


def _filtered_entries(
    *,
    member: Member,
    filters: InboxFilters,
    sets: list[QuerySet],
    set_sizes: dict[str, bool] | None = None,
) -> QuerySet[InboxEntry]:
    """The member's entries that pass the filters; `sets` is `_creator_sets(filters)`."""
    entries = InboxEntry.objects.filter(member=member)
    if filters.unread:
        entries = entries.filter(unread=True)
    if filters.assigned_to_me:
        entries = entries.filter(conversation__assignee=member)
    if filters.awaiting:
        cutoff = timezone.now() - timedelta(hours=settings.PARLEY_AWAITING_REPLY_HOURS)
        entries = entries.filter(conversation__awaiting_reply_since__lt=cutoff)
    for test in _set_tests(member, sets, entries.db, set_sizes):
        entries = entries.filter(test)
    if filters.q:
        # Few matches: their ids, reached through the conversation's unique creator index
        # and entry_unique (no creators join). On the entry's own creator_id it walked all
        # of the member's entry_order (SQLite, 100k: ~15 ms vs ~2 ms for one hit).
        entries = entries.filter(
            creator_search_filter(
                q=filters.q,
                workspace=member.workspace,
                using=entries.db,
                id_field="conversation__creator_id",
                text_field="conversation__creator__search_text",
            )
        )
    return entries


def conversation_list(
    *,
    member: Member,
    filters: InboxFilters,
    cursor: str | None = None,
    limit: int | None = None,
    with_pulse: bool = False,
    set_sizes: dict[str, bool] | None = None,
) -> InboxPage:
    """One page of the member's inbox: unread first, then most recent activity.

    With a campaign chosen in the drop-down, each entry carries `campaign_status`: the
    creator's status code in that campaign. `with_pulse` also returns `inbox_pulse()` (the
    header badge of the whole page), read by the same query when the page has rows.
    `set_sizes`: the values of `creator_set_checks`, when the caller has read them."""
    limit = limit or settings.PARLEY_INBOX_PAGE_SIZE
    sets = _creator_sets(filters)
    entries = _filtered_entries(member=member, filters=filters, sets=sets, set_sizes=set_sizes)
    if cursor:
        unread, sort_at_raw, conversation_id = cursors.decode(cursor, length=3)
        sort_at = cursors.decode_datetime(sort_at_raw)
        if sort_at is None or not isinstance(conversation_id, int):
            raise ValidationFailed({"cursor": [_("Invalid cursor.")]})
        # A row-value comparison walks the (member, unread, sort_at, conversation) index
        # from the cursor on, on SQLite and PostgreSQL alike (Django's composite-key
        # lookup, so the columns are those of whichever query, or subquery, it is in).
        entries = entries.filter(
            TupleLessThan(
                Tuple(F("unread"), F("sort_at"), F("conversation_id")),
                (bool(unread), sort_at, conversation_id),
            )
        )
    if sets and connections[entries.db].vendor == "postgresql":
        # PostgreSQL reads each walked entry's row before testing it against a set: find
        # the page on entry_order alone (an index-only walk), then read just its rows.
        page = entries.order_by("-unread", "-sort_at", "-conversation_id").values(
            "conversation_id"
        )[: limit + 1]
        entries = InboxEntry.objects.filter(member=member, conversation_id__in=page)
    if filters.campaign:
        # The rows show each creator's status in the chosen campaign: read in the same query.
        entries = entries.annotate(
            campaign_status=Subquery(
                _campaign_members()
                .filter(campaign_id=filters.campaign, creator_id=OuterRef("creator_id"))
                .values("status")[:1]
            )
        )
    if with_pulse:
        entries = entries.annotate(**_pulse_annotations(member.pk))
    # Who the creator is besides a name two creators may share: a social handle, else an
    # email (primary first), read in the same query (an index probe a row).
    entries = entries.annotate(
        creator_label=Subquery(
            Identity.objects.filter(creator_id=OuterRef("creator_id"))
            .exclude(kind=Identity.Kind.PHONE)
            .order_by(Case(When(kind=Identity.Kind.EMAIL, then=1), default=0), "-is_primary", "id")
            .values("value")[:1]
        )
    )
    rows: list[InboxEntry] = list(
        entries.select_related("conversation", "conversation__creator")
        .only(*LIST_FIELDS)
        .order_by("-unread", "-sort_at", "-conversation_id")[: limit + 1]
    )
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = cursors.encode(
            [int(last.unread), last.sort_at.isoformat(), last.conversation_id]
        )
    pulse = None
    if with_pulse and rows:
        first: Any = rows[0]  # carries the pulse annotations
        pulse = _pulse(*(getattr(first, name) for name in PULSE_FIELDS))
    elif with_pulse:
        pulse = inbox_pulse(member=member)
    return InboxPage(entries=rows, next_cursor=next_cursor, pulse=pulse)


def conversation_match_ids(*, member: Member, filters: InboxFilters, cap: int) -> list[int]:
    """Creator ids of every conversation matching the filters, for "select all that match"."""
    ids = _filtered_entries(
        member=member, filters=filters, sets=_creator_sets(filters)
    ).values_list("conversation__creator_id", flat=True)
    return list(ids[: cap + 1])


def conversation_match_count(*, member: Member, filters: InboxFilters, cap: int) -> int:
    """How many conversations match the filters, counted up to `cap` + 1 (a walk of at
    most that many index entries, never the whole inbox)."""
    entries = _filtered_entries(member=member, filters=filters, sets=_creator_sets(filters))
    return entries.order_by()[: cap + 1].count()


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


# A thread opened at an older message (one the search found) shows at most this many
# messages from it on.
THREAD_FROM_MAX = 1000


def thread_messages(
    *,
    conversation: Conversation,
    campaign_id: int | None = None,
    limit: int = 200,
    include_id: int | None = None,
) -> list[Message]:
    """The newest `limit` messages of the thread, oldest first. With `include_id`, a
    message of the thread older than those: from it on instead (THREAD_FROM_MAX at most)."""
    messages = Message.objects.filter(conversation=conversation)
    if campaign_id:
        messages = messages.filter(campaign_id=campaign_id)
    messages = messages.select_related(
        "author_member__user", "author_creator", "campaign", "outbox_item"
    ).prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
    newest = list(messages.order_by("-created_at", "-id")[:limit])
    newest.reverse()
    if include_id and len(newest) == limit and all(m.id != include_id for m in newest):
        target = messages.filter(id=include_id).values_list("created_at", flat=True).first()
        if target is not None:
            from_target = messages.filter(
                TupleGreaterThanOrEqual(Tuple(F("created_at"), F("id")), (target, include_id))
            )
            return list(from_target.order_by("created_at", "id")[:THREAD_FROM_MAX])
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


# The badge counts unread conversations up to here and then shows "999+": the count stays
# a short index walk however many a member leaves unread.
UNREAD_BADGE_CAP = 999


def _pulse_annotations(member_id: int) -> dict[str, BaseExpression]:
    """The pulse as uncorrelated scalar subqueries on the member's own entry_order ranges
    (the capped unread count; the latest activity among their unread entries and among the
    others, the top of each range): the database evaluates them once per query however
    many rows carry them."""
    # `unread = %s`, not the ORM's bare `unread` / `NOT unread`, which SQLite cannot look up
    # in the index (it walked all the member's entries: the inbox page 13 → 33 ms at 100k).
    latest = {
        f"pulse_latest_{name}": RawSQL(
            f'SELECT sort_at FROM "{ENTRY_TABLE}" WHERE member_id = %s AND unread = %s '
            "ORDER BY sort_at DESC LIMIT 1",
            (member_id, unread),
            output_field=DateTimeField(),
        )
        for name, unread in (("unread", True), ("read", False))
    }
    return {
        "pulse_unread": RawSQL(
            f'SELECT COUNT(*) FROM (SELECT 1 FROM "{ENTRY_TABLE}" '
            "WHERE member_id = %s AND unread = %s LIMIT %s) AS capped",
            (member_id, True, UNREAD_BADGE_CAP + 1),
            output_field=IntegerField(),
        ),
        **latest,
    }


PULSE_FIELDS = ("pulse_unread", "pulse_latest_unread", "pulse_latest_read")


def _pulse(unread: int | None, *latest: datetime | None) -> tuple[int, str]:
    unread = unread or 0
    newest = max((at for at in latest if at is not None), default=None)
    stamp = f"{newest.timestamp():.6f}" if newest else "0"
    return unread, f"{unread}-{stamp}"


def inbox_pulse(*, member: Member) -> tuple[int, str]:
    """The unread count (up to UNREAD_BADGE_CAP + 1), and a token that changes whenever the
    member's inbox moves (above the cap, reading one conversation no longer moves it)."""
    row = (
        Member.objects.filter(pk=member.pk)
        .annotate(**_pulse_annotations(member.pk))
        .values_list(*PULSE_FIELDS)  # type: ignore[misc]
        .first()
    )
    return _pulse(*row) if row else _pulse(0)


def notification_list(*, member: Member, limit: int = 10) -> list[Notification]:
    return list(
        Notification.objects.filter(member=member)
        .select_related("conversation__creator")
        .order_by("-created_at", "-id")[:limit]
    )
