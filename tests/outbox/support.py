"""Helpers shared by the outbox fault and property tests: send-only mailboxes on the test SMTP
server (no IMAP: the fastest way to the real SMTP path), creators to write to, what the SMTP
server has accepted, counted by Message-ID, and real worker processes to start and kill."""

import contextlib
import os
import secrets
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone

from parley.accounts.models import Member, Workspace
from parley.channels.email.models import Mailbox
from parley.channels.email.services import ServerSettings, mailbox_connect_imap
from parley.creators.models import Creator
from parley.inbox.models import Conversation, Message
from parley.inbox.services import conversation_get_or_create
from parley.outbox.email_send import email_message_send
from parley.outbox.models import OutboxItem
from tests.channels.email.servers import PASSWORD, SmtpServer
from tests.conftest import database_url
from tests.factories import CreatorFactory, IdentityFactory

HELSINKI = ZoneInfo("Europe/Helsinki")
# 09:00 on a Friday in Helsinki.
MORNING = datetime(2026, 11, 27, 9, 0, tzinfo=HELSINKI)


def helsinki_send_only(member: Member, connect: Callable[..., Mailbox], limit: int) -> Mailbox:
    """A send-only mailbox (made by the `connect` fixture) with `limit` a day, in a
    Helsinki workspace."""
    member.workspace.time_zone = "Europe/Helsinki"
    member.workspace.save(update_fields=["time_zone"])
    mailbox = connect(access=Mailbox.Access.SEND_ONLY)
    mailbox.daily_limit = limit
    mailbox.save(update_fields=["daily_limit"])
    return mailbox


def send_only_mailbox(
    member: Member, smtp: SmtpServer, *, limit: int = 300, address: str = ""
) -> Mailbox:
    """A send-only IMAP/SMTP mailbox on `smtp`, connected through the service (its SMTP login
    is tested), with the given daily limit."""
    address = address or f"brand-{secrets.token_hex(4)}@example.com"
    smtp.handler.users[address] = PASSWORD
    mailbox = mailbox_connect_imap(
        member=member,
        address=address,
        display_name="Brand",
        access=Mailbox.Access.SEND_ONLY,
        servers=ServerSettings(smtp_host="127.0.0.1", smtp_port=smtp.port, smtp_tls="none"),
        username=address,
        password=PASSWORD,
    )
    Mailbox.objects.filter(id=mailbox.id).update(daily_limit=limit)
    mailbox.daily_limit = limit
    return mailbox


def conversation_with(workspace: Workspace, name: str) -> Conversation:
    """A creator with an email address, and their conversation."""
    creator: Creator = CreatorFactory(workspace=workspace, name=name)  # type: ignore[assignment]
    IdentityFactory(creator=creator, value=f"{name.lower().replace(' ', '.')}@creators.test")
    return conversation_get_or_create(creator=creator)


def emails_due(member: Member, mailbox: Mailbox, names: Iterable[str]) -> list[Message]:
    """An email to a new creator of each name that become due together, so a worker's
    first pass takes them as one batch over one connection (queued for later, so no
    delivery task is enqueued, then due)."""
    later = timezone.now() + timedelta(hours=1)
    messages = [
        email_message_send(
            member=member,
            conversation=conversation_with(member.workspace, name),
            mailbox=mailbox,
            subject="Hello",
            body=f"Hi {name}!",
            send_at=later,
        )
        for name in names
    ]
    now = timezone.now()
    OutboxItem.objects.filter(message__in=messages).update(send_after=now, not_before=now)
    return messages


def accepted(smtp: SmtpServer, since: int = 0) -> list[str]:
    """Message-IDs (lower case, without <>) of what the SMTP server accepted, in order, from
    `since` (Parley's own Message-IDs are lower case: EmailRecord.header_id)."""
    return [str(m["Message-ID"]).strip().strip("<>").lower() for m in smtp.handler.messages[since:]]


def accepted_counts(smtp: SmtpServer, ids: Iterable[str], since: int = 0) -> Counter[str]:
    """How often the server accepted each of `ids` (0 for none)."""
    wanted = {i.lower() for i in ids}
    counts: Counter[str] = Counter({i: 0 for i in wanted})
    counts.update(i for i in accepted(smtp, since) if i in wanted)
    return counts


class Workers:
    """Real worker processes on the test database, each in its own process group, logging
    to a file; whatever is still running at the end is stopped."""

    def __init__(self, log_dir: Path) -> None:
        self.log_dir = log_dir
        self.started: list[subprocess.Popen[bytes]] = []

    def start(self, *args: str, script: str = "") -> subprocess.Popen[bytes]:
        """`parley worker` (the real one, periodic dispatch every 2 s), or with `script` a
        Python program run by `manage.py shell -c`."""
        command = ["worker", "--interval", "0.2"] if not script else ["shell", "-c", script]
        log = self.log_dir / f"worker-{len(self.started)}.log"
        with open(log, "wb") as fh:
            process = subprocess.Popen(
                [sys.executable, str(settings.BASE_DIR / "manage.py"), *command, *args],
                env={**os.environ, "DATABASE_URL": database_url()},
                stdout=fh,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        process.log_path = log  # type: ignore[attr-defined]
        self.started.append(process)
        return process

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        """SIGKILL, as the kernel's OOM killer or a power cut would; reaped at once."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop(self, process: subprocess.Popen[bytes]) -> None:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill(process)

    def log(self, process: subprocess.Popen[bytes]) -> str:
        return Path(process.log_path).read_text(errors="replace")[-4000:]  # type: ignore[attr-defined]

    def wait_ready(self, flags: list[Path], *, timeout: float = 60) -> None:
        """Wait until the started processes have touched their `flags`; fail at once, with
        its log, when one exits first (say, it cannot import the code)."""

        def ready() -> bool:
            for process in self.started:
                if process.poll() is not None:
                    raise AssertionError(f"a worker exited: {self.log(process)}")
            return all(flag.exists() for flag in flags)

        wait_until(ready, timeout=timeout, what=lambda: " ".join(map(self.log, self.started)))

    def close(self) -> None:
        for process in self.started:
            self.stop(process)


def wait_until(
    predicate: Callable[[], bool], *, timeout: float, what: str | Callable[[], str]
) -> float:
    """Poll `predicate` until true; the seconds it took. Fails on timeout, saying `what`
    (called then, when it is a function)."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            said = what() if callable(what) else what
            raise AssertionError(f"not within {timeout:.0f} s: {said}")
        time.sleep(0.05)
    return time.monotonic() - started
