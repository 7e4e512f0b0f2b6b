"""A watcher thread per full-access mailbox, started by the worker's scheduler.

Each watcher keeps one IMAP connection: it syncs, then waits in IDLE on INBOX when the
server has it (woken by new mail, re-issued every PARLEY_EMAIL_IDLE_SECONDS), or sleeps
PARLEY_EMAIL_POLL_SECONDS (at most 60) when it does not; the Sent folder is looked at at
least every poll interval. Watchers are independent threads, so one slow or broken mailbox
holds up no other; folder leases keep two worker processes from syncing one folder.
"""

import logging
import threading
import time

from django.conf import settings
from django.db import close_old_connections

from parley.channels.email.models import Mailbox
from parley.channels.email.selectors import mailboxes_to_watch
from parley.channels.email.sync import WORKER_ID, mailbox_connect, mailbox_sync
from parley.channels.email.transport import AuthFailed, imap_close

logger = logging.getLogger(__name__)

_watchers: dict[int, "MailboxWatcher"] = {}
_lock = threading.Lock()


class MailboxWatcher(threading.Thread):
    def __init__(self, mailbox_id: int, *, worker_id: str = WORKER_ID):
        super().__init__(name=f"parley-mailbox-{mailbox_id}", daemon=True)
        self.mailbox_id = mailbox_id
        self.worker_id = worker_id
        self.stop = threading.Event()
        self.passes = 0

    def run(self) -> None:
        backoff = 5.0
        while not self.stop.is_set():
            try:
                self._session()
                backoff = 5.0
            except AuthFailed:
                return  # flagged for re-authorisation; the supervisor restarts us after reconnect
            except Exception as exc:
                logger.warning("mailbox %s watcher: %s", self.mailbox_id, exc.__class__.__name__)
                self.stop.wait(backoff)
                backoff = min(backoff * 2, 60.0)
            finally:
                close_old_connections()

    def _active(self) -> bool:
        return Mailbox.objects.filter(
            id=self.mailbox_id, is_active=True, needs_reauth=False, access=Mailbox.Access.FULL
        ).exists()

    def _session(self) -> None:
        if not self._active():
            self.stop.set()
            return
        mailbox = Mailbox.objects.get(id=self.mailbox_id)
        client = mailbox_connect(mailbox)
        try:
            idle = b"IDLE" in client.capabilities()
            poll = min(60, int(settings.PARLEY_EMAIL_POLL_SECONDS))
            while not self.stop.is_set():
                mailbox_sync(mailbox_id=self.mailbox_id, worker_id=self.worker_id, client=client)
                self.passes += 1
                close_old_connections()
                if not self._active():
                    self.stop.set()
                    return
                if idle:
                    self._idle(client, min(poll, int(settings.PARLEY_EMAIL_IDLE_SECONDS)))
                else:
                    self.stop.wait(poll)
        finally:
            imap_close(client)

    def _idle(self, client: object, seconds: float) -> None:
        client.select_folder("INBOX", readonly=True)  # type: ignore[attr-defined]
        client.idle()  # type: ignore[attr-defined]
        try:
            deadline = time.monotonic() + seconds
            while not self.stop.is_set() and time.monotonic() < deadline:
                # Short checks so stop() is honoured quickly; any untagged response wakes us.
                if client.idle_check(timeout=1):  # type: ignore[attr-defined]
                    break
        finally:
            client.idle_done()  # type: ignore[attr-defined]


def watchers_ensure() -> int:
    """Periodic job: a live watcher for every mailbox to watch, none for the others."""
    wanted = set(mailboxes_to_watch().values_list("id", flat=True))
    with _lock:
        for mailbox_id, watcher in list(_watchers.items()):
            if mailbox_id not in wanted or not watcher.is_alive():
                watcher.stop.set()
                del _watchers[mailbox_id]
        for mailbox_id in wanted - set(_watchers):
            watcher = MailboxWatcher(mailbox_id)
            _watchers[mailbox_id] = watcher
            watcher.start()
        return len(_watchers)


def watchers_stop(*, wait: float = 0.0) -> None:
    """Ask every watcher to stop; wait up to `wait` seconds for each to finish."""
    with _lock:
        watchers = list(_watchers.values())
        for watcher in watchers:
            watcher.stop.set()
        _watchers.clear()
    for watcher in watchers:
        watcher.join(wait)
