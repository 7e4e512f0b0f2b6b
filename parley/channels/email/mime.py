"""Build and parse email with the standard library (policy=default). No Django models here.

Our Message-IDs carry a signed token naming the Parley message, so a reply whose client
rewrote In-Reply-To still finds its thread through References or through the token.
"""

import hashlib
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.parser import BytesHeaderParser, BytesParser
from email.utils import format_datetime, getaddresses, parsedate_to_datetime

import nh3

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
        norm = raw.strip("<> \t").lower()[:255]
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
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = Address(display_name=from_name, addr_spec=from_addr)
    msg["To"] = Address(display_name=to_name, addr_spec=to_addr)
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


def _safe_header(msg: EmailMessage, name: str) -> str:
    try:
        value = msg.get(name)
    except Exception:  # a broken encoded-word must not stop anything
        raw = msg.get_all(name, failobj=[None])[0] if hasattr(msg, "get_all") else None
        return str(raw or "")
    return str(value) if value is not None else ""


def headers_parse(raw_header: bytes, *, size: int = 0) -> Headers:
    msg = BytesHeaderParser(policy=policy.default).parsebytes(raw_header)
    return _headers_from(msg, raw_header, size)


def _headers_from(msg: EmailMessage, raw_header: bytes, size: int) -> Headers:  # type: ignore[type-arg]
    from_pairs = getaddresses([_safe_header(msg, "From")])
    from_name, from_addr = from_pairs[0] if from_pairs else ("", "")
    to_pairs = getaddresses([_safe_header(msg, "To"), _safe_header(msg, "Cc")])
    date: datetime | None
    try:
        date = parsedate_to_datetime(_safe_header(msg, "Date")) or None
        if date is not None and date.tzinfo is None:
            date = None
    except (TypeError, ValueError, IndexError):
        date = None
    digest = hashlib.sha256(raw_header.strip() + b"\0" + str(size).encode()).hexdigest()
    return Headers(
        message_id=id_normalise(_safe_header(msg, "Message-ID")),
        in_reply_to=ids_parse(_safe_header(msg, "In-Reply-To")),
        references=ids_parse(_safe_header(msg, "References")),
        from_addr=from_addr.strip().lower(),
        from_name=from_name.strip(),
        to_addrs=[a.strip().lower() for _n, a in to_pairs if a],
        subject=" ".join(_safe_header(msg, "Subject").split())[:998],
        date=date,
        content_hash=digest,
    )


def _decode_part(part: EmailMessage) -> tuple[str | bytes, bool]:  # type: ignore[type-arg]
    """The part's content and whether decoding it went wrong."""
    try:
        return part.get_content(), False
    except Exception:
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes):
            if part.get_content_maintype() == "text":
                charset = part.get_content_charset() or "utf-8"
                try:
                    return payload.decode(charset, errors="replace"), True
                except LookupError:
                    return payload.decode("utf-8", errors="replace"), True
            return payload, True
        return str(part.get_payload()), True


def email_parse(raw: bytes, *, header_raw: bytes | None = None, size: int = 0) -> Parsed:
    """Parse a whole email. Never raises: whatever could be read is returned, flagged."""
    malformed = False
    try:
        msg = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception:
        text = raw.decode("utf-8", errors="replace")
        head = headers_parse(header_raw or raw.split(b"\r\n\r\n", 1)[0], size=size)
        return Parsed(headers=head, text=text, html="", malformed=True)
    head_bytes = header_raw if header_raw is not None else raw.split(b"\r\n\r\n", 1)[0]
    headers = headers_parse(head_bytes, size=size or len(raw))
    text_parts: list[str] = []
    html_parts: list[str] = []
    attachments: list[IncomingAttachment] = []
    if msg.defects:
        malformed = True
    try:
        parts = list(msg.walk())
    except Exception:
        parts, malformed = [msg], True
    for part in parts:
        if part.defects:
            malformed = True
        if part.is_multipart():
            continue
        disposition = part.get_content_disposition()
        ctype = part.get_content_type()
        content, broken = _decode_part(part)  # type: ignore[arg-type]
        malformed = malformed or broken
        if (
            disposition == "attachment"
            or (disposition == "inline" and part.get_filename())
            or not ctype.startswith("text/")
        ):
            data = content if isinstance(content, bytes) else str(content).encode()
            attachments.append(
                IncomingAttachment(
                    filename=(part.get_filename() or "attachment")[:255],
                    content_type=ctype[:120],
                    data=data,
                )
            )
        elif ctype == "text/html":
            html_parts.append(str(content))
        else:
            text_parts.append(str(content))
    html = html_sanitise("\n".join(html_parts)) if html_parts else ""
    text = "\n".join(text_parts).strip()
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
