"""Who holds a lease: worker ids that say where they live, so a dead holder is seen at once.

An id is `<kind>:<host>:<pid>:<nonce>`. A lease (an outbox item, a mailbox folder) expires
after its time; before that, a worker on the same host may take it over when the holder's
process is gone.
"""

import os
import secrets
import socket

HOST = socket.gethostname()[:30]


def worker_id(kind: str) -> str:
    """A new id for a worker of this process."""
    return f"{kind}:{HOST}:{os.getpid()}:{secrets.token_hex(4)}"


def holder_is_dead(holder: str) -> bool:
    """True when `holder` is a worker id of this host whose process is gone. (A holder with
    this very process id is taken as alive: a restarted container that got the same pid
    waits for the lease to run out.)"""
    parts = holder.split(":")
    if len(parts) != 4 or parts[1] != HOST or not parts[2].isdigit():
        return False
    pid = int(parts[2])
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, another user's
    try:  # a killed child its parent has not reaped yet is a zombie: dead too
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[-1].split()[0] == b"Z"
    except (OSError, IndexError):
        return False
