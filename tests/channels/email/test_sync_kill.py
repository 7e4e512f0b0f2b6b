"""A `parley worker` SIGKILLed in the middle of a sync pass, against a real Dovecot: a
restarted worker takes the dead worker's folder over at once, and every reply is visible
within seconds, none lost and none doubled."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db.models import Count
from imapclient import IMAPClient

from parley.channels.email.models import MailboxFolder
from parley.inbox.models import Message
from parley.outbox.email_send import email_message_send
from parley.outbox.models import OutboxItem
from parley.outbox.services import outbox_deliver
from tests.channels.email.servers import PASSWORD
from tests.conftest import database_url

pytestmark = pytest.mark.django_db(transaction=True)

REPLIES = 200
# Big enough that one pass takes a few seconds: the kill lands in the middle of it.
FILLER = ("Thanks for the brief, here are my thoughts. " * 2500).encode()


def _worker(log: Path) -> subprocess.Popen[bytes]:
    with open(log, "ab") as fh:
        return subprocess.Popen(
            [sys.executable, str(settings.BASE_DIR / "manage.py"), "worker", "--interval", "0.2"],
            env={**os.environ, "DATABASE_URL": database_url()},
            stdout=subprocess.DEVNULL,
            stderr=fh,
            start_new_session=True,
        )


def _inbound(thread_id: int) -> int:
    return Message.objects.filter(conversation_id=thread_id, direction="in").count()


def test_sigkill_mid_pass_then_restart_loses_and_doubles_nothing(  # type: ignore[no-untyped-def]
    member, mailbox, creator_thread, dovecot, tmp_path
):
    # Given an email sent to Anna and 200 replies waiting in the mailbox
    thread = creator_thread("anna@creators.test", "Anna")
    sent = email_message_send(
        member=member, conversation=thread, mailbox=mailbox, subject="Hello", body="Hi!"
    )
    assert outbox_deliver(item_id=OutboxItem.objects.get(message=sent).pk) == "done"
    sent.refresh_from_db()
    with IMAPClient("127.0.0.1", port=dovecot.port, ssl=False) as client:
        client.login(mailbox.address, PASSWORD)
        for i in range(REPLIES):
            client.append(
                "INBOX",
                b"From: anna@creators.test\r\nTo: brand@example.com\r\nSubject: Re: Hello\r\n"
                b"Message-ID: <reply-%d@creators.test>\r\nIn-Reply-To: <%s>\r\n\r\nreply %d\r\n"
                % (i, sent.provider_message_id.encode(), i)
                + FILLER,
            )
    log = tmp_path / "worker.log"
    # When a worker starts syncing and is SIGKILLed mid-pass
    first = _worker(log)
    try:
        deadline = time.monotonic() + 60
        while _inbound(thread.pk) == 0 and time.monotonic() < deadline:
            assert first.poll() is None, log.read_text()
            time.sleep(0.02)
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    at_kill = _inbound(thread.pk)
    folder = MailboxFolder.objects.get(mailbox=mailbox, role="inbox")
    assert 0 < at_kill < REPLIES, "the kill should land in the middle of the pass"
    assert folder.leased_by, "the dead worker still holds the folder"
    # And a worker is started again
    restarted_at = time.monotonic()
    second = _worker(log)
    try:
        while _inbound(thread.pk) < REPLIES and time.monotonic() - restarted_at < 30:
            assert second.poll() is None, log.read_text()
            time.sleep(0.1)
        visible_after = time.monotonic() - restarted_at
    finally:
        second.terminate()
        second.wait(timeout=15)
    # Then every reply is visible within 15 s of the restart, each exactly once
    assert _inbound(thread.pk) == REPLIES, log.read_text()[-2000:]
    assert visible_after <= 15, f"{visible_after:.1f} s"
    doubled = (
        Message.objects.filter(conversation=thread, direction="in")
        .values("provider_message_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert not doubled.exists()
