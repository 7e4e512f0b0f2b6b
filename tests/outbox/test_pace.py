"""A sender's per-second rate (SenderPolicy.min_interval), kept by the dispatcher across
workers: SMS to the local Twilio at a number's rate, never faster, by one worker or two."""

import itertools
import threading
import time

import pytest
from django.db import connection
from django.utils import timezone

from parley.channels.sms.services import number_update
from parley.outbox import dispatch
from parley.outbox.dispatch import outbox_dispatch_due
from parley.outbox.models import OutboxItem, SenderState
from parley.outbox.senders import sender_turn
from parley.outbox.sms_send import sms_message_send


def fastest_window(times: list[float], width: float = 1.0) -> int:
    """The most arrivals in any window of `width` seconds [t, t + width)."""
    times = sorted(times)
    most, start = 0, 0
    for end, t in enumerate(times):
        while t - times[start] >= width:
            start += 1
        most = max(most, end - start + 1)
    return most


@pytest.mark.django_db
def test_turns_are_an_interval_apart(member):
    key = "sms:999"
    taken = []
    for _ in range(4):
        sender_turn(workspace_id=member.workspace_id, sender_key=key, interval=0.25)
        taken.append(time.monotonic())

    gaps = [b - a for a, b in itertools.pairwise(taken)]
    assert all(g >= 0.24 for g in gaps) and all(g < 0.6 for g in gaps)
    nxt = SenderState.objects.get(sender_key=key).next_send_at
    assert nxt is not None
    assert 0.1 < (nxt - timezone.now()).total_seconds() <= 0.25


@pytest.mark.django_db
def test_a_paced_batch_takes_what_fits_and_gives_the_rest_back(
    member, sms_number, phone_thread, twilio, monkeypatch
):
    monkeypatch.setattr(dispatch, "PACED_BATCH_SECONDS", 0.5)
    number_update(member=member, number=sms_number, per_second=10)  # 5 fit in 0.5 s
    conversation = phone_thread()
    for i in range(8):
        sms_message_send(member=member, conversation=conversation, number=sms_number, body=f"#{i}")

    items = dispatch.outbox_claim(limit=100)
    sent = dispatch.outbox_deliver_items(items=items)

    # At most what the rate lets through in the batch's time (fewer on a busy machine,
    # where each send takes longer), and at least one.
    assert 1 <= sent <= 5 and len(twilio.state.sent) == sent
    rest = OutboxItem.objects.filter(state=OutboxItem.State.PENDING)
    assert rest.count() == 8 - sent and not rest.exclude(leased_by="").exists()  # free for anyone


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("workers", [1, 2])
def test_sms_go_out_at_the_numbers_rate_and_never_faster(
    member, sms_number, phone_thread, twilio, workers
):
    rate = 20
    number_update(member=member, number=sms_number, per_second=rate)
    conversation = phone_thread()
    total = 40
    for i in range(total):
        sms_message_send(member=member, conversation=conversation, number=sms_number, body=f"#{i}")

    def work(worker: str) -> None:
        try:
            while OutboxItem.objects.filter(state=OutboxItem.State.PENDING).exists():
                outbox_dispatch_due(worker_id=worker)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(f"pace-{n}",)) for n in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    arrivals = sorted(s.at for s in twilio.state.sent)
    assert len(arrivals) == total == OutboxItem.objects.filter(state="done").count()
    assert len({s.params["Body"] for s in twilio.state.sent}) == total  # none twice
    # at the rate: never more than `rate` in any second, and close to it overall. The
    # times are taken where the local Twilio receives the requests, in this process, so they
    # carry the threads' scheduling jitter (one late request makes the next gap short): no
    # burst means any three in a row span at least one interval.
    assert fastest_window(arrivals) <= rate
    assert min(arrivals[i + 2] - arrivals[i] for i in range(total - 2)) >= 1 / rate
    assert arrivals[-1] - arrivals[0] < (total - 1) / rate * 2
