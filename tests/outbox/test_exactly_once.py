"""Exactly once when a worker dies at the worst moment: a real `parley worker` SIGKILLed by
the SMTP server (aiosmtpd) the moment it has taken an email, before the worker could write
that down. A worker started again settles what the dead one left within seconds (the dead
worker was on this host, so its lease is not waited out), and the count at the SMTP server
says how often each email really went out:

- a generic full-access IMAP mailbox (Dovecot): Parley filed the Sent copy, flagged
  $ParleyUnconfirmed, before the SMTP transaction. The email the server took is held as
  "outcome unknown" (Retry / Mark as sent are a person's choice) and never sent again; an
  email the kill came before (no copy, or its copy discarded after a refusal) is sent
  again, once;
- a provider that files sent mail itself (Gmail, over XOAUTH2): the restarted worker finds
  the Message-ID in Sent and records the email as sent, delivered once;
- a send-only mailbox: held as "outcome unknown", never sent again.
"""

import base64
import os
import secrets
import signal
import subprocess
import textwrap
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes, policy
from typing import Any

import pytest
import time_machine
from django import db
from django.urls import reverse
from django.utils import timezone
from imapclient import IMAPClient

from parley.channels.email.adapter import UNCONFIRMED
from parley.channels.email.models import Mailbox
from parley.channels.email.services import mailbox_connect_oauth
from parley.core.workers import HOST
from parley.inbox.models import Message, Notification
from parley.outbox.dispatch import outbox_dispatch_due
from parley.outbox.models import OutboxItem
from parley.outbox.services import outbox_mark_sent
from tests.channels.email.servers import PASSWORD, Dovecot, OAuthServer, SmtpServer, free_port
from tests.outbox.support import (
    Workers,
    accepted_counts,
    emails_due,
    send_only_mailbox,
    wait_until,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

# A restarted worker settles a dead worker's sends within this many seconds (its first
# dispatch pass runs as it starts; most of this is starting Django on a busy machine).
RECOVERY_SECONDS = 15
# Then it runs at least one more dispatch pass (every 2 s) before the count is taken.
ANOTHER_PASS = 2.5


@pytest.fixture
def workers(tmp_path) -> Iterator[Workers]:  # type: ignore[no-untyped-def]
    started = Workers(tmp_path)
    yield started
    started.close()


class Provider:
    """The SMTP server's part in one test: refuse chosen emails once, file every accepted
    email in the account's Sent folder (as Gmail does), and SIGKILL the worker the moment
    it has accepted a chosen email: after the server took it, before the worker could
    record that."""

    def __init__(self, smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> None:
        self.handler = smtp.handler
        self.refuse_once: dict[str, str] = {}
        self.kill_at = ""
        self.worker: Any = None
        self.killed = threading.Event()
        self.sent_folder: tuple[int, str] | None = None  # (Dovecot port, account)
        self._data = smtp.handler.handle_DATA
        monkeypatch.setattr(smtp.handler, "handle_DATA", self.handle_DATA)
        monkeypatch.setattr(smtp.handler, "on_accept", self.on_accept)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        header = _header_of(message_from_bytes(envelope.content, policy=policy.default))
        if header in self.refuse_once:
            return self.refuse_once.pop(header)
        return str(await self._data(server, session, envelope))

    def on_accept(self) -> None:
        accepted = self.handler.messages[-1]
        if self.sent_folder is not None:
            port, account = self.sent_folder
            with IMAPClient("127.0.0.1", port=port, ssl=False) as client:
                client.login(account, PASSWORD)
                client.append("Sent", bytes(accepted), flags=(b"\\Seen",))
        if _header_of(accepted) == self.kill_at and not self.killed.is_set():
            os.killpg(self.worker.pid, signal.SIGKILL)
            self.killed.set()


def _header_of(email: Any) -> str:
    return str(email["Message-ID"]).strip().strip("<>").lower()


def _header(message: Message) -> str:
    return message.provider_message_id.lower()


def _states(messages: list[Message]) -> list[str]:
    by_message = dict(
        OutboxItem.objects.filter(message__in=messages).values_list("message_id", "state")
    )
    return [by_message[m.pk] for m in messages]


def _kill_mid_send(
    workers: Workers, provider: Provider, messages: list[Message], kill_at: Message
) -> None:
    """Start a worker, let the SMTP server SIGKILL it when it has taken `kill_at`, and check
    the window was hit: the rows still say SENDING, leased by the dead worker."""
    provider.kill_at = _header(kill_at)
    provider.worker = first = workers.start()
    if not provider.killed.wait(timeout=60):
        pytest.fail(f"the worker never sent the email: {workers.log(first)}")
    workers.kill(first)
    assert _states(messages) == ["sending"] * len(messages)
    holders = OutboxItem.objects.filter(message__in=messages).values_list("leased_by", flat=True)
    assert {h.split(":")[2] for h in holders} == {str(first.pid)}


def _restart_until(workers: Workers, messages: list[Message], expected: list[str]) -> float:
    """Start a worker again; the seconds until the rows say `expected`. It then runs
    another dispatch pass, and is stopped."""
    second = workers.start()
    try:
        took = wait_until(
            lambda: _states(messages) == expected,
            timeout=RECOVERY_SECONDS,
            what=lambda: f"states {expected}, still {_states(messages)}; {workers.log(second)}",
        )
        time.sleep(ANOTHER_PASS)
        assert second.poll() is None, workers.log(second)
    finally:
        workers.stop(second)
    return took


def _sent_copies(dovecot: Dovecot, account: str, message: Message) -> list[bool]:
    """The account's Sent copies of `message`: for each, whether it is still unconfirmed."""
    with IMAPClient("127.0.0.1", port=dovecot.port, ssl=False) as client:
        client.login(account, PASSWORD)
        client.select_folder("Sent", readonly=True)
        uids = client.search(["HEADER", "Message-ID", _header(message)])
        return [UNCONFIRMED in flags for flags in client.get_flags(uids).values()]


def test_generic_imap_the_accepted_email_is_held_the_others_sent_again_once(  # type: ignore[no-untyped-def]
    member, connect, imap_user, dovecot, smtp_server, monkeypatch, workers, logged_in
):
    # Given a full-access IMAP mailbox and three emails due together; the server refuses
    # the first for now (its Sent copy is then discarded)
    mailbox = connect()
    provider = Provider(smtp_server, monkeypatch)
    refused, taken, untried = messages = emails_due(
        member, mailbox, ["Refused", "Taken", "Untried"]
    )
    provider.refuse_once[_header(refused)] = "451 4.3.0 Try again later"
    before = len(smtp_server.handler.messages)
    # When the worker is killed the moment the server has taken the second
    _kill_mid_send(workers, provider, messages, kill_at=taken)
    assert _sent_copies(dovecot, imap_user, refused) == []  # discarded after the refusal
    assert _sent_copies(dovecot, imap_user, taken) == [True]  # filed before SMTP, flagged
    assert _sent_copies(dovecot, imap_user, untried) == []  # never reached
    # And a worker is started again
    took = _restart_until(workers, messages, ["done", "unknown", "done"])
    # Then within seconds: the taken email is held, the other two went out; each email
    # reached the server exactly once
    assert took <= RECOVERY_SECONDS
    counts = accepted_counts(smtp_server, [_header(m) for m in messages], before)
    assert [counts[_header(m)] for m in messages] == [1, 1, 1]
    assert [_sent_copies(dovecot, imap_user, m) for m in messages] == [[False], [True], [False]]
    # And the held one says why, its author is told, and the thread offers Retry and
    # Mark as sent
    taken.refresh_from_db()
    assert taken.status_reason.startswith("Outcome unknown")
    told = Notification.objects.filter(kind=Notification.Kind.SEND_FAILED, member=member)
    assert told.count() == 1 and "interrupted" in told.get().text
    page = logged_in.get(reverse("inbox:thread", args=[taken.conversation_id])).content.decode()
    assert 'data-testid="retry"' in page and 'data-testid="mark-sent"' in page


@pytest.fixture
def gmail(settings, member, oauth_server: OAuthServer, dovecot: Dovecot, smtp_server) -> Mailbox:  # type: ignore[no-untyped-def]
    """A full-access Gmail mailbox: XOAUTH2 on the local SMTP server and Dovecot, whose
    account has a Sent folder; its token is good for an hour, so a worker never needs the
    provider's token endpoint."""
    address = dovecot.add_user()
    with IMAPClient("127.0.0.1", port=dovecot.port, ssl=False) as client:
        client.login(address, PASSWORD)
        client.create_folder("Sent")
    settings.PARLEY_EMAIL_OAUTH = {
        "gmail": {
            **settings.PARLEY_EMAIL_OAUTH["gmail"],
            "client_id": oauth_server.state.client_id,
            "client_secret": oauth_server.state.client_secret,
            "token_url": f"{oauth_server.base}/token",
            "imap_host": "127.0.0.1",
            "imap_port": dovecot.port,
            "imap_tls": "none",
            "smtp_host": "127.0.0.1",
            "smtp_port": smtp_server.port,
            "smtp_tls": "none",
        }
    }
    access = secrets.token_urlsafe(24)
    oauth_server.state.access[access] = address
    claims = f'{{"email": "{address}"}}'.encode()
    token = {
        "access_token": access,
        "refresh_token": secrets.token_urlsafe(24),
        "token_type": "Bearer",
        "expires_at": int(time.time()) + 3600,
        "id_token": "e30." + _b64(claims) + ".",
    }
    return mailbox_connect_oauth(member=member, provider="gmail", access="full", token=token)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def test_gmail_files_what_it_took_so_the_restarted_worker_records_it_as_sent(  # type: ignore[no-untyped-def]
    member, gmail, dovecot, smtp_server, monkeypatch, workers
):
    # Given a Gmail mailbox (Gmail files every email its SMTP takes in Sent) and two
    # emails due together
    assert gmail.is_oauth and gmail.reads_mail
    provider = Provider(smtp_server, monkeypatch)
    provider.sent_folder = (dovecot.port, gmail.address)
    taken, _untried = messages = emails_due(member, gmail, ["Taken", "Untried"])
    before = len(smtp_server.handler.messages)
    # When the worker is killed the moment the server has taken the first
    _kill_mid_send(workers, provider, messages, kill_at=taken)
    # Then a restarted worker finds it in Sent and records it as sent, and sends the other
    took = _restart_until(workers, messages, ["done", "done"])
    assert took <= RECOVERY_SECONDS
    taken.refresh_from_db()
    assert taken.status == Message.Status.SENT and taken.status_reason == ""
    # And each reached the server exactly once
    counts = accepted_counts(smtp_server, [_header(m) for m in messages], before)
    assert [counts[_header(m)] for m in messages] == [1, 1]


def test_send_only_the_email_is_held_as_outcome_unknown_and_never_sent_again(  # type: ignore[no-untyped-def]
    member, smtp_server, monkeypatch, workers
):
    # Given a send-only mailbox (Parley may not look at its Sent folder) and an email
    mailbox = send_only_mailbox(member, smtp_server)
    provider = Provider(smtp_server, monkeypatch)
    messages = emails_due(member, mailbox, ["Taken"])
    before = len(smtp_server.handler.messages)
    # When the worker is killed the moment the server has taken it
    _kill_mid_send(workers, provider, messages, kill_at=messages[0])
    # Then a restarted worker holds it within seconds, and never sends it again
    took = _restart_until(workers, messages, ["unknown"])
    assert took <= RECOVERY_SECONDS
    header = _header(messages[0])
    assert accepted_counts(smtp_server, [header], before)[header] == 1
    message = Message.objects.get(pk=messages[0].pk)
    assert message.status_reason.startswith("Outcome unknown")
    # And a person who checked decides: marked as sent, it is sent, still only once
    outbox_mark_sent(member=member, message=message)
    message.refresh_from_db()
    assert message.status == Message.Status.SENT
    assert _states(messages) == ["done"]
    assert accepted_counts(smtp_server, [header], before)[header] == 1


def test_a_mailbox_unreachable_while_settling_is_looked_at_again_not_left_sending(  # type: ignore[no-untyped-def]
    member, connect, dovecot, smtp_server
):
    # Given an email a dead worker left SENDING on a full-access IMAP mailbox (the row the
    # SIGKILL tests above leave), and another mailbox with an email due
    mailbox = connect()
    (stranded,) = emails_due(member, mailbox, ["Stranded"])
    (other,) = emails_due(member, send_only_mailbox(member, smtp_server), ["Other"])
    gone = subprocess.Popen(["true"])
    gone.wait()
    OutboxItem.objects.filter(message=stranded).update(
        state=OutboxItem.State.SENDING,
        attempts=1,
        leased_by=f"outbox:{HOST}:{gone.pid}:dead",
        lease_until=timezone.now() + timedelta(minutes=5),
    )
    before = len(smtp_server.handler.messages)
    me = f"outbox:{HOST}:{os.getpid()}:test"
    # When the worker's pass cannot reach the mailbox's IMAP server to look in Sent
    Mailbox.objects.filter(id=mailbox.id).update(imap_port=free_port())
    outbox_dispatch_due(worker_id=me)
    # Then the pass goes on with the rest, and the stranded email is still unsettled
    assert _states([stranded, other]) == ["sending", "done"]
    # When the server is back, and the same worker looks again a while later
    Mailbox.objects.filter(id=mailbox.id).update(imap_port=dovecot.port)
    with time_machine.travel(timezone.now() + timedelta(minutes=10), tick=True):
        outbox_dispatch_due(worker_id=me)
    # Then it finds no copy in Sent, so the email never went out: it is sent now, once
    assert _states([stranded]) == ["done"]
    header = _header(stranded)
    assert accepted_counts(smtp_server, [header], before)[header] == 1


# A dispatch worker whose lease is one second (instead of five minutes), so a slow send
# outlasts it: it runs the real dispatcher once told to go, until told to stop.
SHORT_LEASE_WORKER = textwrap.dedent(
    """
    import pathlib, time
    from datetime import timedelta
    from parley.core.workers import worker_id
    from parley.outbox import dispatch

    dispatch.LEASE = timedelta(seconds=1)
    me = worker_id("outbox")
    pathlib.Path("{ready}").touch()
    while not pathlib.Path("{go}").exists():
        time.sleep(0.01)
    while not pathlib.Path("{stop}").exists():
        dispatch.outbox_dispatch_due(worker_id=me)
        time.sleep(0.1)
    """
)


def test_a_send_that_outlasts_the_lease_never_doubles_the_rest_of_the_batch(  # type: ignore[no-untyped-def]
    member, connect, smtp_server, monkeypatch, tmp_path, workers
):
    # Given four emails due together on a full-access IMAP mailbox, and two workers whose
    # leases last a second
    mailbox = connect()
    messages = emails_due(member, mailbox, ["Slow", "Second", "Third", "Fourth"])
    flags = {n: tmp_path / n for n in ("ready-a", "ready-b", "go-a", "go-b", "stop")}
    first, second = (
        workers.start(
            script=SHORT_LEASE_WORKER.format(
                ready=flags[f"ready-{w}"], go=flags[f"go-{w}"], stop=flags["stop"]
            )
        )
        for w in "ab"
    )
    workers.wait_ready([flags["ready-a"], flags["ready-b"]])
    # And an SMTP server slow to answer the first email: it answers once the first worker's
    # lease has run out and the second worker has taken the batch over (the slow email held,
    # having its Sent copy still unconfirmed; the three others found never sent, claimed
    # again and on their way, waiting for this server)
    slow = _header(messages[0])

    def taken_over() -> bool:
        holders = OutboxItem.objects.filter(message__in=messages[1:]).values_list(
            "leased_by", flat=True
        )
        mine = f":{second.pid}:"
        return _states(messages)[0] == "unknown" and all(mine in h for h in holders)

    def answer_slowly() -> None:
        if _header_of(smtp_server.handler.messages[-1]) != slow:
            return
        flags["go-b"].touch()
        deadline = time.monotonic() + 30  # else the assertions below say what happened
        try:
            while not taken_over() and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            db.connection.close()  # this ran in the SMTP server's thread

    monkeypatch.setattr(smtp_server.handler, "on_accept", answer_slowly)
    before = len(smtp_server.handler.messages)
    # When the first worker sends the batch
    flags["go-a"].touch()
    try:
        wait_until(
            lambda: _states(messages)[1:] == ["done"] * 3,
            timeout=30,
            what=lambda: f"{_states(messages)}: {workers.log(first)} {workers.log(second)}",
        )
        time.sleep(1)  # both workers run on a while
    finally:
        flags["stop"].touch()
        for worker in (first, second):
            worker.wait(timeout=30)
    # Then every email reached the server exactly once: the first worker sent nothing it no
    # longer held, and the slow one is held for a person (the second worker saw its Sent
    # copy still unconfirmed)
    counts = accepted_counts(smtp_server, [_header(m) for m in messages], before)
    assert [counts[_header(m)] for m in messages] == [1, 1, 1, 1], workers.log(first)
    assert _states(messages) == ["unknown", "done", "done", "done"]
