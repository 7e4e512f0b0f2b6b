"""Property: whatever hostile email lands between two plain replies in a real Dovecot, both
plain replies are stored, the hostile one is stored or flagged, and the folder never stalls.

Hostile here: attachment names with paths, NULs, RTL overrides and 10,000 characters, in
every encoding a header can carry (quoted, RFC 2231, RFC 2047, unknown charsets); broken
transfer encodings and charsets; multiparts nested 50 deep; a 30 MB part; boundaries that
are missing, wrong or never closed; headers 10,000 characters long.
"""

import base64
import urllib.parse
from itertools import count

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from imapclient import IMAPClient

from parley.channels.email.models import EmailRecord, MailboxFolder
from parley.channels.email.sync import mailbox_sync
from parley.inbox.models import Message
from parley.outbox.email_send import email_message_send
from parley.outbox.models import OutboxItem
from parley.outbox.services import outbox_deliver
from tests.channels.email.servers import PASSWORD

pytestmark = pytest.mark.django_db

NAMES = st.one_of(
    st.sampled_from(
        [
            "../../poison.txt",
            "/etc/passwd",
            "..\\..\\boot.ini",
            "C:\\Windows\\evil.exe",
            "a." + "x" * 120,
            "x" * 10_000 + ".pdf",
            "nul\x00byte.txt",
            "\u202etxt.exe",
            "invoice\u2066.pdf\u2069",
            "CON",
            "....",
            "",
            "line\r\nbreak.txt",
            'quote".txt',
        ]
    ),
    st.text(max_size=300),
)


def _param(name: str, how: str) -> bytes:
    """A Content-Disposition filename parameter, encoded one of the ways mail does it."""
    data = name.encode("utf-8", errors="surrogatepass")
    if how == "quoted":
        return b'; filename="' + data + b'"'
    if how == "rfc2231":
        return b"; filename*=utf-8''" + urllib.parse.quote_from_bytes(data).encode()
    if how == "rfc2047":
        return b'; filename="=?utf-8?b?' + base64.b64encode(data) + b'?="'
    return b"; filename*=x-no-such-charset''" + urllib.parse.quote_from_bytes(data).encode()


@st.composite
def leaf_parts(draw: st.DrawFn) -> bytes:
    kind = draw(st.sampled_from(["text", "attachment", "html"]))
    charset = draw(st.sampled_from(["utf-8", "no-such-charset", "iso-8859-1", "utf-16", ""]))
    encoding = draw(st.sampled_from(["7bit", "base64", "quoted-printable", "x-unknown"]))
    text = draw(st.text(max_size=200))
    body = text.encode("utf-8", errors="surrogatepass")
    if encoding == "base64":
        body = base64.b64encode(body) + draw(st.sampled_from([b"", b"===!!", b"\x00"]))
    elif encoding == "quoted-printable":
        body = body + b"=00=ZZ="
    ctype = {"text": b"text/plain", "html": b"text/html", "attachment": b"application/pdf"}[kind]
    head = b"Content-Type: " + ctype
    if charset:
        head += b'; charset="' + charset.encode() + b'"'
    head += b"\r\nContent-Transfer-Encoding: " + encoding.encode() + b"\r\n"
    if kind == "attachment":
        how = draw(st.sampled_from(["quoted", "rfc2231", "rfc2047", "badcharset"]))
        head += b"Content-Disposition: attachment" + _param(draw(NAMES), how) + b"\r\n"
    return head + b"\r\n" + body + b"\r\n"


def _multipart(parts: list[bytes], boundary: str, *, declared: str, closed: bool) -> bytes:
    out = b'Content-Type: multipart/mixed; boundary="' + declared.encode() + b'"\r\n\r\n'
    for part in parts:
        out += b"--" + boundary.encode() + b"\r\n" + part
    if closed:
        out += b"--" + boundary.encode() + b"--\r\n"
    return out


@st.composite
def hostile_bodies(draw: st.DrawFn) -> bytes:
    """A MIME body (its Content-Type header first): leaves inside multiparts nested up to
    50 deep, each level's boundary possibly wrong, missing or never closed."""
    body = _multipart(
        draw(st.lists(leaf_parts(), min_size=1, max_size=4)),
        "b0",
        declared="b0",
        closed=draw(st.booleans()),
    )
    for level in range(1, draw(st.integers(0, 50)) + 1):
        boundary = f"b{level}"
        declared = draw(st.sampled_from([boundary, boundary, "wrong", ""]))
        body = _multipart([body], boundary, declared=declared, closed=draw(st.booleans()))
    return body


HEADER_NOISE = st.sampled_from(
    [
        b"",
        b"Subject: =?utf-8?q?nul=00byte?=\r\n",
        b"Subject: =?no-such-charset?q?abc?=\r\n",
        b"Subject: =?utf-8?B?broken\r\n",
        b"Subject: " + b"x" * 10_000 + b"\r\n",
        b"X-Long: " + b"y" * 10_000 + b"\r\n",
        b"From: \x00\xff <\xfe@>\r\n",
        b"Content-Transfer-Encoding: base64\r\n",
    ]
)


def _hostile(ref: str, noise: bytes, body: bytes) -> bytes:
    return (
        b"From: Anna <anna@creators.test>\r\nTo: brand@example.com\r\n"
        b"In-Reply-To: " + ref.encode() + b"\r\nMIME-Version: 1.0\r\n" + noise + body
    )


THIRTY_MB = (
    b'Content-Type: multipart/mixed; boundary="big"\r\n\r\n--big\r\n'
    b"Content-Type: text/plain\r\n\r\nA big file follows.\r\n--big\r\n"
    b"Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
    b'Content-Disposition: attachment; filename="../../huge.bin"\r\n\r\n'
    + base64.encodebytes(b"\x00\x01" * 11_000_000)
    + b"--big--\r\n"
)


_round = count()


@pytest.fixture
def scene(member, mailbox, creator_thread):  # type: ignore[no-untyped-def]
    """An email Parley sent to Anna, which every email of the test replies to."""
    thread = creator_thread("anna@creators.test", "Anna")
    message = email_message_send(
        member=member, conversation=thread, mailbox=mailbox, subject="Hello", body="Hi!"
    )
    assert outbox_deliver(item_id=OutboxItem.objects.get(message=message).pk) == "done"
    message.refresh_from_db()
    return thread, f"<{message.provider_message_id}>"


@settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(noise=HEADER_NOISE, body=hostile_bodies())
@example(noise=b"", body=THIRTY_MB)
@example(
    noise=b"",
    body=b'Content-Type: multipart/mixed; boundary="zz"\r\n\r\n--zz\r\n'
    b"Content-Type: text/plain\r\n\r\nnever closed\r\n",
)
def test_hostile_email_between_two_plain_replies(  # type: ignore[no-untyped-def]
    scene, mailbox, dovecot, logged_in, noise: bytes, body: bytes
):
    thread, ref = scene
    n = next(_round)
    plain = [f"plain before {n}", f"plain after {n}"]
    uids = _append(
        dovecot,
        mailbox.address,
        [_plain(ref, plain[0]), _hostile(ref, noise, body), _plain(ref, plain[1])],
    )
    # When the mailbox syncs
    mailbox_sync(mailbox_id=mailbox.pk)
    # Then both plain replies are stored, exactly once
    for text in plain:
        assert Message.objects.filter(conversation=thread, body_text=text).count() == 1
    # And the hostile one is stored (perhaps flagged) or recorded with its error
    record = EmailRecord.objects.get(folder__mailbox=mailbox, uid=uids[1])
    assert record.message_id is not None or record.error
    # And the folder moved past all three
    folder = MailboxFolder.objects.get(mailbox=mailbox, role="inbox")
    assert folder.last_uid >= uids[2]
    # And the thread still shows
    assert logged_in.get(reverse("inbox:thread", args=[thread.pk])).status_code == 200


def _plain(ref: str, text: str) -> bytes:
    return (
        b"From: anna@creators.test\r\nTo: brand@example.com\r\nSubject: Re: Hello\r\n"
        b"In-Reply-To: " + ref.encode() + b"\r\nContent-Type: text/plain\r\n\r\n" + text.encode()
    )


def _append(dovecot, address: str, emails: list[bytes]) -> list[int]:  # type: ignore[no-untyped-def]
    """APPEND each email to INBOX; their UIDs (UIDPLUS)."""
    uids = []
    with IMAPClient("127.0.0.1", port=dovecot.port, ssl=False) as client:
        client.login(address, PASSWORD)
        for raw in emails:
            answer = client.append("INBOX", raw)
            uids.append(int(answer.split(b"]")[0].split()[-1]))
    return uids
