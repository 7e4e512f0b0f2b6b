"""Sending an email from the inbox message box.

This workflow spans the email channel (mailbox, Message-ID, threading) and the outbox, so it
lives in the outbox, the higher of the two (DESIGN.md, Layering).
"""

from collections.abc import Sequence
from datetime import datetime

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from parley.accounts.models import Member
from parley.channels.email.mime import header_check, message_id_make
from parley.channels.email.models import EmailRecord, Mailbox
from parley.channels.email.selectors import thread_references
from parley.core.bulk import rows_insert
from parley.core.errors import ValidationFailed
from parley.core.files import filename_display, filename_safe
from parley.creators.models import Identity
from parley.inbox.models import Attachment, Channel, Conversation, Message
from parley.inbox.services import Written, message_record
from parley.outbox.models import OutboxItem
from parley.outbox.services import MAX_BODY, outbox_enqueue


def email_message_send(
    *,
    member: Member,
    conversation: Conversation,
    mailbox: Mailbox,
    subject: str,
    body: str,
    attachments: Sequence[UploadedFile] = (),
    campaign_id: int | None = None,
    priority: int = OutboxItem.Priority.PERSONAL,
    send_at: datetime | None = None,
    confirm_bouncing: bool = False,
) -> Message:
    """Record an email as queued and hand it to the outbox. Returns the message.

    `mailbox` must come from `mailbox_get(workspace=member.workspace, ...)`. The email gets
    our own Message-ID (with a signed token naming this message) and In-Reply-To/References
    from the thread's earlier emails. When the creator's address is bouncing (a hard bounce,
    channels.email.bounce), it is sent only with `confirm_bouncing`; else ValidationFailed
    on "confirm_bouncing" says why.
    """
    subject = subject.strip()
    body = body.strip()
    errors: dict[str, list[str]] = {}
    if conversation.workspace_id != member.workspace_id:
        errors["conversation"] = [_("Unknown conversation.")]
    if mailbox.workspace_id != member.workspace_id or not mailbox.is_active:
        errors["mailbox"] = [_("Choose a connected mailbox.")]
    if header_check(subject=subject):
        errors["subject"] = [_("A subject cannot contain line breaks.")]
    elif len(subject) > 900:
        errors["subject"] = [_("A subject is at most 900 characters.")]
    if send_at is not None and send_at <= timezone.now():
        errors["send_at"] = [_("Pick a time in the future.")]
    if not body:
        errors["body"] = [_("Write a message first.")]
    elif len(body) > MAX_BODY:
        errors["body"] = [_("A message is at most 50,000 characters.")]
    limit = int(settings.PARLEY_EMAIL_ATTACHMENT_MAX_BYTES)
    total = sum(int(f.size or 0) for f in attachments)
    if total > limit:
        errors["attachments"] = [
            _("Attachments are %(size)s together; the limit is %(limit)s.")
            % {"size": filesizeformat(total), "limit": filesizeformat(limit)}
        ]
    # The address the email goes to (channels.email.adapter picks it the same way).
    recipient = (
        None
        if errors
        else Identity.objects.filter(creator_id=conversation.creator_id, kind=Identity.Kind.EMAIL)
        .order_by("-is_primary", "id")
        .first()
    )
    if not errors and recipient is None:
        errors["conversation"] = [_("This creator has no email address.")]
    elif recipient is not None and recipient.bounced_at is not None and not confirm_bouncing:
        errors["confirm_bouncing"] = [
            _(
                "Email to %(address)s bounced on %(when)s (%(reason)s). "
                "Check the address, or send anyway."
            )
            % {
                "address": recipient.value,
                "when": formats.date_format(
                    timezone.localtime(recipient.bounced_at), "DATE_FORMAT"
                ),
                "reason": ": ".join(
                    p for p in (recipient.bounce_status, recipient.bounce_diagnostic) if p
                )
                or _("no reason given"),
            }
        ]
    if errors:
        raise ValidationFailed(errors)

    references = thread_references(conversation_id=conversation.pk)
    domain = mailbox.address.rpartition("@")[2]
    with transaction.atomic():
        message = message_record(
            conversation=conversation,
            channel=Channel.EMAIL,
            direction=Message.Direction.OUTBOUND,
            status=Message.Status.QUEUED,
            body_text=body,
            subject=subject,
            campaign_id=campaign_id,
            author_member=member,
            scheduled_for=send_at,
            in_reply_to=references[-1] if references else "",
            references=" ".join(references),
        )
        own_id = message_id_make(
            workspace_id=conversation.workspace_id, message_id=message.pk, domain=domain
        ).strip("<>")
        message.provider_message_id = own_id
        message.save(update_fields=["provider_message_id"])
        EmailRecord.objects.create(
            workspace_id=conversation.workspace_id,
            mailbox=mailbox,
            header_id=own_id.lower(),
            message=message,
        )
        for upload in attachments:
            attachment = Attachment(
                message=message,
                filename=filename_display(upload.name or ""),
                content_type=(upload.content_type or "application/octet-stream")[:120],
                size=int(upload.size or 0),
            )
            attachment.file.save(filename_safe(upload.name or ""), upload, save=False)
            attachment.save()
        outbox_enqueue(
            message=message,
            sender_key=mailbox.sender_key,
            sender_label=mailbox.address,
            priority=priority,
            send_at=send_at,
        )
    return message


def email_message_ids(messages: list[Written], mailbox: Mailbox) -> None:
    """Our own Message-ID for each of many emails about to be written (a mass email; their
    ids are reserved): messages_record_outbound's `prepare`. A mass email starts a new
    email thread (no References): replies still find their Parley thread by this
    Message-ID's signed token."""
    domain = mailbox.address.rpartition("@")[2]
    for message in messages:
        message.provider_message_id = message_id_make(
            workspace_id=message.workspace_id, message_id=message.id, domain=domain
        ).strip("<>")


def email_records_bulk(*, messages: list[Written], mailbox: Mailbox) -> None:
    """The email records of many queued emails written with their Message-IDs
    (email_message_ids), in bulk. Call inside the caller's transaction."""
    rows_insert(
        EmailRecord,
        ["workspace_id", "mailbox_id", "header_id", "message_id"],
        ((m.workspace_id, mailbox.id, m.provider_message_id.lower(), m.id) for m in messages),
    )
