"""Time "Create PDF Report" for a creator with 2,000 messages (target: 1 s).

    PARLEY_VAR_DIR=/tmp/parley-bench-report .venv/bin/python bench/report_pdf.py
    .venv/bin/python bench/report_pdf.py --runs 30 \
        --database-url postgres://postgres@127.0.0.1:5432/parley_bench_report

Migrates the database and builds, on a new workspace, one creator with German and Finnish
letters in the name, an email and two social profiles, TikTok audience figures on file, 6
campaigns (files exchanged in some) and a conversation of `--messages` messages (both
directions, replies minutes to days apart). Then it times `creator_report_pdf` in-process:
the reads (a handful of aggregate queries) and the drawing, perf_counter around each call,
warm-ups excluded; it prints p50/p95/max, the split between reads and drawing, the query
count and the PDF's size. It refuses to run on the developer's var/ database: set
PARLEY_VAR_DIR (SQLite) or pass --database-url / DATABASE_URL.
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 1.0


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20, help="timed runs")
    parser.add_argument("--warmup", type=int, default=3, help="untimed runs before them")
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--database-url", help="overrides DATABASE_URL for this run")
    return parser.parse_args()


def setup(args: argparse.Namespace) -> None:
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    if not os.environ.get("DATABASE_URL") and not os.environ.get("PARLEY_VAR_DIR"):
        sys.exit(
            "Set PARLEY_VAR_DIR (SQLite) or pass --database-url / DATABASE_URL: "
            "this benchmark does not write to the default var/ database."
        )
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "parley.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def build(messages: int):  # type: ignore[no-untyped-def]
    from django.core.files.base import ContentFile

    from parley.accounts.models import Client, Workspace
    from parley.campaigns.models import Campaign, CampaignMember
    from parley.creators.models import AudienceReport, Identity
    from parley.creators.services import creator_create
    from parley.inbox.models import Attachment, Message
    from parley.inbox.search import search_index_messages
    from parley.inbox.services import conversation_get_or_create

    rng = random.Random(13)
    workspace = Workspace.objects.create(name="Bench Sauna Oy", time_zone="Europe/Helsinki")
    stamp = int(time.time())
    creator = creator_create(
        workspace=workspace,
        name="Åsa Jääskeläinen-Weiß Müller",
        identities=[
            ("email", f"asa.{stamp}@example.fi"),
            ("tiktok", f"asa.dances.{stamp}"),
            ("instagram", f"asa.{stamp}"),
        ],
        custom_fields={"Größe": "M", "kaupunki": "Jyväskylä"},
    )
    Identity.objects.filter(creator=creator, kind="tiktok").update(followers=254_300)
    AudienceReport.objects.create(
        workspace=workspace,
        creator=creator,
        handle=f"asa.dances.{stamp}",
        provider="influencers_club",
        status=AudienceReport.Status.READY,
        genders=[{"code": "FEMALE", "share": 0.62}, {"code": "MALE", "share": 0.38}],
        ages=[
            {"code": c, "share": s}
            for c, s in [("13-17", 0.12), ("18-24", 0.49), ("25-34", 0.26), ("35-44", 0.1)]
        ],
        countries=[
            {"code": c, "name": n, "share": s}
            for c, n, s in [
                ("FI", "Finland", 0.31),
                ("DE", "Germany", 0.22),
                ("SE", "Sweden", 0.12),
                ("EE", "Estonia", 0.08),
                ("NO", "Norway", 0.06),
                ("AT", "Austria", 0.05),
            ]
        ],
        followers=254_300,
        fetched_at=datetime.now(UTC),
    )
    client = Client.objects.create(workspace=workspace, name="Löyly Ab")
    campaigns = []
    for i, name in enumerate(["Kevät", "Sommer", "Syksy", "Winter", "Joulu", "Ostern"]):
        campaign = Campaign.objects.create(
            workspace=workspace, name=f"{name} {2025 + i % 2}", client=client if i % 2 else None
        )
        CampaignMember.objects.create(
            workspace=workspace, campaign=campaign, creator=creator, status="active"
        )
        campaigns.append(campaign)
    start = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
    conversation = conversation_get_or_create(creator=creator, at=start)
    rows, at = [], start
    for i in range(messages):
        at += timedelta(minutes=rng.randint(3, 2 * 24 * 60))
        outbound = rng.random() < 0.45
        rows.append(
            Message(
                workspace=workspace,
                conversation=conversation,
                channel="email",
                direction="out" if outbound else "in",
                status="sent" if outbound else "received",
                campaign=rng.choice(campaigns) if rng.random() < 0.6 else None,
                body_text=f"Viesti {i}: hei, wie geht's?",
                created_at=at,
            )
        )
    created = Message.objects.bulk_create(rows, batch_size=1000)
    search_index_messages(ids=[m.id for m in created])
    for message in Message.objects.filter(conversation=conversation, campaign__isnull=False)[:40]:
        Attachment.objects.create(
            message=message,
            file=ContentFile(b"%PDF-1.4\n", name="brief.pdf"),
            filename="brief.pdf",
            content_type="application/pdf",
            size=9,
        )
    return workspace, creator


def main() -> None:
    args = parse_args()
    setup(args)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from parley.campaigns.report import _Writer, creator_report_data, creator_report_pdf

    t = time.perf_counter()
    workspace, creator = build(args.messages)
    print(f"built 1 creator with {args.messages} messages in {time.perf_counter() - t:.1f} s")
    import fpdf  # noqa: F401  (the first import costs about a second; a server pays it once)

    for _ in range(args.warmup):
        creator_report_pdf(workspace=workspace, creator=creator)
    totals, reads, draws = [], [], []
    size = 0
    for _ in range(args.runs):
        t0 = time.perf_counter()
        data = creator_report_data(workspace=workspace, creator=creator)
        t1 = time.perf_counter()
        pdf = _Writer(data).render()
        t2 = time.perf_counter()
        reads.append(t1 - t0)
        draws.append(t2 - t1)
        totals.append(t2 - t0)
        size = len(pdf)
    with CaptureQueriesContext(connection) as queries:
        creator_report_pdf(workspace=workspace, creator=creator)

    def ms(values: list[float], q: float) -> float:
        ordered = sorted(values)
        return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    p95 = ms(totals, 0.95)
    print(
        f"{connection.vendor}, {args.runs} runs: report p50 {ms(totals, 0.5):.0f} ms, "
        f"p95 {p95:.0f} ms, max {1000 * max(totals):.0f} ms "
        f"(reads p50 {1000 * statistics.median(reads):.0f} ms, "
        f"drawing p50 {1000 * statistics.median(draws):.0f} ms); "
        f"{len(queries.captured_queries)} queries; {size / 1024:.0f} KiB"
    )
    print("OK" if p95 <= TARGET_S * 1000 else f"SLOWER than the {TARGET_S:.0f} s target")
    sys.exit(0 if p95 <= TARGET_S * 1000 else 1)


if __name__ == "__main__":
    main()
