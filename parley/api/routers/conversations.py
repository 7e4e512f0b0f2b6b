"""Conversations: the inbox list, one thread, sending (in-app and email), what happens to a
message on its way out (retry, mark as sent, cancel), read state, assignment."""

import base64
from io import BytesIO

from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest
from django.utils import timezone
from ninja import Query, Router, Status

from parley.accounts.selectors import member_get
from parley.api.auth import acting_member
from parley.api.schemas import (
    AssignIn,
    AttachmentIn,
    ConversationFilterQuery,
    ConversationItemOut,
    ConversationOut,
    ConversationPageOut,
    EmailMessageIn,
    ErrorOut,
    FieldErrorsOut,
    MarkUnreadIn,
    MessageOut,
    PathId,
    SendIn,
    SmsMessageIn,
    ThreadQuery,
    UnreadCountOut,
)
from parley.campaigns.selectors import campaign_get, inbox_filters_check
from parley.channels.email.selectors import mailbox_get
from parley.channels.sms.selectors import number_default, number_get
from parley.core.errors import Conflict, NotFound, ValidationFailed
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
from parley.outbox.email_send import email_message_send
from parley.outbox.services import message_send, outbox_cancel, outbox_mark_sent, outbox_retry
from parley.outbox.sms_send import sms_message_send

router = Router(tags=["conversations"])

NOT_FOUND = {404: ErrorOut}
INVALID = {422: FieldErrorsOut}
# The message's state does not allow it (already sent, being sent, ...).
CONFLICT = {409: FieldErrorsOut}


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


class JsonUpload(UploadedFile):
    """An attachment from a JSON body. Its name is kept as sent (Django's own uploads drop
    a path, and refuse `..`): email_message_send stores it under a safe name and keeps
    the original, cleaned, for display."""

    def __init__(self, attachment: AttachmentIn):
        data = base64.b64decode(attachment.data_base64, validate=True)
        super().__init__(BytesIO(data), content_type=attachment.content_type, size=len(data))
        self._name = attachment.filename


# What an email cannot be sent for however it is written: the creator's address bounced
# (send again with confirm_bouncing) or the creator has no address.
_STATE_FIELDS = {"confirm_bouncing", "conversation"}


@router.post(
    "/{conversation_id}/messages",
    response={201: MessageOut, **NOT_FOUND, **INVALID, **CONFLICT},
)
def conversation_message_send(
    request: HttpRequest, conversation_id: PathId, payload: SendIn
) -> Status[Message]:
    """Send a message now, or schedule it with `send_at`.

    In-app by default. With `channel: "email"`: from the mailbox `mailbox_id`, with a
    subject and attachments (base64 in the JSON body); it is queued in the outbox
    (`status: queued`) and goes out under the mailbox's daily limit: when today is full it
    waits for the next day with room (`scheduled_reason: daily_limit`, `planned_day`).
    409 on `confirm_bouncing` when the creator's address bounced (send again with
    `confirm_bouncing: true`), or on `conversation` when the creator has no email address.

    With `channel: "sms"`: from the SMS number `number_id` (or the default one) to the
    creator's phone (E.164), queued in the outbox and sent at the number's rate; a text over
    the segment cap is a 422 on `body`. 409 on `conversation` when the creator has no valid
    phone number or it opted out (replied STOP); 404 when no SMS number is connected. The
    message then follows Twilio's reports: `sent`, `delivered`, or `failed` with Twilio's
    error code and its meaning in `status_reason`.
    """
    member = acting_member(request)
    conversation = conversation_get(workspace=member.workspace, id=conversation_id)
    campaign_id = None
    if payload.campaign_id is not None:
        campaign_id = campaign_get(workspace=member.workspace, id=payload.campaign_id).id
    # A time that has passed by the time the request arrives sends now.
    send_at = payload.send_at if payload.send_at and payload.send_at > timezone.now() else None
    if isinstance(payload, SmsMessageIn):
        if payload.number_id is not None:
            number = number_get(workspace=member.workspace, id=payload.number_id)
        else:
            found = number_default(workspace=member.workspace)
            if found is None:
                raise NotFound
            number = found
        try:
            message = sms_message_send(
                member=member,
                conversation=conversation,
                number=number,
                body=payload.body,
                campaign_id=campaign_id,
                send_at=send_at,
            )
        except ValidationFailed as exc:
            if set(exc.errors) <= _STATE_FIELDS:
                raise Conflict(exc.errors) from exc
            raise
        return Status(201, message)
    if not isinstance(payload, EmailMessageIn):
        message = message_send(
            member=member,
            conversation=conversation,
            channel=payload.channel,
            body=payload.body,
            subject=payload.subject,
            campaign_id=campaign_id,
            send_at=send_at,
        )
        return Status(201, message)
    mailbox = mailbox_get(workspace=member.workspace, id=payload.mailbox_id)
    try:
        message = email_message_send(
            member=member,
            conversation=conversation,
            mailbox=mailbox,
            subject=payload.subject,
            body=payload.body,
            attachments=[JsonUpload(a) for a in payload.attachments],
            campaign_id=campaign_id,
            send_at=send_at,
            confirm_bouncing=payload.confirm_bouncing,
        )
    except ValidationFailed as exc:
        if set(exc.errors) <= _STATE_FIELDS:
            raise Conflict(exc.errors) from exc
        raise
    return Status(201, message)


@router.post(
    "/{conversation_id}/messages/{message_id}/retry",
    response={200: MessageOut, **NOT_FOUND, **CONFLICT},
)
def conversation_message_retry(
    request: HttpRequest, conversation_id: PathId, message_id: PathId
) -> Message:
    """Send a failed message, or one whose outcome is unknown, again (it is queued).
    409 for any other message."""
    member = acting_member(request)
    conversation = conversation_get(workspace=member.workspace, id=conversation_id)
    message = message_get(conversation=conversation, id=message_id)
    outbox_retry(member=member, message=message)
    return message


@router.post(
    "/{conversation_id}/messages/{message_id}/mark-sent",
    response={200: MessageOut, **NOT_FOUND, **CONFLICT},
)
def conversation_message_mark_sent(
    request: HttpRequest, conversation_id: PathId, message_id: PathId
) -> Message:
    """Mark a message whose outcome is unknown as sent (someone found it in the mailbox's
    Sent folder). 409 for any other message."""
    member = acting_member(request)
    conversation = conversation_get(workspace=member.workspace, id=conversation_id)
    message = message_get(conversation=conversation, id=message_id)
    outbox_mark_sent(member=member, message=message)
    return message


@router.post(
    "/{conversation_id}/messages/{message_id}/cancel",
    response={200: MessageOut, **NOT_FOUND, **CONFLICT},
)
def conversation_message_cancel(
    request: HttpRequest, conversation_id: PathId, message_id: PathId
) -> Message:
    """Cancel a message that has not gone out (scheduled, or waiting for its day under the
    daily limit): it shows as failed, "Cancelled before it was sent." 409 when it is
    being sent or has gone."""
    member = acting_member(request)
    conversation = conversation_get(workspace=member.workspace, id=conversation_id)
    message = message_get(conversation=conversation, id=message_id)
    outbox_cancel(member=member, message=message)
    return message


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
