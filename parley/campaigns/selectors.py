"""Reads of campaigns, scoped to a workspace."""

from dataclasses import dataclass
from typing import Any

from django.db.models import (
    BooleanField,
    CharField,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.utils.translation import gettext as _

from parley.accounts.models import Client, Workspace
from parley.campaigns.models import Campaign, CampaignMember
from parley.core import cursor as cursors
from parley.core.errors import NotFound, ValidationFailed
from parley.creators.models import Creator, Tag
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


def campaign_member_list(*, campaign: Campaign) -> QuerySet[CampaignMember]:
    return campaign.members.select_related("creator").order_by("creator__name", "id")


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


def creator_campaigns(*, creator: Creator) -> list[CampaignMember]:
    return list(
        CampaignMember.objects.filter(creator=creator)
        .select_related("campaign")
        .order_by("campaign__name")
    )


@dataclass
class CampaignMemberPage:
    members: list[CampaignMember]
    next_cursor: str | None


def campaign_member_page(
    *, campaign: Campaign, cursor: str | None = None, limit: int = 50
) -> CampaignMemberPage:
    """One page of `campaign_member_list`, keyset-paged on (creator name, id)."""
    members = campaign_member_list(campaign=campaign)
    if cursor:
        name, last_id = cursors.decode(cursor, length=2)
        if not isinstance(name, str) or not isinstance(last_id, int):
            raise ValidationFailed({"cursor": [_("Invalid cursor.")]})
        members = members.filter(Q(creator__name__gt=name) | Q(creator__name=name, id__gt=last_id))
    rows = list(members[: limit + 1])
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        next_cursor = cursors.encode([rows[-1].creator.name, rows[-1].id])
    return CampaignMemberPage(members=rows, next_cursor=next_cursor)


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
) -> tuple[list[tuple[str, int, str]], dict[str, bool]]:
    """(kind, id, name) of the workspace's campaigns, tags and clients in one UNION ALL
    query; with `only`, just those ids of each kind (a kind with none is left out). The
    `checks` ride along as extra columns of the first part, and come back by name."""
    checks = checks or {}
    sources: dict[str, QuerySet[Any]] = {
        "campaign": Campaign.objects.all(),
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
    """Every campaign, tag and client of the workspace for the inbox filter, in one query;
    NotFound (as `inbox_filters_check`) when the filters name an id outside them."""
    checks = creator_set_checks(filters, using=Campaign.objects.db)
    rows, sizes = _named_rows(workspace=workspace, checks=checks)
    _check_found(_filter_ids(filters), rows)
    by_kind: dict[str, list[FilterOption]] = {"campaign": [], "tag": [], "client": []}
    for kind, id, name in sorted(rows, key=lambda row: (row[2], row[1])):
        by_kind[kind].append(FilterOption(id=id, name=name))
    return InboxFilterOptions(
        campaigns=by_kind["campaign"],
        tags=by_kind["tag"],
        clients=by_kind["client"],
        set_sizes=sizes,
    )
