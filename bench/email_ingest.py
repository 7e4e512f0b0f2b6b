"""Reply ingest from a real, local Dovecot: throughput per worker and IDLE latency.

    .venv/bin/python bench/email_ingest.py --replies 2000 --unrelated 500 --latency-samples 40

Starts Dovecot in a temporary folder (as the tests do), migrates a fresh SQLite database in
a temporary PARLEY_VAR_DIR (never your var/), queues one Parley email per creator, APPENDs
the creators' replies plus unrelated mail to INBOX, then times:

- ingest: one `mailbox_sync` pass (headers of every new mail, decide, download and parse the
  replies, match the thread, store): replies stored per second, and mails looked at per second;
- latency: a MailboxWatcher in IDLE; each reply APPENDed one at a time, time until the
  message is visible in the thread (a database read, as the thread's live refresh does).

`--export DIR` also writes the exact messages as .eml files (replies and unrelated), so
another tool (django-helpdesk) can be timed on the same messages.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--creators", type=int, default=200)
    parser.add_argument("--replies", type=int, default=2000)
    parser.add_argument("--unrelated", type=int, default=500)
    parser.add_argument("--latency-samples", type=int, default=40)
    parser.add_argument("--export", type=str, default="")
    args = parser.parse_args()

    var = tempfile.mkdtemp(prefix="parley-bench-email-")
    os.environ["PARLEY_VAR_DIR"] = var
    os.environ.pop("DATABASE_URL", None)
    os.environ["PARLEY_DEBUG"] = "0"  # DEBUG keeps every SQL statement in memory
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "parley.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone
    from imapclient import IMAPClient

    from parley.accounts.models import Member, User, Workspace
    from parley.channels.email.models import Mailbox, MailboxFolder
    from parley.channels.email.services import FolderBaseline, _mailbox_save
    from parley.channels.email.sync import mailbox_sync
    from parley.channels.email.watch import MailboxWatcher
    from parley.core.crypto import secret_encrypt
    from parley.creators.models import Creator, Identity
    from parley.inbox.models import Message
    from parley.inbox.services import conversation_get_or_create
    from parley.outbox.email_send import email_message_send
    from tests.channels.email.servers import PASSWORD, Dovecot, OAuthServer

    call_command("migrate", verbosity=0)
    oauth = OAuthServer()
    dovecot = Dovecot(oauth_url=oauth.base)
    try:
        address = dovecot.add_user()
        imap = IMAPClient("127.0.0.1", port=dovecot.port, ssl=False)
        imap.login(address, PASSWORD)
        imap.create_folder("Sent")

        user = User.objects.create_user(email="bench@parley.test", password="x")
        workspace = Workspace.objects.create(name="Bench")
        member = Member.objects.create(workspace=workspace, user=user, role="owner")
        status = imap.folder_status("INBOX", [b"UIDVALIDITY", b"UIDNEXT"])
        mailbox = _mailbox_save(
            member=member,
            mailbox=None,
            fields={
                "address": address,
                "access": "full",
                "smtp_host": "127.0.0.1",
                "imap_host": "127.0.0.1",
                "imap_port": dovecot.port,
                "imap_tls": "none",
                "username": address,
                "secret": secret_encrypt(PASSWORD),
            },
            baselines=[
                FolderBaseline(
                    "inbox", "INBOX", int(status[b"UIDVALIDITY"]), int(status[b"UIDNEXT"]) - 1
                )
            ],
        )
        sent = []
        for i in range(args.creators):
            creator = Creator.objects.create(workspace=workspace, name=f"Creator {i}")
            Identity.objects.create(
                workspace=workspace,
                creator=creator,
                kind="email",
                value=f"c{i}@creators.test",
                normalized=f"c{i}@creators.test",
            )
            conversation = conversation_get_or_create(creator=creator)
            sent.append(
                email_message_send(
                    member=member,
                    conversation=conversation,
                    mailbox=mailbox,
                    subject="Summer campaign",
                    body="Would you like to join?",
                )
            )

        def reply(i: int) -> bytes:
            parent = sent[i % len(sent)]
            msg = EmailMessage()
            msg["From"] = f"Creator <c{i % len(sent)}@creators.test>"
            msg["To"] = address
            msg["Subject"] = "Re: Summer campaign"
            msg["Date"] = format_datetime(timezone.now())
            msg["Message-ID"] = make_msgid(domain="creators.test")
            msg["In-Reply-To"] = f"<{parent.provider_message_id}>"
            msg["References"] = f"<{parent.provider_message_id}>"
            msg.set_content(
                f"Reply {i}: yes, count me in.\n\nOn Mon, Brand wrote:\n> Would you like to join?\n"
            )
            msg.add_alternative(
                f"<p>Reply {i}: <b>yes</b></p><blockquote>Would you like to join?</blockquote>",
                subtype="html",
            )
            return bytes(msg)

        def unrelated(i: int) -> bytes:
            msg = EmailMessage()
            msg["From"] = f"newsletter{i}@shop.test"
            msg["To"] = address
            msg["Subject"] = "Re: Summer campaign"  # same subject, not a reply to Parley
            msg["Date"] = format_datetime(timezone.now())
            msg["Message-ID"] = make_msgid(domain="shop.test")
            msg.set_content("Our summer sale " * 50)
            return bytes(msg)

        mails = [reply(i) for i in range(args.replies)] + [
            unrelated(i) for i in range(args.unrelated)
        ]
        if args.export:
            out = Path(args.export)
            out.mkdir(parents=True, exist_ok=True)
            for n, raw in enumerate(mails):
                (out / f"{n:06d}.eml").write_bytes(raw)
        t0 = time.perf_counter()
        for raw in mails:
            imap.append("INBOX", raw)
        append_s = time.perf_counter() - t0

        t0 = time.perf_counter()
        if os.environ.get("BENCH_PROFILE"):
            import cProfile
            import pstats

            prof = cProfile.Profile()
            report = prof.runcall(mailbox_sync, mailbox_id=mailbox.pk, worker_id="bench")
            pstats.Stats(prof).sort_stats(
                os.environ.get("BENCH_PROFILE", "cumulative")
            ).print_stats(30)
        else:
            report = mailbox_sync(mailbox_id=mailbox.pk, worker_id="bench")
        ingest_s = time.perf_counter() - t0
        assert report.stored == args.replies, report
        assert Message.objects.filter(direction="in").count() == args.replies

        # Latency with IDLE.
        watcher = MailboxWatcher(mailbox.pk, worker_id="bench-watch")
        watcher.start()
        while watcher.passes < 1:
            time.sleep(0.01)
        latencies = []
        for n in range(args.latency_samples):
            time.sleep(0.2)
            before = Message.objects.filter(direction="in").count()
            t0 = time.perf_counter()
            imap.append("INBOX", reply(args.replies + n))
            while Message.objects.filter(direction="in").count() == before:
                time.sleep(0.005)
            latencies.append(time.perf_counter() - t0)
        watcher.stop.set()
        watcher.join(5)
        imap.logout()
        latencies.sort()
        p95 = latencies[max(0, round(0.95 * len(latencies)) - 1)]
        result = {
            "replies": args.replies,
            "unrelated": args.unrelated,
            "append_seconds": round(append_s, 2),
            "ingest_seconds": round(ingest_s, 3),
            "replies_stored_per_second": round(args.replies / ingest_s, 1),
            "mails_looked_at_per_second": round(report.looked_at / ingest_s, 1),
            "idle_latency_p50_ms": round(statistics.median(latencies) * 1000, 1),
            "idle_latency_p95_ms": round(p95 * 1000, 1),
            "idle_latency_max_ms": round(latencies[-1] * 1000, 1),
            "database": "sqlite (WAL)",
        }
        print(json.dumps(result, indent=2))
        _ = MailboxFolder, Mailbox
    finally:
        dovecot.stop()
        oauth.stop()


if __name__ == "__main__":
    main()
