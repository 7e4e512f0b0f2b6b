"""Bounces: delivery status notifications for emails Parley sent.

Recognising one takes two steps, so that sync still reads only header fields to decide:

1. `bounce_suspected(headers)`: from the header fields alone. A `multipart/report;
   report-type=delivery-status` (RFC 3464/6522), Microsoft's `X-MS-Exchange-Message-Is-Ndr`,
   an `X-Failed-Recipients` field (Gmail, Exim), a sender that is a mail system
   (MAILER-DAEMON, postmaster) or a subject such as "Delivery Status Notification (Failure)",
   "Undeliverable:", "Mail delivery failed", "Undelivered Mail Returned to Sender".
2. `bounce_parse(raw)`: the email itself (the first BOUNCE_BYTES are enough: the original
   comes last). It reads, in this order of trust:
   - the `message/delivery-status` part (RFC 3464: Gmail, Microsoft 365 and Outlook.com,
     Postfix, Sendmail, Exim with DSN): per recipient the Action, Status, Original- and
     Final-Recipient and Diagnostic-Code; Gmail's X-Original-Message-ID;
   - the original's Message-ID from the `message/rfc822` or `text/rfc822-headers` part, the
     bounce's own In-Reply-To/References (Gmail and Microsoft set them), or a `Message-ID:`
     line of the original's headers quoted in the text (the non-standard formats: Gmail's
     plain-text "Delivery to the following recipient failed permanently ... ----- Original
     message -----", Microsoft's "Delivery has failed to these recipients or groups ...
     Original message headers:", Exim's "Mail delivery failed ... This is a copy of the
     message, including all the headers", Postfix before DSN);
   - failed recipients found by flufl.bounce's detectors (many non-standard formats), the
     X-Failed-Recipients field and the formats above;
   - the status code (`5.1.1`) and the server's diagnostic from the text when no DSN part
     has them ("The error that the other server returned was:", "Remote Server returned
     '...'", "host ... said:", "SMTP error from remote mail server after ...").

An email that is suspected but has none of this (a person writing from postmaster@) is not a
bounce: `bounce_parse` returns None and sync decides on it like on any other email.

`bounce_apply` records one on the Parley email it reports on: a failure marks the message
failed (status and diagnostic as its reason, shown in the thread) and notifies its author; a
5.x.x failure also marks the creator's address as bouncing. A delay (4.x.x, Action: delayed)
fails nothing: the message stays sent with a "Delivery delayed: ..." note. A report that a
message was delivered or relayed changes nothing. None of these is ever stored as a message.
"""

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.message import Message as MimeMessage
from email.parser import BytesParser, HeaderParser
from email.utils import getaddresses

import nh3
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from flufl.bounce import all_failures

from parley.channels.email.mime import Headers, ids_parse
from parley.creators.models import Identity
from parley.creators.services import identity_bounce_mark
from parley.inbox.events import Said, said
from parley.inbox.models import Message
from parley.inbox.services import message_mark_failed, message_note_status

logger = logging.getLogger(__name__)
# flufl.bounce logs every detector it runs at INFO: one line per detector per bounce.
logging.getLogger("flufl.bounce").setLevel(logging.WARNING)

# How much of a suspected bounce sync downloads: the report and the original's headers come
# first; an attached original's body (and its attachments) need not be read.
BOUNCE_BYTES = 256_000
# At most this many MIME parts are looked at (a hostile email can nest thousands).
MAX_PARTS = 200
MAX_TEXT = 200_000
MAX_DIAGNOSTIC = 300

FAILED, DELAYED, OTHER = "failed", "delayed", "other"
# Parsed as mime.py parses incoming mail, and as flufl.bounce expects.
_POLICY = policy.compat32

_DAEMONS = {"mailer-daemon", "mailer_daemon", "mailerdaemon", "mail-daemon", "postmaster"}
_SUBJECT = re.compile(
    r"^\s*(?:"
    r"delivery status notification|undeliverable|undelivered mail|undeliverable mail"
    r"|undelivered message|mail delivery failed|mail delivery failure|delivery failure"
    r"|failure notice|returned mail|delivery has failed|delivery delayed|delayed mail"
    r"|warning: could not send message|message not delivered|non[- ]?delivery"
    r"|nondeliverable|could not send message|mail system error"
    # Microsoft's NDR subjects in the languages brands here write in.
    r"|unzustellbar|nicht zustellbar|non remis|no se puede entregar|onbestelbaar"
    r"|non recapitabile"
    r")",
    re.I,
)
_REPORT = re.compile(r"^\s*multipart/report\b", re.I)
_REPORT_TYPE = re.compile(r"report-type\s*=\s*\"?([\w-]+)", re.I)
# An enhanced status code (RFC 3463): class.subject.detail; not part of an IP address or a
# longer version number.
_STATUS = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.]*\d)")
# "550-5.1.1 " / "550 5.1.1 ": an SMTP reply code with its status, repeated on every line of
# a multi-line reply; and a bare leading reply code.
_REPLY_PREFIX = re.compile(r"(?<!\S)[245]\d\d[ -][245]\.\d{1,3}\.\d{1,3}(?!\S)\s*")
_LEADING_CODE = re.compile(r"^[245]\d\d(?:[ -]|$)\s*")
_DIAG_TYPE = re.compile(r"^\s*[\w-]+\s*;\s*")
# Gmail ends its answers with a transaction id: "... a1si123456qkb.42 - gsmtp".
_GSMTP = re.compile(r"\s+\S+ - gsmtp$")
_MESSAGE_ID_LINE = re.compile(r"^[ \t>]*message-id:[ \t]*(<[^<>\s]+>)", re.I | re.M)
_DIAGNOSTICS = [
    # Gmail (plain text, before 2016): the remote server's answer after this line.
    re.compile(r"The error that the other server returned was:\s*\n(?P<d>.+?)(?:\n\s*\n|\Z)", re.S),
    # Gmail (multipart/report): the same, with the explanation above it.
    re.compile(r"The response (?:from the remote server )?was:\s*\n(?P<d>.+?)(?:\n\s*\n|\Z)", re.S),
    # Microsoft (Exchange, Microsoft 365, Outlook.com).
    re.compile(r"Remote Server returned '(?P<d>[^'\n]+(?:\n[^'\n]+)*)'", re.S),
    re.compile(r"Reported error:\s*(?P<d>.+?)(?:\n\s*\n|\n\S[^\n]*:\s|\Z)", re.S),
    # Exim: "SMTP error from remote mail server after RCPT TO:<x@y>:", the answer below.
    re.compile(
        r"SMTP error from remote (?:mail )?server after [^\n]*:[ \t]*\n(?P<d>.+?)(?:\n\s*\n|\Z)",
        re.S,
    ),
    # Postfix's notification: "<addr>: host mx.example[192.0.2.1] said: 550 5.1.1 ...".
    re.compile(r"\bsaid:\s*(?P<d>.+?)(?:\n\s*\n|\Z)", re.S),
    # Sendmail.
    re.compile(r"\(reason:\s*(?P<d>[^)]+)\)"),
    # Gmail (plain text): no server answer (storage quota, DNS errors).
    re.compile(
        r"Technical details of (?:permanent|temporary) failure:\s*\n?(?P<d>.+?)(?:\n\s*\n|\Z)",
        re.S,
    ),
]
_DELAY_WORDS = re.compile(
    r"has been delayed|delivery (?:is |has been )?delayed|will (?:continue|keep) trying|"
    r"not yet (?:been )?delivered|still being retried|will retry|could not send message for past",
    re.I,
)
# Recipients in formats flufl.bounce does not know.
_RECIPIENT_LINES = [
    # Microsoft: "Delivery has failed to these recipients or groups:\n\nx@y<mailto:x@y>".
    re.compile(
        r"Delivery has failed to these recipients or groups:\s*\n\s*\n?(?P<r>(?:[^\n]+\n)+?)\s*\n",
        re.I,
    ),
    re.compile(r"Your message to (?P<r>\S+@\S+?) couldn't be delivered", re.I),
    # Gmail (multipart/report): "wasn't delivered to x@y because".
    re.compile(r"(?:wasn't|was not|couldn't be) delivered to (?P<r>\S+@[^\s,;]+?)[ .,]", re.I),
]
_ADDRESS = re.compile(r"[\w.+'=-]+@[\w-]+(?:\.[\w-]+)+", re.U)


@dataclass
class Bounce:
    """What a delivery status notification reports about one email Parley sent."""

    kind: str  # FAILED (not delivered, not retried), DELAYED (still retried), OTHER
    # Message-IDs (normalised) that may be the bounced email's, the most trusted first.
    original_ids: list[str] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)
    status: str = ""  # "5.1.1"; "" when the report gives none
    diagnostic: str = ""  # the receiving server's words, one line

    @property
    def hard(self) -> bool:
        """A permanent failure of the address (5.x.x): the next send asks first. A failure
        that gives no code but says it is permanent counts too."""
        return self.kind == FAILED and not self.status.startswith(("4", "2"))


# --- From the header fields ----------------------------------------------------------------


def bounce_declared(headers: Headers) -> bool:
    """The header fields say this is a delivery status notification: a multipart/report of
    type delivery-status, or a Microsoft non-delivery report. One that cannot be read is
    an unreadable email, never anything else (sync records it with its error)."""
    if headers.is_ndr:
        return True
    report_type = _REPORT_TYPE.search(headers.content_type)
    return bool(
        _REPORT.match(headers.content_type)
        and report_type is not None
        and report_type.group(1).lower() == "delivery-status"
    )


def bounce_suspected(headers: Headers) -> bool:
    """Might this email be a bounce? Decided from the header fields sync fetches."""
    if bounce_declared(headers) or headers.failed_recipients:
        return True
    # A read receipt (disposition-notification) or an abuse report (feedback-report) is
    # not a bounce; a report that does not say its type may be one.
    if _REPORT.match(headers.content_type) and not _REPORT_TYPE.search(headers.content_type):
        return True
    local = headers.from_addr.partition("@")[0].lower()
    if local in _DAEMONS or headers.from_name.lower() in ("mail delivery subsystem",):
        return True
    return bool(_SUBJECT.match(headers.subject))


# --- From the whole email ------------------------------------------------------------------


def bounce_parse(raw: bytes, *, headers: Headers) -> Bounce | None:
    """The bounce in `raw` (a whole email or its first BOUNCE_BYTES), or None when it is no
    bounce after all. Never raises on any input."""
    try:
        return _parse(raw, headers)
    except Exception:
        logger.warning("bounce could not be read", exc_info=True)
        return None


@dataclass
class _Parts:
    dsn: list[MimeMessage] = field(default_factory=list)
    originals: list[MimeMessage] = field(default_factory=list)  # message/rfc822
    original_headers: list[str] = field(default_factory=list)  # text/rfc822-headers
    text: list[str] = field(default_factory=list)


def _decoded(part: MimeMessage) -> str:
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        payload = str(part.get_payload() or "").encode("utf-8", "replace")
    charset = part.get_content_charset() or "utf-8"
    try:
        text = payload[:MAX_TEXT].decode(charset, errors="replace")
    except LookupError:
        text = payload[:MAX_TEXT].decode("utf-8", errors="replace")
    return text.replace("\r\n", "\n").replace("\x00", "")


def _parts(msg: MimeMessage) -> _Parts:
    """The report's parts, without descending into the returned original."""
    out = _Parts()
    stack = [msg]
    seen = 0
    html: list[str] = []
    while stack and seen < MAX_PARTS:
        part = stack.pop()
        seen += 1
        ctype = part.get_content_type()
        if ctype in ("message/delivery-status", "message/global-delivery-status"):
            out.dsn.append(part)
        elif ctype in ("message/rfc822", "message/global"):
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], MimeMessage):
                out.originals.append(inner[0])
            elif isinstance(inner, str):  # truncated or unparsed: read its headers
                out.original_headers.append(inner)
        elif ctype in ("text/rfc822-headers", "message/global-headers"):
            out.original_headers.append(_decoded(part))
        elif part.is_multipart():
            payload = part.get_payload()
            if isinstance(payload, list):
                stack.extend(p for p in reversed(payload) if isinstance(p, MimeMessage))
        elif ctype == "text/plain" and part.get_content_disposition() != "attachment":
            out.text.append(_decoded(part))
        elif ctype == "text/html":
            html.append(_decoded(part))
    if not out.text and html:
        # Only HTML: its text (block ends as line breaks), for the text heuristics.
        flat = re.sub(r"(?i)<\s*(?:br|/p|/div|/tr|/h\d)\s*/?\s*>", "\n", "\n".join(html))
        out.text.append(nh3.clean(flat, tags=set()))
    return out


def _blocks(part: MimeMessage) -> list[MimeMessage]:
    """The header blocks of a message/delivery-status part: the per-message one first, then
    one per recipient."""
    payload = part.get_payload()
    if isinstance(payload, list) and all(isinstance(p, MimeMessage) for p in payload):
        return list(payload)
    text = _decoded(part)  # base64-encoded, or not parsed into blocks
    parser = HeaderParser(policy=_POLICY)
    return [parser.parsestr(b.strip() + "\n") for b in re.split(r"\n\s*\n", text) if b.strip()]


def _one_line(value: object) -> str:
    return " ".join(str(value or "").replace("\x00", "").split())


def _address(value: str) -> str:
    """`rfc822; Anna <anna@x.test>` -> `anna@x.test`."""
    value = value.rpartition(";")[2] if ";" in value else value
    pairs = getaddresses([value.strip()])
    addr = pairs[0][1] if pairs else ""
    return addr.strip("<> ").lower() if "@" in addr else ""


def _status(text: str) -> str:
    match = _STATUS.search(text)
    return ".".join(match.groups()) if match else ""


def diagnostic_clean(text: str) -> str:
    """The server's words on one line, without the diagnostic type (`smtp;`) and the reply
    codes a multi-line SMTP answer repeats on every line; at most MAX_DIAGNOSTIC characters."""
    text = _DIAG_TYPE.sub("", _one_line(text), count=1)
    text = _REPLY_PREFIX.sub("", text)
    text = _GSMTP.sub("", _LEADING_CODE.sub("", text)).strip()
    if len(text) > MAX_DIAGNOSTIC:
        text = text[: MAX_DIAGNOSTIC - 1].rstrip() + "…"
    return text


@dataclass
class _Recipient:
    address: str
    action: str
    status: str
    diagnostic: str


def _dsn(parts: _Parts) -> tuple[list[_Recipient], list[str]]:
    """Per-recipient fields of the DSN parts, and the original Message-IDs they name."""
    recipients: list[_Recipient] = []
    ids: list[str] = []
    for part in parts.dsn:
        for block in _blocks(part):
            ids += ids_parse(block.get("X-Original-Message-ID"))
            final = block.get("Final-Recipient")
            action = _one_line(block.get("Action")).lower()
            if final is None and not action:
                continue  # the per-message block
            original = _address(str(block.get("Original-Recipient") or ""))
            recipients.append(
                _Recipient(
                    address=original or _address(str(final or "")),
                    action=action,
                    status=_status(str(block.get("Status") or ""))
                    or _status(str(block.get("Diagnostic-Code") or "")),
                    diagnostic=_one_line(block.get("Diagnostic-Code")),
                )
            )
    return recipients, ids


def _kind_of(action: str, status: str) -> str:
    if action.startswith(("failed", "error")):
        return FAILED  # not delivered and given up, whatever the code (4.4.7: expired)
    if action.startswith("delayed"):
        return DELAYED
    if action:
        return OTHER  # delivered, relayed, expanded: a success report
    if status.startswith("5"):
        return FAILED
    if status.startswith("4"):
        return DELAYED
    return OTHER


def _original_ids(headers: Headers, parts: _Parts, dsn_ids: list[str], text: str) -> list[str]:
    ids: list[str] = []
    for original in parts.originals:
        ids += ids_parse(original.get("Message-ID"))
    parser = HeaderParser(policy=_POLICY)
    for block in parts.original_headers:
        head = re.split(r"\n\s*\n", block.replace("\r\n", "\n").lstrip("\n"), maxsplit=1)[0]
        ids += ids_parse(parser.parsestr(head + "\n", headersonly=True).get("Message-ID"))
    ids += dsn_ids
    ids += headers.referenced
    ids += [i for m in _MESSAGE_ID_LINE.findall(text) for i in ids_parse(m)]
    out: list[str] = []
    for i in ids:
        if i and i != headers.message_id and i not in out:
            out.append(i)
    return out[:20]


def _text_diagnostic(text: str) -> str:
    for pattern in _DIAGNOSTICS:
        match = pattern.search(text)
        if match and match.group("d").strip():
            return match.group("d")
    for line in text.splitlines():
        if _STATUS.search(line) or _LEADING_CODE.match(line.strip()):
            return line
    return ""


def _text_recipients(text: str) -> list[str]:
    found: list[str] = []
    for pattern in _RECIPIENT_LINES:
        for match in pattern.finditer(text):
            found += [a.lower() for a in _ADDRESS.findall(match.group("r"))]
    return found


def _flufl(msg: MimeMessage) -> tuple[list[str], list[str]]:
    """flufl.bounce's (temporary, permanent) failed addresses; its detectors are heuristics
    over hostile input, so any error in one is no answer."""
    try:
        temporary, permanent = all_failures(msg)
    except Exception:
        return [], []

    def decode(addrs: frozenset[bytes]) -> list[str]:
        return sorted(a.decode("ascii", "replace").strip("<> ").lower() for a in addrs)

    return decode(temporary), decode(permanent)


def _parse(raw: bytes, headers: Headers) -> Bounce | None:
    msg = BytesParser(policy=_POLICY).parsebytes(raw)
    parts = _parts(msg)
    text = "\n".join(parts.text)[:MAX_TEXT]
    recipients, dsn_ids = _dsn(parts)
    failed = [r for r in recipients if _kind_of(r.action, r.status) == FAILED]
    delayed = [r for r in recipients if _kind_of(r.action, r.status) == DELAYED]
    if recipients:
        chosen = failed or delayed or recipients
        kind = _kind_of(chosen[0].action, chosen[0].status)
        status = next((r.status for r in chosen if r.status), "")
        diagnostic = next((r.diagnostic for r in chosen if r.diagnostic), "")
        addresses = [r.address for r in chosen if r.address]
    else:
        temporary, permanent = _flufl(msg)
        from_text = _text_recipients(text)
        addresses = permanent or temporary or from_text or list(headers.failed_recipients)
        diagnostic = _text_diagnostic(text)
        status = _status(diagnostic) or _status(text)
        evidence = addresses or status or headers.failed_recipients or headers.is_ndr
        if not evidence:
            return None  # suspected from its headers, but nothing in it is a bounce
        if status.startswith("4") or (not permanent and (temporary or _DELAY_WORDS.search(text))):
            kind = DELAYED
        elif status.startswith("2"):
            kind = OTHER
        else:
            kind = FAILED
    if not diagnostic and kind != OTHER:
        diagnostic = _text_diagnostic(text)
    return Bounce(
        kind=kind,
        original_ids=_original_ids(headers, parts, dsn_ids, text),
        recipients=list(dict.fromkeys(a for a in addresses if a))[:20],
        status=status,
        diagnostic=diagnostic_clean(diagnostic),
    )


# --- Recording one -------------------------------------------------------------------------


def bounce_reason(bounce: Bounce) -> str:
    """What the thread shows on the bounced message."""
    status, diagnostic = bounce.status, bounce.diagnostic
    if bounce.kind == DELAYED:
        if status and diagnostic:
            return _("Delivery delayed (%(status)s): %(diagnostic)s") % {
                "status": status,
                "diagnostic": diagnostic,
            }
        return _("Delivery delayed: %(why)s") % {
            "why": status or diagnostic or _("the receiving server will try again")
        }
    if status and diagnostic:
        return _("Bounced (%(status)s): %(diagnostic)s") % {
            "status": status,
            "diagnostic": diagnostic,
        }
    return _("Bounced: %(why)s") % {
        "why": status or diagnostic or _("the receiving server gave no reason")
    }


def _bounce_notification(bounce: Bounce, to: str) -> Said:
    if bounce.status and bounce.diagnostic:
        return said(
            gettext_noop("Your email to %(to)s bounced (%(status)s): %(diagnostic)s"),
            to=to,
            status=bounce.status,
            diagnostic=bounce.diagnostic,
        )
    return said(
        gettext_noop("Your email to %(to)s bounced: %(why)s"),
        to=to,
        why=bounce.status
        or bounce.diagnostic
        or said(gettext_noop("the receiving server gave no reason")),
    )


def _bounced_identities(message: Message, bounce: Bounce) -> list[Identity]:
    """The creator's email identities the bounce names; when it names none of them (an
    address expanded by a forwarder), the one Parley sends to."""
    identities = list(
        Identity.objects.filter(
            creator_id=message.conversation.creator_id, kind=Identity.Kind.EMAIL
        ).order_by("-is_primary", "id")
    )
    named = [i for i in identities if i.normalized in bounce.recipients]
    return named or identities[:1]


def bounce_apply(*, message: Message, bounce: Bounce, at: datetime) -> None:
    """Record a bounce on the Parley email it reports on (see the module docstring).
    Idempotent: a second report on a failed message changes and notifies nothing more."""
    with transaction.atomic():
        if bounce.kind == FAILED:
            if message.status != Message.Status.FAILED:
                to = ", ".join(bounce.recipients[:2]) or message.conversation.creator.name
                message_mark_failed(
                    message=message,
                    reason=bounce_reason(bounce),
                    notification=_bounce_notification(bounce, to),
                )
            if bounce.hard:
                for identity in _bounced_identities(message, bounce):
                    identity_bounce_mark(
                        identity=identity,
                        status=bounce.status,
                        diagnostic=bounce.diagnostic,
                        at=at,
                    )
        elif bounce.kind == DELAYED and message.status == Message.Status.SENT:
            message_note_status(message=message, reason=bounce_reason(bounce))
