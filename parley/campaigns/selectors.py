"""Reads of campaigns, scoped to a workspace."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from parley.accounts.models import Client, Workspace
from parley.campaigns.models import Campaign, CampaignMember
from parley.core import cursor as cursors
from parley.core.errors import NotFound, ValidationFailed
from parley.creators.models import Creator, Tag
from parley.inbox.filters import InboxFilters


def campaign_list(*, workspace: Workspace) -> list[Campaign]:
    return list(
        Campaign.objects.filter(workspace=workspace).select_related("client").order_by("name")
    )


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


def campaign_member_status_codes(*, campaign_id: int, creator_ids: Iterable[int]) -> dict[int, str]:
    """creator id → status code in one campaign (for the inbox rows and the API list)."""
    rows = CampaignMember.objects.filter(
        campaign_id=campaign_id, creator_id__in=list(creator_ids)
    ).values_list("creator_id", "status")
    return dict(rows)


def inbox_filters_check(*, workspace: Workspace, filters: InboxFilters) -> None:
    """NotFound when a campaign, tag or client id in the filters is not in the workspace.

    It lives here, the highest app the filters touch, and asks only for the ids given.
    """
    wanted = (
        (Campaign.objects, {filters.campaign or 0, *filters.campaigns} - {0}),
        (Tag.objects, set(filters.tags)),
        (Client.objects, set(filters.clients)),
    )
    for manager, ids in wanted:
        if ids and manager.filter(workspace=workspace, id__in=ids).count() != len(ids):
            raise NotFound
