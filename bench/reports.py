"""Time the Reports page (response times) on a workspace built by bench/generate.py.

    .venv/bin/python bench/reports.py --runs 50 \
        --database-url postgres://postgres@127.0.0.1:5432/parley_bench

Scenarios: the figures (parley.reports.selectors.response_report) for 7, 30 and 90 days,
and the page itself through Django's test client (middleware, session, template, chart)
for each period. The target (issue 17): the page's p95 at most 200 ms for 90 days at 100k
creators / 2M messages on PostgreSQL. Server-side time in-process, warm-up runs excluded,
query counts from separate runs (as bench/inbox.py measures; its helpers are reused).
The figures read Message.response_seconds, which bench/generate.py writes for the replies
it makes (and migration inbox 0004 fills in for an older database). --explain prints each
scenario's query plans (EXPLAIN ANALYZE on PostgreSQL).
"""

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from inbox import Scenario, machine, measure, setup_django, table  # noqa: E402

PAGE_MS = 200.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50, help="timed runs per scenario")
    parser.add_argument("--warmup", type=int, default=5, help="untimed runs before them")
    parser.add_argument("--database-url", help="overrides DATABASE_URL for this run")
    parser.add_argument("--workspace", type=int, help="workspace id (default: the newest)")
    parser.add_argument("--only", help="run only scenarios whose name contains this text")
    parser.add_argument("--explain", action="store_true", help="print the query plans")
    parser.add_argument("--json", help="also write the results to this file")
    return parser.parse_args(argv)


def build_scenarios(workspace_id: int | None) -> tuple[list[Scenario], str]:
    from django.test import Client
    from django.urls import reverse

    from parley.accounts.models import Member, Workspace
    from parley.inbox.models import Message
    from parley.reports.selectors import PERIODS, response_report

    workspaces = Workspace.objects.order_by("-id")
    workspace = workspaces.filter(id=workspace_id).first() if workspace_id else workspaces.first()
    if workspace is None:
        sys.exit("No workspace: run bench/generate.py first.")
    member = Member.objects.filter(workspace=workspace).select_related("user").order_by("id")[0]
    replies = Message.objects.filter(workspace=workspace, response_seconds__isnull=False).count()
    messages = Message.objects.filter(workspace=workspace).count()
    if not replies:
        sys.exit(
            f"Workspace {workspace.id} has no replies with a response time: generate it again "
            "with this version, or run `manage.py migrate inbox` to fill them in."
        )
    client = Client()
    client.force_login(member.user)
    url = reverse("reports:responses")

    def figures(days: int) -> Any:
        def run(i: int) -> Any:
            report = response_report(workspace=workspace, days=days)
            return report.team, [m.responses for m in report.members], report.waiting

        return run

    def page(days: int) -> Any:
        def run(i: int) -> Any:
            response = client.get(url, {"period": days})
            if response.status_code != 200:
                raise RuntimeError(f"GET {url}?period={days}: {response.status_code}")
            return response.content

        return run

    scenarios = [Scenario(f"figures: {d} days", figures(d)) for d in PERIODS]
    scenarios += [
        Scenario(f"page: GET /reports/?period={d}", page(d), PAGE_MS if d == 90 else None)
        for d in PERIODS
    ]
    about = (
        f"workspace {workspace.id} ({workspace.name}): {messages:,} messages, {replies:,} "
        f"replies with a response time; acting member {member.id}"
    )
    return scenarios, about


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    setup_django(args.database_url)
    scenarios, about = build_scenarios(args.workspace)
    if args.only:
        scenarios = [s for s in scenarios if args.only in s.name]
    header = (
        f"{machine()}\n{about}\n{args.runs} timed runs per scenario after {args.warmup} "
        "warm-up runs; server-side time in-process; the target is for PostgreSQL at 100k/2M"
    )
    print(header, flush=True)
    load_before = os.getloadavg()
    results = []
    for scenario in scenarios:
        results.append(measure(scenario, args.runs, args.warmup, args.explain))
        print(f"  {scenario.name}: p95 {results[-1].p95:.2f} ms", file=sys.stderr, flush=True)
    load = f"load average (1 min) {load_before[0]:.2f} before, {os.getloadavg()[0]:.2f} after"
    print(f"\n{load}\n{table(results)}")
    if args.json:
        from dataclasses import asdict

        Path(args.json).write_text(
            json.dumps(
                {"about": f"{header}\n{load}", "results": [asdict(r) for r in results]}, indent=2
            )
        )


if __name__ == "__main__":
    main()
