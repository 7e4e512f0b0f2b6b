"""Build a benchmark workspace: N creators and M messages on a fresh workspace.

    .venv/bin/python bench/generate.py --creators 10000 --messages 200000 \
        --database-url postgres://postgres@127.0.0.1:5432/parley_bench

Migrates the database, creates a new workspace (3 members, 4 clients, 20 campaigns, 30 tags)
and fills it through `parley.ops.generate.generate`, printing progress and rows per second;
then adds campaigns of exactly 1,000 and 20,000 members (`--campaign-sizes`) for
bench/campaigns.py.
Without --database-url it uses DATABASE_URL, or the SQLite file under PARLEY_VAR_DIR; it
refuses to run when neither is set, so it never fills the developer's var/ database.
"""

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CAMPAIGNS = [
    "Spring Glow Launch",
    "Summer Skincare",
    "Autumn Serum Drop",
    "Holiday Gift Sets",
    "Trail Season",
    "Winter Gear Gifting",
    "Base Layer Reviews",
    "Festival Kit",
    "Brand Ambassadors 2026",
    "Always-on UGC",
    "TikTok Challenge",
    "Back to School",
    "Black Friday",
    "New Year Reset",
    "Sauna Week",
    "Midsummer Picnic",
    "Marathon Training",
    "Home Office Setup",
    "Pet Treats Trial",
    "Recipe Remix",
]
TAGS = [
    "VIP",
    "micro",
    "macro",
    "nano",
    "mega",
    "UGC",
    "Finland",
    "Germany",
    "Sweden",
    "UK",
    "US",
    "needs-contract",
    "signed",
    "paid",
    "gifted-only",
    "video",
    "photo",
    "long-form",
    "stories",
    "reels",
    "beauty",
    "fitness",
    "food",
    "travel",
    "gaming",
    "tech",
    "fashion",
    "parenting",
    "pets",
    "do-not-contact",
]
CLIENTS = ["Aurora Cosmetics", "Fjord Outdoor", "Kide Foods", "Lumo Tech"]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--creators", type=int, default=100_000)
    parser.add_argument("--messages", type=int, default=2_000_000)
    parser.add_argument("--database-url", help="overrides DATABASE_URL for this run")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--batch", type=int, default=1000, help="creators per transaction")
    parser.add_argument(
        "--no-analyze", action="store_true", help="skip VACUUM ANALYZE / ANALYZE at the end"
    )
    parser.add_argument(
        "--campaign-sizes",
        default="1000,20000",
        help="comma-separated member counts of extra campaigns ('' for none)",
    )
    return parser.parse_args(argv)


def sized_campaign_name(size: int) -> str:
    return f"Bench campaign of {size:,} members"


def add_sized_campaigns(workspace_id: int, sizes: list[int], seed: int) -> None:
    """A campaign of exactly `size` members per size (random creators of the workspace,
    statuses spread over the workflow, last activity over the past 90 days); one already
    there is left alone."""
    import random
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from parley.campaigns.models import Campaign, CampaignMember
    from parley.creators.models import Creator

    rng = random.Random(seed + 1)
    ids = list(Creator.objects.filter(workspace_id=workspace_id).values_list("id", flat=True))
    now = timezone.now()
    statuses = CampaignMember.Status.values
    for size in sizes:
        name = sized_campaign_name(size)
        if Campaign.objects.filter(workspace_id=workspace_id, name=name).exists():
            continue
        t0 = time.perf_counter()
        with transaction.atomic():
            campaign = Campaign.objects.create(workspace_id=workspace_id, name=name)
            CampaignMember.objects.bulk_create(
                (
                    CampaignMember(
                        workspace_id=workspace_id,
                        campaign=campaign,
                        creator_id=creator_id,
                        status=rng.choice(statuses),
                        last_activity_at=now - timedelta(seconds=rng.randint(0, 90 * 86400)),
                    )
                    for creator_id in rng.sample(ids, min(size, len(ids)))
                ),
                batch_size=2000,
            )
        print(f"campaign {campaign.id} '{name}' in {time.perf_counter() - t0:.1f}s", flush=True)


def setup_django(database_url: str | None) -> None:
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    if not os.environ.get("DATABASE_URL") and not os.environ.get("PARLEY_VAR_DIR"):
        sys.exit(
            "Set PARLEY_VAR_DIR (SQLite) or pass --database-url / DATABASE_URL: "
            "the benchmark must not fill the developer's var/ database."
        )
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "parley.settings")
    import django

    django.setup()


def describe_database() -> str:
    from django.db import connection

    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite {settings['NAME']}"
    return f"{connection.vendor} {settings.get('HOST') or 'localhost'}/{settings['NAME']}"


def build(
    creators: int,
    messages: int,
    seed: int,
    batch: int,
    analyze: bool,
    campaign_sizes: list[int] | None = None,
) -> None:
    from django.core.management import call_command
    from django.db import connection, transaction

    from parley.accounts.models import Client, Member, User, Workspace
    from parley.campaigns.models import Campaign, CampaignMember
    from parley.creators.models import Creator, CreatorTag, Identity, Note, Tag
    from parley.inbox.models import Conversation, InboxEntry, Message
    from parley.ops.generate import generate

    print(f"database: {describe_database()}", flush=True)
    started = time.perf_counter()
    call_command("migrate", interactive=False, verbosity=0)
    print(f"migrated in {time.perf_counter() - started:.1f}s", flush=True)

    with transaction.atomic():
        workspace = Workspace.objects.create(
            name=f"Bench {creators:,} creators / {messages:,} messages",
            kind=Workspace.Kind.AGENCY,
        )
        members = []
        for i, role in enumerate((Member.Role.OWNER, Member.Role.ADMIN, Member.Role.MEMBER)):
            user = User.objects.create_user(
                email=f"bench{i}+ws{workspace.id}@bench.parley.test",
                password=None,
                first_name=f"Bench{i}",
                last_name=f"WS{workspace.id}",
            )
            members.append(Member.objects.create(workspace=workspace, user=user, role=role))
        clients = [Client.objects.create(workspace=workspace, name=name) for name in CLIENTS]
        campaigns = [
            Campaign.objects.create(
                workspace=workspace,
                name=name,
                client=clients[i % len(clients)] if i % 5 else None,
            )
            for i, name in enumerate(CAMPAIGNS)
        ]
        tags = [Tag.objects.create(workspace=workspace, name=name) for name in TAGS]

    print(
        f"workspace {workspace.id}: {len(members)} members, {len(clients)} clients, "
        f"{len(campaigns)} campaigns, {len(tags)} tags; generating {creators:,} creators "
        f"and ~{messages:,} messages",
        flush=True,
    )
    per_creator = max(1, messages // max(1, creators))
    t0 = time.perf_counter()
    state = {"printed": t0}

    def progress(done: int) -> None:
        now = time.perf_counter()
        if done < creators and now - state["printed"] < 10:
            return
        state["printed"] = now
        elapsed = now - t0
        approx_messages = done * per_creator
        print(
            f"  {done:>9,}/{creators:,} creators  ~{approx_messages:>11,} messages  "
            f"{elapsed:7.1f}s  {done / elapsed:8,.0f} creators/s  "
            f"~{approx_messages / elapsed:9,.0f} messages/s",
            flush=True,
        )

    generate(
        workspace=workspace,
        members=members,
        campaigns=campaigns,
        tags=tags,
        creators=creators,
        messages=messages,
        seed=seed,
        batch=batch,
        progress=progress,
    )
    gen_seconds = time.perf_counter() - t0

    ws = workspace.id
    counts = {
        "creators": Creator.objects.filter(workspace_id=ws).count(),
        "identities": Identity.objects.filter(workspace_id=ws).count(),
        "creator tags": CreatorTag.objects.filter(tag__workspace_id=ws).count(),
        "campaign members": CampaignMember.objects.filter(workspace_id=ws).count(),
        "conversations": Conversation.objects.filter(workspace_id=ws).count(),
        "messages": Message.objects.filter(workspace_id=ws).count(),
        "inbox entries": InboxEntry.objects.filter(workspace_id=ws).count(),
        "notes": Note.objects.filter(creator__workspace_id=ws).count(),
    }
    total = sum(counts.values())
    print(f"generated in {gen_seconds:.1f}s: {total:,} rows, {total / gen_seconds:,.0f} rows/s")
    for name, count in counts.items():
        print(f"  {name:<17} {count:>11,}")
    add_sized_campaigns(ws, campaign_sizes or [], seed)

    # Fresh bulk loads have no planner statistics yet; autovacuum (PostgreSQL) would gather
    # them within a minute, so gather them now instead of benchmarking a state no
    # long-running database is in. SQLite keeps statistics only when ANALYZE is run.
    if analyze:
        t1 = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
        print(f"analyzed in {time.perf_counter() - t1:.1f}s")
    print(f"workspace {ws} ready ({time.perf_counter() - started:.1f}s in all)")


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    setup_django(args.database_url)
    sizes = [int(n) for n in args.campaign_sizes.split(",") if n.strip()]
    build(
        args.creators,
        args.messages,
        args.seed,
        args.batch,
        analyze=not args.no_analyze,
        campaign_sizes=sizes,
    )


if __name__ == "__main__":
    main()
