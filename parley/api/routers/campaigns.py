"""Campaigns, their creators and where each creator stands."""

from django.http import HttpRequest
from ninja import Query, Router, Status

from parley.accounts.selectors import client_get
from parley.api.auth import acting_member
from parley.api.schemas import (
    CampaignIn,
    CampaignMemberOut,
    CampaignMemberPageOut,
    CampaignMembersIn,
    CampaignMemberStatusIn,
    CampaignOut,
    CampaignPatch,
    CountOut,
    CreatorRef,
    ErrorOut,
    FieldErrorsOut,
    PageQuery,
    PathId,
)
from parley.campaigns.models import Campaign, CampaignMember
from parley.campaigns.selectors import (
    campaign_get,
    campaign_list,
    campaign_member_get,
    campaign_member_page,
)
from parley.campaigns.services import (
    campaign_create,
    campaign_member_set_status,
    campaign_members_add,
    campaign_update,
)
from parley.creators.selectors import creator_get_many

router = Router(tags=["campaigns"])

NOT_FOUND = {404: ErrorOut}
INVALID = {422: FieldErrorsOut}


def _member_out(cm: CampaignMember) -> CampaignMemberOut:
    return CampaignMemberOut(
        creator=CreatorRef(id=cm.creator.id, name=cm.creator.name),
        status=cm.status,
        updated_at=cm.updated_at,
    )


@router.get("", response=list[CampaignOut])
def campaigns_list(request: HttpRequest) -> list[Campaign]:
    return campaign_list(workspace=acting_member(request).workspace)


@router.post("", response={201: CampaignOut, **NOT_FOUND, **INVALID})
def campaigns_create(request: HttpRequest, payload: CampaignIn) -> Status[Campaign]:
    """A campaign, optionally run for one of the workspace's clients."""
    member = acting_member(request)
    client = None
    if payload.client_id is not None:
        client = client_get(workspace=member.workspace, id=payload.client_id)
    campaign = campaign_create(
        workspace=member.workspace, name=payload.name, client=client, status=payload.status
    )
    return Status(201, campaign)


@router.get("/{campaign_id}", response={200: CampaignOut, **NOT_FOUND})
def campaign_detail(request: HttpRequest, campaign_id: PathId) -> Campaign:
    return campaign_get(workspace=acting_member(request).workspace, id=campaign_id)


@router.patch("/{campaign_id}", response={200: CampaignOut, **NOT_FOUND, **INVALID})
def campaign_patch(request: HttpRequest, campaign_id: PathId, payload: CampaignPatch) -> Campaign:
    """Rename, change status, or set the client (null for none)."""
    member = acting_member(request)
    campaign = campaign_get(workspace=member.workspace, id=campaign_id)
    changes = payload.model_dump(exclude_unset=True)
    if "client_id" in changes:
        client_id = changes.pop("client_id")
        changes["client"] = (
            client_get(workspace=member.workspace, id=client_id) if client_id is not None else None
        )
    campaign = campaign_update(campaign=campaign, **changes)
    return campaign


@router.get("/{campaign_id}/members", response={200: CampaignMemberPageOut, **NOT_FOUND, **INVALID})
def campaign_members(
    request: HttpRequest, campaign_id: PathId, params: Query[PageQuery]
) -> CampaignMemberPageOut:
    """The campaign's creators by name, with their status."""
    member = acting_member(request)
    campaign = campaign_get(workspace=member.workspace, id=campaign_id)
    page = campaign_member_page(campaign=campaign, cursor=params.cursor, limit=params.limit)
    return CampaignMemberPageOut(
        items=[_member_out(cm) for cm in page.members], next_cursor=page.next_cursor
    )


@router.post("/{campaign_id}/members", response={200: CountOut, **NOT_FOUND, **INVALID})
def campaign_members_create(
    request: HttpRequest, campaign_id: PathId, payload: CampaignMembersIn
) -> CountOut:
    """Add creators; those already in the campaign keep their status. `count` = added."""
    member = acting_member(request)
    campaign = campaign_get(workspace=member.workspace, id=campaign_id)
    creators = creator_get_many(workspace=member.workspace, ids=payload.creator_ids)
    added = campaign_members_add(
        campaign=campaign, creator_ids=[c.id for c in creators], status=payload.status
    )
    return CountOut(count=added)


@router.put(
    "/{campaign_id}/members/{creator_id}",
    response={200: CampaignMemberOut, **NOT_FOUND, **INVALID},
)
def campaign_member_status(
    request: HttpRequest, campaign_id: PathId, creator_id: PathId, payload: CampaignMemberStatusIn
) -> CampaignMemberOut:
    """Set a creator's status in the campaign; the change shows in their thread."""
    member = acting_member(request)
    cm = campaign_member_get(
        workspace=member.workspace, campaign_id=campaign_id, creator_id=creator_id
    )
    cm = campaign_member_set_status(campaign_member=cm, status=payload.status, actor=member)
    return _member_out(cm)
