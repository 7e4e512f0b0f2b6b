"""What every campaign action shares: the creator must be in the campaign, and each action
is a system event in the creator's thread that moves the member's last activity."""

from collections.abc import Iterable
from datetime import datetime

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from parley.accounts.models import Member
from parley.campaigns.models import Campaign, CampaignMember
from parley.campaigns.workflow import event_said
from parley.core.errors import Conflict, NotFound
from parley.creators.models import Creator
from parley.inbox.events import Said
from parley.inbox.models import Channel, Message
from parley.inbox.services import conversation_get_or_create, events_record_many, message_record

CHUNK = 2000


def membership_get(*, campaign: Campaign, creator: Creator) -> CampaignMember:
    """The creator's place in the campaign. A creator of another workspace is NotFound; one
    who is not in the campaign is a Conflict that says so."""
    if creator.workspace_id != campaign.workspace_id:
        raise NotFound
    membership = CampaignMember.objects.filter(campaign=campaign, creator=creator).first()
    if membership is None:
        raise Conflict(
            {
                "creator": [
                    _("%(name)s is not in the campaign %(campaign)s: add them to it first.")
                    % {"name": creator.name, "campaign": campaign.name}
                ]
            }
        )
    return membership


def member_ids(*, campaign: Campaign, creator_ids: Iterable[int]) -> list[int]:
    """Those of the ids that are creators in the campaign, in the order given, once each."""
    wanted = list(dict.fromkeys(creator_ids))
    found: set[int] = set()
    for first in range(0, len(wanted), CHUNK):
        found.update(
            CampaignMember.objects.filter(
                campaign=campaign, creator_id__in=wanted[first : first + CHUNK]
            ).values_list("creator_id", flat=True)
        )
    return [i for i in wanted if i in found]


def _touch(*, campaign_id: int, creator_ids: list[int], at: datetime) -> None:
    for first in range(0, len(creator_ids), CHUNK):
        CampaignMember.objects.filter(
            campaign_id=campaign_id, creator_id__in=creator_ids[first : first + CHUNK]
        ).filter(Q(last_activity_at__isnull=True) | Q(last_activity_at__lt=at)).update(
            last_activity_at=at
        )


def event_post(
    *, campaign: Campaign, creator: Creator, actor: Member | None, text: Said
) -> Message:
    """One action: a system event in the creator's thread ("Spring: coupon code SPRING-1234
    sent"), and the member's last activity. Call inside the action's transaction."""
    at = timezone.now()
    message = message_record(
        conversation=conversation_get_or_create(creator=creator, at=at),
        channel=Channel.EVENT,
        direction=Message.Direction.EVENT,
        status=Message.Status.DELIVERED,
        event=event_said(campaign, text),
        campaign_id=campaign.id,
        author_member=actor,
        created_at=at,
    )
    _touch(campaign_id=campaign.id, creator_ids=[creator.id], at=at)
    return message


def events_post_many(*, campaign: Campaign, texts: dict[int, Said], actor: Member | None) -> None:
    """The same for many creators (creator id → text) in a few statements. Call inside the
    action's transaction."""
    if not texts:
        return
    at = timezone.now()
    events_record_many(
        workspace_id=campaign.workspace_id,
        bodies={creator_id: event_said(campaign, text) for creator_id, text in texts.items()},
        campaign_id=campaign.id,
        author=actor,
        at=at,
    )
    _touch(campaign_id=campaign.id, creator_ids=list(texts), at=at)
