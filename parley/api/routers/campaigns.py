"""Campaigns (brief, dates, terms, templates, archive), their creators and where each creator
stands: status changes one at a time or in bulk, with the rules of the workflow
(parley/campaigns/workflow.py): a change it does not allow is a 409 saying what is possible."""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from parley.accounts.models import Member
from parley.accounts.selectors import client_get
from parley.api.auth import acting_member
from parley.api.campaign_schemas import (
    CampaignDetailOut,
    CampaignIn,
    CampaignMemberOut,
    CampaignMemberPageOut,
    CampaignMembersIn,
    CampaignMemberStatusIn,
    CampaignOut,
    CampaignPatch,
    CampaignQuery,
    EmailTemplatesIn,
    LeftOut,
    MemberPageQuery,
    TransitionsIn,
    TransitionsOut,
)
from parley.api.schemas import ClientOut, CountOut, CreatorRef, ErrorOut, FieldErrorsOut, PathId
from parley.broadcasts.campaign_mail import (
    campaign_member_transition,
    campaign_members_transition,
)
from parley.broadcasts.selectors import creator_ids_in_workspace
from parley.campaigns.models import Campaign, CampaignMember
from parley.campaigns.selectors import (
    campaign_get,
    campaign_list,
    campaign_member_counts,
    campaign_member_get,
    campaign_member_page,
)
from parley.campaigns.services import (
    campaign_create,
    campaign_delete,
    campaign_email_templates,
    campaign_members_add,
    campaign_update,
)
from parley.campaigns.workflow import transitions_from
from parley.channels.email.models import Mailbox
from parley.channels.email.selectors import mailbox_get
from parley.core.errors import NotFound
from parley.creators.selectors import creator_get_many

router = Router(tags=["campaigns"])

NOT_FOUND = {404: ErrorOut}
INVALID = {422: FieldErrorsOut}
# A change the workflow does not allow, or a campaign that is archived.
CONFLICT = {409: FieldErrorsOut}


def _campaign_out(campaign: Campaign, counts: dict[str, int]) -> dict[str, Any]:
    return {
        "id": campaign.id,
        "name": campaign.name,
        "status": campaign.status,
        "client": ClientOut(id=campaign.client.id, name=campaign.client.name)
        if campaign.client
        else None,
        "starts_on": campaign.starts_on,
        "ends_on": campaign.ends_on,
        "created_at": campaign.created_at,
        "member_counts": counts,
    }


def _detail_out(campaign: Campaign) -> dict[str, Any]:
    counts = campaign_member_counts(campaign_ids=[campaign.id]).get(campaign.id, {})
    templates = campaign_email_templates(campaign=campaign)
    return {
        **_campaign_out(campaign, counts),
        "brief": campaign.brief,
        "payment_terms": campaign.payment_terms,
        "agreement_template": campaign.agreement_template,
        "templates": {
            kind: {"subject": t.subject, "body": t.body} for kind, t in templates.items()
        },
    }


def _templates(payload: EmailTemplatesIn | None) -> dict[str, tuple[str, str]]:
    if payload is None:
        return {}
    return {
        kind: (template.subject, template.body)
        for kind in ("invitation", "approval", "rejection")
        if (template := getattr(payload, kind)) is not None
    }


def _member_out(cm: CampaignMember) -> CampaignMemberOut:
    return CampaignMemberOut(
        creator=CreatorRef(id=cm.creator.id, name=cm.creator.name),
        status=cm.status,
        last_activity_at=cm.last_activity_at,
        updated_at=cm.updated_at,
        next_statuses=[t.target for t in transitions_from(cm.status)],
    )


def _mailbox(member: Member, mailbox_id: int | None) -> Mailbox | None:
    return mailbox_get(workspace=member.workspace, id=mailbox_id) if mailbox_id else None


@router.get("", response={200: list[CampaignOut], **INVALID})
def campaigns_list(request: HttpRequest, params: Query[CampaignQuery]) -> list[dict[str, Any]]:
    """The workspace's campaigns by name, with their creators by status (one grouped
    query for all of them)."""
    campaigns = campaign_list(workspace=acting_member(request).workspace)
    if params.status:
        campaigns = [c for c in campaigns if c.status == params.status]
    counts = campaign_member_counts(campaign_ids=[c.id for c in campaigns])
    return [_campaign_out(c, counts.get(c.id, {})) for c in campaigns]


@router.post("", response={201: CampaignDetailOut, **NOT_FOUND, **INVALID})
def campaigns_create(request: HttpRequest, payload: CampaignIn) -> Status[dict[str, Any]]:
    """A campaign, optionally run for one of the workspace's clients, with its three emails
    (the standard text for each kind not given)."""
    member = acting_member(request)
    client = None
    if payload.client_id is not None:
        client = client_get(workspace=member.workspace, id=payload.client_id)
    campaign = campaign_create(
        workspace=member.workspace,
        name=payload.name,
        client=client,
        status=payload.status,
        brief=payload.brief,
        starts_on=payload.starts_on,
        ends_on=payload.ends_on,
        payment_terms=payload.payment_terms,
        agreement_template=payload.agreement_template,
        templates=_templates(payload.templates),
    )
    return Status(201, _detail_out(campaign))


@router.get("/{campaign_id}", response={200: CampaignDetailOut, **NOT_FOUND, **INVALID})
def campaign_detail(request: HttpRequest, campaign_id: PathId) -> dict[str, Any]:
    campaign = campaign_get(workspace=acting_member(request).workspace, id=campaign_id)
    return _detail_out(campaign)


@router.patch("/{campaign_id}", response={200: CampaignDetailOut, **NOT_FOUND, **INVALID})
def campaign_patch(
    request: HttpRequest, campaign_id: PathId, payload: CampaignPatch
) -> dict[str, Any]:
    """Change what is given; everything is checked, every problem at once, before anything
    changes."""
    member = acting_member(request)
    campaign = campaign_get(workspace=member.workspace, id=campaign_id)
    changes = payload.model_dump(exclude_unset=True)
    if "client_id" in changes:
        client_id = changes.pop("client_id")
        changes["client"] = (
            client_get(workspace=member.workspace, id=client_id) if client_id is not None else None
        )
    if "templates" in changes:
        changes["templates"] = _templates(payload.templates)
    campaign = campaign_update(campaign=campaign, **changes)
    return _detail_out(campaign)


@router.delete("/{campaign_id}", response={204: None, **NOT_FOUND, **INVALID})
def campaign_remove(request: HttpRequest, campaign_id: PathId) -> Status[None]:
    """Delete the campaign with its members and assets; its messages stay in the threads,
    without the campaign. (Archiving keeps everything: PATCH status archived.)"""
    campaign = campaign_get(workspace=acting_member(request).workspace, id=campaign_id)
    campaign_delete(campaign=campaign)
    return Status(204, None)


@router.get("/{campaign_id}/members", response={200: CampaignMemberPageOut, **NOT_FOUND, **INVALID})
def campaign_members(
    request: HttpRequest, campaign_id: PathId, params: Query[MemberPageQuery]
) -> CampaignMemberPageOut:
    """The campaign's creators, newest activity first (all, or one status), keyset-paged:
    one indexed walk whatever the campaign's size."""
    member = acting_member(request)
    campaign = campaign_get(workspace=member.workspace, id=campaign_id)
    page = campaign_member_page(
        campaign=campaign, status=params.status, cursor=params.cursor, limit=params.limit
    )
    return CampaignMemberPageOut(
        items=[_member_out(cm) for cm in page.members], next_cursor=page.next_cursor
    )


@router.post("/{campaign_id}/members", response={200: CountOut, **NOT_FOUND, **INVALID, **CONFLICT})
def campaign_members_create(
    request: HttpRequest, campaign_id: PathId, payload: CampaignMembersIn
) -> CountOut:
    """Add creators (no invitation is sent: invite them with a status change). Those
    already in the campaign keep their status. `count` = added. 404 if any creator is not
    the workspace's; 409 for an archived campaign."""
    member = acting_member(request)
    campaign = campaign_get(workspace=member.workspace, id=campaign_id)
    creators = creator_get_many(workspace=member.workspace, ids=payload.creator_ids)
    added = campaign_members_add(
        campaign=campaign, creator_ids=[c.id for c in creators], status=payload.status
    )
    return CountOut(count=added)


@router.get(
    "/{campaign_id}/members/{creator_id}",
    response={200: CampaignMemberOut, **NOT_FOUND, **INVALID},
)
def campaign_member(
    request: HttpRequest, campaign_id: PathId, creator_id: PathId
) -> CampaignMemberOut:
    member = acting_member(request)
    cm = campaign_member_get(
        workspace=member.workspace, campaign_id=campaign_id, creator_id=creator_id
    )
    return _member_out(cm)


@router.put(
    "/{campaign_id}/members/{creator_id}",
    response={200: CampaignMemberOut, **NOT_FOUND, **INVALID, **CONFLICT},
)
def campaign_member_status(
    request: HttpRequest, campaign_id: PathId, creator_id: PathId, payload: CampaignMemberStatusIn
) -> CampaignMemberOut:
    """Move the creator to `status`: the change shows in their thread as an event, and an
    invitation, approval or rejection sends its email (422 when it cannot: no mailbox, no
    address, a bounced address without confirm_bouncing). 409 for a change the workflow
    does not allow from their status, or an archived campaign."""
    member = acting_member(request)
    cm = campaign_member_get(
        workspace=member.workspace, campaign_id=campaign_id, creator_id=creator_id
    )
    if cm.status != payload.status:
        cm = campaign_member_transition(
            member=member,
            campaign_member=cm,
            status=payload.status,
            mailbox=_mailbox(member, payload.mailbox_id),
            send_email=payload.send_email,
            confirm_bouncing=payload.confirm_bouncing,
        )
        cm.refresh_from_db()
    return _member_out(cm)


@router.post(
    "/{campaign_id}/transitions",
    response={200: TransitionsOut, **NOT_FOUND, **INVALID, **CONFLICT},
)
def campaign_transitions(
    request: HttpRequest, campaign_id: PathId, payload: TransitionsIn
) -> TransitionsOut:
    """Move many creators to `status` at once. Each moves by the change the workflow
    allows from their own status; the others are listed in `refused`. The statuses and
    their events change now; with an email (invited, approved, rejected) the emails are
    written and queued by the worker as one mass message (`broadcast_id`), and creators
    it cannot reach are listed in `skipped` and keep their status. 404 if any creator is
    not the workspace's."""
    member = acting_member(request)
    campaign = campaign_get(workspace=member.workspace, id=campaign_id)
    wanted = set(payload.creator_ids)
    if len(creator_ids_in_workspace(workspace_id=member.workspace_id, ids=list(wanted))) != len(
        wanted
    ):
        raise NotFound
    mailbox = _mailbox(member, payload.mailbox_id)
    outcome = campaign_members_transition(
        member=member,
        campaign=campaign,
        creator_ids=payload.creator_ids,
        status=payload.status,
        mailbox=mailbox,
        send_email=payload.send_email,
    )
    return TransitionsOut(
        moved=outcome.moved,
        refused=[
            LeftOut(creator_id=r.creator_id, name=r.name, reason=r.reason) for r in outcome.refused
        ],
        skipped=[
            LeftOut(creator_id=s.creator_id, name=s.name, reason=str(s.reason))
            for s in outcome.skipped
        ],
        broadcast_id=outcome.broadcast.id if outcome.broadcast else None,
    )
