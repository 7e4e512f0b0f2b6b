"""Outbound From and To cannot be forged by a display name (issue 11, finding 4).

The built message is serialised and parsed back as a receiving server or mail reader would:
with policy.default, and with the compat32 parser's raw header through getaddresses and
RFC 2047 decoding. Either way there is exactly one address, the intended one, under exactly
the intended name.
"""

import re
from email import policy
from email.header import decode_header, make_header
from email.parser import BytesParser
from email.utils import getaddresses

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from parley.channels.email.address_header import display_name_normalise
from parley.channels.email.mime import HeaderInjection, email_build, email_render

FORGERY = (
    "Jane Doe, Lifestyle and Travel Content Creator and Photographer <boss@evil.test>, Finance Team"
)

PIECES = st.sampled_from(
    [
        ",",
        '"',
        "<",
        ">",
        "\\",
        "@",
        ";",
        ":",
        "(",
        ")",
        ".",
        "[",
        "]",
        " ",
        "  ",
        "\t",
        "=?",
        "?=",
        "=?utf-8?q?x?=",
        "=?utf-8?b?Ym9zc0BldmlsLnRlc3Q=?=",
        "boss@evil.test",
        "<boss@evil.test>,",
        '"Finance" <cfo@evil.test>',
        "Jane",
        "Doe",
        "Müller",
        "張偉",
        "\u202e",
        "\x00",
        "\x0b",
        "\x85",
        "\u2028",
        "😀",
    ]
)
NAMES = st.one_of(
    st.lists(PIECES, max_size=40).map("".join),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n")),
    st.text(
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"),
        min_size=200,
        max_size=400,
    ),
    st.text("ab ,\"<>\\@;:.'()", min_size=200, max_size=400),
)
ADDRESSES = st.from_regex(
    r"[a-z0-9+_-]{1,20}(\.[a-z0-9+_-]{1,10}){0,2}@[a-z0-9]{1,20}(\.[a-z0-9]{1,10}){0,2}\.test",
    fullmatch=True,
)
_ADJACENT_EW = re.compile(r"\?=\s+=\?")


def _build(*, from_name: str, from_addr: str, to_name: str, to_addr: str) -> bytes:
    return email_build(
        from_addr=from_addr,
        from_name=from_name,
        to_addr=to_addr,
        to_name=to_name,
        subject="Hello",
        body_text="Hi!",
        message_id="<m@brand.test>",
    ).as_bytes()


def _render(*, from_name: str, from_addr: str, to_name: str, to_addr: str) -> bytes:
    return email_render(
        from_addr=from_addr,
        from_name=from_name,
        to_addr=to_addr,
        to_name=to_name,
        subject="Hello",
        body_text="Hi!",
        message_id="<m@brand.test>",
    )


def _assert_one_address(raw: bytes, field: str, *, name: str, addr: str) -> None:
    want = display_name_normalise(name)
    # A mail reader with policy.default: one address, the intended one.
    parsed = BytesParser(policy=policy.default).parsebytes(raw)
    assert len(parsed.get_all(field) or []) == 1
    addresses = parsed[field].addresses
    assert len(addresses) == 1, (field, addresses)
    assert addresses[0].addr_spec == addr
    header_line = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    if _ADJACENT_EW.search(header_line):
        # Only for a run of text longer than one encoded word. RFC 2047 drops the space
        # between adjacent encoded words; CPython's policy.default parser reads one there
        # (python/cpython#128110). Everything else is exact.
        assert addresses[0].display_name.replace(" ", "") == want.replace(" ", "")
    else:
        assert addresses[0].display_name == want
    # The raw header through getaddresses, then RFC 2047 decoding (what Parley's own
    # parser does, and mail readers): exact.
    compat = BytesParser(policy=policy.compat32).parsebytes(raw)
    pairs = getaddresses(compat.get_all(field) or [])
    assert len(pairs) == 1, (field, pairs)
    got_name, got_addr = pairs[0]
    assert got_addr == addr
    assert str(make_header(decode_header(got_name))) == want
    # And every line within RFC 5322's limit, nothing but printable ASCII on the wire.
    for line in header_line.split("\r\n"):
        assert len(line) <= 998 and all(" " <= c <= "~" for c in line)


@settings(max_examples=300, deadline=None)
@given(name=NAMES, from_name=NAMES, to_addr=ADDRESSES, from_addr=ADDRESSES)
@example(name=FORGERY, from_name=FORGERY, to_addr="jane@creators.test", from_addr="b@x.test")
@example(name="x" * 250, from_name="a," * 120, to_addr="a@b.test", from_addr="c@d.test")
def test_a_display_name_never_adds_or_changes_a_recipient(
    name: str, from_name: str, to_addr: str, from_addr: str
) -> None:
    # Both builders: email_build (an email with attachments) and email_render's plain-text
    # path (what the outbox sends for a typed reply or a mass email).
    for build in (_build, _render):
        raw = build(from_name=from_name, from_addr=from_addr, to_name=name, to_addr=to_addr)
        _assert_one_address(raw, "To", name=name, addr=to_addr)
        _assert_one_address(raw, "From", name=from_name, addr=from_addr)


def test_the_reported_forgery_reads_as_one_recipient_under_its_name() -> None:
    # Given the name from the report, too long for one line and needing quotes
    raw = _build(from_name=FORGERY, from_addr="b@x.test", to_name=FORGERY, to_addr="j@c.test")
    # Then To and From each hold one address: the mailbox's and the creator's
    parsed = BytesParser(policy=policy.default).parsebytes(raw)
    assert [a.addr_spec for a in parsed["To"].addresses] == ["j@c.test"]
    assert [a.display_name for a in parsed["To"].addresses] == [FORGERY]
    assert [a.addr_spec for a in parsed["From"].addresses] == ["b@x.test"]
    assert b"boss@evil.test" not in b"".join(a.addr_spec.encode() for a in parsed["To"].addresses)


def test_plain_names_stay_readable_on_the_wire() -> None:
    raw = _build(from_name="Brand Team", from_addr="b@x.test", to_name="Anna", to_addr="a@c.test")
    assert b"From: Brand Team <b@x.test>\r\n" in raw
    assert b"To: Anna <a@c.test>\r\n" in raw


@pytest.mark.parametrize("field", ["to_name", "from_name"])
def test_a_line_break_in_a_name_is_refused(field: str) -> None:
    values = {"to_name": "Anna", "from_name": "Brand", field: "Anna\r\nBcc: x@evil.test"}
    with pytest.raises(HeaderInjection):
        email_build(
            from_addr="b@x.test",
            to_addr="a@c.test",
            subject="s",
            body_text="x",
            message_id="<m@b.c>",
            **values,
        )


def test_an_address_that_is_not_one_addr_spec_is_refused() -> None:
    with pytest.raises(ValueError):
        _build(from_name="", from_addr="b@x.test", to_name="", to_addr="a@c.test, boss@evil.test")


SUBJECTS = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"))
BODIES = st.text(st.characters(blacklist_categories=("Cs",)), max_size=3000)


@settings(max_examples=200, deadline=None)
@given(subject=SUBJECTS, body=BODIES)
@example(subject="Hyvää päivää " * 20, body=".dot first\n" + "ä" * 1200)
def test_the_plain_text_email_reads_back_as_written(subject: str, body: str) -> None:
    # Given any subject and body, written on the fast path
    raw = email_render(
        from_addr="b@brand.test",
        from_name="Brand",
        to_addr="c@creators.test",
        to_name="Creator",
        subject=subject,
        body_text=body,
        message_id="<m@brand.test>",
        in_reply_to="p@brand.test",
        references=["o@brand.test", "p@brand.test"],
    )
    # Then a mail reader gets the same subject and text back, and the wire is 7-bit ASCII
    # with lines within RFC 5322's limit
    parsed = BytesParser(policy=policy.default).parsebytes(raw)
    # (control characters become spaces; folding may change runs of white space)
    written = re.sub(r"[\x00-\x1f\x7f-\x9f]", " ", subject)
    assert " ".join(str(parsed["Subject"]).split()) == " ".join(written.split())
    want = body.replace("\r\n", "\n").replace("\r", "\n")
    assert parsed.get_content().replace("\r\n", "\n").rstrip("\n") == want.rstrip("\n")
    assert parsed["In-Reply-To"] == "<p@brand.test>"
    assert all(len(line) <= 998 for line in raw.split(b"\r\n"))
    assert raw.isascii()
