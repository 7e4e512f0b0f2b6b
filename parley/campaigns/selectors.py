"""Reads of campaigns, scoped to a workspace."""

from collections.abc import Iterable

from django.db.models import QuerySet

from parley.accounts.models import Workspace
from parley.campaigns.models import Campaign, CampaignMember
from parley.core.errors import NotFound
from parley.creators.models import Creator


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


def campaign_member_get(*, workspace: Workspace, campaign_id: int, creator_id: int) -> CampaignMember:
    cm = (
        CampaignMember.objects.select_related("campaign", "creator")
        .filter(workspace=workspace, campaign_id=campaign_id, creator_id=creator_id)
        .first()
    )
    if cm is None:
        raise NotFound
    return cm


def campaign_statuses(*, campaign_id: int, creator_ids: Iterable[int]) -> dict[int, str]:
    """creator id → status display in one campaign, for the inbox rows."""
    rows = CampaignMember.objects.filter(campaign_id=campaign_id, creator_id__in=list(creator_ids))
    return {cm.creator_id: cm.get_status_display() for cm in rows}


def creator_campaigns(*, creator: Creator) -> list[CampaignMember]:
    return list(
        CampaignMember.objects.filter(creator=creator)
        .select_related("campaign")
        .order_by("campaign__name")
    )
