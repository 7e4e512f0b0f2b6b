"""A provider's quota or throttling answer, from a real SMTP server (aiosmtpd): Gmail's daily
sending quota (550 5.4.5), Microsoft's throttling (4.5.127) and submission quota (5.2.2),
and any server's "421 Too many messages". Each pauses that mailbox until the start of its
workspace's next calendar day, fails nothing, keeps the queue without counting attempts,
tells the admins, and another mailbox of the same workspace keeps sending meanwhile."""

from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from parley.accounts.models import Member
from parley.channels.email.models import Mailbox
from parley.inbox.models import Message, Notification
from parley.outbox.dispatch import outbox_dispatch_due
from parley.outbox.email_send import email_message_send
from parley.outbox.models import OutboxItem, SenderDay, SenderState
from tests.channels.email.servers import OAuthServer, SmtpServer
from tests.factories import MemberFactory
from tests.outbox.support import accepted_counts, conversation_with, send_only_mailbox

pytestmark = pytest.mark.django_db

KOLKATA = ZoneInfo("Asia/Kolkata")
# 02:00 on Friday 27 Nov in Kolkata: still Thursday 26 Nov in UTC (20:30), so a pause that
# ended at a UTC midnight would end at the wrong time.
NIGHT = datetime(2026, 11, 27, 2, 0, tzinfo=KOLKATA)
NEXT_DAY = datetime(2026, 11, 28, tzinfo=KOLKATA)

ANSWERS = {
    "gmail-daily-quota": "550 5.4.5 Daily user sending quota exceeded. "
    "https://support.google.com/mail/?p=ReachedSendingLimit - gsmtp",
    "microsoft-throttled": "451 4.5.127 Message rejected. Excessive message rate from sender.",
    "microsoft-submission-quota": "554 5.2.2 STOREDRV.Submission.Exception:"
    "SubmissionQuotaExceededException; Failed to process message due to a permanent exception",
    "too-many": "421 4.7.0 Too many messages, try again later",
}


@pytest.fixture(scope="module")
def other_smtp(oauth_server: OAuthServer) -> Iterator[SmtpServer]:
    """A second provider's SMTP server, which answers normally throughout."""
    server = SmtpServer(oauth_server.state)
    yield server
    server.stop()


def _email(member: Member, mailbox: Mailbox, name: str) -> Message:
    return email_message_send(
        member=member,
        conversation=conversation_with(member.workspace, name),
        mailbox=mailbox,
        subject="Hello",
        body=f"Hi {name}!",
    )


def _run_until_idle() -> int:
    total = 0
    while sent := outbox_dispatch_due():
        total += sent
    return total


def _header(message: Message) -> str:
    return message.provider_message_id.lower()


@pytest.mark.parametrize("answer", ANSWERS.values(), ids=ANSWERS.keys())
def test_a_quota_answer_pauses_that_mailbox_until_its_next_day_and_keeps_its_queue(  # type: ignore[no-untyped-def]
    answer, member, teammate, smtp_server, other_smtp
):
    # Given a Kolkata workspace with an admin besides the owner, a member, and two mailboxes
    member.workspace.time_zone = "Asia/Kolkata"
    member.workspace.save(update_fields=["time_zone"])
    admin: Member = MemberFactory(workspace=member.workspace, role=Member.Role.ADMIN)  # type: ignore[assignment]
    with time_machine.travel(NIGHT, tick=True) as traveller:
        quota = send_only_mailbox(member, smtp_server, limit=50)
        other = send_only_mailbox(member, other_smtp, limit=50)
        queued = [_email(member, quota, f"Quota {i}") for i in range(3)]
        elsewhere = [_email(member, other, f"Other {i}") for i in range(2)]
        # When the first mailbox's server answers with its quota or throttling error
        smtp_server.handler.refuse = answer
        sent = _run_until_idle()

        # Then that mailbox is paused until midnight in Kolkata, with the server's words
        state = SenderState.objects.get(sender_key=quota.sender_key)
        assert state.paused_until == NEXT_DAY
        assert answer.split()[1] in state.pause_reason
        quota.refresh_from_db()
        assert quota.paused_until == NEXT_DAY  # the banner's source
        # And nothing failed: its emails are queued, no attempt counted, no slot used
        for message in queued:
            message.refresh_from_db()
            item = message.outbox_item
            assert (message.status, item.state, item.attempts) == ("queued", "pending", 0)
        assert SenderDay.objects.get(sender_key=quota.sender_key).used == 0
        assert not Notification.objects.filter(kind=Notification.Kind.SEND_FAILED).exists()
        # And the owner and the admin are told, the plain member (teammate) is not
        told = Notification.objects.filter(kind=Notification.Kind.LIMIT)
        assert sorted(told.values_list("member_id", flat=True)) == sorted([member.pk, admin.pk])
        assert all(quota.address in n.text for n in told)
        # And the other mailbox sent its emails meanwhile, each once
        assert sent == 2
        counts = accepted_counts(other_smtp, [_header(m) for m in elsewhere])
        assert set(counts.values()) == {1}

        # When the server answers normally again later that day, the paused mailbox still
        # waits, while the other one goes on sending
        smtp_server.handler.refuse = None
        before = len(smtp_server.handler.messages)
        traveller.move_to(datetime(2026, 11, 27, 18, 0, tzinfo=KOLKATA))
        later = _email(member, other, "Later")
        waiting = _email(member, quota, "Waiting")
        assert _run_until_idle() == 1
        assert len(smtp_server.handler.messages) == before
        assert accepted_counts(other_smtp, [_header(later)])[_header(later)] == 1
        waiting.refresh_from_db()
        assert waiting.status == "queued"

        # When its next day begins in Kolkata, the whole queue goes out, each email once
        traveller.move_to(datetime(2026, 11, 28, 0, 1, tzinfo=KOLKATA))
        assert _run_until_idle() == 4
        counts = accepted_counts(smtp_server, [_header(m) for m in [*queued, waiting]], before)
        assert set(counts.values()) == {1}
        assert not SenderState.objects.filter(paused_until__isnull=False).exists()
        assert set(OutboxItem.objects.values_list("state", flat=True)) == {"done"}
