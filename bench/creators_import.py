"""Import and export of creators as CSV: Parley against a plain loader, on one database.

    PARLEY_VAR_DIR=/tmp/parley-bench-import .venv/bin/python bench/creators_import.py
    createdb -h 127.0.0.1 -U postgres parley_bench_import
    .venv/bin/python bench/creators_import.py \
        --database-url postgres://postgres@127.0.0.1:5432/parley_bench_import

Writes a CSV of --rows creators (name, email, phone, Instagram and TikTok handles,
followers, two tags, two custom fields; default 100,000), then, each in a fresh worker
process on a new workspace:

- Parley: the upload as the page and API do it (checked whole), the mapping guessed from the
  header, then `creator_import_run`, the worker's task: every row validated (emails,
  phones in E.164 with phonenumbers, handles), matched against the workspace, written with
  identities and tags. Rows per second end to end in the worker, and the process's peak RSS
  (also for a tenth of the rows: memory that stays flat as the file grows).
- The floor: `csv.DictReader` and `bulk_create` of the creators and their identities in
  chunks of 2,000, no checks, no matching, no tags: the least any importer does.

Then the export of the Parley workspace through the page (GET /creators/export/, streamed
and read to the end): seconds and MB. Refuses the default var/ database.
"""

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FIRST = ["Aino", "Bea", "Cai", "Dana", "Eero", "Fanny", "Gus", "Hilla", "Ilja", "Jonna"]
LAST = ["Virtanen", "Berg", "Chen", "Müller", "Korhonen", "Schmidt", "Nieminen", "Lee"]
CITIES = ["Helsinki", "Berlin", "Stockholm", "Oulu", "Hamburg", "Tampere"]
TAGS = ["beauty", "fitness", "food", "travel", "gaming", "tech", "fashion", "pets", "vip"]


def setup_django(database_url: str | None) -> None:
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    if not os.environ.get("DATABASE_URL") and not os.environ.get("PARLEY_VAR_DIR"):
        sys.exit("Set PARLEY_VAR_DIR (SQLite) or pass --database-url / DATABASE_URL.")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "parley.settings")
    import django

    django.setup()


def write_csv(path: Path, rows: int, seed: int = 13) -> None:
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            ["Name", "Email", "Phone", "Instagram", "TikTok", "Followers", "Tags", "City", "Size"]
        )
        for i in range(rows):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            writer.writerow(
                [
                    f"{first} {last} {i}",
                    f"{first.lower()}.{i}@creators.example",
                    f"+358 40 {1000000 + i:07d}"[:16],
                    f"@{first.lower()}_{i}",
                    f"{last.lower().replace('ü', 'ue')}{i}",
                    str(rng.randint(500, 2_000_000)),
                    ", ".join(rng.sample(TAGS, 2)),
                    rng.choice(CITIES),
                    rng.choice("SML"),
                ]
            )


def current_rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


# The worker side (a process of its own, so its peak RSS is its own) ----------------------


def worker(kind: str, csv_path: str) -> dict[str, float]:
    from django.core.files import File
    from django.db import transaction

    from parley.accounts.models import Member
    from tests.factories import MemberFactory

    tag = f"{os.getpid()}-{time.time_ns()}"
    member: Member = MemberFactory(user__email=f"bench-{tag}@parley.test", workspace__name=tag)
    started = time.perf_counter()
    if kind == "parley":
        from parley.creators.imports import (
            creator_import_run,
            creator_import_start,
            creator_import_upload,
        )

        with open(csv_path, "rb") as handle:
            upload = File(handle, name="creators.csv")
            upload.size = os.path.getsize(csv_path)
            creator_import = creator_import_upload(member=member, upload=upload)  # type: ignore[arg-type]
        uploaded = time.perf_counter()
        # The worker's task, here rather than through the queue (enqueue does nothing).
        transaction.on_commit = lambda func, using=None, robust=False: None  # type: ignore[assignment]
        creator_import_start(creator_import=creator_import)
        # RSS after each chunk: the first tenth of the file against the rest.
        from parley.creators import imports

        commit, samples = imports._commit_chunk, []

        def sampled(*args: object, **kwargs: object) -> None:
            commit(*args, **kwargs)  # type: ignore[arg-type]
            samples.append(current_rss_mb())

        imports._commit_chunk = sampled  # type: ignore[assignment]
        done = creator_import_run(import_id=creator_import.id)
        tenth = samples[: max(1, len(samples) // 10)]
        assert done.state == "done", done.error
        rows, failed = done.rows_done, done.failed
        upload_s = uploaded - started
    else:
        rows, failed = floor_load(member.workspace_id, csv_path), 0
        upload_s = 0.0
        samples = tenth = [0.0]
    seconds = time.perf_counter() - started
    return {
        "rows": rows,
        "failed": failed,
        "seconds": seconds,
        "upload_seconds": upload_s,
        "peak_rss_mb": peak_rss_mb(),
        # The process that parses the rows on PostgreSQL (creators.imports._parser), gone now.
        "parser_peak_rss_mb": peak_rss_mb(resource.RUSAGE_CHILDREN),
        "rss_first_tenth_mb": max(tenth),
        "rss_last_chunk_mb": samples[-1],
        "workspace": member.workspace_id,
    }


def floor_load(workspace_id: int, csv_path: str) -> int:
    """The floor: csv + bulk_create, creators then their identities, no checks at all."""
    from django.db import transaction
    from django.utils import timezone

    from parley.creators.models import Creator, Identity

    count = 0
    with open(csv_path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        while True:
            chunk = [row for _i, row in zip(range(2000), reader, strict=False)]
            if not chunk:
                return count
            now = timezone.now()
            with transaction.atomic():
                creators = Creator.objects.bulk_create(
                    [
                        Creator(
                            workspace_id=workspace_id,
                            name=row["Name"],
                            first_name=row["Name"].split()[0],
                            followers=int(row["Followers"]),
                            custom_fields={"City": row["City"], "Size": row["Size"]},
                            search_text=row["Name"].lower(),
                            created_at=now,
                        )
                        for row in chunk
                    ]
                )
                identities = []
                for creator, row in zip(creators, chunk, strict=True):
                    for kind, column in (("email", "Email"), ("phone", "Phone")):
                        identities.append(
                            Identity(
                                workspace_id=workspace_id,
                                creator=creator,
                                kind=kind,
                                value=row[column],
                                normalized=row[column].lower().replace(" ", ""),
                                is_primary=True,
                            )
                        )
                    for kind, column in (("instagram", "Instagram"), ("tiktok", "TikTok")):
                        identities.append(
                            Identity(
                                workspace_id=workspace_id,
                                creator=creator,
                                kind=kind,
                                value=row[column],
                                normalized=row[column].lstrip("@").lower(),
                                is_primary=True,
                            )
                        )
                Identity.objects.bulk_create(identities)
            count += len(chunk)


def export(workspace_id: int) -> dict[str, float]:
    from django.test import Client

    from parley.accounts.models import Member

    member = Member.objects.filter(workspace_id=workspace_id).select_related("user").first()
    assert member is not None
    client = Client()
    client.force_login(member.user)
    started = time.perf_counter()
    response = client.get("/creators/export/")
    size = 0
    lines = 0
    first_byte = None
    for chunk in response.streaming_content:
        if first_byte is None:
            first_byte = time.perf_counter() - started
        size += len(chunk)
        lines += chunk.count(b"\n")
    return {
        "seconds": time.perf_counter() - started,
        "first_byte_seconds": first_byte or 0.0,
        "rows": lines - 1,
        "mb": size / 1e6,
        "peak_rss_mb": peak_rss_mb(),
    }


def run_child(args: list[str]) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, *args],
        capture_output=True,
        text=True,
        check=False,
        env=os.environ,
    )
    if out.returncode:
        sys.exit(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--database-url")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "ARG"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    setup_django(args.database_url)
    if args.child:
        kind, arg = args.child
        result = export(int(arg)) if kind == "export" else worker(kind, arg)
        print(json.dumps(result))
        return
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    var_dir = Path(settings.VAR_DIR).resolve()
    if connection.vendor == "sqlite" and var_dir == (ROOT / "var").resolve():
        sys.exit("Refusing the default var/ database: set PARLEY_VAR_DIR or --database-url.")
    call_command("migrate", verbosity=0)
    tmp = var_dir / "bench-import"
    tmp.mkdir(parents=True, exist_ok=True)
    small, large = tmp / f"creators-{args.rows // 10}.csv", tmp / f"creators-{args.rows}.csv"
    write_csv(small, args.rows // 10)
    write_csv(large, args.rows)
    print(f"{connection.vendor}, {args.rows:,} rows ({large.stat().st_size / 1e6:.1f} MB)")
    results = {
        "parley_small": run_child(["--child", "parley", str(small)]),
        "parley": run_child(["--child", "parley", str(large)]),
        "floor": run_child(["--child", "floor", str(large)]),
    }
    results["export"] = run_child(["--child", "export", str(int(results["parley"]["workspace"]))])
    p, f, e, s = results["parley"], results["floor"], results["export"], results["parley_small"]
    print(f"{'':34} {'rows/s':>9} {'seconds':>8} {'peak RSS MB':>12}")
    print(
        f"{'Parley import, worker end to end':34} {p['rows'] / p['seconds']:>9,.0f} "
        f"{p['seconds']:>8.1f} {p['peak_rss_mb']:>12.0f}"
    )
    print(f"{'  of which upload check':34} {'':>9} {p['upload_seconds']:>8.1f}")
    if p["parser_peak_rss_mb"]:
        print(f"{'  its parsing process':34} {'':>9} {'':>8} {p['parser_peak_rss_mb']:>12.0f}")
    print(
        f"{'Parley import, a tenth of the rows':34} {s['rows'] / s['seconds']:>9,.0f} "
        f"{s['seconds']:>8.1f} {s['peak_rss_mb']:>12.0f}"
    )
    print(
        f"{'floor: csv + bulk_create':34} {f['rows'] / f['seconds']:>9,.0f} "
        f"{f['seconds']:>8.1f} {f['peak_rss_mb']:>12.0f}"
    )
    print(f"ratio Parley / floor (time): {p['seconds'] / f['seconds']:.2f}")
    print(
        f"Parley worker RSS after the first tenth of the chunks: {p['rss_first_tenth_mb']:.0f} "
        f"MB, after the last: {p['rss_last_chunk_mb']:.0f} MB; rows failed: {p['failed']:.0f}"
    )
    print(
        f"export of {e['rows']:,.0f} creators, streamed: {e['seconds']:.1f} s, "
        f"first byte {e['first_byte_seconds']:.2f} s, {e['mb']:.1f} MB, "
        f"peak RSS {e['peak_rss_mb']:.0f} MB"
    )


if __name__ == "__main__":
    main()
