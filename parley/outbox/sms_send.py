"""Sending an SMS from the inbox message box, and the SMS records of a bulk SMS.

This workflow spans the SMS channel (number, recipient, segments, opt-outs) and the outbox,
so it lives in the outbox, the higher of the two (DESIGN.md, Layering), as email_send does.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from parley.accounts.models import Member
from parley.channels.sms.adapter import opted_out_text
from parley.channels.sms.models import SmsNumber, SmsRecord
from parley.channels.sms.rules import body_problem, phone_valid
from parley.channels.sms.segments import sms_segments
from parley.channels.sms.selectors import creator_phone, opted_out
from parley.core.errors import ValidationFailed
from parley.inbox.models import Channel, Conversation, Message
from parley.inbox.services import Written, message_record
from parley.outbox.models import OutboxItem
from parley.outbox.services import outbox_enqueue


def sms_recipient_problem(*, workspace_id: int, phone: str) -> str:
    """Why an SMS cannot go to this number ("" when it can): none, not a valid number, or
    opted out."""
    if not phone:
        return _("This creator has no phone number.")
    if not phone_valid(phone):
        return _("%(phone)s is not a valid phone number: correct it in the creator's profile.") % {
            "phone": phone
        }
    if opted_out(workspace_id=workspace_id, phone=phone) is not None:
        return opted_out_text(phone)
    return ""


def sms_message_send(
    *,
    member: Member,
    conversation: Conversation,
    number: SmsNumber,
    body: str,
    campaign_id: int | None = None,
    send_at: datetime | None = None,
    priority: int = OutboxItem.Priority.PERSONAL,
) -> Message:
    """Record an SMS as queued and hand it to the outbox (the number's rate applies there).

    `number` must come from `number_get(workspace=member.workspace, …)`. The SMS goes to the
    creator's phone (the primary one). Refused before anything is queued, with the reason on
    "body" (too many segments) or on "conversation" (no valid number, or it opted out)."""
    body = body.strip()
    errors: dict[str, list[str]] = {}
    if conversation.workspace_id != member.workspace_id:
        errors["conversation"] = [_("Unknown conversation.")]
    if number.workspace_id != member.workspace_id or not number.is_active:
        errors["number"] = [_("Choose a connected SMS number.")]
    problem = body_problem(body)
    if problem:
        errors["body"] = [problem]
    if send_at is not None and send_at <= timezone.now():
        errors["send_at"] = [_("Pick a time in the future.")]
    identity = None if errors else creator_phone(creator=conversation.creator)
    if not errors:
        phone = identity.normalized if identity is not None else ""
        recipient = sms_recipient_problem(workspace_id=member.workspace_id, phone=phone)
        if recipient:
            errors["conversation"] = [recipient]
    if errors:
        raise ValidationFailed(errors)
    assert identity is not None
    count = sms_segments(body)
    now = timezone.now()
    with transaction.atomic():
        message = message_record(
            conversation=conversation,
            channel=Channel.SMS,
            direction=Message.Direction.OUTBOUND,
            status=Message.Status.QUEUED,
            body_text=body,
            campaign_id=campaign_id,
            author_member=member,
            scheduled_for=send_at,
        )
        SmsRecord.objects.create(
            workspace_id=member.workspace_id,
            message=message,
            number=number,
            direction=SmsRecord.Direction.OUTBOUND,
            from_number=number.phone_number or number.twilio_sid,
            to_number=identity.normalized,
            encoding=count.encoding,
            segments=count.segments,
            created_at=now,
        )
        outbox_enqueue(
            message=message,
            sender_key=number.sender_key,
            sender_label=number.label,
            priority=priority,
            send_at=send_at,
        )
    return message


def sms_records_bulk(*, messages: list[Written], number: SmsNumber, phones: list[str]) -> None:
    """The SMS record of each of many queued messages (a bulk SMS): messages[i] goes to
    phones[i]. Call inside the caller's transaction."""
    now = timezone.now()
    records = []
    for message, phone in zip(messages, phones, strict=True):
        count = sms_segments(message.body_text)
        records.append(
            SmsRecord(
                workspace_id=message.workspace_id,
                message_id=message.id,
                number=number,
                direction=SmsRecord.Direction.OUTBOUND,
                from_number=number.phone_number or number.twilio_sid,
                to_number=phone,
                encoding=count.encoding,
                segments=count.segments,
                created_at=now,
            )
        )
    SmsRecord.objects.bulk_create(records, batch_size=2000)
