"""Build and parse email with the standard library (policy=default). No Django models here.

Our Message-IDs carry a signed token naming the Parley message, so a reply whose client
rewrote In-Reply-To still finds its thread through References or through the token.
"""

import hashlib
import re
import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.charset import QP, Charset
from email.header import Header, decode_header, make_header
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser, BytesParser
from email.utils import format_datetime, getaddresses, parsedate_to_datetime

import nh3

from parley.channels.email.address_header import (
    BUILD_POLICY,
    address_header_set,
    address_header_value,
)
from parley.core.crypto import sign, sign_check

TOKEN_PURPOSE = "email-message-id"
_TOKEN_RE = re.compile(r"^parley\.(\d+)\.(\d+)\.([a-z0-9]{6,16})\.([0-9a-f]{16})@", re.I)
_ANGLE_RE = re.compile(r"<([^<>\s]+)>")
_CRLF = re.compile(r"[\r\n]")


class HeaderInjection(ValueError):
    """A header value with CR or LF in it."""


# --- Message-IDs and the signed token -------------------------------------------------------


def message_id_make(*, workspace_id: int, message_id: int, domain: str) -> str:
    """`<parley.<workspace>.<message>.<nonce>.<hmac>@domain>`."""
    nonce = secrets.token_hex(4)
    body = f"{workspace_id}.{message_id}.{nonce}"
    return f"<parley.{body}.{sign(body, purpose=TOKEN_PURPOSE)}@{domain or 'parley.invalid'}>"


def token_parse(msgid: str) -> tuple[int, int] | None:
    """(workspace id, message id) if `msgid` is one of ours with a valid signature."""
    match = _TOKEN_RE.match(msgid.strip("<> ").lower())
    if not match:
        return None
    ws, msg, nonce, signature = match.groups()
    if not sign_check(f"{ws}.{msg}.{nonce}", signature, purpose=TOKEN_PURPOSE):
        return None
    return int(ws), int(msg)


def ids_parse(value: str | None) -> list[str]:
    """Message-IDs in a header value, normalised (no brackets, lower-case), in order."""
    if not value:
        return []
    found = _ANGLE_RE.findall(str(value)) or str(value).split()
    out: list[str] = []
    for raw in found:
        norm = raw.replace("\x00", "").strip("<> \t").lower()[:255]
        if norm and norm not in out:
            out.append(norm)
    return out


def id_normalise(value: str) -> str:
    ids = ids_parse(value)
    return ids[0] if ids else ""


# --- Building ------------------------------------------------------------------------------


def header_check(**values: str) -> dict[str, str]:
    """Names of the values that contain CR or LF."""
    return {name: value for name, value in values.items() if value and _CRLF.search(value)}


@dataclass
class OutgoingAttachment:
    filename: str
    content_type: str
    data: bytes


def email_build(
    *,
    from_addr: str,
    from_name: str,
    to_addr: str,
    to_name: str,
    subject: str,
    body_text: str,
    message_id: str,
    in_reply_to: str = "",
    references: list[str] | None = None,
    attachments: list[OutgoingAttachment] | None = None,
    date: datetime | None = None,
) -> EmailMessage:
    bad = header_check(subject=subject, from_name=from_name, to_name=to_name)
    if bad:
        raise HeaderInjection(", ".join(sorted(bad)))
    # From and To are folded by address_header, not by the email package: its folder drops
    # the quotes of a long display name and lets a name forge recipients (see there).
    msg = EmailMessage(policy=BUILD_POLICY)
    address_header_set(msg, "From", display_name=from_name, addr_spec=from_addr)
    address_header_set(msg, "To", display_name=to_name, addr_spec=to_addr)
    msg["Subject"] = subject
    msg["Message-ID"] = message_id
    if date is not None:
        msg["Date"] = format_datetime(date)
    if in_reply_to:
        msg["In-Reply-To"] = f"<{in_reply_to}>"
    if references:
        msg["References"] = " ".join(f"<{r}>" for r in references)
    msg["MIME-Version"] = "1.0"
    msg.set_content(body_text)
    for att in attachments or []:
        maintype, _, subtype = (att.content_type or "application/octet-stream").partition("/")
        msg.add_attachment(
            att.data,
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=att.filename,
        )
    return msg


def email_render(
    *,
    from_addr: str,
    from_name: str,
    to_addr: str,
    to_name: str,
    subject: str,
    body_text: str,
    message_id: str,
    in_reply_to: str = "",
    references: list[str] | None = None,
    attachments: list[OutgoingAttachment] | None = None,
    date: datetime | None = None,
) -> bytes:
    """The email as it goes over SMTP (CRLF line ends). A plain-text email, the common case
    (a typed reply, each email of a mass send), is written here directly: the email
    package's header registry and generator cost about 0.6 ms an email, more than the rest
    of sending it. The headers are the same as email_build's: From and To from
    address_header_value (never refolded), the subject as RFC 2047 words when it is not
    ASCII. An email with attachments is built by email_build."""
    if attachments:
        built = email_build(
            from_addr=from_addr,
            from_name=from_name,
            to_addr=to_addr,
            to_name=to_name,
            subject=subject,
            body_text=body_text,
            message_id=message_id,
            in_reply_to=in_reply_to,
            references=references,
            attachments=attachments,
            date=date,
        )
        return built.as_bytes(policy=BUILD_POLICY)
    bad = header_check(subject=subject, from_name=from_name, to_name=to_name)
    if bad or _CRLF.search(message_id) or _CRLF.search(in_reply_to):
        raise HeaderInjection(", ".join(sorted(bad)) or "message_id")
    lines = [
        "From: " + address_header_value(field="From", display_name=from_name, addr_spec=from_addr),
        "To: " + address_header_value(field="To", display_name=to_name, addr_spec=to_addr),
        "Subject: " + _subject_value(subject),
        "Message-ID: " + message_id,
    ]
    if date is not None:
        lines.append("Date: " + format_datetime(date))
    if in_reply_to:
        lines.append(f"In-Reply-To: <{in_reply_to}>")
    if references:
        lines.append("References: " + "\r\n ".join(f"<{r}>" for r in references if r))
    body = body_text.replace("\r\n", "\n").replace("\r", "\n")
    if body.isascii() and all(len(line) <= 998 for line in body.split("\n")):
        encoding, payload = "7bit", body
    else:
        encoding, payload = "quoted-printable", _QP_UTF8.body_encode(body)
    lines += [
        "MIME-Version: 1.0",
        'Content-Type: text/plain; charset="utf-8"',
        f"Content-Transfer-Encoding: {encoding}",
        "",
        payload.replace("\n", "\r\n"),
    ]
    if not payload.endswith("\n"):
        lines.append("")
    return "\r\n".join(lines).encode("ascii")


_PRINTABLE = re.compile(r"[ -~]*")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_QP_UTF8 = Charset("utf-8")
_QP_UTF8.body_encoding = QP


def _subject_value(subject: str) -> str:
    """The Subject header's value: folded at spaces when it is printable ASCII, RFC 2047
    words when not (the folder would take control characters for spaces and drop them)."""
    subject = _CONTROL.sub(" ", subject)  # no control characters in a subject line
    charset = "us-ascii" if _PRINTABLE.fullmatch(subject) else "utf-8"
    return Header(subject, charset=charset, header_name="Subject").encode(linesep="\r\n")


# "Re:" and how other mail programs and languages write it: AW (German), SV (Swedish,
# Danish, Norwegian), VS (Finnish), also numbered ("Re[2]:") and stacked.
_REPLY_PREFIXES = re.compile(r"^(?:\s*(?:re|aw|sv|vs)(?:\[\d+\])?\s*:)+\s*", re.IGNORECASE)


def reply_subject(subject: str) -> str:
    """The subject of a reply: "Re: " and the subject without the reply prefixes it had
    ("Re: Re: AW: Brief" -> "Re: Brief"); empty for an empty subject."""
    rest = _REPLY_PREFIXES.sub("", " ".join(subject.split()))
    return f"Re: {rest}" if rest else ""


# --- Parsing -------------------------------------------------------------------------------


@dataclass
class Headers:
    """What deciding needs: parsed from the header block alone."""

    message_id: str
    in_reply_to: list[str]
    references: list[str]
    from_addr: str
    from_name: str
    to_addrs: list[str]
    subject: str
    date: datetime | None
    content_hash: str
    # What tells a delivery status notification (bounce.py) from other mail.
    content_type: str = ""
    failed_recipients: list[str] = field(default_factory=list)  # X-Failed-Recipients
    is_ndr: bool = False  # X-MS-Exchange-Message-Is-Ndr: Microsoft's non-delivery reports

    @property
    def referenced(self) -> list[str]:
        """In-Reply-To first, then References newest first (the closest ancestor wins)."""
        out = list(self.in_reply_to)
        for ref in reversed(self.references):
            if ref not in out:
                out.append(ref)
        return out


@dataclass
class IncomingAttachment:
    filename: str
    content_type: str
    data: bytes


@dataclass
class Parsed:
    headers: Headers
    text: str
    html: str
    attachments: list[IncomingAttachment] = field(default_factory=list)
    malformed: bool = False


# Incoming mail is parsed with policy.compat32, outgoing mail is built with policy.default.
# Why: policy.default's header registry re-parses a header on every access; it cost ~2 ms per
# header block and ~8 ms per message here (bench/email_ingest.py), which alone held reply
# ingest under 100 messages/s. compat32 keeps headers as raw strings and we decode the few
# we use (RFC 2047 words, addresses, Message-IDs) ourselves, tolerating every broken input.
_PARSE_POLICY = policy.compat32


def _words(value: object) -> str:
    """A header value with RFC 2047 encoded words decoded, without NUL; never raises."""
    if value is None:
        return ""
    text = str(value)
    try:
        text = str(make_header(decode_header(text)))
    except Exception:  # broken encoded words: keep the raw text
        text = str(value)
    return _clean(text)


def _raw(msg: Message, name: str) -> str:
    value = msg.get(name)
    return str(value) if value is not None else ""


# Header fields added to sync's fetch for bounces (sync.HEADER_FIELDS) after content hashes
# were first stored: left out of the hash, so an email hashes as it did before they were
# fetched (a UIDVALIDITY rescan recognises what is stored by its hash).
_UNHASHED = re.compile(
    rb"^(?:content-type|x-failed-recipients|x-ms-exchange-message-is-ndr)[ \t]*:.*(?:\r?\n[ \t].*)*"
    rb"(?:\r?\n|$)",
    re.I | re.M,
)
_UNHASHED_HINT = re.compile(rb"content-type|x-failed-recipients|x-ms-exchange", re.I)


def _hashed_block(raw_header: bytes) -> bytes:
    if _UNHASHED_HINT.search(raw_header) is None:
        return raw_header.strip()
    return _UNHASHED.sub(b"", raw_header).strip()


def headers_parse(raw_header: bytes, *, size: int = 0) -> Headers:
    msg = BytesHeaderParser(policy=_PARSE_POLICY).parsebytes(raw_header)
    from_pairs = getaddresses([_raw(msg, "From")])
    from_name, from_addr = from_pairs[0] if from_pairs else ("", "")
    to_pairs = getaddresses([_raw(msg, "To"), _raw(msg, "Cc")])
    date: datetime | None
    try:
        date = parsedate_to_datetime(_raw(msg, "Date")) or None
        if date is not None and date.tzinfo is None:
            date = None
    except (TypeError, ValueError, IndexError):
        date = None
    digest = hashlib.sha256(_hashed_block(raw_header) + b"\0" + str(size).encode()).hexdigest()
    failed = getaddresses([_raw(msg, "X-Failed-Recipients")])
    return Headers(
        message_id=id_normalise(_raw(msg, "Message-ID")),
        in_reply_to=ids_parse(_raw(msg, "In-Reply-To")),
        references=ids_parse(_raw(msg, "References")),
        from_addr=_clean(from_addr).strip().lower(),
        from_name=_words(from_name).strip(),
        to_addrs=[_clean(a).strip().lower() for _n, a in to_pairs if a],
        subject=" ".join(_words(_raw(msg, "Subject")).split())[:998],
        date=date,
        content_hash=digest,
        content_type=_clean(" ".join(_raw(msg, "Content-Type").split()))[:500],
        failed_recipients=[_clean(a).strip().lower() for _n, a in failed if "@" in a][:50],
        is_ndr="X-MS-Exchange-Message-Is-Ndr" in msg,
    )


def _text_of(part: Message, payload: bytes) -> tuple[str, bool]:
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace"), False
    except LookupError:  # an unknown charset
        return payload.decode("utf-8", errors="replace"), True


def _clean(text: str) -> str:
    """No NUL in what is stored (PostgreSQL refuses it in text): shown as U+FFFD."""
    return text.replace("\x00", "\ufffd")


_BOUNDARY_LINE = re.compile(rb"^--([^\s]{1,200}?)(?:--)?[ \t]*\r?$", re.M)
# How many times a broken multipart's parts are recovered inside one another.
_RECOVER_DEPTH = 3


def _recover_parts(payload: bytes) -> list[Message]:
    """The parts of a multipart whose boundary is missing or wrong (the parser keeps it as
    one opaque payload): split at the delimiter lines it actually has, each piece parsed as a
    part. With no delimiter lines at all, the payload is one text part."""
    found = _BOUNDARY_LINE.findall(payload)
    if not found:
        part = Message()
        part.set_payload(payload)
        part["Content-Type"] = "text/plain"
        return [part]
    boundary = Counter(found).most_common(1)[0][0]
    delimiter = re.compile(rb"^--" + re.escape(boundary) + rb"(?:--)?[ \t]*\r?$", re.M)
    pieces = delimiter.split(payload)[1:]  # before the first delimiter: the preamble
    parser = BytesParser(policy=_PARSE_POLICY)
    return [parser.parsebytes(piece.lstrip(b"\r\n")) for piece in pieces if piece.strip()]


def _leaves(msg: Message) -> tuple[list[Message], bool]:
    """The message's non-multipart parts, in order, with broken multiparts recovered; and
    whether any part had a defect."""
    leaves: list[Message] = []
    defects = False
    stack: list[tuple[Message, int]] = [(msg, 0)]
    while stack:
        part, depth = stack.pop()
        defects = defects or bool(part.defects)
        if part.is_multipart():
            payload = part.get_payload()
            subparts = payload if isinstance(payload, list) else []
            stack.extend((p, depth) for p in reversed(subparts) if isinstance(p, Message))
        elif part.get_content_maintype() == "multipart" and depth < _RECOVER_DEPTH:
            defects = True
            raw = part.get_payload(decode=True)
            if isinstance(raw, bytes):
                stack.extend((p, depth + 1) for p in reversed(_recover_parts(raw)))
        else:
            leaves.append(part)
    return leaves, defects


def email_parse(raw: bytes, *, headers: Headers | None = None) -> Parsed:
    """Parse a whole email. Never raises: whatever could be read is returned, flagged.
    `headers`, when the caller already parsed them (sync decides on headers first), are
    reused instead of parsed again. A multipart whose boundary is missing or wrong is split
    at the delimiter lines it has, so its text is shown rather than offered as a download."""
    if headers is None:
        headers = headers_parse(re.split(rb"\r?\n\r?\n", raw, maxsplit=1)[0], size=len(raw))
    try:
        msg = BytesParser(policy=_PARSE_POLICY).parsebytes(raw)
        parts, malformed = _leaves(msg)
    except Exception:
        text = _clean(raw.decode("utf-8", errors="replace"))
        return Parsed(headers=headers, text=text, html="", malformed=True)
    text_parts: list[str] = []
    html_parts: list[str] = []
    attachments: list[IncomingAttachment] = []
    for part in parts:
        try:
            ctype = part.get_content_type()
            disposition = part.get_content_disposition()
            filename = _words(part.get_filename() or "")
            payload = part.get_payload(decode=True)
        except Exception:
            malformed = True
            continue
        if not isinstance(payload, bytes):
            payload = str(part.get_payload()).encode("utf-8", errors="replace")
            malformed = True
        if disposition == "attachment" or filename or not ctype.startswith("text/"):
            attachments.append(
                IncomingAttachment(
                    filename=_clean(filename or "attachment")[:255],
                    content_type=_clean(ctype)[:120],
                    data=payload,
                )
            )
            continue
        content, broken = _text_of(part, payload)
        malformed = malformed or broken
        (html_parts if ctype == "text/html" else text_parts).append(_clean(content))
    html = html_sanitise("\n".join(html_parts)) if html_parts else ""
    text = "\n".join(text_parts).strip().replace("\r\n", "\n")
    if not text and html:
        text = nh3.clean(html, tags=set()).strip()
    return Parsed(
        headers=headers, text=text, html=html, attachments=attachments, malformed=malformed
    )


# --- HTML and quoted history ---------------------------------------------------------------

_ALLOWED_TAGS = {
    "a", "b", "blockquote", "br", "caption", "code", "div", "em", "h1", "h2", "h3", "h4",
    "hr", "i", "img", "li", "ol", "p", "pre", "s", "small", "span", "strong", "sub", "sup",
    "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
_ALLOWED_ATTRS = {
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
}


def _attribute_filter(tag: str, attr: str, value: str) -> str | None:
    lowered = value.strip().lower()
    if tag == "img" and attr == "src":
        # Remote images track the reader: only inline (cid:) and data images are kept.
        return value if lowered.startswith(("cid:", "data:image/")) else None
    if attr == "href" and not lowered.startswith(("http://", "https://", "mailto:")):
        return None
    return value


def html_sanitise(html: str) -> str:
    """Inert HTML: no script, no event handlers, no style (so no CSS url()), no remote images."""
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRS,
        attribute_filter=_attribute_filter,
        url_schemes={"http", "https", "mailto", "cid", "data"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


_QUOTE_HEAD = re.compile(
    r"^(On .+wrote:|Am .+schrieb .+:|.+ kirjoitti.*:|-{2,} ?Original Message ?-{2,}"
    r"|-{2,} ?Ursprüngliche Nachricht ?-{2,}|From: .+)\s*$",
    re.I,
)


def quoted_split(text: str) -> tuple[str, str]:
    """(new text, quoted history) so the thread can fold the history away."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        stripped = line.strip()
        if _QUOTE_HEAD.match(stripped) or (
            stripped.startswith(">")
            and all(not ln.strip() or ln.strip().startswith(">") for ln in lines[i:])
        ):
            return "\n".join(lines[:i]).rstrip(), "\n".join(lines[i:])
    return text, ""
