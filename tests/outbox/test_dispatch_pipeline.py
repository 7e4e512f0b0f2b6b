"""The pipelined dispatch pass (outside a transaction, as a worker runs it: a second thread
claims ahead and records outcomes while the first sends), against a real SMTP server, on
whichever database the tests run on: every email once, and a provider's pause mid-pass
gives back what was claimed ahead."""

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from parley.inbox.models import Message
from parley.outbox import dispatch
from parley.outbox.models import OutboxItem, SenderDay, SenderState
from tests.outbox.support import accepted_counts, emails_due, send_only_mailbox

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def pipelined(monkeypatch):  # type: ignore[no-untyped-def]
    """How many passes ran pipelined."""
    runs: list[int] = []
    original = dispatch._Pipeline.run

    def run(self, deadline):  # type: ignore[no-untyped-def]
        runs.append(1)
        return original(self, deadline)

    monkeypatch.setattr(dispatch._Pipeline, "run", run)
    return runs


def _due(member, mailbox, count, prefix):  # type: ignore[no-untyped-def]
    return emails_due(member, mailbox, (f"{prefix} Number{i}" for i in range(count)))


def _ids(messages):  # type: ignore[no-untyped-def]
    return [m.provider_message_id for m in messages]


def test_two_mailboxes_over_many_batches_every_email_once(member, smtp_server, pipelined):  # type: ignore[no-untyped-def]
    first = send_only_mailbox(member, smtp_server, limit=1000)
    second = send_only_mailbox(member, smtp_server, limit=1000)
    queued = _due(member, first, 11, "Ada") + _due(member, second, 7, "Bo")
    since = len(smtp_server.handler.messages)

    assert dispatch.outbox_dispatch_due(limit=4) == 18

    assert pipelined == [1]
    assert set(accepted_counts(smtp_server, _ids(queued), since).values()) == {1}
    items = OutboxItem.objects.filter(message__in=queued)
    assert {(i.state, i.leased_by, i.attempts) for i in items} == {("done", "", 1)}
    statuses = Message.objects.filter(id__in=[m.id for m in queued]).values_list("status")
    assert set(statuses) == {("sent",)}
    used = dict(SenderDay.objects.values_list("sender_key", "used"))
    assert (used[first.sender_key], used[second.sender_key]) == (11, 7)


def test_a_quota_mid_pass_pauses_and_gives_back_what_was_claimed_ahead(  # type: ignore[no-untyped-def]
    member, smtp_server, pipelined
):
    mailbox = send_only_mailbox(member, smtp_server, limit=1000)
    queued = _due(member, mailbox, 12, "Cy")
    since, refused = len(smtp_server.handler.messages), smtp_server.handler.refused

    def quota_after_six() -> None:
        if len(smtp_server.handler.messages) - since == 6:
            smtp_server.handler.refuse = "550 5.4.5 Daily user sending quota exceeded"

    smtp_server.handler.on_accept = quota_after_six

    assert dispatch.outbox_dispatch_due(limit=4) == 6

    assert pipelined == [1]
    # The 7th was refused; the 8th (its batch's last) was not tried, and the batch claimed
    # ahead was given back, not sent into the pause.
    assert smtp_server.handler.refused - refused == 1
    counts = accepted_counts(smtp_server, _ids(queued), since)
    assert sorted(counts.values()) == [0] * 6 + [1] * 6
    items = {i.message_id: i for i in OutboxItem.objects.filter(message__in=queued)}
    sent = [m for m in queued if counts[m.provider_message_id.lower()]]
    assert [items[m.id].state for m in sent] == ["done"] * 6
    until = SenderState.objects.get(sender_key=mailbox.sender_key).paused_until
    tomorrow = timezone.localdate() + timedelta(days=1)
    assert until == timezone.make_aware(datetime.combine(tomorrow, time.min))
    waiting = [items[m.id] for m in queued if m not in sent]
    # Nothing failed, nothing is leased or counted: they go tomorrow.
    assert {(i.state, i.leased_by, i.attempts, i.reserved_day) for i in waiting} == {
        ("pending", "", 0, None)
    }
    assert {i.not_before for i in waiting} == {until}
    assert SenderDay.objects.get(sender_key=mailbox.sender_key).used == 6
