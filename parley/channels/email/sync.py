"""IMAP reply sync: per-folder state, headers first, only replies to Parley's emails.

For each folder (INBOX, and the Sent folder) the state is UIDVALIDITY and the last UID looked
at. New UIDs are fetched as header fields only (BODY.PEEK on a read-only SELECT: nothing is
marked read). An email is downloaded and stored only when its In-Reply-To / References name an
email Parley sent or stored, or carry our signed token. Each stored email and the folder's
last UID are written in one transaction, and (folder, UIDVALIDITY, UID) is unique, so a sync
killed at any point leaves no duplicate and no gap. A UIDVALIDITY change rescans mail since the
connection and recognises what it already has by content hash.
"""

import logging
import socket
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from parley.channels.email.mime import Headers, email_parse, headers_parse, token_parse
from parley.channels.email.models import EmailRecord, Mailbox, MailboxFolder
from parley.channels.email.services import (
    mailbox_credentials,
    mailbox_imap_endpoint,
    mailbox_mark_error,
    mailbox_mark_reauth,
    mailbox_mark_synced,
)
from parley.channels.email.transport import AuthFailed, TransportError, imap_close, imap_open
from parley.creators.models import Creator, Identity
from parley.creators.selectors import creator_by_identity
from parley.inbox.models import Attachment, Channel, Conversation, Message
from parley.inbox.services import conversation_get_or_create, message_record

logger = logging.getLogger(__name__)

WORKER_ID = f"sync:{socket.gethostname()}:{id(object())}"
LEASE = timedelta(minutes=3)
BATCH = 200
STORE_CHUNK = 50
HEADER_FIELDS = "MESSAGE-ID IN-REPLY-TO REFERENCES FROM TO CC DATE SUBJECT"
HEADER_ITEM = f"BODY.PEEK[HEADER.FIELDS ({HEADER_FIELDS})]"
MAX_BODY_TEXT = 200_000


@dataclass
class SyncReport:
    looked_at: int = 0
    stored: int = 0
    skipped: int = 0
    duplicates: int = 0
    folders: list[str] = field(default_factory=list)


# --- Leases ---------------------------------------------------------------------------------


def folder_lease(*, folder: MailboxFolder, worker_id: str) -> bool:
    now = timezone.now()
    won = (
        MailboxFolder.objects.filter(id=folder.id)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now) | Q(leased_by=worker_id))
        .update(lease_until=now + LEASE, leased_by=worker_id)
    )
    return bool(won)


def folder_release(*, folder: MailboxFolder, worker_id: str) -> None:
    MailboxFolder.objects.filter(id=folder.id, leased_by=worker_id).update(
        lease_until=None, leased_by=""
    )


# --- One pass -------------------------------------------------------------------------------


def mailbox_sync(*, mailbox_id: int, worker_id: str = WORKER_ID, client: Any = None) -> SyncReport:
    """One sync pass over the mailbox's folders. Opens (and closes) a connection unless one is
    given. Send-only mailboxes are never touched."""
    report = SyncReport()
    mailbox = Mailbox.objects.filter(id=mailbox_id).first()
    if mailbox is None or not mailbox.is_active or not mailbox.reads_mail or mailbox.needs_reauth:
        return report
    own = client is None
    try:
        if own:
            client = mailbox_connect(mailbox)
        for folder in mailbox.folders.order_by("role"):
            if not folder_lease(folder=folder, worker_id=worker_id):
                continue  # another worker has it
            try:
                folder_sync(
                    client=client,
                    mailbox=mailbox,
                    folder=folder,
                    report=report,
                    worker_id=worker_id,
                )
            finally:
                folder_release(folder=folder, worker_id=worker_id)
        mailbox_mark_synced(mailbox=mailbox)
    except AuthFailed as exc:
        mailbox_mark_reauth(mailbox=mailbox, reason=str(exc))
        raise
    except TransportError as exc:
        mailbox_mark_error(mailbox=mailbox, error=str(exc))
        raise
    except OSError as exc:
        mailbox_mark_error(mailbox=mailbox, error=f"{exc.__class__.__name__}")
        raise
    finally:
        if own and client is not None:
            imap_close(client)
    return report


def mailbox_connect(mailbox: Mailbox) -> Any:
    creds = mailbox_credentials(mailbox=mailbox)
    client = imap_open(mailbox_imap_endpoint(mailbox), creds)
    client.normalise_times = False
    return client


def folder_sync(
    *,
    client: Any,
    mailbox: Mailbox,
    folder: MailboxFolder,
    report: SyncReport,
    worker_id: str = WORKER_ID,
) -> None:
    info = client.select_folder(folder.name, readonly=True)
    uidvalidity = int(info[b"UIDVALIDITY"])
    report.folders.append(folder.name)
    if folder.uidvalidity is None:
        # First look (the connection did not see this folder): start from now.
        folder.uidvalidity = uidvalidity
        folder.last_uid = int(info.get(b"UIDNEXT", 1)) - 1
        folder.save(update_fields=["uidvalidity", "last_uid"])
        return
    if uidvalidity != folder.uidvalidity:
        logger.info(
            "mailbox %s folder %s: UIDVALIDITY changed, rescanning", mailbox.pk, folder.name
        )
        folder.uidvalidity = uidvalidity
        folder.last_uid = 0
        folder.rescan_since = mailbox.connected_at
        folder.save(update_fields=["uidvalidity", "last_uid", "rescan_since"])
    if folder.rescan_since is not None:
        uids = client.search(["SINCE", folder.rescan_since.date()])
    else:
        uids = client.search(["UID", f"{folder.last_uid + 1}:*"])
    uids = sorted(int(u) for u in uids if int(u) > folder.last_uid)
    for start in range(0, len(uids), BATCH):
        batch = uids[start : start + BATCH]
        folder_lease(folder=folder, worker_id=worker_id)  # renew
        _batch(client=client, mailbox=mailbox, folder=folder, uids=batch, report=report)
    if folder.rescan_since is not None:
        folder.rescan_since = None
        folder.save(update_fields=["rescan_since"])
    folder.synced_at = timezone.now()
    folder.save(update_fields=["synced_at"])


def _header_bytes(data: dict[bytes, Any]) -> bytes:
    for key, value in data.items():
        if key.startswith(b"BODY[HEADER") and isinstance(value, bytes):
            return value
    return b""


def _advance(folder: MailboxFolder, uid: int) -> None:
    if uid > folder.last_uid:
        folder.last_uid = uid
        MailboxFolder.objects.filter(id=folder.id, last_uid__lt=uid).update(last_uid=uid)


@dataclass
class _Plan:
    uid: int
    headers: Headers
    header_raw: bytes
    size: int
    arrived: datetime
    target: "Target | None" = None
    # A reply to a reply that arrives in the same batch: decided once its parent is stored.
    after_parent: bool = False


def _batch(
    *, client: Any, mailbox: Mailbox, folder: MailboxFolder, uids: list[int], report: SyncReport
) -> None:
    """Headers of the batch first; then one FETCH of the bodies of the replies; then store in
    UID order, each reply with the folder's progress in one transaction. Skipped mail only
    moves the in-memory mark (written with the next stored reply or at the end): after a
    crash it is looked at again, which stores nothing."""
    fetched = client.fetch(uids, [HEADER_ITEM, "RFC822.SIZE", "INTERNALDATE"])
    looked, stored, duplicates = 0, 0, 0
    lookups = _Lookups()
    plans: list[_Plan] = []
    candidates: list[_Plan] = []
    for uid in uids:
        data = fetched.get(uid)
        if data is None:
            continue  # expunged meanwhile
        looked += 1
        size = int(data.get(b"RFC822.SIZE", 0))
        header_raw = _header_bytes(data)
        headers = headers_parse(header_raw, size=size)
        arrived = data.get(b"INTERNALDATE")
        if not isinstance(arrived, datetime) or arrived.tzinfo is None:
            arrived = timezone.now()
        plan = _Plan(uid, headers, header_raw, size, arrived)
        if folder.rescan_since is not None:
            # INTERNALDATE has whole seconds: compare against the connection's second.
            if arrived < mailbox.connected_at.replace(microsecond=0):
                continue
            if _known_duplicate(mailbox=mailbox, folder=folder, plan=plan):
                duplicates += 1
                continue
        candidates.append(plan)
    # One query for the records every candidate refers to.
    all_ids = {i for p in candidates for i in (*p.headers.referenced, p.headers.message_id) if i}
    records = _records_for(mailbox=mailbox, ids=all_ids) if all_ids else []
    pending_ids: set[str] = set()
    for plan in candidates:
        headers = plan.headers
        plan.target = _decide(
            mailbox=mailbox, folder=folder, headers=headers, lookups=lookups, records=records
        )
        if plan.target is None and pending_ids.intersection(headers.referenced):
            plan.after_parent = True
        if plan.target is not None or plan.after_parent:
            plans.append(plan)
            if headers.message_id:
                pending_ids.add(headers.message_id)
    wanted = [p.uid for p in plans]
    bodies = client.fetch(wanted, ["BODY.PEEK[]"]) if wanted else {}
    # Stores are grouped STORE_CHUNK to a transaction (each one in its own savepoint): far
    # fewer commits, and still all-or-nothing with the folder's progress. No network I/O
    # happens inside: the bodies were fetched above.
    for first in range(0, len(plans), STORE_CHUNK):
        chunk = plans[first : first + STORE_CHUNK]
        with transaction.atomic():
            for plan in chunk:
                if plan.target is None:
                    plan.target = _decide(
                        mailbox=mailbox, folder=folder, headers=plan.headers, lookups=lookups
                    )
                    if plan.target is None:
                        continue
                raw = bodies.get(plan.uid, {}).get(b"BODY[]") or b""
                if _store(mailbox=mailbox, folder=folder, plan=plan, raw=raw):
                    stored += 1
                else:
                    duplicates += 1
            _advance(folder, chunk[-1].uid)  # with the chunk's messages, all or nothing
    report.looked_at += looked
    report.stored += stored
    report.duplicates += duplicates
    report.skipped += looked - stored - duplicates
    if uids:
        _advance(folder, uids[-1])


def _known_duplicate(*, mailbox: Mailbox, folder: MailboxFolder, plan: _Plan) -> bool:
    """After a UIDVALIDITY change: an email already stored under the old UIDs (same content
    hash) gets a record of its new UID and nothing else."""
    known = EmailRecord.objects.filter(
        folder=folder, content_hash=plan.headers.content_hash
    ).first()
    if known is None:
        return False
    with transaction.atomic():
        EmailRecord.objects.get_or_create(
            folder=folder,
            uidvalidity=folder.uidvalidity,
            uid=plan.uid,
            defaults={
                "workspace_id": mailbox.workspace_id,
                "mailbox": mailbox,
                "content_hash": plan.headers.content_hash,
                "header_id": plan.headers.message_id,
                "message": known.message,
            },
        )
        _advance(folder, plan.uid)
    return True


@dataclass
class Target:
    conversation: Conversation
    parent: Message
    direction: str


@dataclass
class _Lookups:
    """Rows a sync pass looks up again and again (threads, creators by address)."""

    conversations: dict[int, Conversation] = field(default_factory=dict)
    creators: dict[str, Creator | None] = field(default_factory=dict)

    def conversation(self, conversation_id: int) -> Conversation:
        if conversation_id not in self.conversations:
            self.conversations[conversation_id] = Conversation.objects.select_related(
                "creator"
            ).get(id=conversation_id)
        return self.conversations[conversation_id]

    def creator(self, mailbox: Mailbox, address: str) -> Creator | None:
        if address not in self.creators:
            self.creators[address] = creator_by_identity(
                workspace=mailbox.workspace, kind=Identity.Kind.EMAIL, normalized=address
            )
        return self.creators[address]


def _records_for(*, mailbox: Mailbox, ids: set[str]) -> list[EmailRecord]:
    return list(
        EmailRecord.objects.select_related("message")
        .filter(workspace_id=mailbox.workspace_id, header_id__in=ids, message__isnull=False)
        .order_by("id")
    )


def _parent(
    *, mailbox: Mailbox, headers: Headers, records: list[EmailRecord] | None = None
) -> Message | bool | None:
    """The Parley email this one replies to (by In-Reply-To/References, or our token); or
    False when the email is one of our own (a Sent copy of what Parley sent). `records`:
    the batch's records, looked up in one query (else this email's are)."""
    refs = headers.referenced
    wanted = {*refs, headers.message_id} - {""}
    if not wanted:
        return None
    if records is None:
        records = _records_for(mailbox=mailbox, ids=wanted)
    records = [r for r in records if r.header_id in wanted]
    if headers.message_id and any(
        r.header_id == headers.message_id and r.folder_id is None and r.mailbox_id == mailbox.id
        for r in records
    ):
        return False
    by_id = {r.header_id: r.message for r in records}
    for ref in refs:
        if by_id.get(ref) is not None:
            return by_id[ref]
    for ref in refs:
        token = token_parse(ref)
        if token and token[0] == mailbox.workspace_id:
            message = Message.objects.filter(workspace_id=mailbox.workspace_id, id=token[1]).first()
            if message is not None:
                return message
    return None


def _decide(
    *,
    mailbox: Mailbox,
    folder: MailboxFolder,
    headers: Headers,
    lookups: "_Lookups | None" = None,
    records: list[EmailRecord] | None = None,
) -> Target | None:
    lookups = lookups or _Lookups()
    if folder.role == MailboxFolder.Role.SENT and headers.from_addr != mailbox.address:
        return None
    if folder.role != MailboxFolder.Role.SENT and headers.from_addr == mailbox.address:
        return None  # a copy of our own mail; the Sent folder is where it is taken from
    parent = _parent(mailbox=mailbox, headers=headers, records=records)
    if not isinstance(parent, Message):
        return None  # not a reply to Parley, or our own email
    conversation = lookups.conversation(parent.conversation_id)
    if folder.role == MailboxFolder.Role.SENT:
        # The user's own reply written in Gmail/Outlook: from this mailbox, to a creator.
        for addr in headers.to_addrs:
            creator = lookups.creator(mailbox, addr)
            if creator is not None and creator.id != conversation.creator_id:
                conversation = conversation_get_or_create(creator=creator)
                break
        return Target(conversation, parent, Message.Direction.OUTBOUND)
    creator = lookups.creator(mailbox, headers.from_addr)
    if creator is not None and creator.id != conversation.creator_id:
        # Another creator answering the same (mass) email: their own thread.
        conversation = conversation_get_or_create(creator=creator)
    return Target(conversation, parent, Message.Direction.INBOUND)


def _store(*, mailbox: Mailbox, folder: MailboxFolder, plan: _Plan, raw: bytes) -> bool:
    """Store one email with its record (in a savepoint: a UID stored meanwhile by another
    worker is an IntegrityError on the unique record, and nothing of this email stays)."""
    headers, target, uid, arrived = plan.headers, plan.target, plan.uid, plan.arrived
    assert target is not None
    parsed = email_parse(raw, headers=headers) if raw else None
    malformed = parsed is None or parsed.malformed
    text = parsed.text if parsed else ""
    html = parsed.html if parsed else ""
    inbound = target.direction == Message.Direction.INBOUND
    try:
        with transaction.atomic():
            message = message_record(
                conversation=target.conversation,
                channel=Channel.EMAIL,
                direction=target.direction,
                status=Message.Status.RECEIVED if inbound else Message.Status.SENT,
                body_text=text[:MAX_BODY_TEXT],
                body_html=html,
                subject=headers.subject,
                campaign_id=target.parent.campaign_id,
                author_creator=target.conversation.creator if inbound else None,
                author_member=None if inbound else mailbox.connected_by,
                created_at=arrived,
                provider_message_id=headers.message_id,
                in_reply_to=" ".join(headers.in_reply_to)[:998],
                references=" ".join(headers.references),
                is_malformed=malformed,
            )
            for att in parsed.attachments if parsed else []:
                attachment = Attachment(
                    message=message,
                    filename=att.filename,
                    content_type=att.content_type,
                    size=len(att.data),
                )
                attachment.file.save(
                    att.filename or "attachment", ContentFile(att.data), save=False
                )
                attachment.save()
            EmailRecord.objects.create(
                workspace_id=mailbox.workspace_id,
                mailbox=mailbox,
                folder=folder,
                uidvalidity=folder.uidvalidity,
                uid=uid,
                content_hash=headers.content_hash,
                header_id=headers.message_id,
                message=message,
            )
    except IntegrityError:
        # Another worker stored the same UID a moment ago.
        return False
    return True
