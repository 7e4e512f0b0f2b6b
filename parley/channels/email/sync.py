"""IMAP reply sync: per-folder state, headers first, only replies to Parley's emails.

For each folder (INBOX, and the Sent folder) the state is UIDVALIDITY and the last UID looked
at. New UIDs are fetched as header fields only (BODY.PEEK on a read-only SELECT: nothing is
marked read). An email is downloaded and stored only when its In-Reply-To / References name an
email Parley sent or stored, or carry our signed token. Each stored email and the folder's
last UID are written in one transaction, and (folder, UIDVALIDITY, UID) is unique, so a sync
killed at any point leaves no duplicate and no gap. A UIDVALIDITY change rescans mail since the
connection and recognises what it already has by content hash.

Bounces (delivery status notifications, see bounce.py) are recognised from the same header
fields and downloaded (at most BOUNCE_BYTES each) to read them: one for a Parley email marks
that message failed (or notes a delay) with a record of its UID, so it is handled once, and is
never stored as a message; one that names no Parley email is skipped like any unrelated mail.

Hostile or broken mail never stops a folder: whatever storing one email raises, it is stored
again as a flagged message with the error (or, if even that fails, its UID is recorded with
the error, a "poison UID"), the folder's progress moves past it, and the mailbox counts it
and tells the admins. Leases are short and renewed as the pass goes; a holder that is a dead
process on this host is taken over at once.
"""

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError

from parley.channels.email.bounce import (
    BOUNCE_BYTES,
    Bounce,
    bounce_apply,
    bounce_declared,
    bounce_parse,
    bounce_suspected,
)
from parley.channels.email.mime import Headers, email_parse, headers_parse, token_parse
from parley.channels.email.models import EmailRecord, Mailbox, MailboxFolder
from parley.channels.email.services import (
    mailbox_credentials,
    mailbox_imap_endpoint,
    mailbox_mark_error,
    mailbox_mark_reauth,
    mailbox_mark_synced,
    mailbox_note_unreadable,
)
from parley.channels.email.transport import AuthFailed, TransportError, imap_close, imap_open
from parley.core.files import filename_display, filename_safe
from parley.core.workers import holder_is_dead, worker_id
from parley.creators.models import Creator, Identity
from parley.creators.selectors import creator_by_identity
from parley.creators.services import identity_bounce_clear
from parley.inbox.models import Attachment, Channel, Conversation, Message
from parley.inbox.services import conversation_get_or_create, message_record

logger = logging.getLogger(__name__)

# "sync:<host>:<pid>:<nonce>": another worker on this host can tell when the holder is dead.
WORKER_ID = worker_id("sync")
# Renewed before every fetch and store of a pass: a worker on another host takes over a
# dead holder's folder after this long; on the same host at once (the pid is checked).
LEASE = timedelta(seconds=30)
BATCH = 200
STORE_CHUNK = 50
# Bodies are downloaded at most this many bytes to a FETCH (at least one email).
FETCH_BYTES = 16_000_000
# The last three tell a bounce (bounce.bounce_suspected); they are not part of an email's
# content hash (mime.headers_parse), which predates them.
HEADER_FIELDS = (
    "MESSAGE-ID IN-REPLY-TO REFERENCES FROM TO CC DATE SUBJECT"
    " CONTENT-TYPE X-FAILED-RECIPIENTS X-MS-EXCHANGE-MESSAGE-IS-NDR"
)
HEADER_ITEM = f"BODY.PEEK[HEADER.FIELDS ({HEADER_FIELDS})]"
BODY_ITEM = "BODY.PEEK[]"
# A suspected bounce: its first bytes (the report and the original's headers come first).
BOUNCE_ITEM = f"BODY.PEEK[]<0.{BOUNCE_BYTES}>"
MAX_BODY_TEXT = 200_000


@dataclass
class SyncReport:
    looked_at: int = 0
    stored: int = 0
    skipped: int = 0
    duplicates: int = 0
    # Bounces for Parley emails, recorded on them (never stored as messages).
    bounces: int = 0
    # Stored flagged, or recorded as a poison UID: could not be fully read.
    unreadable: int = 0
    folders: list[str] = field(default_factory=list)


# --- Leases ---------------------------------------------------------------------------------


def folder_lease(*, folder: MailboxFolder, worker_id: str) -> bool:
    now = timezone.now()
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now) | Q(leased_by=worker_id)
    won = (
        MailboxFolder.objects.filter(id=folder.id)
        .filter(free)
        .update(lease_until=now + LEASE, leased_by=worker_id)
    )
    if won:
        return True
    holder = MailboxFolder.objects.filter(id=folder.id).values_list("leased_by", flat=True)
    held_by = next(iter(holder), "")
    if not held_by or not holder_is_dead(held_by):
        return False
    # Compare-and-set on the dead holder: one taker wins.
    won = MailboxFolder.objects.filter(id=folder.id, leased_by=held_by).update(
        lease_until=now + LEASE, leased_by=worker_id
    )
    if won:
        logger.info("folder %s: took over from dead sync worker %s", folder.pk, held_by)
    return bool(won)


def folder_release(*, folder: MailboxFolder, worker_id: str) -> None:
    MailboxFolder.objects.filter(id=folder.id, leased_by=worker_id).update(
        lease_until=None, leased_by=""
    )


# --- One pass -------------------------------------------------------------------------------


def mailbox_sync(*, mailbox_id: int, worker_id: str = WORKER_ID, client: Any = None) -> SyncReport:
    """One sync pass over the mailbox's folders. Opens (and closes) a connection unless one is
    given. Send-only mailboxes are never touched. Whatever the pass raises is on the mailbox
    at once (its last error, and a notification to the admins the first time)."""
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
    except Exception as exc:
        logger.exception("mailbox %s: sync pass failed", mailbox_id)
        mailbox_mark_error(mailbox=mailbox, error=error_text(exc), notify=True)
        raise
    finally:
        if own and client is not None:
            imap_close(client)
    return report


def error_text(exc: BaseException) -> str:
    """`Class: message`, one line, no NUL, for a row and a notification."""
    text = f"{exc.__class__.__name__}: {exc}".replace("\x00", "")
    return " ".join(text.split())[:500]


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
        _batch(
            client=client,
            mailbox=mailbox,
            folder=folder,
            uids=batch,
            report=report,
            worker_id=worker_id,
        )
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


@dataclass
class _Problems:
    """Emails of a batch that could not be fully read: how many, and the latest error."""

    count: int = 0
    # Of those, recorded without a message (poison UIDs); the others are stored flagged.
    poison: int = 0
    error: str = ""

    def add(self, error: str, *, poison: bool = True) -> None:
        self.count += 1
        self.poison += poison
        self.error = error


def _batch(
    *,
    client: Any,
    mailbox: Mailbox,
    folder: MailboxFolder,
    uids: list[int],
    report: SyncReport,
    worker_id: str = WORKER_ID,
) -> None:
    """Headers of the batch first; then the bodies of the replies, a bounded number of bytes
    to a FETCH; each such group is stored in one transaction with the folder's progress, every
    email in its own savepoint. Skipped mail only moves the in-memory mark (written with the
    next stored group or at the end): after a crash it is looked at again, which stores
    nothing. An email that raises anything is stored flagged or recorded as a poison UID
    (`_store_isolated`): it never holds up the emails after it."""
    fetched = client.fetch(uids, [HEADER_ITEM, "RFC822.SIZE", "INTERNALDATE"])
    looked, stored, duplicates = 0, 0, 0
    problems = _Problems()
    lookups = _Lookups()
    candidates: list[_Plan] = []
    for uid in uids:
        data = fetched.get(uid)
        if data is None:
            continue  # expunged meanwhile
        looked += 1
        header_raw = _header_bytes(data)
        try:
            plan = _plan(uid=uid, data=data, header_raw=header_raw)
            if folder.rescan_since is not None:
                # INTERNALDATE has whole seconds: compare against the connection's second.
                if plan.arrived < mailbox.connected_at.replace(microsecond=0):
                    continue
                if _known_duplicate(mailbox=mailbox, folder=folder, plan=plan):
                    duplicates += 1
                    continue
        except Exception as exc:
            _poison(mailbox=mailbox, folder=folder, uid=uid, header_raw=header_raw, exc=exc)
            problems.add(error_text(exc))
            continue
        candidates.append(plan)
    bounced = _Bounces()
    if folder.role == MailboxFolder.Role.INBOX:
        suspects = [p for p in candidates if bounce_suspected(p.headers)]
        bounced = _bounces(
            client=client,
            mailbox=mailbox,
            folder=folder,
            plans=suspects,
            problems=problems,
            worker_id=worker_id,
        )
        candidates = [p for p in candidates if p.uid not in bounced.handled]
    plans = _decide_all(
        mailbox=mailbox, folder=folder, candidates=candidates, lookups=lookups, problems=problems
    )
    for group in _groups(plans):
        folder_lease(folder=folder, worker_id=worker_id)  # renew before the download
        bodies = _bodies(client, [p.uid for p in group if p.size <= _max_bytes()])
        # No network I/O inside: the bodies were fetched above.
        with transaction.atomic():
            for plan in group:
                if plan.target is None:
                    try:
                        plan.target = _decide(
                            mailbox=mailbox, folder=folder, headers=plan.headers, lookups=lookups
                        )
                    except Exception as exc:
                        _poison_plan(mailbox=mailbox, folder=folder, plan=plan, exc=exc)
                        problems.add(error_text(exc))
                        continue
                    if plan.target is None:
                        continue
                kind, error = _store_isolated(
                    mailbox=mailbox, folder=folder, plan=plan, body=bodies.get(plan.uid)
                )
                stored += kind in (_STORED, _FLAGGED)
                duplicates += kind == _DUPLICATE
                if error:
                    problems.add(error, poison=kind == _POISON)
            _advance(folder, group[-1].uid)  # with the group's messages, all or nothing
    duplicates += bounced.duplicates
    report.looked_at += looked
    report.stored += stored
    report.duplicates += duplicates
    report.bounces += bounced.recorded
    report.skipped += looked - stored - duplicates - bounced.recorded - problems.poison
    report.unreadable += problems.count
    if uids:
        _advance(folder, uids[-1])
    mailbox_note_unreadable(mailbox=mailbox, count=problems.count, error=problems.error)


def _plan(*, uid: int, data: dict[bytes, Any], header_raw: bytes) -> _Plan:
    size = int(data.get(b"RFC822.SIZE", 0))
    headers = headers_parse(header_raw, size=size)
    arrived = data.get(b"INTERNALDATE")
    if not isinstance(arrived, datetime) or arrived.tzinfo is None:
        arrived = timezone.now()
    return _Plan(uid, headers, header_raw, size, arrived)


def _decide_all(
    *,
    mailbox: Mailbox,
    folder: MailboxFolder,
    candidates: list[_Plan],
    lookups: "_Lookups",
    problems: _Problems,
) -> list[_Plan]:
    """The candidates that are replies to Parley (or to a reply stored in this batch)."""
    # One query for the records every candidate refers to.
    all_ids = {i for p in candidates for i in (*p.headers.referenced, p.headers.message_id) if i}
    records = _records_for(mailbox=mailbox, ids=all_ids) if all_ids else []
    pending_ids: set[str] = set()
    plans: list[_Plan] = []
    for plan in candidates:
        headers = plan.headers
        try:
            plan.target = _decide(
                mailbox=mailbox, folder=folder, headers=headers, lookups=lookups, records=records
            )
        except Exception as exc:
            _poison_plan(mailbox=mailbox, folder=folder, plan=plan, exc=exc)
            problems.add(error_text(exc))
            continue
        if plan.target is None and pending_ids.intersection(headers.referenced):
            plan.after_parent = True
        if plan.target is not None or plan.after_parent:
            plans.append(plan)
            if headers.message_id:
                pending_ids.add(headers.message_id)
    return plans


def _max_bytes() -> int:
    return int(settings.PARLEY_EMAIL_MAX_MESSAGE_BYTES)


def _groups(plans: list[_Plan]) -> list[list[_Plan]]:
    """Consecutive plans, at most STORE_CHUNK emails and FETCH_BYTES to a group."""
    groups: list[list[_Plan]] = []
    size = 0
    for plan in plans:
        if not groups or len(groups[-1]) >= STORE_CHUNK or size + plan.size > FETCH_BYTES:
            groups.append([])
            size = 0
        groups[-1].append(plan)
        size += plan.size
    return groups


@dataclass
class _Body:
    raw: bytes = b""
    error: str = ""


def _bodies(client: Any, uids: list[int], item: str = BODY_ITEM) -> dict[int, _Body]:
    """The whole emails (or what `item` asks for: the first bytes), in one FETCH; when the
    server refuses it (a message it cannot read), one at a time, so only the unreadable one
    goes without its body."""
    if not uids:
        return {}
    try:
        return _body_map(client.fetch(uids, [item]))
    except IMAPClientAbortError:
        raise
    except IMAPClientError as exc:
        if len(uids) == 1:
            return {uids[0]: _Body(error=error_text(exc))}
    out: dict[int, _Body] = {}
    for uid in uids:
        out.update(_bodies(client, [uid], item))
    return out


def _body_map(fetched: dict[int, dict[bytes, Any]]) -> dict[int, _Body]:
    """`BODY[]`, or `BODY[]<0>` for a partial fetch."""
    out: dict[int, _Body] = {}
    for uid, data in fetched.items():
        raw = next(
            (v for k, v in data.items() if k.startswith(b"BODY[]") and isinstance(v, bytes)),
            b"",
        )
        out[uid] = _Body(raw=raw)
    return out


# --- Bounces --------------------------------------------------------------------------------


@dataclass
class _Bounces:
    """What became of a batch's suspected bounces."""

    # UIDs dealt with here (recorded, skipped, or recorded with their error): not replies.
    handled: set[int] = field(default_factory=set)
    recorded: int = 0
    duplicates: int = 0


def _bounces(
    *,
    client: Any,
    mailbox: Mailbox,
    folder: MailboxFolder,
    plans: list[_Plan],
    problems: _Problems,
    worker_id: str = WORKER_ID,
) -> _Bounces:
    """Emails whose header fields look like a bounce, read from their first BOUNCE_BYTES.
    A bounce for a Parley email is recorded on that message with a record of its UID, in a
    transaction of its own (the UID's uniqueness makes it count once, even after a crash
    before the folder's progress is written); a bounce that names no Parley email is
    skipped; an email that is no bounce after all is left to be decided as any other. One
    that raises anything is recorded with its error, like a poison UID."""
    out = _Bounces()
    for start in range(0, len(plans), STORE_CHUNK):
        chunk = plans[start : start + STORE_CHUNK]
        folder_lease(folder=folder, worker_id=worker_id)  # renew before the download
        bodies = _bodies(client, [p.uid for p in chunk], BOUNCE_ITEM)
        for plan in chunk:
            body = bodies.get(plan.uid)
            if body is None:
                out.handled.add(plan.uid)  # expunged meanwhile
                continue
            try:
                if body.error:
                    raise ValueError(body.error)
                bounce = bounce_parse(body.raw, headers=plan.headers)
                if bounce is None and bounce_declared(plan.headers):
                    raise ValueError(_("A delivery status notification that could not be read."))
                if bounce is None:
                    continue  # no bounce after all: decided as any other email
                out.handled.add(plan.uid)
                message = _bounced_message(mailbox=mailbox, bounce=bounce)
                if message is None:
                    continue
                _bounce_store(mailbox=mailbox, folder=folder, plan=plan, bounce=bounce, of=message)
                out.recorded += 1
            except IntegrityError:
                if _uid_recorded(folder=folder, uid=plan.uid):
                    out.duplicates += 1  # another worker recorded it a moment ago
                    continue
                _poison_plan(mailbox=mailbox, folder=folder, plan=plan, error="IntegrityError")
                problems.add("IntegrityError")
            except Exception as exc:
                out.handled.add(plan.uid)
                logger.warning("mailbox %s uid %s: bounce not read: %s", mailbox.pk, plan.uid, exc)
                _poison_plan(mailbox=mailbox, folder=folder, plan=plan, exc=exc)
                problems.add(error_text(exc))
    return out


def _bounced_message(*, mailbox: Mailbox, bounce: Bounce) -> Message | None:
    """The email Parley sent (or synced from Sent) that the bounce reports on: the first of
    its original Message-IDs that names an outbound email of this workspace."""
    if not bounce.original_ids:
        return None
    outbound = {
        r.header_id: r.message
        for r in EmailRecord.objects.select_related("message__conversation__creator").filter(
            workspace_id=mailbox.workspace_id,
            header_id__in=bounce.original_ids,
            message__direction=Message.Direction.OUTBOUND,
            message__channel=Channel.EMAIL,
        )
    }
    for original in bounce.original_ids:
        if outbound.get(original) is not None:
            return outbound[original]
    for original in bounce.original_ids:
        token = token_parse(original)
        if token and token[0] == mailbox.workspace_id:
            message = (
                Message.objects.select_related("conversation__creator")
                .filter(
                    workspace_id=mailbox.workspace_id,
                    id=token[1],
                    direction=Message.Direction.OUTBOUND,
                    channel=Channel.EMAIL,
                )
                .first()
            )
            if message is not None:
                return message
    return None


def _bounce_store(
    *, mailbox: Mailbox, folder: MailboxFolder, plan: _Plan, bounce: Bounce, of: Message
) -> None:
    """The UID's record first: a second look at the same UID fails on it and changes
    nothing."""
    with transaction.atomic():
        EmailRecord.objects.create(
            workspace_id=mailbox.workspace_id,
            mailbox=mailbox,
            folder=folder,
            uidvalidity=folder.uidvalidity,
            uid=plan.uid,
            content_hash=plan.headers.content_hash,
            header_id=plan.headers.message_id,
            bounce_of=of,
        )
        bounce_apply(message=of, bounce=bounce, at=min(plan.arrived, timezone.now()))


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


_STORED, _FLAGGED, _DUPLICATE, _POISON = "stored", "flagged", "duplicate", "poison"


def _store_isolated(
    *, mailbox: Mailbox, folder: MailboxFolder, plan: _Plan, body: "_Body | None"
) -> tuple[str, str]:
    """Store one email whatever it holds: (how, the error if it could not be fully read).
    _STORED; _FLAGGED (stored with the error); _DUPLICATE (another worker stored this UID);
    _POISON (not even a flagged copy could be stored: the UID is recorded with the error).
    Each try is a savepoint of the group's transaction: a failed one leaves nothing behind."""
    if body is None:
        mb = plan.size / 1_000_000
        body = _Body(error=_("Too large to download (%(mb).1f MB).") % {"mb": mb})
    try:
        with transaction.atomic():
            _store(mailbox=mailbox, folder=folder, plan=plan, raw=body.raw, error=body.error)
        return (_FLAGGED if body.error else _STORED), body.error
    except IntegrityError:
        if _uid_recorded(folder=folder, uid=plan.uid):
            return _DUPLICATE, ""  # another worker stored the same UID a moment ago
        first = "IntegrityError"
    except Exception as exc:
        first = error_text(exc)
    logger.warning("mailbox %s uid %s: storing flagged: %s", mailbox.pk, plan.uid, first)
    try:
        with transaction.atomic():
            _store(mailbox=mailbox, folder=folder, plan=plan, raw=body.raw, error=first, bare=True)
        return _FLAGGED, first
    except Exception as exc:
        second = error_text(exc)
    logger.warning("mailbox %s uid %s: recorded as poison: %s", mailbox.pk, plan.uid, second)
    error = f"{first} / {second}"
    _poison_plan(mailbox=mailbox, folder=folder, plan=plan, error=error)
    return _POISON, error


def _uid_recorded(*, folder: MailboxFolder, uid: int) -> bool:
    return EmailRecord.objects.filter(
        folder=folder, uidvalidity=folder.uidvalidity, uid=uid
    ).exists()


def _poison_plan(
    *,
    mailbox: Mailbox,
    folder: MailboxFolder,
    plan: _Plan,
    exc: BaseException | None = None,
    error: str = "",
) -> None:
    _poison(
        mailbox=mailbox,
        folder=folder,
        uid=plan.uid,
        header_raw=plan.header_raw,
        exc=exc,
        error=error,
    )


def _poison(
    *,
    mailbox: Mailbox,
    folder: MailboxFolder,
    uid: int,
    header_raw: bytes,
    exc: BaseException | None = None,
    error: str = "",
) -> None:
    """Record a UID that could not be stored at all, with its error: the folder moves on."""
    error = error or (error_text(exc) if exc else "")
    with transaction.atomic():
        EmailRecord.objects.get_or_create(
            folder=folder,
            uidvalidity=folder.uidvalidity,
            uid=uid,
            defaults={
                "workspace_id": mailbox.workspace_id,
                "mailbox": mailbox,
                "content_hash": hashlib.sha256(header_raw).hexdigest(),
                "error": error[:2000],
            },
        )


def _stored_at(plan: _Plan, parent: Message) -> datetime:
    """When the email took place in the thread: its arrival (the mail server's clock, whole
    seconds), never in the future, and never before the message it answers."""
    at = min(plan.arrived, timezone.now())
    return max(at, parent.created_at + timedelta(milliseconds=1))


def _store(
    *,
    mailbox: Mailbox,
    folder: MailboxFolder,
    plan: _Plan,
    raw: bytes,
    error: str = "",
    bare: bool = False,
) -> None:
    """Store one email with its record. `error`: it could not be fully read (flagged, with the
    reason). `bare`: a retry after storing it failed: text only, no attachments, no HTML."""
    headers, target, uid = plan.headers, plan.target, plan.uid
    assert target is not None
    parsed = email_parse(raw, headers=headers) if raw else None
    if parsed is not None:
        text, html = parsed.text, ("" if bare else parsed.html)
    else:
        text, html = "", ""
    malformed = bool(error) or parsed is None or parsed.malformed
    inbound = target.direction == Message.Direction.INBOUND
    if inbound and headers.from_addr:
        # Mail from a bouncing address: it works again (creators.Identity.bounced_at).
        identity_bounce_clear(
            workspace_id=mailbox.workspace_id, address=headers.from_addr, replied_at=plan.arrived
        )
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
        created_at=_stored_at(plan, target.parent),
        provider_message_id=headers.message_id,
        in_reply_to=" ".join(headers.in_reply_to)[:998],
        references=" ".join(headers.references),
        is_malformed=malformed,
        status_reason=error[:500],
    )
    for att in parsed.attachments if parsed and not bare else []:
        attachment = Attachment(
            message=message,
            filename=filename_display(att.filename),
            content_type=att.content_type,
            size=len(att.data),
        )
        attachment.file.save(filename_safe(att.filename), ContentFile(att.data), save=False)
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
        error=error[:2000],
    )
