"""Reads of campaigns, scoped to a workspace."""

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    BooleanField,
    CharField,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.fields.tuple_lookups import Tuple, TupleLessThan
from django.utils.translation import gettext as _

from parley.accounts.models import Client, Workspace
from parley.campaigns.models import Campaign, CampaignMember
from parley.core import cursor as cursors
from parley.core.errors import NotFound, ValidationFailed
from parley.creators.models import Creator, Identity, Tag
from parley.inbox.filters import InboxFilters
from parley.inbox.selectors import creator_set_checks


def campaign_list(*, workspace: Workspace, creator: Creator | None = None) -> list[Campaign]:
    """The workspace's campaigns by name. With a creator, each carries `creator_status`: the
    creator's status code in it, or None (the sidebar's list and its picker in one query)."""
    campaigns = Campaign.objects.filter(workspace=workspace).select_related("client")
    if creator is not None:
        campaigns = campaigns.annotate(
            creator_status=Subquery(
                CampaignMember.objects.filter(campaign=OuterRef("pk"), creator=creator).values(
                    "status"
                )[:1]
            )
        )
    return list(campaigns.order_by("name"))


def campaign_get(*, workspace: Workspace, id: int) -> Campaign:
    campaign = Campaign.objects.select_related("client").filter(workspace=workspace, id=id).first()
    if campaign is None:
        raise NotFound
    return campaign


def campaign_member_get(
    *, workspace: Workspace, campaign_id: int, creator_id: int
) -> CampaignMember:
    cm = (
        CampaignMember.objects.select_related("campaign", "creator")
        .filter(workspace=workspace, campaign_id=campaign_id, creator_id=creator_id)
        .first()
    )
    if cm is None:
        raise NotFound
    return cm


def campaign_member_find(*, campaign: Campaign, creator_id: int) -> CampaignMember | None:
    """The creator's place in the campaign, or None when they are not in it."""
    return CampaignMember.objects.filter(campaign=campaign, creator_id=creator_id).first()


def creator_campaigns(*, creator: Creator) -> list[CampaignMember]:
    return list(
        CampaignMember.objects.filter(creator=creator)
        .select_related("campaign")
        .order_by("campaign__name")
    )


# --- The Campaigns list -----------------------------------------------------------------

CURRENT = "current"
ARCHIVED = "archived"


@dataclass
class CampaignPage:
    campaigns: list[Campaign]
    # campaign id → status → members, for the campaigns on the page only.
    counts: dict[int, dict[str, int]]
    next_cursor: str | None


def campaign_member_counts(*, campaign_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """Members by status of each campaign: one grouped query, read on the
    (campaign, status, …) index of just these campaigns."""
    counts: dict[int, dict[str, int]] = {}
    ids = list(campaign_ids)
    if not ids:
        return counts
    rows = (
        CampaignMember.objects.filter(campaign_id__in=ids)
        .values_list("campaign_id", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for campaign_id, status, n in rows:
        counts.setdefault(campaign_id, {})[status] = n
    return counts


def campaign_page(
    *, workspace: Workspace, view: str = CURRENT, cursor: str | None = None, limit: int = 50
) -> CampaignPage:
    """One page of the workspace's campaigns by name (drafts and active ones, or the
    archived), keyset-paged on (name, id), with their member counts by status."""
    campaigns = Campaign.objects.filter(workspace=workspace).select_related("client")
    if view == ARCHIVED:
        campaigns = campaigns.filter(status=Campaign.Status.ARCHIVED)
    else:
        campaigns = campaigns.exclude(status=Campaign.Status.ARCHIVED)
    campaigns = campaigns.order_by("name", "id")
    if cursor:
        name, last_id = cursors.decode(cursor, length=2)
        if not isinstance(name, str) or not isinstance(last_id, int):
            raise ValidationFailed({"cursor": [_("Invalid cursor.")]})
        campaigns = campaigns.filter(Q(name__gt=name) | Q(name=name, id__gt=last_id))
    rows = list(campaigns[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = cursors.encode([rows[-1].name, rows[-1].id])
    return CampaignPage(
        campaigns=rows,
        counts=campaign_member_counts(campaign_ids=[c.id for c in rows]),
        next_cursor=next_cursor,
    )


def campaign_has_archived(*, workspace: Workspace) -> bool:
    return Campaign.objects.filter(workspace=workspace, status=Campaign.Status.ARCHIVED).exists()


# --- The Members tab --------------------------------------------------------------------


@dataclass
class CampaignMemberPage:
    members: list[CampaignMember]
    next_cursor: str | None


def _members(campaign: Campaign, status: str | None) -> QuerySet[CampaignMember]:
    members = CampaignMember.objects.filter(campaign=campaign)
    if status:
        if status not in CampaignMember.Status.values:
            raise ValidationFailed({"status": [_("Unknown status.")]})
        members = members.filter(status=status)
    return members


def campaign_member_page(
    *,
    campaign: Campaign,
    status: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> CampaignMemberPage:
    """One page of the campaign's creators, newest activity first (all, or one status),
    keyset-paged on (last activity, id): a walk down the (campaign[, status], last activity,
    id) index, one query whatever the campaign's size. Each member comes with its creator and
    carries `email`: the creator's first email address ("" when none)."""
    members = _members(campaign, status).order_by("-last_activity_at", "-id")
    if cursor:
        at, last_id = cursors.decode(cursor, length=2)
        when = cursors.decode_datetime(at)
        if when is None or not isinstance(last_id, int) or isinstance(last_id, bool):
            raise ValidationFailed({"cursor": [_("Invalid cursor.")]})
        members = members.filter(
            TupleLessThan(Tuple(F("last_activity_at"), F("id")), (when, last_id))
        )
    email = (
        Identity.objects.filter(creator_id=OuterRef("creator_id"), kind=Identity.Kind.EMAIL)
        .order_by("-is_primary", "id")
        .values("value")[:1]
    )
    rows: list[CampaignMember] = list(
        members.select_related("creator").annotate(email=Subquery(email))[: limit + 1]
    )
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = cursors.encode([last.last_activity_at.isoformat(), last.id])
    return CampaignMemberPage(members=rows, next_cursor=next_cursor)


def campaign_member_match_ids(
    *, campaign: Campaign, status: str | None = None, cap: int
) -> list[int]:
    """Creator ids of up to cap + 1 members (all of them or one status): "all that match"."""
    return list(
        _members(campaign, status).order_by().values_list("creator_id", flat=True)[: cap + 1]
    )


@dataclass(frozen=True)
class FilterOption:
    id: int
    name: str


@dataclass
class InboxFilterOptions:
    """What the inbox filter offers: the workspace's campaigns, tags and clients by name;
    and, for the filter in force, the values of `creator_set_checks` (for the list)."""

    campaigns: list[FilterOption]
    tags: list[FilterOption]
    clients: list[FilterOption]
    set_sizes: dict[str, bool]


def _filter_ids(filters: InboxFilters) -> dict[str, set[int]]:
    return {
        "campaign": {filters.campaign or 0, *filters.campaigns} - {0},
        "tag": set(filters.tags),
        "client": set(filters.clients),
    }


def _named_rows(
    *,
    workspace: Workspace,
    only: dict[str, set[int]] | None = None,
    checks: dict[str, Exists] | None = None,
    archived: set[int] | None = None,
) -> tuple[list[tuple[str, int, str]], dict[str, bool]]:
    """(kind, id, name) of the workspace's campaigns, tags and clients in one UNION ALL
    query; with `only`, just those ids of each kind (a kind with none is left out). The
    `checks` ride along as extra columns of the first part, and come back by name.

    Without `only` (the options), archived campaigns are left out, but for the ids in
    `archived`: those the filter names, so an old link still shows what it filters on."""
    checks = checks or {}
    campaigns = Campaign.objects.all()
    if only is None:
        campaigns = campaigns.filter(
            ~Q(status=Campaign.Status.ARCHIVED) | Q(id__in=sorted(archived or ()))
        )
    sources: dict[str, QuerySet[Any]] = {
        "campaign": campaigns,
        "tag": Tag.objects.all(),
        "client": Client.objects.all(),
    }
    parts: list[QuerySet[Any]] = []
    for kind, manager in sources.items():
        rows = manager.filter(workspace=workspace)
        if only is not None:
            if not only[kind]:
                continue
            rows = rows.filter(id__in=only[kind])
        extra = checks.values() if not parts else [Value(None, BooleanField()) for _ in checks]
        parts.append(rows.order_by().values_list(Value(kind, CharField()), "id", "name", *extra))
    if not parts:
        return [], {}
    first, *rest = parts
    found = list(first.union(*rest, all=True) if rest else first)
    # The first part's rows carry the checks (booleans); the other parts' carry NULLs.
    flagged = next((row for row in found if checks and row[3] is not None), None)
    sizes = dict(zip(checks, flagged[3:], strict=True)) if flagged else {}
    return [row[:3] for row in found], sizes


def _check_found(wanted: dict[str, set[int]], rows: list[tuple[str, int, str]]) -> None:
    for kind, ids in wanted.items():
        if not ids <= {id for row_kind, id, _name in rows if row_kind == kind}:
            raise NotFound


def inbox_filters_check(*, workspace: Workspace, filters: InboxFilters) -> dict[str, bool]:
    """NotFound when a campaign, tag or client id in the filters is not in the workspace.

    It lives here, the highest app the filters touch, and asks only for the ids given,
    in one query whatever the filter holds; that query also returns the values of
    `creator_set_checks`, for `conversation_list(set_sizes=…)`."""
    wanted = _filter_ids(filters)
    if not any(wanted.values()):
        return {}
    checks = creator_set_checks(filters, using=Campaign.objects.db)
    rows, sizes = _named_rows(workspace=workspace, only=wanted, checks=checks)
    _check_found(wanted, rows)
    return sizes


def inbox_filter_options(*, workspace: Workspace, filters: InboxFilters) -> InboxFilterOptions:
    """Every campaign (but the archived ones), tag and client of the workspace for the inbox
    filter, in one query; NotFound (as `inbox_filters_check`) when the filters name an id
    outside them."""
    checks = creator_set_checks(filters, using=Campaign.objects.db)
    wanted = _filter_ids(filters)
    rows, sizes = _named_rows(workspace=workspace, checks=checks, archived=wanted["campaign"])
    _check_found(wanted, rows)
    by_kind: dict[str, list[FilterOption]] = {"campaign": [], "tag": [], "client": []}
    for kind, id, name in sorted(rows, key=lambda row: (row[2], row[1])):
        by_kind[kind].append(FilterOption(id=id, name=name))
    return InboxFilterOptions(
        campaigns=by_kind["campaign"],
        tags=by_kind["tag"],
        clients=by_kind["client"],
        set_sizes=sizes,
    )
