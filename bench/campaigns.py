"""Time the campaign pages and the bulk invitation on a workspace built by bench/generate.py.

    .venv/bin/python bench/campaigns.py --runs 50 \
        --database-url postgres://postgres@127.0.0.1:5432/parley_bench

Scenarios (server time, in-process, warm-ups excluded, p50/p95/max over --runs, query counts
from separate runs):
- the Members tab's first page (the whole response through Django's test client) of the
  campaigns of 1,000 and 20,000 members that generate.py adds, all statuses and one, and
  its later pages; the selector alone; the Campaigns list;
- the tracking-link redirect `/l/<code>` (302 and the click written) over a link for each
  member of the 20,000 campaign (made once and kept);
- bulk-inviting 5,000 creators: a fresh campaign of 5,000 added creators (not timed), then
  the Members tab's "All in the campaign → Invite" request (timed: statuses changed, the
  mass message of invitations checked and handed to the worker), then the worker's task
  run in this process (timed) until every thread event and outbox row is written, checked
  by counting them. A `parley worker` polling the database queue picks the task up within
  its --interval (1 s by default) on top of that. The rows it writes are deleted after
  each run (--keep leaves them).

Targets (PostgreSQL, 100k creators / 2M messages): the Members tab first page p95 <= 25 ms
with a bounded number of queries whatever the campaign's size; the redirect p95 <= 5 ms;
the bulk invitation's request <= 1 s and everything written <= 3 s.
"""

import argparse
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from inbox import Scenario, machine, percentile, setup_django  # noqa: E402

MEMBERS_MS = 25.0
REDIRECT_MS = 5.0
REDIRECT_TO = "https://shop.example/bench"
INVITE_REQUEST_S = 1.0
INVITE_WRITTEN_S = 3.0
INVITES = 5000


def _cpu_ns(pid: int | str = "self") -> int:
    """CPU time a process has had, in ns (/proc/PID/schedstat: Linux)."""
    with open(f"/proc/{pid}/schedstat") as f:
        return int(f.read().split()[0])


def _backend_pid() -> int | None:
    """The database server process serving this connection (PostgreSQL on this machine),
    to count its CPU time too; None for SQLite (in this process already)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = int(cursor.fetchone()[0])
    return pid if Path(f"/proc/{pid}/schedstat").exists() else None


@dataclass
class Timed:
    name: str
    wall: list[float]  # ms
    cpu: list[float]  # ms, this process and its database server process
    queries: int
    target_ms: float | None

    def line(self) -> str:
        flag = ""
        if self.target_ms is not None:
            flag = "  ok" if percentile(self.wall, 0.95) <= self.target_ms else "  OVER (wall)"
        return (
            f"{self.name:<46} wall p50 {percentile(self.wall, 0.5):7.2f} "
            f"p95 {percentile(self.wall, 0.95):7.2f} ms   cpu p50 "
            f"{percentile(self.cpu, 0.5):6.2f} p95 {percentile(self.cpu, 0.95):6.2f} ms   "
            f"queries {self.queries}{flag}"
        )


def measure(scenario: Scenario, runs: int, warmup: int) -> Timed:
    """Wall time, and CPU time of this process plus its PostgreSQL backend: on a machine
    shared with other work the wall time waits for the CPU, the CPU time much less so."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for i in range(warmup):
        scenario.run(runs + i)
    backend = _backend_pid()
    wall, cpu = [], []
    for i in range(runs):
        cpu0 = _cpu_ns() + (_cpu_ns(backend) if backend else 0)
        started = time.perf_counter()
        scenario.run(i)
        wall.append((time.perf_counter() - started) * 1000)
        cpu1 = _cpu_ns() + (_cpu_ns(backend) if backend else 0)
        cpu.append((cpu1 - cpu0) / 1e6)
    with CaptureQueriesContext(connection) as captured:
        scenario.run(0)
    return Timed(scenario.name, wall, cpu, len(captured.captured_queries), scenario.target_ms)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50, help="timed runs per scenario")
    parser.add_argument("--warmup", type=int, default=5, help="untimed runs before them")
    parser.add_argument("--database-url", help="overrides DATABASE_URL for this run")
    parser.add_argument("--workspace", type=int, help="workspace id (default: the newest)")
    parser.add_argument("--only", help="run only scenarios whose name contains this text")
    parser.add_argument("--invite-runs", type=int, default=3, help="bulk invitations to time")
    parser.add_argument("--no-invite", action="store_true", help="skip the bulk invitation")
    parser.add_argument("--keep", action="store_true", help="keep what the invitations wrote")
    return parser.parse_args(argv)


def _workspace(workspace_id: int | None) -> Any:
    from parley.accounts.models import Member, Workspace

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
    return workspace, member


def _sized_campaigns(workspace: Any) -> dict[int, Any]:
    """The campaigns of 1,000 and 20,000 members (added by generate.py; added here to a
    database generated before it did)."""
    from generate import add_sized_campaigns, sized_campaign_name

    from parley.campaigns.models import Campaign

    sizes = [1000, 20000]
    add_sized_campaigns(workspace.id, sizes, seed=7)
    return {
        size: Campaign.objects.get(workspace=workspace, name=sized_campaign_name(size))
        for size in sizes
    }


def page_scenarios(workspace: Any, member: Any) -> list[Scenario]:
    from django.test import Client
    from django.urls import reverse

    from parley.campaigns.models import CampaignMember
    from parley.campaigns.selectors import campaign_member_page

    campaigns = _sized_campaigns(workspace)
    client = Client()
    client.force_login(member.user)

    def get(url: str, params: Any = None) -> Any:
        def run(i: int) -> Any:
            response = client.get(url, params(i) if callable(params) else (params or {}))
            if response.status_code != 200:
                raise RuntimeError(f"GET {url}: {response.status_code}")
            return response.content

        return run

    scenarios = []
    statuses = CampaignMember.Status.values
    for size, campaign in campaigns.items():
        url = reverse("campaigns:detail", args=[campaign.id])
        rows = reverse("campaigns:member_rows", args=[campaign.id])
        # Cursors of pages 2..11, found by paging once.
        cursors: list[str] = []
        cursor = None
        for _ in range(10):
            page = campaign_member_page(campaign=campaign, cursor=cursor)
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
            cursors.append(cursor)

        def selector(campaign: Any = campaign) -> Any:
            def run(i: int) -> Any:
                page = campaign_member_page(campaign=campaign)
                return [(m.creator.name, m.email) for m in page.members]

            return run

        label = f"{size:,} members"
        scenarios += [
            Scenario(f"members tab ({label}): first page", get(url), MEMBERS_MS),
            Scenario(
                f"members tab ({label}): one status",
                get(url, lambda i: {"status": statuses[i % len(statuses)]}),
                MEMBERS_MS,
            ),
            Scenario(
                f"members rows ({label}): pages 2-11",
                get(rows, lambda i, c=cursors: {"cursor": c[i % len(c)]}),
                MEMBERS_MS,
            ),
            Scenario(f"members selector ({label}): first page", selector(), MEMBERS_MS),
        ]
    scenarios.append(Scenario("campaigns list", get(reverse("campaigns:list"))))
    scenarios.append(redirect_scenario(campaigns[max(campaigns)], member))
    return scenarios


def redirect_scenario(campaign: Any, member: Any) -> Scenario:
    """GET /l/<code> for the tracking links of every member of the largest campaign (made
    once through links_create_many and kept), a different link each run: the 302 and
    the click written, as a browser's visit is."""
    from django.test import Client

    from parley.campaigns.assets.links import links_create_many
    from parley.campaigns.models import CampaignMember, TrackingLink

    creator_ids = CampaignMember.objects.filter(campaign=campaign).values_list(
        "creator_id", flat=True
    )
    links_create_many(
        actor=member, campaign=campaign, creator_ids=creator_ids, destination=REDIRECT_TO
    )
    codes = list(
        TrackingLink.objects.filter(campaign=campaign, destination=REDIRECT_TO).values_list(
            "code", flat=True
        )
    )
    client = Client(HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0")

    def run(i: int) -> Any:
        response = client.get(f"/l/{codes[(i * 7919) % len(codes)]}")
        if response.status_code != 302:
            raise RuntimeError(f"/l/: {response.status_code}")
        return response

    return Scenario(f"tracking-link redirect ({len(codes):,} links)", run, REDIRECT_MS)


def _invite_setup(workspace: Any, member: Any, run: int) -> Any:
    """A fresh campaign of INVITES added creators with an email address, and a default
    mailbox to send from (no worker dispatches here: nothing reaches a mail server)."""
    import random

    from django.utils import timezone

    from parley.campaigns.models import CampaignMember
    from parley.campaigns.services import campaign_create
    from parley.channels.email.models import Mailbox
    from parley.creators.models import Identity

    mailbox = Mailbox.objects.filter(workspace=workspace, is_default=True, is_active=True).first()
    if mailbox is None:
        mailbox = Mailbox.objects.create(
            workspace=workspace,
            connected_by=member,
            address="bench@brand.example",
            connected_at=timezone.now(),
            is_default=True,
            access=Mailbox.Access.SEND_ONLY,
            smtp_host="127.0.0.1",
            daily_limit=10_000,
        )
    with_email = list(
        Identity.objects.filter(workspace=workspace, kind=Identity.Kind.EMAIL, bounced_at=None)
        .values_list("creator_id", flat=True)
        .distinct()[:200_000]
    )
    chosen = random.Random(run).sample(with_email, INVITES)
    campaign = campaign_create(workspace=workspace, name=f"Bench invitations {time.time():.0f}")
    CampaignMember.objects.bulk_create(
        [
            CampaignMember(workspace=workspace, campaign=campaign, creator_id=c, status="added")
            for c in chosen
        ],
        batch_size=2000,
    )
    return campaign, mailbox


def _invite_cleanup(campaign: Any) -> None:
    from parley.broadcasts.models import Broadcast
    from parley.inbox.models import Message

    Message.objects.filter(campaign=campaign).delete()
    Broadcast.objects.filter(campaign=campaign).delete()
    campaign.delete()
    _vacuum()


def _vacuum() -> None:
    """Campaign members' and tracking links' visibility map and statistics as autovacuum
    keeps them on a live database (counting members by status reads the index alone only
    then, and the Members tab's links are found by campaign and creator only once the
    planner knows the 20,000 links the redirect scenario made); after generate.py's VACUUM
    ANALYZE, the invitations' writes and deletes undo it."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) campaigns_campaignmember, campaigns_trackinglink")


def bulk_invite(workspace: Any, member: Any, runs: int, keep: bool) -> list[dict[str, float]]:
    from django.test import Client
    from django.urls import reverse

    from parley.broadcasts.models import Broadcast
    from parley.broadcasts.services import broadcast_queue
    from parley.campaigns.models import CampaignMember
    from parley.inbox.models import Message
    from parley.outbox.models import OutboxItem

    client = Client()
    client.force_login(member.user)
    out = []
    for run in range(runs):
        campaign, mailbox = _invite_setup(workspace, member, run)
        url = reverse("campaigns:members_bulk", args=[campaign.id])
        backend = _backend_pid()

        def cpu(backend: int | None = backend) -> float:
            return (_cpu_ns() + (_cpu_ns(backend) if backend else 0)) / 1e9

        cpu0 = cpu()
        started = time.perf_counter()
        response = client.post(
            url,
            {
                "action": "status:invited",
                "select_all": "1",
                "mailbox": mailbox.id,
                "send_email": "1",
            },
        )
        request_s = time.perf_counter() - started
        request_cpu = cpu() - cpu0
        if response.status_code != 200:
            raise RuntimeError(f"POST {url}: {response.status_code} {response.content[:300]!r}")
        broadcast = Broadcast.objects.get(campaign=campaign)
        invited = CampaignMember.objects.filter(campaign=campaign, status="invited").count()
        # The worker's task, as `parley worker` runs it.
        task_started = time.perf_counter()
        task_cpu0 = cpu()
        broadcast_queue(broadcast_id=broadcast.id)
        task_s = time.perf_counter() - task_started
        task_cpu = cpu() - task_cpu0
        written_s = time.perf_counter() - started
        events = Message.objects.filter(campaign=campaign, direction="event").count()
        emails = Message.objects.filter(campaign=campaign, channel="email").count()
        items = OutboxItem.objects.filter(broadcast=broadcast).count()
        print(
            f"  invite run {run + 1}: request {request_s:.3f} s (cpu {request_cpu:.3f} s; "
            f"{invited:,} invited), worker task {task_s:.3f} s (cpu {task_cpu:.3f} s), "
            f"everything written {written_s:.3f} s after the click (cpu "
            f"{request_cpu + task_cpu:.3f} s): {events:,} events, {emails:,} emails, "
            f"{items:,} outbox rows",
            flush=True,
        )
        if not (events == emails == items == invited == INVITES):
            raise RuntimeError("not everything was written")
        out.append(
            {
                "request": request_s,
                "written": written_s,
                "request cpu": request_cpu,
                "written cpu": request_cpu + task_cpu,
            }
        )
        if not keep:
            _invite_cleanup(campaign)
    return out


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    setup_django(args.database_url)
    from django.db import connection

    workspace, member = _workspace(args.workspace)
    scenarios = page_scenarios(workspace, member)
    _vacuum()
    print(machine())
    print(f"workspace {workspace.id} ({workspace.name}), acting member {member.id}")
    for scenario in scenarios:
        if args.only and args.only not in scenario.name:
            continue
        print(measure(scenario, args.runs, args.warmup).line(), flush=True)
    if not args.no_invite and (not args.only or "invite" in args.only):
        print(f"bulk invitation of {INVITES:,} creators ({connection.vendor}):", flush=True)
        runs = bulk_invite(workspace, member, args.invite_runs, args.keep)
        for key, target in (
            ("request", INVITE_REQUEST_S),
            ("written", INVITE_WRITTEN_S),
            ("request cpu", INVITE_REQUEST_S),
            ("written cpu", INVITE_WRITTEN_S),
        ):
            values = [r[key] for r in runs]
            print(
                f"  {key:<12} p50 {percentile(values, 0.5):.3f} s  max {max(values):.3f} s"
                f"  target {target:.0f} s  {'ok' if max(values) <= target else 'OVER'}"
            )


if __name__ == "__main__":
    os.environ.setdefault("PARLEY_DEBUG", "0")
    main()
