"""Time message search on a workspace built by bench/generate.py.

    .venv/bin/python bench/search.py --runs 50 \
        --database-url postgres://postgres@127.0.0.1:5432/parley_bench

What is timed (in-process, as bench/inbox.py times it, whose helpers this uses): the first
page of `message_search` (ids, then the rows with their snippets) for common words of the
generated messages, for a rare word, a phrase and a prefix, the page after a common word's
first, and the inbox rows with a search (creators and messages, through Django's test
client). Issue 17's target: p95 at most 100 ms for a common and a rare word with the first
page, at 100k creators / 2M messages on PostgreSQL and SQLite; and the 10x rule: run it at
10k and at 100k, the times should not grow with the size.

The generated messages come from a few sentences, so every word of them is common. The
rare word is planted: unless the workspace has it already, RARE_COUNT messages with it are
written into random threads through message_record (and so indexed), once.
"""

import json
import os
import random
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from inbox import (
    Scenario,
    machine,
    measure,
    parse_args,
    setup_django,
    table,
)

SEARCH_MS = 100.0
SEARCH_QUERIES = 2
COMMON = ["campaign", "thanks", "reel", "agreement", "package", "friday"]
RARE = "zanzibar"
RARE_COUNT = 20
PHRASES = ['"the brief is attached"', '"coupon code"', '"next campaign"']
PREFIXES = ["deliver", "interes", "remind"]


def plant_rare(workspace: Any) -> int:
    """The rare word in RARE_COUNT messages of the workspace (written once); how many there
    are."""
    from parley.inbox.models import Channel, Conversation, Message
    from parley.inbox.search import message_search
    from parley.inbox.services import message_record

    found = message_search(workspace=workspace, q=RARE, limit=RARE_COUNT).hits
    if found:
        return len(found)
    rng = random.Random(17)
    ids = list(
        Conversation.objects.filter(workspace=workspace)
        .order_by("?")
        .values_list("id", flat=True)[:RARE_COUNT]
    )
    assert ids, "no conversations: run bench/generate.py first"
    for conversation in Conversation.objects.filter(id__in=ids).select_related("creator"):
        message_record(
            conversation=conversation,
            channel=Channel.EMAIL,
            direction=Message.Direction.INBOUND,
            status=Message.Status.RECEIVED,
            body_text=f"We are travelling to {RARE.title()} next month, {rng.randint(1, 99)} "
            "photos to share.",
            author_creator=conversation.creator,
        )
    return len(ids)


def build_scenarios(workspace_id: int | None, http: bool) -> tuple[list[Scenario], str]:
    from django.test import Client

    from parley.accounts.models import Member, Workspace
    from parley.inbox.models import Message
    from parley.inbox.search import message_search

    workspaces = Workspace.objects.order_by("-id")
    workspace = workspaces.get(id=workspace_id) if workspace_id else workspaces.first()
    assert workspace is not None, "no workspace: run bench/generate.py first"
    messages = Message.objects.filter(workspace=workspace).order_by("-id").first()
    rare = plant_rare(workspace)
    about = (
        f"workspace {workspace.id} ({workspace.name}), search language "
        f"{workspace.search_language}; newest message id {messages.id if messages else 0}; "
        f"the rare word in {rare} messages"
    )

    def rotate(values: list[str], i: int) -> str:
        return values[i % len(values)]

    def search(terms: list[str]) -> Any:
        def run(i: int) -> Any:
            return message_search(workspace=workspace, q=rotate(terms, i)).hits

        return run

    cursors = {word: message_search(workspace=workspace, q=word).next_cursor for word in COMMON}

    def next_page(i: int) -> Any:
        word = rotate(COMMON, i)
        return message_search(workspace=workspace, q=word, cursor=cursors[word]).hits

    scenarios = [
        Scenario("message search: common word", search(COMMON), SEARCH_MS, SEARCH_QUERIES),
        Scenario("message search: rare word", search([RARE]), SEARCH_MS, SEARCH_QUERIES),
        Scenario("message search: phrase", search(PHRASES), SEARCH_MS, SEARCH_QUERIES),
        Scenario("message search: prefix", search(PREFIXES), SEARCH_MS, SEARCH_QUERIES),
        Scenario("message search: 2 common words", search(["campaign thanks", "reel link"])),
        Scenario("message search: next page (common)", next_page, SEARCH_MS, SEARCH_QUERIES),
    ]
    if http:
        member = Member.objects.filter(workspace=workspace).select_related("user").first()
        assert member is not None
        client = Client()
        client.force_login(member.user)

        def rows(terms: list[str]) -> Any:
            def run(i: int) -> Any:
                response = client.get("/inbox/rows/", {"q": rotate(terms, i)})
                assert response.status_code == 200, response.status_code
                return response.content

            return run

        scenarios += [
            Scenario("page: inbox rows, search (common)", rows(COMMON)),
            Scenario("page: inbox rows, search (rare)", rows([RARE])),
        ]
    return scenarios, about


def main() -> None:
    args = parse_args()
    setup_django(args.database_url)
    scenarios, about = build_scenarios(args.workspace, http=not args.no_http)
    if args.only:
        scenarios = [s for s in scenarios if args.only in s.name]
    header = (
        f"{machine()}\n{about}\n{args.runs} timed runs per scenario after {args.warmup} "
        "warm-up runs; server-side time in-process; target p95 for 100k/2M"
    )
    print(header, flush=True)
    load_before = os.getloadavg()
    results = [measure(s, args.runs, args.warmup, args.explain) for s in scenarios]
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
