"""Outbound address headers (From, To) built and folded here, never by the email package.

Why not `Address` objects under policy.default: CPython's folder (`_refold_parse_tree` in
email/_header_value_parser.py, unfixed in our Python 3.11) breaks a header longer than a line
by descending into the parse tree, and a quoted-string's quotes exist only in its `str()`,
not in any of its children. A display name that needs quoting and does not fit on one line
is written without its quotes (and without the backslashes of its quoted pairs), so
`"Jane, Lifestyle … <boss@evil.test>, Finance" <jane@x>` goes out as three recipients
(python/cpython#80222). Refolding a parsed header whose name came from encoded words loses
the quoting the same way (python/cpython#87720). So the value is folded here, and the header
is stored raw under a policy that never refolds a raw value (`refold_source="none"`).

The display name is written as a phrase of words in which no two encoded words are
adjacent wherever the name allows it: each space-separated word of the name is an atom when
it is plain `atext`, a quoted-string when it is other printable ASCII, and runs of the words
that need RFC 2047 (non-ASCII, control characters, anything looking like an encoded word)
are encoded together, spaces included, in base64 encoded words of at most 75 characters.
RFC 2047 readers then give back the exact name. (Adjacent encoded words, needed only for a
run longer than one encoded word, are what RFC 2047 prescribes; CPython's policy.default
parser reads an extra space between them, python/cpython#128110.)

Whitespace in a name is normalised first: each run of it becomes one space, none at either
end. A name cannot hold a line break (refused before: HeaderInjection).
"""

import base64
import re
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from functools import lru_cache

# The policy outbound messages are built under: SMTP's (CRLF) that keeps raw values as they
# were folded here.
BUILD_POLICY = policy.SMTP.clone(refold_source="none")

_MAX_LINE = 78
# RFC 2047: an encoded word is at most 75 characters; "=?utf-8?b?" + "?=" is 12 of them, and
# 63 base64 characters hold 45 bytes (60 characters).
_EW_BYTES = 45
_ATEXT = re.compile(r"[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~]+")
_QTEXT_PRINTABLE = re.compile(r"[\x21-\x7e]+")
_BREAKS = re.compile(r"[\r\n]")


def display_name_normalise(name: str) -> str:
    """What a display name becomes on the wire: every run of whitespace (Unicode's, as
    str.split sees it) is one space, none at either end. CPython's parser folds any Unicode
    whitespace after a space into that space (get_fws uses str.lstrip), so a name keeping it
    would not read back the same."""
    return " ".join(name.split())


def _needs_encoding(word: str) -> bool:
    return "=?" in word or not _QTEXT_PRINTABLE.fullmatch(word)


def _quoted(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _plain_word(word: str) -> str:
    return word if _ATEXT.fullmatch(word) else _quoted(word)


def _encoded_words(text: str) -> list[str]:
    """`text` as base64 encoded words of at most 75 characters, split between characters."""
    chunks: list[bytes] = []
    chunk = b""
    for char in text:
        data = char.encode("utf-8")
        if chunk and len(chunk) + len(data) > _EW_BYTES:
            chunks.append(chunk)
            chunk = b""
        chunk += data
    if chunk:
        chunks.append(chunk)
    return [f"=?utf-8?b?{base64.b64encode(c).decode('ascii')}?=" for c in chunks]


def phrase_words(display_name: str) -> list[str]:
    """The display name as the words of an RFC 5322 phrase (see the module's docstring)."""
    words = display_name_normalise(display_name).split()
    out: list[str] = []
    run: list[str] = []  # consecutive words that need encoding, encoded together
    for word in words:
        if _needs_encoding(word):
            run.append(word)
            continue
        if run:
            out.extend(_encoded_words(" ".join(run)))
            run = []
        out.append(_plain_word(word))
    if run:
        out.extend(_encoded_words(" ".join(run)))
    return out


@lru_cache(maxsize=4096)  # the same sender's From on every email of a batch
def address_header_value(*, field: str, display_name: str, addr_spec: str) -> str:
    """The folded value of `field: display name <addr_spec>` (lines joined by CRLF + space).
    Raises ValueError for an address that is not one addr-spec or a name with a line break."""
    if _BREAKS.search(display_name) or _BREAKS.search(addr_spec):
        raise ValueError("line break in an address header")
    address = Address(addr_spec=addr_spec)  # ValueError unless exactly one addr-spec
    words = phrase_words(display_name)
    tokens = [*words, f"<{address.addr_spec}>"] if words else [address.addr_spec]
    lines = [f"{field}:"]
    for token in tokens:
        if len(lines[-1]) + 1 + len(token) > _MAX_LINE and lines[-1] != f"{field}:":
            lines.append("")
        lines[-1] += " " + token
    if any(len(line) > 998 for line in lines):  # RFC 5322's hard limit
        raise ValueError("address header too long")
    lines[0] = lines[0][len(field) + 2 :]
    return "\r\n".join(lines)


def address_header_set(msg: EmailMessage, field: str, *, display_name: str, addr_spec: str) -> None:
    """Set an address header on a message built under BUILD_POLICY, folded as above."""
    if msg.policy.refold_source != "none":  # type: ignore[attr-defined]
        raise ValueError("address headers need a policy that never refolds them")
    value = address_header_value(field=field, display_name=display_name, addr_spec=addr_spec)
    # Message.set_raw stores the value as the parser would: policy.default still parses it on
    # access (msg["To"].addresses), and with refold_source="none" it is written as it is.
    msg.set_raw(field, value)
