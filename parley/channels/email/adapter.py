"""The email channel's sender: builds the MIME message and sends it over the mailbox's SMTP.

Registered in the channel registry with immediate=False: every email goes through the outbox.
The mailbox and our Message-ID were fixed when the message was queued (an EmailRecord with no
folder); the sender reads them back, so a retry sends the very same Message-ID.

For the outbox's guarantees the channel also gives:
- `sender_policy`: the mailbox's daily limit, counted in its workspace's time zone;
- `open_batch`: one SMTP (and IMAP) connection for many emails of one mailbox;
- `verify`: after a worker died mid-send, whether the email is in the mailbox's Sent folder.

Sent copies. Gmail and Microsoft file what their SMTP sends in Sent themselves. A generic
IMAP server does not, so for a full-access mailbox Parley files the copy itself, *before*
the SMTP transaction, flagged `$ParleyUnconfirmed`, and removes the flag once the server
accepted the email (or the copy, when it refused it). A copy still flagged after a crash
means "cannot tell": the outbox holds the email for a person rather than send it twice; no
copy at all means it never reached the server. A server that keeps no custom flags gets
the copy after the send, and a crash in between is "cannot tell" too.
"""

import logging
from datetime import datetime
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from parley.channels.base import DeliveryResult, SenderPolicy, Verdict
from parley.channels.email.mime import (
    HeaderInjection,
    OutgoingAttachment,
    email_render,
    message_id_make,
)
from parley.channels.email.models import EmailRecord, Mailbox, MailboxFolder
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
    QuotaExceeded,
    TransportError,
    Unreachable,
    imap_close,
    imap_open,
    smtp_close,
    smtp_deliver,
    smtp_open,
)
from parley.creators.models import Identity
from parley.inbox.models import Attachment, Channel, Conversation, Message

logger = logging.getLogger(__name__)

UNCONFIRMED = b"$ParleyUnconfirmed"
SENDER_PREFIX = "mailbox:"


def _recipient(message: Message) -> tuple[str, str]:
    creator = message.conversation.creator
    identity = (
        Identity.objects.filter(creator=creator, kind=Identity.Kind.EMAIL)
        .order_by("-is_primary", "id")
        .first()
    )
    return (identity.value if identity else ""), creator.name


def _mailbox_of(sender_key: str) -> Mailbox | None:
    if not sender_key.startswith(SENDER_PREFIX) or not sender_key[len(SENDER_PREFIX) :].isdigit():
        return None
    return (
        Mailbox.objects.select_related("workspace")
        .filter(id=int(sender_key[len(SENDER_PREFIX) :]))
        .first()
    )


class EmailBatch:
    """Emails of one mailbox over one SMTP connection (and one IMAP connection for the Sent
    copies of a generic full-access mailbox), opened at the first send."""

    def __init__(self, mailbox: Mailbox):
        self.mailbox = mailbox
        self.creds: Credentials | None = None
        self.smtp: Any = None
        self.imap: Any = None
        self.sent_folder: str | None = None
        self.keywords = False
        # Loaded by prepare() for the emails about to be sent: message id → its record and
        # its attachments, conversation id → the creator's (address, name). An email not
        # prepared is looked up on its own.
        self.records: dict[int, EmailRecord] = {}
        self.attachments: dict[int, list[Attachment]] = {}
        self.recipients: dict[int, tuple[str, str]] = {}

    def prepare(self, messages: list[Message]) -> None:
        """Load what sending these emails needs in four queries, instead of four each."""
        ids = [m.id for m in messages]
        records = EmailRecord.objects.filter(message_id__in=ids, folder__isnull=True)
        for record in records.order_by("-id"):
            assert record.message_id is not None
            self.records[record.message_id] = record  # the first (oldest) one wins
        self.attachments = {i: [] for i in ids}
        for attachment in Attachment.objects.filter(message_id__in=ids).order_by("id"):
            self.attachments[attachment.message_id].append(attachment)
        threads = Conversation.objects.filter(id__in={m.conversation_id for m in messages})
        creators = {
            c: (t, name) for t, c, name in threads.values_list("id", "creator_id", "creator__name")
        }
        found = (
            Identity.objects.filter(creator_id__in=list(creators), kind=Identity.Kind.EMAIL)
            .order_by("creator_id", "is_primary", "-id")
            .values_list("creator_id", "value")
        )
        addresses = dict(found)  # the primary, else the oldest, comes last and stays
        for creator_id, (thread, name) in creators.items():
            self.recipients[thread] = (addresses.get(creator_id, ""), name)

    def send(self, message: Message) -> DeliveryResult:
        record = self.records.get(message.id) or outbound_record(message=message)
        if record is None or record.mailbox_id != self.mailbox.id:
            return DeliveryResult(ok=False, error=_("No mailbox was chosen for this email."))
        if not self.mailbox.is_active:
            return DeliveryResult(ok=False, error=_("The mailbox was disconnected."))
        to_addr, to_name = self.recipients.get(message.conversation_id) or _recipient(message)
        if not to_addr:
            return DeliveryResult(ok=False, error=_("The creator has no email address."))
        attachments = self.attachments.get(message.id)
        if attachments is None:
            attachments = list(message.attachments.all())
        try:
            email = _render(message, self.mailbox, record, to_addr, to_name, attachments)
        except (HeaderInjection, ValueError) as exc:
            return DeliveryResult(ok=False, error=_("Invalid header: %(h)s") % {"h": exc})
        try:
            self._connect()
            copy_uid = self._copy_before(email)
            try:
                smtp_deliver(self.smtp, email, from_addr=self.mailbox.address, to=to_addr)
            except TransportError:
                self._copy_discard(copy_uid)
                raise
            self._copy_after(email, copy_uid)
        except QuotaExceeded as exc:
            return DeliveryResult(ok=False, retry=True, pause=True, error=str(exc))
        except AuthFailed as exc:
            mailbox_mark_reauth(mailbox=self.mailbox, reason=str(exc))
            return DeliveryResult(ok=False, retry=True, error=str(exc))
        except Unreachable as exc:
            mailbox_mark_error(mailbox=self.mailbox, error=str(exc))
            self._drop_smtp()
            return DeliveryResult(ok=False, retry=True, error=str(exc))
        except TransportError as exc:
            return DeliveryResult(ok=False, error=str(exc))
        except Exception as exc:  # OAuth provider down and the like: try again later
            logger.warning("email send for message %s failed: %s", message.pk, exc.__class__)
            self._drop_smtp()
            return DeliveryResult(ok=False, retry=True, error=str(exc)[:300])
        return DeliveryResult(ok=True, provider_id=record.header_id[:64])

    def close(self) -> None:
        self._drop_smtp()
        if self.imap is not None:
            imap_close(self.imap)
            self.imap = None

    # --- connections ---

    def _connect(self) -> None:
        if self.smtp is not None:
            return
        self.creds = mailbox_credentials(mailbox=self.mailbox)
        self.smtp = smtp_open(mailbox_smtp_endpoint(self.mailbox), self.creds)

    def _drop_smtp(self) -> None:
        if self.smtp is not None:
            smtp_close(self.smtp)
            self.smtp = None

    def _copies(self) -> bool:
        """Whether Parley files the Sent copy (a generic full-access mailbox with a Sent
        folder); opens the IMAP connection the first time."""
        if self.mailbox.is_oauth or not self.mailbox.reads_mail:
            return False
        if self.sent_folder is None:
            sent = MailboxFolder.objects.filter(
                mailbox=self.mailbox, role=MailboxFolder.Role.SENT
            ).first()
            self.sent_folder = sent.name if sent else ""
            if self.sent_folder:
                try:
                    assert self.creds is not None
                    self.imap = imap_open(mailbox_imap_endpoint(self.mailbox), self.creds)
                    self.keywords = _keywords_allowed(self.imap, self.sent_folder)
                except Exception as exc:  # no copy rather than no email
                    logger.warning("Sent folder of mailbox %s: %s", self.mailbox.pk, exc)
                    self.sent_folder = ""
        return bool(self.sent_folder) and self.imap is not None

    def _copy_before(self, email: bytes) -> int | None:
        """File the copy, flagged unconfirmed, before the SMTP transaction: a crash after
        the server took the email leaves a trace that it may have."""
        if not self._copies() or not self.keywords:
            return None
        answer = self.imap.append(self.sent_folder, email, flags=(b"\\Seen", UNCONFIRMED))
        return _append_uid(answer)

    def _copy_after(self, email: bytes, uid: int | None) -> None:
        """The server accepted the email: confirm the copy (or file it now)."""
        try:
            if uid is not None:  # the Sent folder stays selected on this connection
                self.imap.remove_flags([uid], [UNCONFIRMED])
            elif self._copies() and not self.keywords:
                self.imap.append(self.sent_folder, email, flags=(b"\\Seen",))
        except Exception as exc:  # the email is sent; never fail it over its copy
            logger.warning("Sent copy for mailbox %s: %s", self.mailbox.pk, exc.__class__)

    def _copy_discard(self, uid: int | None) -> None:
        if uid is None:
            return
        try:
            self.imap.delete_messages([uid])
            self.imap.uid_expunge([uid])
        except Exception as exc:
            logger.warning("Sent copy for mailbox %s: %s", self.mailbox.pk, exc.__class__)


def _keywords_allowed(imap: Any, folder: str) -> bool:
    info = imap.select_folder(folder)
    flags = info.get(b"PERMANENTFLAGS", ())
    return b"\\*" in flags and b"UIDPLUS" in imap.capabilities()


def _append_uid(answer: bytes | str) -> int | None:
    """The UID of an APPEND from its `[APPENDUID <validity> <uid>]` answer (UIDPLUS)."""
    text = answer.decode() if isinstance(answer, bytes) else str(answer)
    if "APPENDUID" not in text:
        return None
    parts = text.split("APPENDUID", 1)[1].split("]", 1)[0].split()
    return int(parts[1]) if len(parts) == 2 and parts[1].isdigit() else None


def _render(
    message: Message,
    mailbox: Mailbox,
    record: EmailRecord,
    to_addr: str,
    to_name: str,
    files: list[Attachment],
) -> bytes:
    attachments = []
    for att in files:
        with att.file.open("rb") as fh:
            attachments.append(OutgoingAttachment(att.filename, att.content_type, fh.read()))
    return email_render(
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


class EmailChannel:
    name: str = Channel.EMAIL.value
    immediate = False

    def sender_ready(self, message: Message) -> bool:
        """False while the mailbox needs re-authorisation: the outbox holds the email
        (no attempt counted) and sends it once the mailbox is reconnected."""
        record = outbound_record(message=message)
        return record is None or not record.mailbox.needs_reauth

    def sender_policy(self, sender_key: str) -> SenderPolicy | None:
        mailbox = _mailbox_of(sender_key)
        if mailbox is None:
            return None
        return SenderPolicy(
            daily_limit=mailbox.daily_limit,
            time_zone=mailbox.workspace.time_zone,
            label=mailbox.address,
        )

    def sender_paused(self, sender_key: str, until: datetime, reason: str) -> None:
        """The outbox paused this mailbox: say so on it (banner, mailbox page)."""
        mailbox = _mailbox_of(sender_key)
        if mailbox is not None:
            Mailbox.objects.filter(id=mailbox.id).update(
                paused_until=until, pause_reason=reason[:500]
            )

    def open_batch(self, sender_key: str) -> EmailBatch:
        mailbox = _mailbox_of(sender_key)
        if mailbox is None:
            raise ValueError(sender_key)
        return EmailBatch(mailbox)

    def send(self, message: Message) -> DeliveryResult:
        record = outbound_record(message=message)
        if record is None:
            return DeliveryResult(ok=False, error=_("No mailbox was chosen for this email."))
        batch = EmailBatch(record.mailbox)
        try:
            return batch.send(message)
        finally:
            batch.close()

    def verify(self, message: Message) -> Verdict:
        """Whether the email reached the server, from the mailbox's Sent folder. Raises when
        the mailbox cannot be reached now (the outbox asks again later)."""
        record = outbound_record(message=message)
        if record is None:
            return Verdict.NOT_SENT
        mailbox = record.mailbox
        sent = MailboxFolder.objects.filter(mailbox=mailbox, role=MailboxFolder.Role.SENT).first()
        if not mailbox.reads_mail or sent is None:
            return Verdict.UNKNOWN  # send only: Parley may not look
        client = imap_open(mailbox_imap_endpoint(mailbox), mailbox_credentials(mailbox=mailbox))
        try:
            keywords = _keywords_allowed(client, sent.name)
            uids = client.search(["HEADER", "Message-ID", record.header_id])
            if not uids:
                # Gmail and Microsoft file what they accept; Parley files its copy before
                # sending when the server keeps its flag: no copy, not sent.
                return Verdict.NOT_SENT if mailbox.is_oauth or keywords else Verdict.UNKNOWN
            if mailbox.is_oauth:
                return Verdict.SENT
            flags = client.get_flags(uids)
            unconfirmed = any(UNCONFIRMED in f for f in flags.values())
            return Verdict.UNKNOWN if unconfirmed else Verdict.SENT
        finally:
            imap_close(client)


def email_send_direct(*, mailbox: Mailbox, to_addr: str, subject: str, body: str) -> str:
    """Send one email now, outside any thread (a test of a mass message to its author).
    Returns the error, or "" when the server took it."""
    email = email_render(
        from_addr=mailbox.address,
        from_name=mailbox.display_name,
        to_addr=to_addr,
        to_name="",
        subject=" ".join(subject.split()),
        body_text=body,
        date=timezone.now(),
        message_id=message_id_make(
            workspace_id=mailbox.workspace_id, message_id=0, domain=_domain(mailbox)
        ),
    )
    try:
        smtp = smtp_open(mailbox_smtp_endpoint(mailbox), mailbox_credentials(mailbox=mailbox))
        try:
            smtp_deliver(smtp, email, from_addr=mailbox.address, to=to_addr)
        finally:
            smtp_close(smtp)
    except TransportError as exc:
        return str(exc)
    return ""


def _domain(mailbox: Mailbox) -> str:
    return mailbox.address.rpartition("@")[2]
