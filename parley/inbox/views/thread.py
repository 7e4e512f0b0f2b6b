"""The thread pane: messages, the message box, mark as unread."""

from datetime import UTC, datetime

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from parley.accounts.models import Member
from parley.campaigns.selectors import campaign_list
from parley.channels.email.mime import reply_subject
from parley.channels.email.selectors import mailbox_get, mailbox_list
from parley.channels.registry import available_channels
from parley.channels.sms.selectors import number_get, number_list
from parley.core.errors import ValidationFailed
from parley.core.views import int_or_none, member_view
from parley.inbox.models import Channel, Conversation, Message
from parley.inbox.selectors import (
    conversation_get,
    message_get,
    thread_campaign_ids,
    thread_messages,
)
from parley.inbox.services import conversation_mark_read, conversation_mark_unread
from parley.inbox.views.sidebar import sidebar_context
from parley.inbox.views.thread_html import thread_messages_html
from parley.outbox.email_send import email_message_send
from parley.outbox.services import message_send, outbox_cancel, outbox_mark_sent, outbox_retry
from parley.outbox.sms_send import sms_message_send


def _thread_context(
    member: Member, conversation: Conversation, campaign_id: int | None, focus: int | None = None
) -> dict:
    conversation_mark_read(member=member, conversation=conversation)
    campaigns = campaign_list(workspace=member.workspace, creator=conversation.creator)
    in_thread = set(thread_campaign_ids(conversation=conversation))
    mailboxes = mailbox_list(workspace=member.workspace)
    sms_numbers = number_list(workspace=member.workspace)
    channels = [
        c
        for c in available_channels()
        if (c != Channel.EMAIL or mailboxes) and (c != Channel.SMS or sms_numbers)
    ]
    preferred = conversation.creator.preferred_channel
    messages = thread_messages(conversation=conversation, campaign_id=campaign_id, include_id=focus)
    return {
        "conversation": conversation,
        "messages": messages,
        "messages_html": thread_messages_html(
            messages, conversation_url=reverse("inbox:conversation", args=[conversation.id])
        ),
        # Watch a message on its way out, so its status changes show without a reload.
        "delivering": any(
            m.status in (Message.Status.QUEUED, Message.Status.SENDING) and not m.scheduled_for
            for m in messages
        ),
        "thread_campaigns": [c for c in campaigns if c.id in in_thread],
        "all_campaigns": campaigns,
        "campaign_id": campaign_id,
        # A message the search found: the thread scrolls to it (app.js).
        "focus_message": focus if any(m.id == focus for m in messages) else None,
        # An email from the message box answers the thread's latest email: "Re: <subject>".
        "reply_subject": reply_subject(
            next((m.subject for m in reversed(messages) if m.channel == Channel.EMAIL), "")
        ),
        "channels": channels,
        "default_channel": preferred if preferred in channels else Channel.INAPP,
        "mailboxes": mailboxes,
        "sms_numbers": sms_numbers,
    }


@member_view
@require_GET
def thread(request: HttpRequest, member: Member, conversation_id: int) -> HttpResponse:
    """Thread and sidebar for one conversation (the htmx target when a row is clicked)."""
    conversation = conversation_get(workspace=member.workspace, id=conversation_id)
    context = _thread_context(
        member,
        conversation,
        int_or_none(request.GET.get("campaign")),
        focus=int_or_none(request.GET.get("m")),
    )
    context.update(sidebar_context(member, conversation, campaigns=context["all_campaigns"]))
    return render(request, "inbox/_conversation.html", context)


@member_view
@require_GET
def messages(request: HttpRequest, member: Member, conversation_id: int) -> HttpResponse:
    """Only the messages: refreshed live (still at the message a search opened, ?m=) and by
    the campaign buttons."""
    conversation = conversation_get(workspace=member.workspace, id=conversation_id)
    context = _thread_context(
        member,
        conversation,
        int_or_none(request.GET.get("campaign")),
        focus=int_or_none(request.GET.get("m")),
    )
    return render(request, "inbox/_messages.html", context)


def _send_at(raw: str) -> datetime | None:
    if not raw:
        return None
    invalid = ValidationFailed({"send_at": [_("Enter a date and time.")]})
    try:
        parsed = parse_datetime(raw)  # ValueError: well formed, but no such day or hour
        if parsed is None:
            raise invalid
        if timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed)
        parsed.astimezone(UTC)  # OverflowError: within a day of year 1 or 9999
    except (ValueError, OverflowError) as exc:
        raise invalid from exc
    return parsed


@member_view
@require_POST
def send(request: HttpRequest, member: Member, conversation_id: int) -> HttpResponse:
    conversation = conversation_get(workspace=member.workspace, id=conversation_id)
    campaign_id = int_or_none(request.POST.get("campaign"))
    errors: dict[str, list[str]] = {}
    try:
        if campaign_id and campaign_id not in {
            c.id for c in campaign_list(workspace=member.workspace)
        }:
            raise ValidationFailed({"campaign": [_("Unknown campaign.")]})
        channel = request.POST.get("channel") or Channel.INAPP
        send_at = _send_at(request.POST.get("send_at", ""))
        if channel == Channel.EMAIL:
            mailbox_id = int_or_none(request.POST.get("mailbox"))
            if mailbox_id is None:
                raise ValidationFailed({"mailbox": [_("Choose the mailbox to send from.")]})
            email_message_send(
                member=member,
                conversation=conversation,
                mailbox=mailbox_get(workspace=member.workspace, id=mailbox_id),
                subject=request.POST.get("subject", ""),
                body=request.POST.get("body", ""),
                attachments=request.FILES.getlist("attachments"),
                campaign_id=campaign_id,
                send_at=send_at,
                # "Send anyway", offered once the address was found to be bouncing.
                confirm_bouncing=request.POST.get("confirm_bouncing") == "1",
            )
        elif channel == Channel.SMS:
            number_id = int_or_none(request.POST.get("sms_number"))
            if number_id is None:
                raise ValidationFailed({"sms_number": [_("Choose the number to send from.")]})
            sms_message_send(
                member=member,
                conversation=conversation,
                number=number_get(workspace=member.workspace, id=number_id),
                body=request.POST.get("body", ""),
                campaign_id=campaign_id,
                send_at=send_at,
            )
        else:
            message_send(
                member=member,
                conversation=conversation,
                channel=channel,
                body=request.POST.get("body", ""),
                campaign_id=campaign_id,
                send_at=send_at,
            )
    except ValidationFailed as exc:
        errors = exc.errors
    context = _thread_context(member, conversation, None)
    context.update(sidebar_context(member, conversation))
    context.update(
        # A bouncing address is asked about beside Send ("Send anyway"), not as a field error.
        errors={k: v for k, v in errors.items() if k != "confirm_bouncing"},
        bouncing=errors.get("confirm_bouncing", []),
        draft=request.POST if errors else {},
    )
    response = render(request, "inbox/_thread.html", context, status=422 if errors else 200)
    if not errors:
        response["HX-Trigger-After-Settle"] = "inbox-changed"
    return response


@member_view
@require_POST
def mark_unread(
    request: HttpRequest, member: Member, conversation_id: int, message_id: int
) -> HttpResponse:
    conversation = conversation_get(workspace=member.workspace, id=conversation_id)
    message = message_get(conversation=conversation, id=message_id)
    conversation_mark_unread(member=member, conversation=conversation, message=message)
    response = render(request, "inbox/_no_thread.html", {"marked_unread": True})
    response["HX-Trigger-After-Settle"] = "inbox-changed"
    response["HX-Push-Url"] = "/inbox/"
    return response


FIXES = {"retry": outbox_retry, "mark-sent": outbox_mark_sent, "cancel": outbox_cancel}


@member_view
@require_POST
def message_fix(
    request: HttpRequest, member: Member, conversation_id: int, message_id: int, fix: str
) -> HttpResponse:
    """Retry a failed message (or one whose outcome is unknown), mark the latter as sent,
    or cancel one that waits for its time or its day; then the thread again."""
    conversation = conversation_get(workspace=member.workspace, id=conversation_id)
    message = message_get(conversation=conversation, id=message_id)
    errors: dict[str, list[str]] = {}
    try:
        FIXES[fix](member=member, message=message)
    except ValidationFailed as exc:
        errors = exc.errors
    context = _thread_context(member, conversation, None)
    context.update(sidebar_context(member, conversation, campaigns=context["all_campaigns"]))
    context["errors"] = errors
    response = render(request, "inbox/_conversation.html", context, status=422 if errors else 200)
    response["HX-Trigger-After-Settle"] = "inbox-changed"
    return response
