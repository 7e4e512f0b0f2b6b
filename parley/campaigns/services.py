"""Writes to campaigns and their members. Status changes post an event into the thread."""

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from parley.accounts.models import Client, Member, Workspace
from parley.campaigns.models import Campaign, CampaignMember
from parley.core.bidi import bidi_strip
from parley.core.errors import ValidationFailed
from parley.creators.models import Creator
from parley.inbox.models import Channel, Message
from parley.inbox.services import conversation_get_or_create, message_record

MAX_NAME = 160


def campaign_create(
    *, workspace: Workspace, name: str, client: Client | None = None, status: str = "active"
) -> Campaign:
    name = bidi_strip(name).strip()
    if not name or len(name) > MAX_NAME:
        raise ValidationFailed({"name": [_("A campaign needs a name of at most 160 characters.")]})
    if client is not None and client.workspace_id != workspace.id:
        raise ValidationFailed({"client": [_("Unknown client.")]})
    if status not in Campaign.Status.values:
        raise ValidationFailed({"status": [_("Unknown status.")]})
    return Campaign.objects.create(workspace=workspace, name=name, client=client, status=status)


# "Leave the client as it is": None already means "no client".
KEEP_CLIENT: Any = object()


def campaign_update(
    *,
    campaign: Campaign,
    name: str | None = None,
    status: str | None = None,
    client: Client | None = KEEP_CLIENT,
) -> Campaign:
    """Change what is given; everything is checked before anything changes."""
    errors: dict[str, list[str]] = {}
    if name is not None:
        name = bidi_strip(name).strip()
        if not name or len(name) > MAX_NAME:
            errors["name"] = [_("A campaign needs a name of at most 160 characters.")]
    if status is not None and status not in Campaign.Status.values:
        errors["status"] = [_("Unknown status.")]
    if (
        client is not KEEP_CLIENT
        and client is not None
        and client.workspace_id != campaign.workspace_id
    ):
        errors["client"] = [_("Unknown client.")]
    if errors:
        raise ValidationFailed(errors)
    if name is not None:
        campaign.name = name
    if status is not None:
        campaign.status = status
    if client is not KEEP_CLIENT:
        campaign.client = client
    campaign.save(update_fields=["name", "status", "client", "updated_at"])
    return campaign


def campaign_members_add(
    *, campaign: Campaign, creator_ids: Iterable[int], status: str = CampaignMember.Status.INVITED
) -> int:
    """Add creators of the campaign's workspace; those already in it are left as they are."""
    if status not in CampaignMember.Status.values:
        raise ValidationFailed({"status": [_("Unknown status.")]})
    ids = set(
        Creator.objects.filter(
            workspace_id=campaign.workspace_id, id__in=list(creator_ids)
        ).values_list("id", flat=True)
    )
    already = set(
        CampaignMember.objects.filter(campaign=campaign, creator_id__in=ids).values_list(
            "creator_id", flat=True
        )
    )
    new = [
        CampaignMember(
            workspace_id=campaign.workspace_id, campaign=campaign, creator_id=i, status=status
        )
        for i in ids - already
    ]
    CampaignMember.objects.bulk_create(new, ignore_conflicts=True, batch_size=1000)
    return len(new)


def campaign_member_set_status(
    *, campaign_member: CampaignMember, status: str, actor: Member | None = None
) -> CampaignMember:
    """Change a creator's status in a campaign and show the change in their thread."""
    if status not in CampaignMember.Status.values:
        raise ValidationFailed({"status": [_("Unknown status.")]})
    if status == campaign_member.status:
        return campaign_member
    with transaction.atomic():
        campaign_member.status = status
        campaign_member.save(update_fields=["status", "updated_at"])
        conversation = conversation_get_or_create(creator=campaign_member.creator)
        message_record(
            conversation=conversation,
            channel=Channel.EVENT,
            direction=Message.Direction.EVENT,
            status=Message.Status.DELIVERED,
            body_text=_("%(campaign)s: status changed to %(status)s")
            % {
                "campaign": campaign_member.campaign.name,
                "status": campaign_member.get_status_display(),
            },
            campaign_id=campaign_member.campaign_id,
            author_member=actor,
        )
    return campaign_member
