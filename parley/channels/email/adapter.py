"""The email channel's sender: builds the MIME message and sends it over the mailbox's SMTP.

Registered in the channel registry with immediate=False: every email goes through the outbox.
The mailbox and our Message-ID were fixed when the message was queued (an EmailRecord with no
folder); the adapter reads them back, so a retry sends the very same Message-ID.
"""

import logging
from email.message import EmailMessage

from django.utils.translation import gettext as _

from parley.channels.base import DeliveryResult
from parley.channels.email.mime import HeaderInjection, OutgoingAttachment, email_build
from parley.channels.email.models import Mailbox, MailboxFolder
from parley.channels.email.selectors import outbound_record
from parley.channels.email.services import (
    mailbox_credentials,
    mailbox_imap_endpoint,
    mailbox_mark_error,
    mailbox_mark_reauth,
    mailbox_smtp_endpoint,
)
from parley.channels.email.transport import (
    AuthFailed,
    Credentials,
    TransportError,
    Unreachable,
    imap_close,
    imap_open,
    smtp_send,
)
from parley.creators.models import Identity
from parley.inbox.models import Channel, Message

logger = logging.getLogger(__name__)


def _recipient(message: Message) -> tuple[str, str]:
    creator = message.conversation.creator
    identity = (
        Identity.objects.filter(creator=creator, kind=Identity.Kind.EMAIL)
        .order_by("-is_primary", "id")
        .first()
    )
    return (identity.value if identity else ""), creator.name


class EmailChannel:
    name: str = Channel.EMAIL.value
    immediate = False

    def sender_ready(self, message: Message) -> bool:
        """False while the mailbox needs re-authorisation: the outbox holds the email
        (no attempt counted) and sends it once the mailbox is reconnected."""
        record = outbound_record(message=message)
        return record is None or not record.mailbox.needs_reauth

    def send(self, message: Message) -> DeliveryResult:
        record = outbound_record(message=message)
        if record is None:
            return DeliveryResult(ok=False, error=_("No mailbox was chosen for this email."))
        mailbox: Mailbox = record.mailbox
        if not mailbox.is_active:
            return DeliveryResult(ok=False, error=_("The mailbox was disconnected."))
        to_addr, to_name = _recipient(message)
        if not to_addr:
            return DeliveryResult(ok=False, error=_("The creator has no email address."))
        attachments = []
        for att in message.attachments.all():
            with att.file.open("rb") as fh:
                attachments.append(OutgoingAttachment(att.filename, att.content_type, fh.read()))
        try:
            email = email_build(
                from_addr=mailbox.address,
                from_name=mailbox.display_name,
                to_addr=to_addr,
                to_name=to_name.replace("\r", " ").replace("\n", " "),
                subject=message.subject,
                body_text=message.body_text,
                message_id=f"<{record.header_id}>",
                in_reply_to=message.in_reply_to,
                references=message.references.split(),
                attachments=attachments,
                date=message.created_at,
            )
        except (HeaderInjection, ValueError) as exc:
            return DeliveryResult(ok=False, error=_("Invalid header: %(h)s") % {"h": exc})
        try:
            creds = mailbox_credentials(mailbox=mailbox)
            smtp_send(mailbox_smtp_endpoint(mailbox), creds, email, to=to_addr)
        except AuthFailed as exc:
            mailbox_mark_reauth(mailbox=mailbox, reason=str(exc))
            return DeliveryResult(ok=False, retry=True, error=str(exc))
        except Unreachable as exc:
            mailbox_mark_error(mailbox=mailbox, error=str(exc))
            return DeliveryResult(ok=False, retry=True, error=str(exc))
        except TransportError as exc:
            return DeliveryResult(ok=False, error=str(exc))
        except Exception as exc:  # OAuth provider down and the like: try again later
            logger.warning("email send for message %s failed: %s", message.pk, exc.__class__)
            return DeliveryResult(ok=False, retry=True, error=str(exc)[:300])
        _copy_to_sent(mailbox, creds, email)
        return DeliveryResult(ok=True, provider_id=record.header_id[:64])


def _copy_to_sent(mailbox: Mailbox, creds: Credentials, email: EmailMessage) -> None:
    """Gmail and Microsoft file what their SMTP sends in Sent; a generic IMAP/SMTP server
    does not, so Parley APPENDs the copy (full access only: send only never touches IMAP).
    Best effort: the email is already sent. The sync skips it (it is one of our ids)."""
    if mailbox.is_oauth or not mailbox.reads_mail:
        return
    sent = MailboxFolder.objects.filter(mailbox=mailbox, role=MailboxFolder.Role.SENT).first()
    if sent is None:
        return
    try:
        client = imap_open(mailbox_imap_endpoint(mailbox), creds)
        try:
            client.append(sent.name, email.as_bytes(), flags=(b"\\Seen",))
        finally:
            imap_close(client)
    except Exception as exc:  # never fail a sent email over its copy
        logger.warning("copy to Sent for mailbox %s failed: %s", mailbox.pk, exc.__class__)
