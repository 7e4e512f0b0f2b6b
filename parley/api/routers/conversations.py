"""Conversations: the inbox list, one thread, sending, read state, assignment."""

from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status

from parley.accounts.selectors import member_get
from parley.api.auth import acting_member
from parley.api.schemas import (
    AssignIn,
    ConversationFilterQuery,
    ConversationItemOut,
    ConversationOut,
    ConversationPageOut,
    ErrorOut,
    FieldErrorsOut,
    MarkUnreadIn,
    MessageIn,
    MessageOut,
    PathId,
    ThreadQuery,
    UnreadCountOut,
)
from parley.campaigns.selectors import campaign_get, inbox_filters_check
from parley.inbox.filters import filters_from_query
from parley.inbox.models import Message
from parley.inbox.selectors import (
    conversation_get,
    conversation_list,
    message_get,
    thread_campaign_ids,
    thread_messages,
    unread_count,
)
from parley.inbox.services import (
    conversation_assign,
    conversation_mark_read,
    conversation_mark_unread,
)
from parley.outbox.services import message_send

router = Router(tags=["conversations"])

NOT_FOUND = {404: ErrorOut}
INVALID = {422: FieldErrorsOut}


@router.get("", response={200: ConversationPageOut, **NOT_FOUND, **INVALID})
def conversations_list(
    request: HttpRequest, params: Query[ConversationFilterQuery]
) -> ConversationPageOut:
    """The inbox: unread first, then most recent activity; the same filters as the page."""
    member = acting_member(request)
    # One parser for the page and the API; the schema above documents and type-checks.
    filters = filters_from_query(request.GET)
    set_sizes = inbox_filters_check(workspace=member.workspace, filters=filters)
    page = conversation_list(
        member=member,
        filters=filters,
        cursor=params.cursor,
        limit=params.limit,
        set_sizes=set_sizes,
    )
    return ConversationPageOut(
        items=[ConversationItemOut.build(e) for e in page.entries], next_cursor=page.next_cursor
    )


@router.get("/unread-count", response=UnreadCountOut)
def conversations_unread_count(request: HttpRequest) -> UnreadCountOut:
    """How many conversations are unread for the token's member (the header badge)."""
    return UnreadCountOut(unread=unread_count(member=acting_member(request)))


@router.get("/{conversation_id}", response={200: ConversationOut, **NOT_FOUND})
def conversation_detail(request: HttpRequest, conversation_id: PathId) -> ConversationOut:
    member = acting_member(request)
    conversation = conversation_get(workspace=member.workspace, id=conversation_id)
    return ConversationOut.build(conversation, thread_campaign_ids(conversation=conversation))


@router.get("/{conversation_id}/messages", response={200: list[MessageOut], **NOT_FOUND, **INVALID})
def conversation_thread(
    request: HttpRequest, conversation_id: PathId, params: Query[ThreadQuery]
) -> list[Message]:
    """The thread, oldest to newest (the newest 200 messages)."""
    member = acting_member(request)
    conversation = conversation_get(workspace=member.workspace, id=conversation_id)
    campaign_id = None
    if params.campaign is not None:
        campaign_id = campaign_get(workspace=member.workspace, id=params.campaign).id
    return thread_messages(conversation=conversation, campaign_id=campaign_id)


@router.post("/{conversation_id}/messages", response={201: MessageOut, **NOT_FOUND, **INVALID})
def conversation_message_send(
    request: HttpRequest, conversation_id: PathId, payload: MessageIn
) -> Status[Message]:
    """Send a message now, or schedule it with `send_at`."""
    member = acting_member(request)
    conversation = conversation_get(workspace=member.workspace, id=conversation_id)
    campaign_id = None
    if payload.campaign_id is not None:
        campaign_id = campaign_get(workspace=member.workspace, id=payload.campaign_id).id
    message = message_send(
        member=member,
        conversation=conversation,
        channel=payload.channel,
        body=payload.body,
        subject=payload.subject,
        campaign_id=campaign_id,
        # A time that has passed by the time the request arrives sends now.
        send_at=payload.send_at if payload.send_at and payload.send_at > timezone.now() else None,
    )
    return Status(201, message)


@router.post("/{conversation_id}/read", response={204: None, **NOT_FOUND})
def conversation_read(request: HttpRequest, conversation_id: PathId) -> Status[None]:
    member = acting_member(request)
    conversation = conversation_get(workspace=member.workspace, id=conversation_id)
    conversation_mark_read(member=member, conversation=conversation)
    return Status(204, None)


@router.post("/{conversation_id}/unread", response={204: None, **NOT_FOUND, **INVALID})
def conversation_unread(
    request: HttpRequest, conversation_id: PathId, payload: MarkUnreadIn | None = None
) -> Status[None]:
    """Back to the top of the member's inbox, with a reminder notification."""
    member = acting_member(request)
    conversation = conversation_get(workspace=member.workspace, id=conversation_id)
    message = None
    if payload is not None and payload.message_id is not None:
        message = message_get(conversation=conversation, id=payload.message_id)
    conversation_mark_unread(member=member, conversation=conversation, message=message)
    return Status(204, None)


@router.put("/{conversation_id}/assignee", response={200: ConversationOut, **NOT_FOUND, **INVALID})
def conversation_assignee(
    request: HttpRequest, conversation_id: PathId, payload: AssignIn
) -> ConversationOut:
    """Give the conversation an owner among the teammates, or none (null)."""
    member = acting_member(request)
    conversation = conversation_get(workspace=member.workspace, id=conversation_id)
    assignee = None
    if payload.member_id is not None:
        assignee = member_get(workspace=member.workspace, id=payload.member_id)
    conversation = conversation_assign(actor=member, conversation=conversation, assignee=assignee)
    return ConversationOut.build(conversation, thread_campaign_ids(conversation=conversation))
