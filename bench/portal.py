"""Time the creator portal's pages and an in-app reply reaching the brand's inbox, on a
workspace built by bench/generate.py.

    .venv/bin/python bench/portal.py --runs 50 \
        --database-url postgres://postgres@127.0.0.1:5432/parley_bench

Set-up (not timed, kept for the next run): portal accounts for the creators of the busiest
threads and for --creators others, and a portal session for each (as a magic link's POST
makes one).

Scenarios (server time through Django's test client, warm-ups excluded, p50/p95/max over
--runs, query counts from separate runs):
- the portal home of a creator (their brand, campaigns, what waits), one creator after
  another;
- the thread of the creator with the most messages, and threads one creator after another
  (the newest 200 messages the creator may see);
- an in-app reply from the portal until the brand's inbox sees it: the reply's POST, then
  the member's pulse (what the open inbox polls every PARLEY_POLL_SECONDS) must have moved,
  then the thread's messages as the inbox fetches them on "inbox-changed". The figure is the
  server's part; the inbox adds up to one poll interval on top (half of it on average).
  The replies are deleted afterwards (--keep leaves them).

Targets (PostgreSQL, 100k creators / 2M messages): portal home and thread p95 <= 25 ms with
a bounded number of queries; an in-app reply visible in the brand's open inbox p95 <= 2 s.
"""

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from inbox import Result, Scenario, machine, measure, setup_django, table  # noqa: E402

PAGE_MS = 25.0
HOME_QUERIES = 8
THREAD_QUERIES = 6
REPLY_VISIBLE_MS = 2000.0
REPLY_MARK = "bench-portal-reply"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50, help="timed runs per scenario")
    parser.add_argument("--warmup", type=int, default=5, help="untimed runs before them")
    parser.add_argument("--database-url", help="overrides DATABASE_URL for this run")
    parser.add_argument("--workspace", type=int, help="workspace id (default: the newest)")
    parser.add_argument("--creators", type=int, default=200, help="creators with a portal")
    parser.add_argument("--only", help="run only scenarios whose name contains this text")
    parser.add_argument("--keep", action="store_true", help="keep the replies written")
    return parser.parse_args(argv)


def _workspace(workspace_id: int | None) -> tuple[Any, Any]:
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


def _portal_creators(workspace: Any, member: Any, n: int) -> list[tuple[int, str]]:
    """(creator id, session key) for the busiest thread's creator and `n` others with an
    email address: a portal account and access each (made once), and a fresh session."""
    from django.db.models import Count
    from django.utils import timezone

    from parley.creators.models import Identity
    from parley.inbox.models import Message
    from parley.portal.models import PortalAccess, PortalAccount
    from parley.portal.services import session_start

    busiest = list(
        Message.objects.filter(workspace=workspace)
        .values_list("conversation__creator_id")
        .annotate(n=Count("id"))
        .order_by("-n")[:1]
    )
    emails = dict(
        Identity.objects.filter(workspace=workspace, kind=Identity.Kind.EMAIL)
        .order_by("creator_id", "-is_primary")
        .values_list("creator_id", "normalized")[: n * 3]
    )
    if busiest:
        emails.update(
            Identity.objects.filter(creator_id=busiest[0][0], kind=Identity.Kind.EMAIL).values_list(
                "creator_id", "normalized"
            )[:1]
        )
    chosen = ([busiest[0][0]] if busiest and busiest[0][0] in emails else []) + [
        c for c in emails if not busiest or c != busiest[0][0]
    ][:n]
    out = []
    now = timezone.now()
    for creator_id in chosen:
        access = PortalAccess.objects.select_related("account").filter(creator_id=creator_id)
        found = access.first()
        if found is None:
            account, _new = PortalAccount.objects.get_or_create(email=emails[creator_id])
            found = PortalAccess.objects.create(
                account=account,
                workspace=workspace,
                creator_id=creator_id,
                invited_by=member,
                invited_at=now,
            )
        out.append((creator_id, session_start(account=found.account, ip="127.0.0.1")))
    if not out:
        sys.exit("No creator with an email address in this workspace.")
    return out


def _client(key: str) -> Any:
    from django.test import Client

    from parley.portal.views import COOKIE

    client = Client()
    client.cookies[COOKIE] = key
    return client


def page_scenarios(creators: list[tuple[int, str]]) -> list[Scenario]:
    clients = [(creator_id, _client(key)) for creator_id, key in creators]

    def get(pick: Any) -> Any:
        def run(i: int) -> Any:
            client, url = pick(i)
            response = client.get(url)
            if response.status_code != 200:
                raise RuntimeError(f"GET {url}: {response.status_code}")
            return response.content

        return run

    busiest_id, busiest = clients[0]
    return [
        Scenario(
            "portal home (creators in turn)",
            get(lambda i: (clients[i % len(clients)][1], "/portal/")),
            PAGE_MS,
            HOME_QUERIES,
        ),
        Scenario(
            "portal thread (the busiest thread)",
            get(lambda i: (busiest, f"/portal/c/{busiest_id}/")),
            PAGE_MS,
            THREAD_QUERIES,
        ),
        Scenario(
            "portal thread (creators in turn)",
            get(
                lambda i: (
                    clients[i % len(clients)][1],
                    f"/portal/c/{clients[i % len(clients)][0]}/",
                )
            ),
            PAGE_MS,
            THREAD_QUERIES,
        ),
    ]


def reply_scenario(creators: list[tuple[int, str]], member: Any) -> Scenario:
    """A reply from the portal, then the brand's pulse must have moved and the thread's
    messages (as the open inbox fetches them) must hold the reply."""
    from django.test import Client

    from parley.inbox.selectors import conversation_for_creator

    team = Client()
    team.force_login(member.user)
    clients = [(creator_id, _client(key)) for creator_id, key in creators]

    def run(i: int) -> Any:
        creator_id, client = clients[i % len(clients)]
        before = team.get("/inbox/pulse/").content
        body = f"{REPLY_MARK} {i} {time.time()}"
        response = client.post(f"/portal/c/{creator_id}/reply/", {"body": body})
        if response.status_code != 302:
            raise RuntimeError(f"reply: {response.status_code}")
        if team.get("/inbox/pulse/").content == before:
            raise RuntimeError("the brand's pulse did not move")
        conversation = conversation_for_creator(workspace=member.workspace, creator_id=creator_id)
        assert conversation is not None
        messages = team.get(f"/inbox/c/{conversation.id}/messages/").content.decode()
        if body not in messages:
            raise RuntimeError("the reply is not in the brand's thread")
        return messages

    return Scenario("in-app reply seen by the brand (server part)", run, REPLY_VISIBLE_MS, None)


def _cleanup() -> None:
    from parley.inbox.models import Message

    Message.objects.filter(channel="inapp", body_text__startswith=REPLY_MARK).delete()


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    setup_django(args.database_url)
    from django.conf import settings

    workspace, member = _workspace(args.workspace)
    print(machine())
    creators = _portal_creators(workspace, member, args.creators)
    print(
        f"workspace {workspace.id} ({workspace.name}), {len(creators)} creators with a "
        f"portal session, acting member {member.id}",
        flush=True,
    )
    scenarios = [*page_scenarios(creators), reply_scenario(creators, member)]
    results: list[Result] = []
    try:
        for scenario in scenarios:
            if args.only and args.only not in scenario.name:
                continue
            results.append(measure(scenario, args.runs, args.warmup, show_plans=False))
    finally:
        if not args.keep:
            _cleanup()
    print(table(results))
    poll_ms = settings.PARLEY_POLL_SECONDS * 1000
    for r in results:
        if r.name.startswith("in-app reply"):
            print(
                f"in-app reply in the open inbox: server p95 {r.p95:.1f} ms + the poll "
                f"(every {poll_ms:.0f} ms) = at most {r.p95 + poll_ms:.0f} ms, "
                f"{r.p95 + poll_ms / 2:.0f} ms on average; target p95 <= "
                f"{REPLY_VISIBLE_MS:.0f} ms"
            )


if __name__ == "__main__":
    os.environ.setdefault("PARLEY_DEBUG", "0")
    main()
