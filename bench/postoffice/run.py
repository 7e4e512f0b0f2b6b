# ruff: noqa: E402  (a standalone script: Django is set up before its imports)
"""django-post-office 3.12 on the same job as bench/broadcast.py: 10,000 personalised
emails queued with `send_many`, then delivered with `send_queued_mail_until_done` to the
same local SMTP sink, on SQLite and PostgreSQL with the same database settings.

    .venv/bin/python bench/postoffice/run.py --rounds 3

django-post-office is not a Parley dependency: the script makes a scratch venv outside the
repo (--venv, default /tmp/parley-postoffice-venv) with django-post-office 3.12.0 and the
Django and psycopg versions of the running Python, and runs its rounds there. Each round
runs on a fresh copy of a migrated template database (bench/maildb.py) and queues twice:
once delivered by one process (post-office's default: 5 threads, batches of 100), once
with `processes=2` (post-office forks a pool of two for every batch), the order
alternating by round. Every email is checked as sent and as arrived at the sink.

The templates and recipient fields are Parley's benchmark's (Django's template syntax
reads them the same); the recipients are handed to `send_many` in memory (Parley loads
them from its database), and each email is rendered when queued, post-office's default.
"""

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from maildb import DEFAULT_POSTGRES, Databases, fmt, machine

VERSION = "3.12.0"
DEFAULT_VENV = os.path.join(tempfile.gettempdir(), "parley-postoffice-venv")
FIRST = ["Aino", "Eetu", "Lena", "Max", "Sofia", "Jonas", "Mia", "Noah", "Emma", "Leo"]
LAST = ["Virtanen", "Schmidt", "Korhonen", "Berg", "Nieminen", "Weber", "Laine", "Fischer"]
CITIES = ["Helsinki", "Berlin", "Oulu"]


# --- Child processes (in the scratch venv) ---------------------------------------------------


def _django(database_url: str, smtp_port: int = 25) -> None:
    os.environ["PO_DATABASE_URL"] = database_url
    os.environ["PO_SMTP_PORT"] = str(smtp_port)
    os.environ["DJANGO_SETTINGS_MODULE"] = "po_settings"
    sys.path.insert(0, str(HERE))
    import django

    django.setup()


def prepare() -> dict[str, Any]:
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", interactive=False, verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    return {"migrated": True}


def _kwargs(recipients: int, seed: int) -> list[dict[str, Any]]:
    """send_many's arguments for each recipient: the subject and body templates of
    bench/broadcast.py with the same fields."""
    from broadcast import BODY, SUBJECT

    rng = random.Random(seed)
    out = []
    for n in range(recipients):
        first = rng.choice(FIRST)
        name = f"{first} {rng.choice(LAST)}"
        handle = f"{first.lower()}.{n}"
        out.append(
            {
                "sender": "Aurora <brand0@brand.example>",
                "recipients": [f'"{name}" <{handle}@creators.example>'],
                "subject": SUBJECT,
                "message": BODY,
                "context": {
                    "first_name": first,
                    "name": name,
                    "handle": f"@{handle}",
                    "custom": {"city": rng.choice(CITIES)},
                },
            }
        )
    return out


def _sink_count(port: int) -> int:
    import smtplib

    smtp = smtplib.SMTP("127.0.0.1", port, timeout=10)
    try:
        return int(smtp.docmd("XCOUNT")[1].split()[0])
    finally:
        smtp.quit()


def _cpu() -> float:
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def run_round(recipients: int, smtp_port: int, processes: list[int]) -> dict[str, Any]:
    import logging

    from django.core.mail.utils import DNS_NAME
    from django.db import connection
    from post_office import mail
    from post_office.models import STATUS, Email

    logging.getLogger("post_office").setLevel(logging.WARNING)
    str(DNS_NAME)  # the host name lookup Django caches, once per process
    lockfile = os.path.join(tempfile.mkdtemp(prefix="po-lock-"), "post_office")
    results: dict[str, Any] = {"database": connection.vendor, "batches": []}
    for k, count in enumerate(processes):
        kwargs = _kwargs(recipients, seed=11 + k)
        before = _sink_count(smtp_port)
        first_id = (Email.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
        t0 = time.perf_counter()
        mail.send_many(kwargs)
        t1, cpu1 = time.perf_counter(), _cpu()
        mail.send_queued_mail_until_done(lockfile=lockfile, processes=count)
        t2, cpu2 = time.perf_counter(), _cpu()
        ours = Email.objects.filter(id__gte=first_id)
        sent = ours.filter(status=STATUS.sent).count()
        arrived = _sink_count(smtp_port) - before
        if not (recipients == ours.count() == sent == arrived):
            raise RuntimeError(
                f"recipients {recipients}, queued {ours.count()}, sent {sent}, "
                f"arrived at the sink {arrived}"
            )
        results["batches"].append(
            {
                "recipients": recipients,
                "send_many_s": t1 - t0,
                "processes": count,
                "dispatch_s": t2 - t1,
                "emails_per_s": recipients / (t2 - t1),
                # This process's CPU time and its forked workers' per email.
                "dispatch_cpu_ms": (cpu2 - cpu1) / recipients * 1000,
            }
        )
    return results


# --- The driver (any Python with psycopg: Parley's venv) -------------------------------------


def ensure_venv(venv: str) -> str:
    """The scratch venv's python, made and filled when missing."""
    import django
    import psycopg

    python = os.path.join(venv, "bin", "python")
    check = (
        "from importlib.metadata import version as v; "
        "print(v('django-post-office'), v('django'), v('psycopg'))"
    )
    wanted = [VERSION, django.get_version(), psycopg.__version__]
    try:
        have = subprocess.run(
            [python, "-c", check], capture_output=True, text=True, check=True
        ).stdout.split()
    except (OSError, subprocess.CalledProcessError):
        have = []
    if have == wanted:
        return python
    print(f"making {venv} (django-post-office {VERSION}, Django {django.get_version()})")
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    subprocess.run(
        [
            python,
            "-m",
            "pip",
            "install",
            "-q",
            f"django-post-office=={VERSION}",
            f"django=={django.get_version()}",
            f"psycopg[binary]=={psycopg.__version__}",
        ],
        check=True,
    )
    return python


class PostOfficeSide:
    """post-office's template and rounds on one engine (used by compare_mail.py too)."""

    name = "post-office"

    def __init__(
        self,
        kind: str,
        recipients: int,
        postgres: str = DEFAULT_POSTGRES,
        venv: str = DEFAULT_VENV,
    ):
        self.python = ensure_venv(venv)
        self.dbs = Databases(kind, "parley_bench_postoffice", postgres)
        self.recipients = recipients
        template = self.dbs.template()
        self._child(["prepare", "--database-url", template.url])

    def _child(self, args: list[str]) -> dict[str, Any]:
        out = subprocess.run(
            [self.python, __file__, *args], check=True, stdout=subprocess.PIPE, text=True
        ).stdout
        return json.loads(out.strip().splitlines()[-1])

    def round(self, smtp_port: int, number: int) -> dict[str, Any]:
        db = self.dbs.fresh()
        processes = "1,2" if number % 2 else "2,1"
        return self._child(
            [
                "round",
                "--database-url",
                db.url,
                "--smtp-port",
                str(smtp_port),
                "--recipients",
                str(self.recipients),
                "--processes",
                processes,
            ]
        )

    def close(self) -> None:
        self.dbs.close()


def postoffice_rows(rounds: list[dict[str, Any]]) -> dict[str, list[float]]:
    rows: dict[str, list[float]] = {}
    for result in rounds:
        for b in result["batches"]:
            rows.setdefault("send_many_s", []).append(b["send_many_s"])
            rows.setdefault(f"emails_per_s_{b['processes']}p", []).append(b["emails_per_s"])
            rows.setdefault(f"dispatch_cpu_ms_{b['processes']}p", []).append(b["dispatch_cpu_ms"])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="mode")
    p = sub.add_parser("prepare")
    p.add_argument("--database-url", required=True)
    r = sub.add_parser("round")
    r.add_argument("--database-url", required=True)
    r.add_argument("--smtp-port", type=int, required=True)
    r.add_argument("--recipients", type=int, required=True)
    r.add_argument("--processes", default="1,2")
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--recipients", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--venv", default=DEFAULT_VENV)
    args = parser.parse_args()

    if args.mode == "prepare":
        _django(args.database_url)
        print(json.dumps(prepare()))
        return
    if args.mode == "round":
        _django(args.database_url, args.smtp_port)
        processes = [int(x) for x in args.processes.split(",")]
        print(json.dumps(run_round(args.recipients, args.smtp_port, processes)))
        return

    from smtp_sink import Sink

    kinds = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    print(f"{machine()}; {args.recipients:,} recipients, {args.rounds} rounds", flush=True)
    with Sink() as sink:
        for kind in kinds:
            side = PostOfficeSide(kind, args.recipients, args.postgres, args.venv)
            try:
                rounds = []
                for n in range(1, args.rounds + 1):
                    rounds.append(side.round(sink.port, n))
                    print(f"  round {n}: {json.dumps(rounds[-1]['batches'])}", flush=True)
            finally:
                side.close()
            print(f"\n{kind}: median (min-max) over {args.rounds} rounds")
            for key, values in postoffice_rows(rounds).items():
                print(f"  {key:<18} {fmt(values, 0 if 'per_s' in key else 3)}")


if __name__ == "__main__":
    main()
