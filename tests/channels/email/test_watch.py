"""The watcher threads: IDLE brings a reply in within seconds; a broken mailbox holds up
no other. These run in threads with their own database connections (transactional_db)."""

import socket
import time

import pytest
from django.utils import timezone

from parley.channels.email.models import Mailbox
from parley.channels.email.watch import MailboxWatcher, watchers_ensure, watchers_stop
from parley.inbox.models import Message
from parley.outbox.email_send import email_message_send
from parley.outbox.models import OutboxItem
from parley.outbox.services import outbox_deliver

pytestmark = pytest.mark.django_db(transaction=True)


def _wait(predicate, timeout: float = 10.0) -> float:  # type: ignore[no-untyped-def]
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if predicate():
            return time.monotonic() - start
        time.sleep(0.05)
    raise AssertionError("timed out")


def _sent(member, mailbox, thread) -> Message:  # type: ignore[no-untyped-def]
    message = email_message_send(
        member=member, conversation=thread, mailbox=mailbox, subject="Hi", body="x"
    )
    outbox_deliver(item_id=OutboxItem.objects.get(message=message).pk)
    message.refresh_from_db()
    return message


def test_idle_brings_a_reply_in_within_seconds(member, mailbox, creator_thread, append):  # type: ignore[no-untyped-def]
    thread = creator_thread("anna@creators.test", "Anna")
    sent = _sent(member, mailbox, thread)
    watcher = MailboxWatcher(mailbox.pk, worker_id="watch-test")
    watcher.start()
    try:
        _wait(lambda: watcher.passes >= 1)
        time.sleep(0.3)  # let it enter IDLE
        append(
            mailbox.address,
            sender="anna@creators.test",
            in_reply_to=f"<{sent.provider_message_id}>",
        )
        took = _wait(
            lambda: Message.objects.filter(conversation=thread, direction="in").exists(), 5.0
        )
    finally:
        watcher.stop.set()
        watcher.join(5)
    assert took < 5.0
    mailbox.refresh_from_db()
    assert mailbox.last_sync_at is not None


def test_a_slow_mailbox_holds_up_no_other(member, mailbox, creator_thread, append, settings):  # type: ignore[no-untyped-def]
    settings.PARLEY_EMAIL_POLL_SECONDS = 1
    # Given a second mailbox whose server takes connections and never answers
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(5)
    Mailbox.objects.create(
        workspace=member.workspace,
        address="slow@example.com",
        access="full",
        imap_host="127.0.0.1",
        imap_port=silent.getsockname()[1],
        imap_tls="none",
        smtp_host="127.0.0.1",
        connected_at=timezone.now(),
        username="slow@example.com",
    )
    thread = creator_thread("anna@creators.test", "Anna")
    sent = _sent(member, mailbox, thread)
    try:
        # When both are watched and a reply arrives in the healthy one
        assert watchers_ensure() == 2
        append(
            mailbox.address,
            sender="anna@creators.test",
            in_reply_to=f"<{sent.provider_message_id}>",
        )
        # Then it comes in while the other still hangs
        _wait(lambda: Message.objects.filter(conversation=thread, direction="in").exists(), 8.0)
    finally:
        silent.close()  # the hanging connection is reset, so its watcher ends now
        watchers_stop(wait=10)


def test_without_idle_the_watcher_polls(
    member, mailbox, creator_thread, append, settings, monkeypatch
):  # type: ignore[no-untyped-def]
    from imapclient import IMAPClient

    # Given a server that does not offer IDLE, and a poll interval of one second
    real = IMAPClient.capabilities
    monkeypatch.setattr(
        IMAPClient, "capabilities", lambda self: tuple(c for c in real(self) if c != b"IDLE")
    )
    settings.PARLEY_EMAIL_POLL_SECONDS = 1
    thread = creator_thread("anna@creators.test", "Anna")
    sent = _sent(member, mailbox, thread)
    watcher = MailboxWatcher(mailbox.pk, worker_id="poll-test")
    watcher.start()
    try:
        _wait(lambda: watcher.passes >= 1)
        append(
            mailbox.address,
            sender="anna@creators.test",
            in_reply_to=f"<{sent.provider_message_id}>",
        )
        # Then the reply still comes in, by polling
        _wait(lambda: Message.objects.filter(conversation=thread, direction="in").exists(), 15.0)
        _wait(lambda: watcher.passes >= 2)  # the pass that stored it has finished
    finally:
        watcher.stop.set()
        watcher.join(5)
