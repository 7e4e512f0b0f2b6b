"""Daily limits, priorities and provider pauses, through the real dispatcher and a real SMTP
server (aiosmtpd): what goes out today, what waits for which day, and what the thread says."""

from datetime import datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from parley.inbox.models import Message, Notification
from parley.outbox.dispatch import outbox_dispatch_due
from parley.outbox.email_send import email_message_send
from parley.outbox.models import OutboxItem, SenderDay, SenderState
from parley.outbox.planner import outbox_plan
from tests.outbox.support import HELSINKI, MORNING, helsinki_send_only

pytestmark = pytest.mark.django_db


@pytest.fixture
def limited(member, connect):  # type: ignore[no-untyped-def]
    """A send-only mailbox with a limit of 3 a day, in a Helsinki workspace."""
    return helsinki_send_only(member, connect, 3)


def _email(member, mailbox, thread, body="Hi!", priority=OutboxItem.Priority.PERSONAL):  # type: ignore[no-untyped-def]
    return email_message_send(
        member=member,
        conversation=thread,
        mailbox=mailbox,
        subject="Hello",
        body=body,
        priority=priority,
    )


def _run_until_idle() -> int:
    total = 0
    while sent := outbox_dispatch_due():
        total += sent
    return total


def test_over_the_limit_waits_for_the_next_day_and_says_so(  # type: ignore[no-untyped-def]
    member, limited, creator_thread, smtp_server, logged_in
):
    with time_machine.travel(MORNING, tick=True):
        # Given five emails to five creators, with room for three a day
        threads = [creator_thread(f"c{i}@creators.test", f"Creator {i}") for i in range(5)]
        messages = [_email(member, limited, t, body=f"email {i}") for i, t in enumerate(threads)]
        # When the worker runs
        before = len(smtp_server.handler.messages)
        assert _run_until_idle() == 3
        # Then three went out today, the first three, and the other two wait for Saturday
        assert len(smtp_server.handler.messages) - before == 3
        for message in messages:
            message.refresh_from_db()
        assert [m.status for m in messages] == ["sent"] * 3 + ["queued"] * 2
        saturday = MORNING.date() + timedelta(days=1)
        assert {m.outbox_item.planned_day for m in messages[3:]} == {saturday}
        assert SenderDay.objects.get(sender_key=limited.sender_key).used == 3
        # And the thread says when and why
        html = logged_in.get(reverse("inbox:thread", args=[threads[3].pk])).content.decode()
        assert "Scheduled for 28 Nov: daily limit of" in html and limited.address in html
    # When Saturday begins in Helsinki (Friday 22:00 UTC)
    with time_machine.travel(datetime(2026, 11, 28, 0, 1, tzinfo=HELSINKI), tick=True):
        assert _run_until_idle() == 2
    assert Message.objects.filter(status="sent", channel="email").count() == 5


def test_a_typed_message_goes_today_ahead_of_a_mass_send_queued_before_it(  # type: ignore[no-untyped-def]
    member, limited, creator_thread, smtp_server
):
    with time_machine.travel(MORNING, tick=True):
        # Given a mass send of five already queued (more than today's three)
        threads = [creator_thread(f"m{i}@creators.test", f"Mass {i}") for i in range(5)]
        mass = [_email(member, limited, t, priority=OutboxItem.Priority.MASS) for t in threads]
        outbox_plan(sender_key=limited.sender_key)
        # When a person types a message to one creator
        typed = _email(member, limited, creator_thread("vip@creators.test", "VIP"), body="hi")
        outbox_plan(sender_key=limited.sender_key)
        _run_until_idle()
        # Then it goes out today, and only two of the mass emails do
        typed.refresh_from_db()
        assert typed.status == "sent"
        sent_mass = [m for m in mass if Message.objects.get(id=m.id).status == "sent"]
        assert [m.id for m in sent_mass] == [m.id for m in mass[:2]]  # first in, first out
        assert SenderDay.objects.get(sender_key=limited.sender_key).used == 3


def test_invitations_go_before_mass_emails_and_rejections_last(  # type: ignore[no-untyped-def]
    member, limited, creator_thread, smtp_server
):
    with time_machine.travel(MORNING, tick=True):
        kinds = [
            OutboxItem.Priority.REJECTION,
            OutboxItem.Priority.MASS,
            OutboxItem.Priority.APPROVAL,
            OutboxItem.Priority.INVITATION,
        ]
        sent = {}
        for i, kind in enumerate(kinds):
            thread = creator_thread(f"k{i}@creators.test", f"Kind {i}")
            sent[kind] = _email(member, limited, thread, priority=kind)
        outbox_plan(sender_key=limited.sender_key)
        _run_until_idle()
        status = {k: Message.objects.get(id=m.id).status for k, m in sent.items()}
        assert status == {
            OutboxItem.Priority.INVITATION: "sent",
            OutboxItem.Priority.APPROVAL: "sent",
            OutboxItem.Priority.MASS: "sent",
            OutboxItem.Priority.REJECTION: "queued",
        }


def test_a_providers_daily_quota_pauses_the_mailbox_and_keeps_the_queue(  # type: ignore[no-untyped-def]
    member, limited, creator_thread, smtp_server, logged_in
):
    with time_machine.travel(MORNING, tick=True):
        # Given a server that answers Gmail's daily quota error
        smtp_server.handler.refuse = "550 5.4.5 Daily user sending quota exceeded."
        first = _email(member, limited, creator_thread("q1@creators.test", "Q1"))
        second = _email(member, limited, creator_thread("q2@creators.test", "Q2"))
        # When the worker tries
        _run_until_idle()
        # Then nothing failed: both wait, the mailbox is paused until Helsinki's midnight
        for message in (first, second):
            message.refresh_from_db()
            assert message.status == "queued"
            assert message.outbox_item.state == OutboxItem.State.PENDING
            assert message.outbox_item.attempts == 0
        state = SenderState.objects.get(sender_key=limited.sender_key)
        assert state.paused_until == datetime(2026, 11, 28, tzinfo=HELSINKI)
        assert "5.4.5" in state.pause_reason
        assert Notification.objects.filter(kind=Notification.Kind.LIMIT, member=member).exists()
        assert SenderDay.objects.get(sender_key=limited.sender_key).used == 0
        # And the team sees a banner
        html = logged_in.get(reverse("inbox:list")).content.decode()
        assert "is paused until" in html and limited.address in html
    # When the pause is over, the queue goes out
    smtp_server.handler.refuse = None
    with time_machine.travel(datetime(2026, 11, 28, 0, 5, tzinfo=HELSINKI), tick=True):
        assert _run_until_idle() == 2


def test_mailbox_page_shows_today_the_queue_and_sets_the_limit(  # type: ignore[no-untyped-def]
    member, limited, creator_thread, smtp_server, logged_in, teammate, client
):
    with time_machine.travel(MORNING, tick=True):
        # Given five emails with room for three today, two of them sent... the rest queued
        for i in range(5):
            _email(member, limited, creator_thread(f"p{i}@creators.test", f"P {i}"))
        _run_until_idle()
        # Then the mailbox page shows today's count against the limit and the queue by day
        page = logged_in.get(reverse("email:settings")).content.decode()
        assert "3 of 3 sent today" in page
        assert 'data-testid="queue"' in page and "Sat 28 Nov" in page
        assert "Personal message: 2" in page and "The queue empties on Sat 28 Nov." in page
        # When an admin raises the limit to 10
        url = reverse("email:daily_limit", args=[limited.id])
        assert logged_in.post(url, {"daily_limit": "0"}).status_code == 422
        assert logged_in.post(url, {"daily_limit": "10"}).status_code == 302
        limited.refresh_from_db()
        assert limited.daily_limit == 10
        # Then the queue is planned again and the two go out today
        assert _run_until_idle() == 2
    # And a plain member may not change it
    client.force_login(teammate.user)
    assert client.post(url, {"daily_limit": "50"}).status_code == 403
