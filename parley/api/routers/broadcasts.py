"""Mass messages: one email (or in-app message) written from templates for each of many
creators, each in their own thread. Create one (checked first: every problem at once,
nothing queued on any), or only check it; preview it for one creator; list them; follow
one's progress; cancel what has not gone out."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from parley.api.auth import acting_member
from parley.api.broadcast_schemas import (
    BroadcastCheckOut,
    BroadcastIn,
    BroadcastOut,
    BroadcastPageOut,
    BroadcastPageQuery,
    BroadcastPreviewIn,
    PreviewOut,
    api_problems,
    broadcast_item_out,
    broadcast_out,
    check_out,
    preview_out,
)
from parley.api.schemas import ErrorOut, FieldErrorsOut, PathId
from parley.broadcasts.models import Broadcast
from parley.broadcasts.selectors import (
    broadcast_get,
    broadcast_page,
    broadcast_progress,
    broadcast_recipient_ids,
    broadcast_template_preview,
)
from parley.broadcasts.services import broadcast_cancel, broadcast_create
from parley.campaigns.selectors import campaign_get
from parley.channels.email.selectors import mailbox_default, mailbox_get
from parley.channels.sms.selectors import number_get as sms_number_get
from parley.core.errors import Conflict, ValidationFailed

router = Router(tags=["broadcasts"])

NOT_FOUND = {404: ErrorOut}
INVALID = {422: FieldErrorsOut}


@router.get("", response={200: BroadcastPageOut, **INVALID})
def broadcasts_list(request: HttpRequest, params: Query[BroadcastPageQuery]) -> dict[str, Any]:
    """The workspace's mass messages, the most recent first, with their recipients and how
    many of their messages are written (`GET /broadcasts/{id}` for the progress)."""
    member = acting_member(request)
    page = broadcast_page(workspace=member.workspace, cursor=params.cursor, limit=params.limit)
    return {
        "items": [broadcast_item_out(b) for b in page.broadcasts],
        "next_cursor": page.next_cursor,
    }


@router.post(
    "",
    response={200: BroadcastCheckOut, 201: BroadcastOut, **NOT_FOUND, **INVALID},
)
def broadcast_create_send(request: HttpRequest, payload: BroadcastIn) -> Status[dict[str, Any]]:
    """Send a mass message: each recipient gets their own message, written from the
    templates, in their own thread (an email with its own Message-ID, so replies land per
    creator).

    Recipients: `creator_ids`, or every creator whose conversation matches `filter` (the
    inbox filter), or `campaign_id`'s members; at most `PARLEY_BROADCAST_LIMIT` (a 422 on
    `__all__` beyond). It is checked first and answers 422 with every problem at once:
    the templates' syntax (with its line) and unknown fields, a missing subject or mailbox,
    nobody left to send to; nothing is saved or queued then. Recipients without an email
    address, or whose address bounced, are skipped and listed (`skipped`) with the reason.
    Otherwise 201: the mass message, `preparing` while the worker writes its messages, then
    `sending` under the mailbox's daily limit (in-app ones are `done` when written).

    With `check_only: true` nothing is saved or sent: a 200 with the check (`problems`,
    who would get it, who would be skipped and why) and a preview for the first recipient.
    A template's problems (and the number of recipients a filter matches) are what a
    request this schema allows can still get a 422 for."""
    member = acting_member(request)
    workspace = member.workspace
    if payload.creator_ids is not None and payload.filter is not None:
        raise ValidationFailed({"filter": [_("Give creator_ids or filter, not both.")]})
    if payload.creator_ids is None and payload.filter is None and payload.campaign_id is None:
        raise ValidationFailed(
            {"creator_ids": [_("Choose the recipients: creator_ids, filter or campaign_id.")]}
        )
    campaign_id = payload.campaign_id
    if campaign_id is None and payload.filter is not None:
        campaign_id = payload.filter.campaign
    campaign = campaign_get(workspace=workspace, id=campaign_id) if campaign_id else None
    if payload.mailbox_id is not None:
        mailbox = mailbox_get(workspace=workspace, id=payload.mailbox_id)
    elif payload.channel == Broadcast.Channel.EMAIL:
        mailbox = mailbox_default(workspace=workspace)
    else:
        mailbox = None
    sms_number = None
    if payload.sms_number_id is not None:
        sms_number = sms_number_get(workspace=workspace, id=payload.sms_number_id)
    creator_ids = broadcast_recipient_ids(
        member=member,
        creator_ids=payload.creator_ids,
        filters=payload.filter.inbox_filters() if payload.filter is not None else None,
        campaign=campaign,
        cap=int(settings.PARLEY_BROADCAST_LIMIT),
    )
    # A time that has passed by the time the request arrives sends now.
    send_at = payload.send_at if payload.send_at and payload.send_at > timezone.now() else None
    try:
        created = broadcast_create(
            member=member,
            creator_ids=creator_ids,
            campaign=campaign,
            channel=payload.channel,
            mailbox=mailbox,
            subject=payload.subject,
            body=payload.body,
            send_at=send_at,
            check_only=payload.check_only,
            sms_number=sms_number,
        )
    except ValidationFailed as exc:
        raise ValidationFailed(api_problems(exc.errors)) from exc
    if created.broadcast is None:
        return Status(
            200,
            check_out(created.check, created.preview, subject=payload.subject, body=payload.body),
        )
    broadcast = broadcast_get(workspace=workspace, id=created.broadcast.id)
    return Status(201, broadcast_out(broadcast, broadcast_progress(broadcast=broadcast)))


@router.post("/preview", response={200: PreviewOut, **NOT_FOUND, **INVALID})
def broadcast_preview(request: HttpRequest, payload: BroadcastPreviewIn) -> dict[str, Any]:
    """The subject and body as one creator gets them. A template that cannot be written
    (its syntax, with its line; an unknown field; a value this creator lacks) is no error
    here: `problems` says why, and that part is empty."""
    member = acting_member(request)
    campaign = None
    if payload.campaign_id is not None:
        campaign = campaign_get(workspace=member.workspace, id=payload.campaign_id)
    preview = broadcast_template_preview(
        member=member,
        creator_id=payload.creator_id,
        campaign=campaign,
        subject=payload.subject,
        body=payload.body,
    )
    return preview_out(preview, subject=payload.subject, body=payload.body)


@router.get("/{broadcast_id}", response={200: BroadcastOut, **NOT_FOUND})
def broadcast_detail(request: HttpRequest, broadcast_id: PathId) -> dict[str, Any]:
    """A mass message and its progress: its messages by state, what waits for which day
    under the mailbox's daily limit and so the day it is expected to finish, the failures
    with their reasons, and who was skipped and why: the same few queries however large."""
    member = acting_member(request)
    broadcast = broadcast_get(workspace=member.workspace, id=broadcast_id)
    return broadcast_out(broadcast, broadcast_progress(broadcast=broadcast))


@router.post(
    "/{broadcast_id}/cancel",
    response={200: BroadcastOut, **NOT_FOUND, 409: FieldErrorsOut},
)
def broadcast_cancel_rest(request: HttpRequest, broadcast_id: PathId) -> dict[str, Any]:
    """Cancel what has not gone out: messages still waiting show as failed, "Cancelled
    before it was sent."; those being written are not written. 409 once it is done,
    cancelled already or could not be queued."""
    member = acting_member(request)
    broadcast = broadcast_get(workspace=member.workspace, id=broadcast_id)
    try:
        broadcast_cancel(member=member, broadcast=broadcast)
    except ValidationFailed as exc:
        raise Conflict(exc.errors) from exc
    broadcast = broadcast_get(workspace=member.workspace, id=broadcast_id)
    return broadcast_out(broadcast, broadcast_progress(broadcast=broadcast))
