"""Working as a team: response-time figures, the member's notification preferences and API
tokens, the workspace's saved replies, and editing a message that waits to go out."""

from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status

from parley.accounts.selectors import api_token_get, api_token_list
from parley.accounts.services import api_token_create, api_token_revoke
from parley.api.auth import acting_member
from parley.api.schemas import ErrorOut, FieldErrorsOut, MessageOut, PathId
from parley.api.team_schemas import (
    ApiTokenCreatedOut,
    ApiTokenIn,
    ApiTokenOut,
    PreferenceOut,
    PreferencesIn,
    RenderedOut,
    RenderIn,
    ReportQuery,
    ResponseReportOut,
    SavedReplyIn,
    SavedReplyOut,
    SavedReplyPatch,
    ScheduledPatch,
    token_out,
)
from parley.campaigns.selectors import campaign_get
from parley.inbox.models import Message
from parley.inbox.preferences import notification_preferences
from parley.inbox.selectors import conversation_get, message_get
from parley.inbox.services import notification_preferences_update
from parley.outbox.services import outbox_reschedule
from parley.replies.models import SavedReply
from parley.replies.selectors import saved_reply_get, saved_reply_list, saved_reply_render
from parley.replies.services import saved_reply_create, saved_reply_delete, saved_reply_update
from parley.reports.selectors import Figures, response_report

NOT_FOUND = {404: ErrorOut}
INVALID = {422: FieldErrorsOut}
CONFLICT = {409: FieldErrorsOut}

reports_router = Router(tags=["reports"])
preferences_router = Router(tags=["notifications"])
tokens_router = Router(tags=["api tokens"])
replies_router = Router(tags=["saved replies"])
messages_router = Router(tags=["conversations"])


def _figures(f: Figures) -> dict[str, Any]:
    return {"count": f.count, "median": f.median, "p90": f.p90}


@reports_router.get("/response-times", response={200: ResponseReportOut, **INVALID})
def report_response_times(request: HttpRequest, params: Query[ReportQuery]) -> dict[str, Any]:
    """The team's and each member's median and 90th-percentile response and first-response
    times (seconds) over the period, the team's by day, and the conversations waiting for a
    reply now."""
    member = acting_member(request)
    report = response_report(workspace=member.workspace, days=int(params.period))
    return {
        "period": report.days,
        "since": report.since,
        "until": report.until,
        "goal_hours": report.goal_hours,
        "team": _figures(report.team),
        "team_first_responses": _figures(report.team_first),
        "members": [
            {
                "member": m.member,
                "responses": _figures(m.responses),
                "first_responses": _figures(m.first),
            }
            for m in report.members
        ],
        "days": [{"day": d.day, "responses": _figures(d.responses)} for d in report.daily],
        "waiting": report.waiting,
        "overdue": report.overdue,
        "oldest_waiting_since": report.oldest_waiting_since,
    }


@preferences_router.get("", response=list[PreferenceOut])
def preferences_list(request: HttpRequest) -> list[Any]:
    """How the token's member hears of each kind of notification."""
    return notification_preferences(member=acting_member(request))


@preferences_router.put("", response={200: list[PreferenceOut], **INVALID})
def preferences_update(request: HttpRequest, payload: PreferencesIn) -> list[Any]:
    """Set kinds in the app and/or by email; kinds left out keep theirs."""
    member = acting_member(request)
    notification_preferences_update(
        member=member,
        changes={p.kind: (p.in_app, p.email) for p in payload.preferences},
    )
    return notification_preferences(member=member)


@tokens_router.get("", response=list[ApiTokenOut])
def tokens_list(request: HttpRequest) -> list[dict[str, object]]:
    """The member's own tokens (never their values)."""
    return [token_out(t) for t in api_token_list(member=acting_member(request))]


@tokens_router.post("", response={201: ApiTokenCreatedOut, **INVALID})
def tokens_create(request: HttpRequest, payload: ApiTokenIn) -> Status[dict[str, object]]:
    """A new token acting as the same member; `token` is in this answer only."""
    token, raw = api_token_create(member=acting_member(request), name=payload.name)
    return Status(201, token_out(token, raw))


@tokens_router.delete("/{token_id}", response={204: None, **NOT_FOUND})
def tokens_revoke(request: HttpRequest, token_id: PathId) -> Status[None]:
    """Revoke one of the member's own tokens (this one too: it stops working at once)."""
    member = acting_member(request)
    api_token_revoke(member=member, token=api_token_get(member=member, id=token_id))
    return Status(204, None)


@replies_router.get("", response=list[SavedReplyOut])
def replies_list(request: HttpRequest) -> list[SavedReply]:
    return saved_reply_list(workspace=acting_member(request).workspace)


@replies_router.post("", response={201: SavedReplyOut, **CONFLICT, **INVALID})
def replies_create(request: HttpRequest, payload: SavedReplyIn) -> Status[SavedReply]:
    """A saved reply; its subject and text are checked as templates (422 with each problem,
    a syntax error with its line; no schema can foresee those); 409 when the name is
    taken."""
    member = acting_member(request)
    return Status(201, saved_reply_create(member=member, **payload.dict()))


@replies_router.get("/{reply_id}", response={200: SavedReplyOut, **NOT_FOUND})
def replies_detail(request: HttpRequest, reply_id: PathId) -> SavedReply:
    return saved_reply_get(workspace=acting_member(request).workspace, id=reply_id)


@replies_router.patch(
    "/{reply_id}", response={200: SavedReplyOut, **NOT_FOUND, **CONFLICT, **INVALID}
)
def replies_update(request: HttpRequest, reply_id: PathId, payload: SavedReplyPatch) -> SavedReply:
    member = acting_member(request)
    reply = saved_reply_get(workspace=member.workspace, id=reply_id)
    given = payload.dict(exclude_unset=True)
    return saved_reply_update(
        member=member,
        reply=reply,
        name=given.get("name", reply.name),
        subject=given.get("subject", reply.subject),
        body=given.get("body", reply.body),
    )


@replies_router.delete("/{reply_id}", response={204: None, **NOT_FOUND})
def replies_delete(request: HttpRequest, reply_id: PathId) -> Status[None]:
    member = acting_member(request)
    saved_reply_delete(
        member=member, reply=saved_reply_get(workspace=member.workspace, id=reply_id)
    )
    return Status(204, None)


@replies_router.post("/{reply_id}/render", response={200: RenderedOut, **NOT_FOUND, **INVALID})
def replies_render(request: HttpRequest, reply_id: PathId, payload: RenderIn) -> dict[str, str]:
    """The reply filled in for a conversation's creator (and a campaign's fields, when
    given): what the message box inserts. 422 naming a field without a value."""
    member = acting_member(request)
    reply = saved_reply_get(workspace=member.workspace, id=reply_id)
    conversation = conversation_get(workspace=member.workspace, id=payload.conversation_id)
    campaign = (
        campaign_get(workspace=member.workspace, id=payload.campaign_id)
        if payload.campaign_id
        else None
    )
    rendered = saved_reply_render(reply=reply, creator=conversation.creator, campaign=campaign)
    return {"subject": rendered.subject, "body": rendered.body}


@messages_router.patch(
    "/{conversation_id}/messages/{message_id}",
    response={200: MessageOut, **NOT_FOUND, **CONFLICT, **INVALID},
)
def conversation_message_edit(
    request: HttpRequest, conversation_id: PathId, message_id: PathId, payload: ScheduledPatch
) -> Message:
    """Change the text (an email's subject) or the time of a message that has not gone
    out. 409 once a worker is sending it, or it went or was cancelled."""
    member = acting_member(request)
    conversation = conversation_get(workspace=member.workspace, id=conversation_id)
    message = message_get(conversation=conversation, id=message_id)
    given = payload.dict(exclude_unset=True)
    send_at = given.get("send_at", message.scheduled_for)
    if send_at is not None and send_at <= timezone.now():
        send_at = None
    outbox_reschedule(
        member=member,
        message=message,
        body=given.get("body", message.body_text),
        subject=given.get("subject"),
        send_at=send_at,
    )
    message.refresh_from_db()
    return message
