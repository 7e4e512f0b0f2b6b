"""Reading bounces: recognised from the header fields, then read whole (bounce.py)."""

import re
from email.message import EmailMessage

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from parley.channels.email import bounce as bounce_module
from parley.channels.email.bounce import (
    BOUNCE_BYTES,
    DELAYED,
    FAILED,
    OTHER,
    bounce_parse,
    bounce_suspected,
    diagnostic_clean,
)
from parley.channels.email.mime import Headers, headers_parse
from tests.channels.email.bounce_fixtures import BOUNCES, FAILURES, bounce_eml

OURS = "parley.1.23.abcdef12.0123456789abcdef@brand.example"


def _headers(raw: bytes) -> Headers:
    return headers_parse(re.split(rb"\r?\n\r?\n", raw, maxsplit=1)[0], size=len(raw))


@pytest.mark.parametrize("name", sorted(FAILURES))
def test_each_failure_format_gives_the_original_recipient_status_and_diagnostic(name):  # type: ignore[no-untyped-def]
    # Given a bounce of this format for our email to anna@creators.test
    raw = bounce_eml(name, msgid=OURS)
    headers = _headers(raw)
    # When it is looked at: first its header fields, then the whole email
    suspected = bounce_suspected(headers)
    bounce = bounce_parse(raw, headers=headers)
    # Then it is a permanent failure of Anna's address for our email, with the code and the
    # receiving server's words (on one line, without the repeated reply codes)
    status, words = FAILURES[name]
    assert suspected
    assert bounce is not None
    assert bounce.kind == FAILED and bounce.hard
    assert bounce.original_ids[0] == OURS
    assert bounce.recipients == ["anna@creators.test"]
    assert bounce.status == status
    assert words in bounce.diagnostic
    assert "\n" not in bounce.diagnostic and "550-5.1.1" not in bounce.diagnostic
    assert len(bounce.diagnostic) <= 300


def test_a_delay_warning_is_temporary_with_its_status_and_reason():
    raw = bounce_eml("postfix_delayed", msgid=OURS)
    bounce = bounce_parse(raw, headers=_headers(raw))
    assert bounce is not None
    assert (bounce.kind, bounce.status, bounce.hard) == (DELAYED, "4.4.1", False)
    assert bounce.diagnostic == "connect to mx.creators.test[192.0.2.25]:25: Connection timed out"
    assert bounce.original_ids == [OURS]


def test_gmail_names_the_original_in_its_report_and_in_reply_to():
    # Gmail's bounce says In-Reply-To our email: the reason sync once stored it as a reply
    raw = bounce_eml("gmail", msgid=OURS)
    headers = _headers(raw)
    assert headers.in_reply_to == [OURS]
    assert headers.failed_recipients == ["anna@creators.test"]
    assert "report-type=delivery-status" in headers.content_type


def test_a_success_report_is_a_report_but_no_failure():
    raw = bounce_eml("postfix", msgid=OURS).replace(b"Action: failed", b"Action: relayed")
    raw = raw.replace(b"Status: 5.1.1", b"Status: 2.0.0")
    bounce = bounce_parse(raw, headers=_headers(raw))
    assert bounce is not None and bounce.kind == OTHER and not bounce.hard


def test_a_failure_with_a_temporary_code_fails_the_email_but_not_the_address():
    # Given a report that the server gave up (4.4.7: expired) rather than a refusal
    raw = bounce_eml("postfix", msgid=OURS).replace(b"Status: 5.1.1", b"Status: 4.4.7")
    bounce = bounce_parse(raw, headers=_headers(raw))
    assert bounce is not None
    assert (bounce.kind, bounce.status, bounce.hard) == (FAILED, "4.4.7", False)


def test_expanded_recipient_is_reported_by_its_original_address():
    raw = bounce_eml("postfix", msgid=OURS).replace(
        b"Final-Recipient: rfc822; anna@creators.test",
        b"Final-Recipient: rfc822; anna.mueller@mailhost.creators.test",
    )
    bounce = bounce_parse(raw, headers=_headers(raw))
    assert bounce is not None and bounce.recipients == ["anna@creators.test"]


def _email(**fields: str) -> bytes:
    msg = EmailMessage()
    for name, value in fields.items():
        msg[name.replace("_", "-")] = value
    msg.set_content("Thanks, sounds good!\n")
    return bytes(msg)


@pytest.mark.parametrize(
    "fields",
    [
        {"From": "Anna <anna@creators.test>", "Subject": "Re: Hello"},
        # An out-of-office answer is a reply, not a bounce.
        {"From": "anna@creators.test", "Subject": "Automatic reply: Hello"},
        {"From": "anna@creators.test", "Subject": "Re: Undeliverable: Hello"},
    ],
)
def test_ordinary_mail_is_not_suspected(fields):  # type: ignore[no-untyped-def]
    assert not bounce_suspected(_headers(_email(**fields)))


def test_a_read_receipt_report_is_not_suspected():
    raw = _email(From="anna@creators.test", Subject="Read: Hello")
    raw = raw.replace(
        b"Content-Type: text/plain",
        b'Content-Type: multipart/report; report-type=disposition-notification; boundary="b"\n'
        b"X-Original-Content-Type: text/plain",
    )
    assert not bounce_suspected(_headers(raw))


def test_a_person_writing_from_postmaster_is_suspected_but_no_bounce():
    raw = _email(From="postmaster@creators.test", Subject="Re: Hello", In_Reply_To=f"<{OURS}>")
    headers = _headers(raw)
    assert bounce_suspected(headers)
    assert bounce_parse(raw, headers=headers) is None


def test_the_bounce_header_fields_leave_the_content_hash_as_it_was():
    # Sync fetches Content-Type and the bounce fields since bounces are read; an email
    # stored before hashes the same (a UIDVALIDITY rescan finds it by its hash).
    before = b"Message-ID: <a@b.test>\r\nFrom: anna@creators.test\r\nSubject: Hi\r\n\r\n"
    after = (
        b"Message-ID: <a@b.test>\r\nFrom: anna@creators.test\r\n"
        b'Content-Type: multipart/report; report-type=delivery-status;\r\n\tboundary="x"\r\n'
        b"Subject: Hi\r\nX-Failed-Recipients: anna@creators.test\r\n"
        b"X-MS-Exchange-Message-Is-Ndr:\r\n\r\n"
    )
    assert headers_parse(before, size=10).content_hash == headers_parse(after, size=10).content_hash
    parsed = headers_parse(after, size=10)
    assert parsed.is_ndr and parsed.failed_recipients == ["anna@creators.test"]
    assert parsed.subject == "Hi"


def test_diagnostic_is_one_line_without_the_repeated_reply_codes():
    text = (
        "smtp; 550-5.1.1 The email account that you tried to reach does not exist. Please try\n"
        " 550-5.1.1 double-checking the recipient's email address for typos or\n"
        " 550 5.1.1  https://support.google.com/mail/?p=NoSuchUser a1si123456qkb.42 - gsmtp"
    )
    assert diagnostic_clean(text) == (
        "The email account that you tried to reach does not exist. Please try "
        "double-checking the recipient's email address for typos or "
        "https://support.google.com/mail/?p=NoSuchUser"
    )
    # An IP address is no status code
    assert diagnostic_clean("x-unix; 192.0.2.153 refused") == "192.0.2.153 refused"


def test_a_bounce_cut_at_the_download_limit_still_names_the_original():
    # Given a bounce that returns the whole original with a large attachment, of which
    # sync downloads only the first BOUNCE_BYTES
    big = b"\n".join([b"QUJD" * 19] * 40_000)
    raw = bounce_eml("postfix", msgid=OURS).replace(
        b"Would you like to work with us?", b"Would you like to work with us?\n" + big
    )
    assert len(raw) > 2 * BOUNCE_BYTES
    cut = raw[:BOUNCE_BYTES]
    bounce = bounce_parse(cut, headers=_headers(raw))
    assert bounce is not None and bounce.original_ids == [OURS] and bounce.status == "5.1.1"


_SAMPLES = [bounce_eml(p.stem, msgid=OURS) for p in sorted(BOUNCES.glob("*.eml"))]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sample=st.sampled_from(_SAMPLES),
    cut=st.integers(min_value=0, max_value=8000),
    junk=st.binary(max_size=300),
    at=st.integers(min_value=0, max_value=8000),
)
def test_reading_a_bounce_never_raises(sample, cut, junk, at):  # type: ignore[no-untyped-def]
    # Any bounce cut short anywhere, with any bytes spliced in, is read or declined, and
    # not by bounce_parse's last-resort catch: its reader itself does not raise
    raw = sample[: len(sample) - cut] if cut < len(sample) else sample
    raw = raw[:at] + junk + raw[at:]
    bounce = bounce_module._parse(raw, _headers(raw))
    assert bounce is None or bounce.kind in (FAILED, DELAYED, OTHER)
