"""The MIME parser never raises, whatever the bytes; quoted history folds."""

from hypothesis import given, settings
from hypothesis import strategies as st

from parley.channels.email.mime import email_parse, headers_parse, ids_parse, quoted_split

HEADER_LINES = st.sampled_from(
    [
        b"From: =?utf-8?B?broken\r\n",
        b"Content-Type: multipart/mixed; boundary=\r\n",
        b"Content-Transfer-Encoding: base64\r\n",
        b"Content-Type: text/plain; charset=x-unknown\r\n",
        b"Date: not a date\r\n",
        b"References: <a@b> junk <c@d\r\n",
        b"Subject: \xff\xfe\r\n",
        b"--b\r\n",
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(HEADER_LINES, max_size=8), st.binary(max_size=400))
def test_parsing_never_raises(headers: list[bytes], body: bytes) -> None:
    raw = b"".join(headers) + b"\r\n" + body
    parsed = email_parse(raw)
    assert isinstance(parsed.text, str) and isinstance(parsed.html, str)
    headers_parse(b"".join(headers))


def test_ids_are_normalised() -> None:
    assert ids_parse("<A@B.test>  <c@d.test>\r\n <a@b.test>") == ["a@b.test", "c@d.test"]
    assert ids_parse("") == []


def test_quoted_history_is_split_off_in_several_languages() -> None:
    for head in (
        "On Mon, 1 Jun 2026 at 10:00, Brand <b@x.test> wrote:",
        "Am 01.06.2026 um 10:00 schrieb Brand <b@x.test>:",
        "ma 1.6.2026 klo 10.00 Brand <b@x.test> kirjoitti:",
    ):
        new, quoted = quoted_split(f"Sounds good!\n\n{head}\n> Would you like to work with us?")
        assert new == "Sounds good!"
        assert quoted.startswith(head)
    assert quoted_split("no quote here") == ("no quote here", "")
