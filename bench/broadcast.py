# ruff: noqa: E402  (Django is set up before the parley imports)
"""A 10,000-recipient personalised mass email, timed: the request, the bulk write, delivery.

    .venv/bin/python bench/broadcast.py --rounds 3                  # SQLite and PostgreSQL
    .venv/bin/python bench/broadcast.py --database sqlite --rounds 1

Each engine gets a template database (migrated; two workspaces of --recipients creators,
each with an email address and a thread, as bench/generate.py makes them; a send-only
mailbox each, with the highest daily limit Parley allows, 10,000, so no limit is in the
way) and every round runs on a fresh copy of it, in its own process, against a local SMTP
sink (bench/smtp_sink.py) in another. A round sends one mass email from each workspace:

1. request: the page's two POSTs through Django's test client (middleware, session,
   forms): "mass message to all that match" in the inbox (broadcast_draft), then Send on
   the compose page (broadcast_update, broadcast_send: every recipient loaded, checked and
   rendered once, nothing written per recipient); after a warm-up request;
2. write: `broadcast_queue` for every recipient (a message, an email record with its own
   Message-ID and an outbox item each, every thread's inbox state updated, the queue
   planned under the limit), as the worker runs it; after the dispatch, SQLite's search
   index merged (`search_index_tidy`, which the worker's scheduler runs every 30 s and the
   write leaves to it), timed apart;
3. dispatch: N worker processes (1 for one workspace, 2 for the other, the order
   alternating by round) each calling `outbox_dispatch_due` until it delivers nothing;
   timed from "go" (Django already set up) to the last worker's end; emails/s. Checked:
   every item done, and the sink got every email.

Prints a table (median, min-max over rounds); --json FILE keeps every figure.
bench/compare_mail.py runs this beside django-post-office in one run.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from maildb import DEFAULT_POSTGRES, Databases, fmt, machine
from smtp_sink import Sink

SUBJECT = "{{ first_name }}, a new campaign for you"
BODY = """Hi {{ first_name }},

We loved your recent posts as {{ handle }} and would like you on board for our spring
launch. The brief: two short videos and three stories over April, with the products
shipped to you in {{ custom.city }} beforehand. The fee and usage terms are in the
attached brief; reply to this email with any questions.

Could you let us know by Friday whether you are in?

Best,
The Aurora team
(sent to {{ name }})"""
WORKSPACES = 2


# --- Child processes (Django set up on the round's database) ---------------------------------


def _django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["PARLEY_DEBUG"] = "0"  # DEBUG keeps every SQL statement in memory
    # Never the developer's var/ (files, keys): a folder of its own under /tmp.
    var = os.path.join(tempfile.gettempdir(), "parley-bench-mail-var")
    os.makedirs(var, exist_ok=True)
    os.environ["PARLEY_VAR_DIR"] = var
    os.environ["DJANGO_SETTINGS_MODULE"] = "parley.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def prepare(database_url: str, recipients: int) -> dict[str, Any]:
    """Migrate and fill the template database."""
    from django.core.management import call_command
    from django.db import connection, transaction

    from parley.accounts.models import Member, User, Workspace
    from parley.campaigns.models import Campaign
    from parley.channels.email.models import Mailbox
    from parley.channels.email.services import _mailbox_save
    from parley.creators.models import Tag
    from parley.ops.generate import generate

    call_command("migrate", interactive=False, verbosity=0)
    made = []
    for k in range(WORKSPACES):
        with transaction.atomic():
            workspace = Workspace.objects.create(name=f"Broadcast bench {k}")
            members = [
                Member.objects.create(
                    workspace=workspace,
                    user=User.objects.create_user(
                        email=f"bench{i}-ws{workspace.id}@bench.parley.test", password=None
                    ),
                    role=role,
                )
                for i, role in enumerate((Member.Role.OWNER, Member.Role.ADMIN, Member.Role.MEMBER))
            ]
            campaigns = [
                Campaign.objects.create(workspace=workspace, name=f"Campaign {i}") for i in range(3)
            ]
            tags = [Tag.objects.create(workspace=workspace, name=f"tag{i}") for i in range(5)]
        generate(
            workspace=workspace,
            members=members,
            campaigns=campaigns,
            tags=tags,
            creators=recipients,
            messages=2 * recipients,
            seed=11 + k,
        )
        address = f"brand{k}@brand.example"
        mailbox = _mailbox_save(
            member=members[0],
            mailbox=None,
            fields={
                "address": address,
                "display_name": "Aurora",
                "provider": Mailbox.Provider.IMAP,
                "access": Mailbox.Access.SEND_ONLY,
                "smtp_host": "127.0.0.1",
                "smtp_port": 25,  # the sink's port is set by each round
                "smtp_tls": Mailbox.Tls.NONE,
                "username": "",
                "secret": "",
            },
            baselines=[],
        )
        # No limit in the way: 10,000 a day, the most the mailbox settings allow.
        Mailbox.objects.filter(id=mailbox.id).update(daily_limit=10_000)
        made.append({"workspace": workspace.id, "mailbox": mailbox.id, "owner": members[0].id})
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    return {"workspaces": made}


def _sink_count(port: int) -> int:
    import smtplib

    smtp = smtplib.SMTP("127.0.0.1", port, timeout=10)
    try:
        return int(smtp.docmd("XCOUNT")[1].split()[0])
    finally:
        smtp.quit()


def _dispatch(database_url: str, workers: int, profile: str = "") -> tuple[float, int, float]:
    """Start `workers` worker processes, wait until each has Django set up, say go; the
    seconds from go to the last one's end, how many they delivered, their CPU seconds."""
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, "worker", "--database-url", database_url]
            + (["--profile", f"{profile}.dispatch.{workers}w.{i}.prof"] if profile else []),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in range(workers)
    ]
    for proc in procs:
        assert proc.stdout is not None
        if proc.stdout.readline().strip() != "ready":
            raise RuntimeError("a worker did not start")
    started = time.perf_counter()
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    sent, cpu = 0, 0.0
    for proc in procs:
        out, _err = proc.communicate(timeout=900)
        report = json.loads(out)
        sent += report["sent"]
        cpu += report["cpu_s"]
    return time.perf_counter() - started, sent, cpu


def worker(profile: str = "") -> None:
    """Deliver until a pass delivers nothing (the queue is empty or the rest is leased)."""
    from django.db import connection

    from parley.outbox.dispatch import outbox_dispatch_due

    connection.ensure_connection()
    print("ready", flush=True)
    sys.stdin.readline()
    cpu = time.process_time()
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    sent = 0
    while True:
        n = outbox_dispatch_due()
        sent += n
        if not n:
            break
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(profile)
    print(json.dumps({"sent": sent, "cpu_s": time.process_time() - cpu}), flush=True)


def run_round(
    database_url: str,
    smtp_port: int,
    workers: list[int],
    profile: str = "",
    dispatch: bool = True,
) -> dict[str, Any]:
    """One round: a mass email from each workspace, each dispatched by workers[k] workers."""
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from parley.broadcasts.models import Broadcast
    from parley.broadcasts.services import broadcast_queue
    from parley.channels.email.models import Mailbox
    from parley.creators.models import Creator
    from parley.inbox.search import search_index_tidy
    from parley.outbox.models import OutboxItem

    Mailbox.objects.update(smtp_port=smtp_port)
    results: dict[str, Any] = {"database": connection.vendor, "broadcasts": []}
    mailboxes = list(Mailbox.objects.select_related("connected_by__user").order_by("id"))
    for mailbox, count in zip(mailboxes[: len(workers)], workers, strict=True):
        member = mailbox.connected_by
        assert member is not None
        client = Client()
        client.force_login(member.user)
        # Warm-up: a draft to one creator, its page and a check (nothing is sent).
        one = Creator.objects.filter(workspace_id=mailbox.workspace_id).values("id")[0]["id"]
        bulk = reverse("inbox:bulk")
        warm = client.post(bulk, {"action": "broadcast", "creators": [one]}, HTTP_HX_REQUEST="true")
        form = {"channel": "email", "mailbox": mailbox.id, "subject": SUBJECT, "body": BODY}
        client.get(warm["HX-Redirect"])
        client.post(warm["HX-Redirect"], {**form, "action": "check"})

        t0 = time.perf_counter()
        drafted = client.post(
            bulk, {"action": "broadcast", "select_all": "1"}, HTTP_HX_REQUEST="true"
        )
        t1 = time.perf_counter()
        edit = drafted["HX-Redirect"]
        sent = client.post(edit, {**form, "action": "send"})
        t2 = time.perf_counter()
        if sent.status_code != 302:
            raise RuntimeError(f"send answered {sent.status_code}: {sent.content[:2000]!r}")
        broadcast = Broadcast.objects.get(id=int(edit.rstrip("/").split("/")[-2]))
        recipients = len(broadcast.recipient_ids)
        before = _sink_count(smtp_port)

        t3, cpu3 = time.perf_counter(), time.process_time()
        if profile:
            import cProfile

            cProfile.runctx(
                "broadcast_queue(broadcast_id=broadcast.id)",
                globals(),
                {"broadcast_queue": broadcast_queue, "broadcast": broadcast},
                filename=f"{profile}.queue.{mailbox.id}.prof",
            )
        else:
            broadcast_queue(broadcast_id=broadcast.id)
        t4, cpu4 = time.perf_counter(), time.process_time()
        items = OutboxItem.objects.filter(broadcast=broadcast)
        if items.count() != recipients:
            raise RuntimeError(f"recipients {recipients}, queued {items.count()}")
        figures = {
            "recipients": recipients,
            "draft_post_s": t1 - t0,
            "send_post_s": t2 - t1,
            "request_s": t2 - t0,
            "queue_s": t4 - t3,
            "queue_cpu_s": cpu4 - cpu3,
        }
        results["broadcasts"].append(figures)
        if dispatch:
            connection.close()  # the workers get the database to themselves
            figures.update(_dispatched(database_url, smtp_port, count, profile, items, before))
        # What the worker's scheduler does meanwhile (every 30 s): SQLite's search index
        # merged, which the write leaves to it.
        t5 = time.perf_counter()
        figures["tidy_steps"] = search_index_tidy()
        figures["tidy_s"] = time.perf_counter() - t5
    return results


def _dispatched(
    database_url: str, smtp_port: int, workers: int, profile: str, items: Any, before: int
) -> dict[str, Any]:
    """Dispatch a broadcast's outbox `items` with `workers` worker processes; checked as
    every item done and every email arrived at the sink (which had `before`)."""
    from parley.outbox.models import OutboxItem

    queued = items.count()
    seconds, delivered, cpu = _dispatch(database_url, workers, profile)
    done = items.filter(state=OutboxItem.State.DONE).count()
    arrived = _sink_count(smtp_port) - before
    if not (queued == delivered == done == arrived):
        raise RuntimeError(
            f"queued {queued}, delivered {delivered}, done {done}, arrived at the sink {arrived}"
        )
    return {
        "workers": workers,
        "dispatch_s": seconds,
        "emails_per_s": delivered / seconds,
        # The workers' own CPU time per email (the database server's not included).
        "dispatch_cpu_ms": cpu / delivered * 1000,
    }


# --- The driver -----------------------------------------------------------------------------


def child(args: list[str]) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, __file__, *args], check=True, stdout=subprocess.PIPE, text=True
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


class ParleySide:
    """Parley's template and rounds on one engine (used by compare_mail.py too)."""

    name = "Parley"

    def __init__(self, kind: str, recipients: int, postgres: str = DEFAULT_POSTGRES):
        self.dbs = Databases(kind, "parley_bench_mail", postgres)
        self.recipients = recipients
        started = time.perf_counter()
        template = self.dbs.template()
        child(["prepare", "--database-url", template.url, "--recipients", str(recipients)])
        print(f"  Parley template on {kind} in {time.perf_counter() - started:.0f}s", flush=True)

    def round(self, smtp_port: int, number: int, profile: str = "") -> dict[str, Any]:
        db = self.dbs.fresh()
        workers = "1,2" if number % 2 else "2,1"
        args = ["round", "--database-url", db.url, "--smtp-port", str(smtp_port)]
        args += ["--workers", workers]
        if profile:
            args += ["--profile", profile]
        return child(args)

    def close(self) -> None:
        self.dbs.close()


def parley_rows(rounds: list[dict[str, Any]]) -> dict[str, list[float]]:
    """Figures over rounds: every broadcast's request and write times, and emails/s by the
    number of workers."""
    rows: dict[str, list[float]] = {}
    for result in rounds:
        for b in result["broadcasts"]:
            for key in (
                "draft_post_s",
                "send_post_s",
                "request_s",
                "queue_s",
                "queue_cpu_s",
                "tidy_s",
            ):
                rows.setdefault(key, []).append(b[key])
            if "workers" in b:
                w = b["workers"]
                rows.setdefault(f"emails_per_s_{w}w", []).append(b["emails_per_s"])
                rows.setdefault(f"dispatch_cpu_ms_{w}w", []).append(b["dispatch_cpu_ms"])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="mode")
    p = sub.add_parser("prepare")
    p.add_argument("--database-url", required=True)
    p.add_argument("--recipients", type=int, required=True)
    r = sub.add_parser("round")
    r.add_argument("--database-url", required=True)
    r.add_argument("--smtp-port", type=int, required=True)
    r.add_argument("--workers", default="1,2")
    r.add_argument("--profile", default="", help="cProfile the queue and workers: PREFIX.*.prof")
    r.add_argument("--no-dispatch", action="store_true", help="the request and the write only")
    w = sub.add_parser("worker")
    w.add_argument("--database-url", required=True)
    w.add_argument("--profile", default="")
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="server for the databases")
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--json", default="", help="write every figure to this file")
    args = parser.parse_args()

    if args.mode == "prepare":
        _django(args.database_url)
        print(json.dumps(prepare(args.database_url, args.recipients)))
        return
    if args.mode == "round":
        _django(args.database_url)
        workers = [int(x) for x in args.workers.split(",")]
        result = run_round(
            args.database_url, args.smtp_port, workers, args.profile, not args.no_dispatch
        )
        print(json.dumps(result))
        return
    if args.mode == "worker":
        _django(args.database_url)
        worker(args.profile)
        return

    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    print(f"{machine()}; {args.recipients:,} recipients, {args.rounds} rounds", flush=True)
    everything: dict[str, Any] = {}
    with Sink() as sink:
        for kind in kinds:
            side = ParleySide(kind, args.recipients, args.postgres)
            try:
                rounds = []
                for n in range(1, args.rounds + 1):
                    rounds.append(side.round(sink.port, n))
                    print(f"  round {n}: {json.dumps(rounds[-1]['broadcasts'])}", flush=True)
            finally:
                side.close()
            everything[kind] = rounds
            rows = parley_rows(rounds)
            print(f"\n{kind}: median (min-max) over {args.rounds} rounds")
            for key, values in rows.items():
                print(f"  {key:<18} {fmt(values, 0 if 'per_s' in key else 3)}")
    if args.json:
        Path(args.json).write_text(json.dumps(everything, indent=2))


if __name__ == "__main__":
    main()
