"""Time the inbox reads on a workspace built by bench/generate.py.

    .venv/bin/python bench/inbox.py --runs 50 \
        --database-url postgres://postgres@127.0.0.1:5432/parley_bench

Server-side time only: each scenario is called in-process (the selectors, and the pages
through Django's test client when the inbox views exist), timed with perf_counter around
the call and the evaluation of its rows. Warm-up runs are excluded; query counts come
from separate runs under CaptureQueriesContext so that capturing costs no timed run
anything. Parameters rotate between runs (campaigns, tags, search terms, cursors,
conversations), so a scenario's p95 covers its spread, not one lucky value.
"""

import argparse
import json
import math
import os
import platform
import random
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

# The targets from the issue, for PostgreSQL at the default size (100k creators, 2M messages).
INBOX_MS = 25.0
INBOX_QUERIES = 6
THREAD_MS = 20.0
CREATOR_SEARCH_MS = 50.0

LAST_NAMES = ["virtanen", "müller", "schmidt", "laine", "smith", "garcia", "korhonen", "weber"]


@dataclass
class Scenario:
    name: str
    run: Callable[[int], Any]
    target_ms: float | None = None
    target_queries: int | None = None


@dataclass
class Result:
    name: str
    runs: int
    p50: float
    p95: float
    max: float
    queries_min: int
    queries_max: int
    target_ms: float | None
    target_queries: int | None
    times_ms: list[float]

    @property
    def ok(self) -> bool | None:
        if self.target_ms is None and self.target_queries is None:
            return None
        time_ok = self.target_ms is None or self.p95 <= self.target_ms
        queries_ok = self.target_queries is None or self.queries_max <= self.target_queries
        return time_ok and queries_ok


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50, help="timed runs per scenario")
    parser.add_argument("--warmup", type=int, default=5, help="untimed runs before them")
    parser.add_argument("--database-url", help="overrides DATABASE_URL for this run")
    parser.add_argument("--workspace", type=int, help="workspace id (default: the newest)")
    parser.add_argument("--only", help="run only scenarios whose name contains this text")
    parser.add_argument("--no-http", action="store_true", help="skip the page (view) scenarios")
    parser.add_argument(
        "--explain",
        action="store_true",
        help="print the query plans of each scenario's first run (EXPLAIN ANALYZE on PostgreSQL)",
    )
    parser.add_argument("--json", help="also write the results to this file")
    return parser.parse_args(argv)


def setup_django(database_url: str | None) -> None:
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    if not os.environ.get("DATABASE_URL") and not os.environ.get("PARLEY_VAR_DIR"):
        sys.exit("Set PARLEY_VAR_DIR (SQLite) or pass --database-url / DATABASE_URL.")
    # Production settings: DEBUG would log every query and render templates uncached.
    os.environ.setdefault("PARLEY_DEBUG", "0")
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "parley.settings")
    import django

    django.setup()


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile: a value that was measured, never an interpolation."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def machine() -> str:
    import django
    from django.db import connection

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SHOW server_version")
            db = f"PostgreSQL {cursor.fetchone()[0]}"
        else:
            cursor.execute("select sqlite_version()")
            db = f"SQLite {cursor.fetchone()[0]} ({connection.settings_dict['NAME']})"
    return (
        f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
        f"Django {django.get_version()}, {db}"
    )


def build_scenarios(workspace_id: int | None, http: bool) -> tuple[list[Scenario], str]:
    from parley.accounts.models import Member, Workspace
    from parley.campaigns.models import Campaign
    from parley.creators import selectors as creator_selectors
    from parley.creators.models import Creator, Tag
    from parley.inbox.filters import InboxFilters
    from parley.inbox.models import Conversation, Message
    from parley.inbox.selectors import (
        conversation_get,
        conversation_list,
        thread_campaign_ids,
        thread_messages,
    )

    workspaces = Workspace.objects.order_by("-id")
    workspace = workspaces.filter(id=workspace_id).first() if workspace_id else workspaces.first()
    if workspace is None:
        sys.exit("No workspace: run bench/generate.py first.")
    member = (
        Member.objects.filter(workspace=workspace)
        .select_related("user", "workspace")
        .order_by("id")
        .first()
    )
    if member is None:
        sys.exit(f"Workspace {workspace.id} has no members.")
    rng = random.Random(11)
    campaign_ids = list(
        Campaign.objects.filter(workspace=workspace).order_by("id").values_list("id", flat=True)
    )
    tag_ids = list(
        Tag.objects.filter(workspace=workspace).order_by("id").values_list("id", flat=True)
    )
    creator_count = Creator.objects.filter(workspace=workspace).count()
    message_count = Message.objects.filter(workspace=workspace).count()
    conversation_ids = list(
        Conversation.objects.filter(workspace=workspace).values_list("id", flat=True)
    )
    thread_ids = rng.sample(conversation_ids, min(500, len(conversation_ids)))
    # Handles of random creators: a search that matches one creator (the worst case for
    # walking an index in list order until a page is full).
    creator_ids = list(Creator.objects.filter(workspace=workspace).values_list("id", flat=True))
    handles = [
        text.split()[-1]
        for text in Creator.objects.filter(
            id__in=rng.sample(creator_ids, min(100, len(creator_ids)))
        ).values_list("search_text", flat=True)
    ]

    # Cursors of pages 2..21 of the unfiltered list, found by paging through it once.
    cursors: list[str] = []
    cursor = None
    for _ in range(20):
        page = conversation_list(member=member, filters=InboxFilters(), cursor=cursor)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
        cursors.append(cursor)

    def rotate(values: list, i: int) -> Any:
        return values[i % len(values)]

    def inbox(filters: Callable[[int], InboxFilters]) -> Callable[[int], Any]:
        def run(i: int) -> Any:
            page = conversation_list(member=member, filters=filters(i))
            return [(e.conversation.creator.name, e.conversation.preview) for e in page.entries]

        return run

    def next_page(i: int) -> Any:
        page = conversation_list(member=member, filters=InboxFilters(), cursor=rotate(cursors, i))
        return [(e.conversation.creator.name, e.conversation.preview) for e in page.entries]

    def thread_open(i: int) -> Any:
        conversation = conversation_get(workspace=workspace, id=rotate(thread_ids, i))
        messages = thread_messages(conversation=conversation)
        campaigns = thread_campaign_ids(conversation=conversation)
        return conversation.creator.name, [m.body_text for m in messages], campaigns

    creator_page = getattr(creator_selectors, "creator_page", None)

    def creator_search(terms: list[str]) -> Callable[[int], Any]:
        def run(i: int) -> Any:
            q = rotate(terms, i)
            if creator_page is not None:  # the creators page's selector, once it exists
                page = creator_page(workspace=workspace, q=q)
                return [(c.name, list(c.identities.all())) for c in page.creators]
            return [c.name for c in creator_selectors.creator_list(workspace=workspace, q=q)[:50]]

        return run

    search_fn = "creator_page" if creator_page is not None else "creator_list[:50]"
    scenarios = [
        Scenario(
            "inbox: first page, no filter", inbox(lambda i: InboxFilters()), INBOX_MS, INBOX_QUERIES
        ),
        Scenario(
            "inbox: campaign",
            inbox(lambda i: InboxFilters(campaign=rotate(campaign_ids, i))),
            INBOX_MS,
            INBOX_QUERIES,
        ),
        Scenario(
            "inbox: tag",
            inbox(lambda i: InboxFilters(tags=(rotate(tag_ids, i),))),
            INBOX_MS,
            INBOX_QUERIES,
        ),
        Scenario(
            "inbox: unread only",
            inbox(lambda i: InboxFilters(unread=True)),
            INBOX_MS,
            INBOX_QUERIES,
        ),
        Scenario(
            "inbox: search last name",
            inbox(lambda i: InboxFilters(q=rotate(LAST_NAMES, i))),
            INBOX_MS,
            INBOX_QUERIES,
        ),
        Scenario(
            "inbox: search handle (1 hit)",
            inbox(lambda i: InboxFilters(q=rotate(handles, i))),
            INBOX_MS,
            INBOX_QUERIES,
        ),
        Scenario("inbox: next page (pages 2-21)", next_page, INBOX_MS, INBOX_QUERIES),
        Scenario("thread open (get+messages+campaigns)", thread_open, THREAD_MS),
        Scenario(
            f"creator search: last name ({search_fn})",
            creator_search(LAST_NAMES),
            CREATOR_SEARCH_MS,
        ),
        Scenario(
            f"creator search: handle ({search_fn})", creator_search(handles), CREATOR_SEARCH_MS
        ),
    ]
    if http:
        scenarios += http_scenarios(member, campaign_ids, tag_ids, handles, cursors, thread_ids)
    about = (
        f"workspace {workspace.id} ({workspace.name}): {creator_count:,} creators, "
        f"{message_count:,} messages, {len(campaign_ids)} campaigns, {len(tag_ids)} tags; "
        f"acting member {member.id}"
    )
    return scenarios, about


def http_scenarios(
    member: Any,
    campaign_ids: list[int],
    tag_ids: list[int],
    handles: list[str],
    cursors: list[str],
    thread_ids: list[int],
) -> list[Scenario]:
    """The inbox pages through Django's test client (middleware, session, templates)."""
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    try:
        list_url = reverse("inbox:list")
        rows_url = reverse("inbox:rows")
        reverse("inbox:thread", args=[1])
    except (NoReverseMatch, ImportError) as exc:
        print(f"(no inbox views to time: {exc})")
        return []
    client = Client()
    client.force_login(member.user)

    def get(url: Callable[[int], str], params: Callable[[int], dict]) -> Callable[[int], Any]:
        def run(i: int) -> Any:
            response = client.get(url(i), params(i))
            if response.status_code != 200:
                raise RuntimeError(f"GET {url(i)} {params(i)}: {response.status_code}")
            return response.content

        return run

    def rotate(values: list, i: int) -> Any:
        return values[i % len(values)]

    def rows(params: Callable[[int], dict]) -> Callable[[int], Any]:
        return get(lambda i: rows_url, params)

    return [
        Scenario(
            "page: GET /inbox/ (full page)",
            get(lambda i: list_url, lambda i: {}),
            INBOX_MS,
            INBOX_QUERIES,
        ),
        Scenario("page: rows, no filter", rows(lambda i: {}), INBOX_MS, INBOX_QUERIES),
        Scenario(
            "page: rows, campaign",
            rows(lambda i: {"campaign": rotate(campaign_ids, i)}),
            INBOX_MS,
            INBOX_QUERIES,
        ),
        Scenario(
            "page: rows, tag", rows(lambda i: {"tags": rotate(tag_ids, i)}), INBOX_MS, INBOX_QUERIES
        ),
        Scenario(
            "page: rows, unread only", rows(lambda i: {"unread": "1"}), INBOX_MS, INBOX_QUERIES
        ),
        Scenario(
            "page: rows, search last name",
            rows(lambda i: {"q": rotate(LAST_NAMES, i)}),
            INBOX_MS,
            INBOX_QUERIES,
        ),
        Scenario(
            "page: rows, search handle (1 hit)",
            rows(lambda i: {"q": rotate(handles, i)}),
            INBOX_MS,
            INBOX_QUERIES,
        ),
        Scenario(
            "page: rows, next page (2-21)",
            rows(lambda i: {"cursor": rotate(cursors, i)}),
            INBOX_MS,
            INBOX_QUERIES,
        ),
        Scenario(
            "page: thread open",
            get(lambda i: reverse("inbox:thread", args=[rotate(thread_ids, i)]), lambda i: {}),
            THREAD_MS,
        ),
    ]


def explain(queries: list[dict]) -> None:
    from django.db import connection

    for number, query in enumerate(queries, 1):
        sql = query["sql"]
        print(f"  -- query {number} ({float(query['time']) * 1000:.2f} ms): {sql[:2000]}")
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
            else:
                cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
            for row in cursor.fetchall():
                print("     ", " | ".join(str(v) for v in row))


def measure(scenario: Scenario, runs: int, warmup: int, show_plans: bool) -> Result:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for i in range(warmup):
        scenario.run(runs + i)
    times = []
    for i in range(runs):
        started = time.perf_counter()
        scenario.run(i)
        times.append((time.perf_counter() - started) * 1000)
    counts = []
    for i in range(min(runs, 5)):
        with CaptureQueriesContext(connection) as captured:
            scenario.run(i)
        counts.append(len(captured.captured_queries))
        if show_plans and i == 0:
            print(f"\n== {scenario.name}")
            explain(captured.captured_queries)
    return Result(
        name=scenario.name,
        runs=runs,
        p50=percentile(times, 0.50),
        p95=percentile(times, 0.95),
        max=max(times),
        queries_min=min(counts),
        queries_max=max(counts),
        target_ms=scenario.target_ms,
        target_queries=scenario.target_queries,
        times_ms=[round(t, 3) for t in times],
    )


def table(results: list[Result]) -> str:
    head = (
        f"{'scenario':<44} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'queries':>8}  "
        f"{'target (p95, queries)':<22}"
    )
    lines = [head, "-" * len(head)]
    for r in results:
        queries = (
            str(r.queries_max)
            if r.queries_min == r.queries_max
            else f"{r.queries_min}-{r.queries_max}"
        )
        target = ""
        if r.target_ms is not None:
            target = f"≤ {r.target_ms:g} ms"
        if r.target_queries is not None:
            target += f", ≤ {r.target_queries} q"
        if r.ok is not None:
            target += "  ok" if r.ok else "  MISS"
        lines.append(
            f"{r.name:<44} {r.p50:>8.2f} {r.p95:>8.2f} {r.max:>8.2f} {queries:>8}  {target:<22}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    setup_django(args.database_url)
    scenarios, about = build_scenarios(args.workspace, http=not args.no_http)
    if args.only:
        scenarios = [s for s in scenarios if args.only in s.name]
    header = (
        f"{machine()}\n{about}\n{args.runs} timed runs per scenario after {args.warmup} "
        "warm-up runs; server-side time in-process; targets are for PostgreSQL at 100k/2M"
    )
    print(header, flush=True)
    load_before = os.getloadavg()
    results = []
    for scenario in scenarios:
        results.append(measure(scenario, args.runs, args.warmup, args.explain))
        if not args.explain:
            print(f"  {scenario.name}: p95 {results[-1].p95:.2f} ms", file=sys.stderr, flush=True)
    # Other work on the machine shows up in p95 and max; the load average tells the reader.
    load = f"load average (1 min) {load_before[0]:.2f} before, {os.getloadavg()[0]:.2f} after"
    print(f"\n{load}\n{table(results)}")
    if args.json:
        Path(args.json).write_text(
            json.dumps(
                {"about": f"{header}\n{load}", "results": [asdict(r) for r in results]}, indent=2
            )
        )


if __name__ == "__main__":
    main()
