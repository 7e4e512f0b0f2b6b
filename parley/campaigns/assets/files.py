"""File attachments sent to a creator within a campaign: stored with the message (email
through the outbox, or in-app), downloadable from the thread by the workspace's members
(channels.email's attachment view, scoped to the workspace). Each file at most
PARLEY_ATTACHMENT_MAX_BYTES, of a type in PARLEY_ATTACHMENT_EXTENSIONS; at most
MAX_FILES at a time."""

from collections.abc import Sequence

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from parley.accounts.models import Member
from parley.campaigns.assets.common import event_post, membership_get
from parley.campaigns.models import Campaign
from parley.channels.email.models import Mailbox
from parley.core.errors import ValidationFailed
from parley.core.files import filename_display, filename_safe
from parley.creators.models import Creator
from parley.inbox.events import said
from parley.inbox.models import Attachment, Channel, Message
from parley.inbox.services import conversation_get_or_create
from parley.outbox.email_send import email_message_send
from parley.outbox.services import message_send

MAX_FILES = 10


def file_max_bytes() -> int:
    return int(settings.PARLEY_ATTACHMENT_MAX_BYTES)


def allowed_extensions() -> list[str]:
    return sorted(
        {e.strip().lower().lstrip(".") for e in settings.PARLEY_ATTACHMENT_EXTENSIONS if e.strip()}
    )


def attachments_check(files: Sequence[UploadedFile]) -> None:
    """Every file's problem at once: none given, too many, empty, too large, a type not
    allowed."""
    problems: list[str] = []
    if not files:
        problems.append(_("Choose at least one file."))
    if len(files) > MAX_FILES:
        problems.append(_("At most %(n)d files at a time.") % {"n": MAX_FILES})
    allowed = allowed_extensions()
    limit = file_max_bytes()
    for upload in files[:MAX_FILES]:
        shown = filename_display(upload.name or "")
        size = int(upload.size or 0)
        stored = filename_safe(upload.name or "")
        extension = stored.rsplit(".", 1)[1] if "." in stored else ""
        if size == 0:
            problems.append(_("“%(name)s” is empty.") % {"name": shown})
        elif size > limit:
            problems.append(
                _("“%(name)s” is %(size)s; a file may be at most %(limit)s.")
                % {"name": shown, "size": filesizeformat(size), "limit": filesizeformat(limit)}
            )
        if extension not in allowed:
            problems.append(
                _("“%(name)s”: files of this type cannot be sent. Allowed: %(types)s.")
                % {"name": shown, "types": ", ".join(allowed)}
            )
    if problems:
        raise ValidationFailed({"files": problems})


def attachment_send(
    *,
    actor: Member,
    campaign: Campaign,
    creator: Creator,
    files: Sequence[UploadedFile],
    channel: str,
    body: str = "",
    subject: str = "",
    mailbox: Mailbox | None = None,
) -> Message:
    """Send files to the creator in a message of the campaign: an email with attachments
    through the outbox (from `mailbox`, of the actor's workspace), or an in-app message
    with them; and a system event naming the files."""
    membership_get(campaign=campaign, creator=creator)
    attachments_check(files)
    names = ", ".join(filename_display(f.name or "") for f in files)
    body = (body or "").strip() or _("Files for %(campaign)s: %(names)s") % {
        "campaign": campaign.name,
        "names": names,
    }
    conversation = conversation_get_or_create(creator=creator)
    with transaction.atomic():
        if channel == Channel.EMAIL:
            if mailbox is None:
                raise ValidationFailed({"mailbox": [_("Choose the mailbox to send from.")]})
            message = email_message_send(
                member=actor,
                conversation=conversation,
                mailbox=mailbox,
                subject=(subject or "").strip() or campaign.name,
                body=body,
                attachments=files,
                campaign_id=campaign.id,
            )
        elif channel == Channel.INAPP:
            message = message_send(
                member=actor,
                conversation=conversation,
                channel=Channel.INAPP,
                body=body,
                campaign_id=campaign.id,
            )
            for upload in files:
                attachment = Attachment(
                    message=message,
                    filename=filename_display(upload.name or ""),
                    content_type=(upload.content_type or "application/octet-stream")[:120],
                    size=int(upload.size or 0),
                )
                attachment.file.save(filename_safe(upload.name or ""), upload, save=False)
                attachment.save()
        else:
            raise ValidationFailed({"channel": [_("Send files by email or in-app.")]})
        event_post(
            campaign=campaign,
            creator=creator,
            actor=actor,
            text=said(gettext_noop("files sent: %(names)s"), names=names),
        )
    return message
