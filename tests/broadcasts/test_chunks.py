"""A mass message is written chunk by chunk, each chunk with its bookmark: every chunk once,
whatever order they are written in, by one thread or (on PostgreSQL, outside a transaction,
as the worker runs it) two at once; a worker that died half-way resumes where it stopped,
and a cancel stops the writing."""

import importlib
import threading

import pytest
from django.db import connection

from parley.broadcasts import services
from parley.broadcasts.fields import fields_made
from parley.broadcasts.models import Broadcast, BroadcastChunk
from parley.broadcasts.services import broadcast_cancel, broadcast_queue, broadcast_send
from parley.inbox.models import Message
from parley.outbox.models import OutboxItem
from tests.broadcasts.test_services import _creators, _draft
from tests.outbox.support import send_only_mailbox


@pytest.fixture
def small_chunks(monkeypatch):  # type: ignore[no-untyped-def]
    """Chunks of three recipients; the names of the threads that wrote each chunk."""
    monkeypatch.setattr(services, "CHUNK", 3)
    writers: dict[int, str] = {}
    original = services._ChunkWriter.write

    def write(self, number):  # type: ignore[no-untyped-def]
        writers[number] = threading.current_thread().name
        return original(self, number)

    monkeypatch.setattr(services._ChunkWriter, "write", write)
    return writers


def _sent(member, mailbox, n):  # type: ignore[no-untyped-def]
    creators = _creators(member, n)
    broadcast = _draft(member, creators, mailbox, body="Hello {{ name }}")
    broadcast_send(member=member, broadcast=broadcast)
    return broadcast, creators


def _one_each(creators) -> bool:  # type: ignore[no-untyped-def]
    bodies = Message.objects.filter(channel="email").values_list(
        "conversation__creator_id", "body_text"
    )
    return sorted(bodies) == sorted((c.id, f"Hello {c.name}") for c in creators)


@pytest.mark.django_db(transaction=True)
def test_every_chunk_is_written_once_and_two_at_once_on_postgresql(  # type: ignore[no-untyped-def]
    member, smtp_server, small_chunks
):
    broadcast, creators = _sent(member, send_only_mailbox(member, smtp_server), 11)

    assert broadcast_queue(broadcast_id=broadcast.id) == 11

    assert _one_each(creators)
    assert OutboxItem.objects.filter(broadcast=broadcast).count() == 11
    numbers = BroadcastChunk.objects.filter(broadcast=broadcast).values_list("number", flat=True)
    assert sorted(numbers) == sorted(small_chunks) == [0, 1, 2, 3]
    broadcast.refresh_from_db()
    assert (broadcast.state, broadcast.queued) == (Broadcast.State.SENDING, 11)
    # The worker's thread wrote chunks, and on PostgreSQL a second one did too.
    threads = set(small_chunks.values())
    assert len(threads) == (2 if connection.vendor == "postgresql" else 1)


@pytest.mark.django_db
def test_a_worker_that_died_half_way_resumes_without_writing_a_chunk_twice(  # type: ignore[no-untyped-def]
    member, smtp_server, small_chunks
):
    broadcast, creators = _sent(member, send_only_mailbox(member, smtp_server), 8)
    # The chunk in the middle was written before the worker died.
    services._ChunkWriter(broadcast).write(1)

    assert broadcast_queue(broadcast_id=broadcast.id) == 8

    assert _one_each(creators)
    assert sorted(small_chunks) == [0, 1, 2]
    broadcast.refresh_from_db()
    assert (broadcast.state, broadcast.queued) == (Broadcast.State.SENDING, 8)


@pytest.mark.django_db
def test_a_cancel_stops_the_writing(member, smtp_server, small_chunks):  # type: ignore[no-untyped-def]
    broadcast = _sent(member, send_only_mailbox(member, smtp_server), 8)[0]
    services._ChunkWriter(broadcast).write(0)
    broadcast.refresh_from_db()
    assert broadcast_cancel(member=member, broadcast=broadcast) == 3

    broadcast_queue(broadcast_id=broadcast.id)

    assert Message.objects.filter(channel="email").count() == 3
    assert list(BroadcastChunk.objects.values_list("number", flat=True)) == [0]
    broadcast.refresh_from_db()
    assert broadcast.state == Broadcast.State.CANCELLED


@pytest.mark.django_db
def test_whom_a_chunk_left_out_is_listed_with_the_skipped_at_the_end(  # type: ignore[no-untyped-def]
    member, smtp_server, small_chunks
):
    creators = _creators(member, 5, custom_fields={"size": "M"})
    broadcast = _draft(member, creators, send_only_mailbox(member, smtp_server), body="{{ 1 / n }}")
    Broadcast.objects.filter(id=broadcast.id).update(state=Broadcast.State.PREPARING)
    broadcast.refresh_from_db()
    broadcast.recipient_ids = [c.id for c in creators]
    broadcast.save(update_fields=["recipient_ids"])

    broadcast_queue(broadcast_id=broadcast.id)

    broadcast.refresh_from_db()
    assert sorted(s["creator_id"] for s in broadcast.skipped) == sorted(c.id for c in creators)
    assert broadcast.queued == 5 and not Message.objects.exists()


def test_codes_and_links_are_made_one_chunk_at_a_time() -> None:
    assert fields_made(["Your code: {{ coupon_code }}"])
    assert fields_made(['{{ tracking_link("https://shop.example") }}'])
    assert not fields_made(["Hi {{ first_name }} {{ custom.size }}"])


@pytest.mark.django_db
def test_a_broadcast_being_written_when_bookmarks_came_keeps_what_it_wrote(member):  # type: ignore[no-untyped-def]
    from django.apps import apps

    migration = importlib.import_module("parley.broadcasts.migrations.0004_chunks")
    writing = Broadcast.objects.create(
        workspace=member.workspace, state=Broadcast.State.PREPARING, queued=4000
    )
    last = Broadcast.objects.create(
        workspace=member.workspace, state=Broadcast.State.PREPARING, queued=2500
    )
    Broadcast.objects.create(workspace=member.workspace, state=Broadcast.State.SENDING, queued=9)

    migration.bookmark_what_was_written(apps, None)

    chunks = BroadcastChunk.objects.order_by("broadcast_id", "number")
    assert list(chunks.values_list("broadcast_id", "number")) == [
        *((writing.id, n) for n in range(4)),
        *((last.id, n) for n in range(3)),
    ]
