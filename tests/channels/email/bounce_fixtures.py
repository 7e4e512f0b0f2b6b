"""Bounce emails for tests: the .eml files in bounces/, with the original's Message-ID,
the failed recipient, the sender and the subject filled in.

Each is written after the shape of real bounces of its kind (Gmail's multipart/report and
its older plain-text form, Microsoft 365's NDR, an Exchange NDR without a report part,
Postfix's DSN and delay warning, Sendmail's RFC 3464 DSN, Exim's plain-text failure)."""

from email.utils import format_datetime
from pathlib import Path

from django.utils import timezone

BOUNCES = Path(__file__).parent / "bounces"

# name: (what it reports, status, words of the diagnostic); all for anna@creators.test.
FAILURES = {
    "gmail": (
        "5.1.1",
        "The email account that you tried to reach does not exist.",
    ),
    "gmail_legacy": (
        "5.1.1",
        "Recipient address rejected: User unknown in virtual mailbox table",
    ),
    "microsoft365": (
        "5.1.10",
        "RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
    ),
    "exchange_text": ("5.1.1", "Recipient address rejected: User unknown"),
    "postfix": ("5.1.1", "Recipient address rejected: User unknown in virtual mailbox table"),
    "rfc3464": ("5.2.2", "Mailbox full"),
    "exim": ("5.1.1", "Recipient address rejected: User unknown in virtual mailbox table"),
}


def bounce_eml(
    name: str,
    *,
    msgid: str,
    to: str = "anna@creators.test",
    sender: str = "team@brand.example",
    subject: str = "Hello",
) -> bytes:
    """The bounce `name` (a file in bounces/) for the email `msgid` (no angle brackets)."""
    raw = (BOUNCES / f"{name}.eml").read_bytes()
    for key, value in {
        "@@MSGID@@": msgid,
        "@@TO@@": to,
        "@@FROM@@": sender,
        "@@SUBJECT@@": subject,
        "@@DATE@@": format_datetime(timezone.now()),
    }.items():
        raw = raw.replace(key.encode(), value.encode())
    return raw
