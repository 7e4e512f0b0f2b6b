"""Time the SMS channel on a workspace built by bench/generate.py, against the local Twilio
of the tests (tests/channels/sms/twilio_fake.py, the real `twilio` library pointed at it).

    .venv/bin/python bench/sms.py --runs 200 \
        --database-url postgres://postgres@127.0.0.1:5432/parley_bench

- Inbound webhook to stored message: a phone number (E.164) is given to --phones creators
  of the workspace (once; kept), then each run POSTs Twilio's signed "a message comes in"
  form from one of them, a new MessageSid each time, through Django's test client (server
  time: the signature check, the phone looked up by its index, the message stored in the
  creator's thread). Target p95 <= 15 ms on PostgreSQL at 100k creators / 2M messages.
- Dispatch at the number's rate: --queue SMS queued in the outbox for as many creators,
  the number's rate set to --rate a second, then `outbox_dispatch_due` called until all
  are sent, by one process or by --workers processes side by side (`parley worker`-like
  loops). The local Twilio notes when each create arrives; the most sent in any one-second
  window must not exceed the rate. The queued messages are deleted afterwards.
"""

import argparse
import multiprocessing
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT))

from inbox import machine, percentile, setup_django  # noqa: E402

INBOUND_MS = 15.0
PHONE_BASE = 358_400_000_000  # +358 40 000 0000 onwards: Finnish mobile numbers


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=200, help="inbound webhooks to time")
    parser.add_argument("--warmup", type=int, default=20, help="untimed webhooks before them")
    parser.add_argument("--phones", type=int, default=10_000, help="creators given a phone")
    parser.add_argument("--queue", type=int, default=1000, help="SMS to dispatch")
    parser.add_argument("--rate", type=float, default=25.0, help="the number's SMS a second")
    parser.add_argument("--workers", type=int, default=2, help="dispatching processes")
    parser.add_argument("--database-url", help="overrides DATABASE_URL for this run")
    parser.add_argument("--workspace", type=int, help="workspace id (default: the newest)")
    return parser.parse_args(argv)


def _connect(workspace_id: int | None, api_url: str) -> tuple[Any, Any, Any]:
    """The workspace's admin, its Twilio account (connected against the local Twilio) and
    its number."""
    from django.conf import settings

    from parley.accounts.models import Member, Workspace
    from parley.channels.sms.models import SmsNumber, TwilioAccount
    from parley.channels.sms.services import Login, account_connect, number_add
    from tests.channels.sms.twilio_fake import ACCOUNT_SID, AUTH_TOKEN, NUMBER_SID

    settings.PARLEY_TWILIO_API_URL = api_url
    settings.PARLEY_PUBLIC_URL = "http://testserver"
    workspaces = Workspace.objects.order_by("-id")
    workspace = workspaces.filter(id=workspace_id).first() if workspace_id else workspaces.first()
    if workspace is None:
        sys.exit("No workspace: run bench/generate.py first.")
    member = (
        Member.objects.filter(workspace=workspace, role__in=[Member.Role.OWNER, Member.Role.ADMIN])
        .select_related("user", "workspace")
        .order_by("id")
        .first()
    )
    if member is None:
        sys.exit(f"Workspace {workspace.id} has no admin.")
    account = TwilioAccount.objects.filter(workspace=workspace).first()
    if account is None:
        account = account_connect(
            member=member, login=Login(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN)
        )
    number = SmsNumber.objects.filter(workspace=workspace, twilio_sid=NUMBER_SID).first()
    if number is None:
        number = number_add(member=member, account=account, twilio_sid=NUMBER_SID)
    return member, account, number


def _phones(workspace: Any, count: int) -> list[tuple[int, str]]:
    """(creator id, phone) for `count` creators of the workspace, given a phone identity
    the first time (kept for later runs)."""
    from django.utils import timezone

    from parley.core.bulk import rows_insert
    from parley.creators.models import Creator, Identity

    have = dict(
        Identity.objects.filter(
            workspace=workspace, kind=Identity.Kind.PHONE, normalized__startswith="+3584000"
        ).values_list("creator_id", "normalized")
    )
    if len(have) < count:
        ids = list(
            Creator.objects.filter(workspace=workspace)
            .exclude(id__in=list(have))
            .order_by("id")
            .values_list("id", flat=True)[: count - len(have)]
        )
        now = timezone.now()
        start = len(have)
        rows = []
        for i, creator_id in enumerate(ids):
            phone = f"+{PHONE_BASE + start + i}"
            rows.append((now, now, workspace.id, creator_id, "phone", phone, phone, "", False))
            have[creator_id] = phone
        rows_insert(
            Identity,
            [
                "created_at",
                "updated_at",
                "workspace_id",
                "creator_id",
                "kind",
                "value",
                "normalized",
                "url",
                "is_primary",
            ],
            rows,
        )
        print(f"gave {len(rows):,} creators a phone number", flush=True)
    return list(have.items())[:count]


def inbound(account: Any, number: Any, phones: list[tuple[int, str]], args: Any) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from parley.channels.sms.services import webhook_urls
    from tests.sms_fixtures import inbound_params, sign

    url, _ = webhook_urls(account, base="http://testserver")
    path = url.removeprefix("http://testserver")
    client = Client()
    stamp = int(time.time() * 1000) % 10**12

    def post(i: int) -> None:
        phone = phones[(i * 7919) % len(phones)][1]
        params = inbound_params(
            body=f"Bench reply {i}",
            sender=phone,
            to=number.phone_number,
            sid=f"SM{stamp:012d}{i:020d}",
        )
        response = client.post(path, params, headers={"X-Twilio-Signature": sign(url, params)})
        if response.status_code != 200:
            raise RuntimeError(f"inbound: {response.status_code} {response.content[:200]!r}")

    for i in range(args.warmup):
        post(i)
    wall = []
    for i in range(args.warmup, args.warmup + args.runs):
        started = time.perf_counter()
        post(i)
        wall.append((time.perf_counter() - started) * 1000)
    with CaptureQueriesContext(connection) as captured:
        post(args.warmup + args.runs)
    p95 = percentile(wall, 0.95)
    print(
        f"inbound webhook -> stored ({len(phones):,} phones): p50 {percentile(wall, 0.5):.2f} "
        f"p95 {p95:.2f} max {max(wall):.2f} ms, {len(captured.captured_queries)} queries"
        f"  target {INBOUND_MS:.0f} ms {'ok' if p95 <= INBOUND_MS else 'OVER'}",
        flush=True,
    )


def _dispatch_loop(database_url: str | None, api_url: str, until: float) -> None:
    """One worker: dispatch what is due until nothing is left (or the time is up)."""
    setup_django(database_url)
    from django.conf import settings

    from parley.outbox.dispatch import outbox_dispatch_due
    from parley.outbox.models import OutboxItem

    settings.PARLEY_TWILIO_API_URL = api_url
    while time.time() < until:
        if not outbox_dispatch_due(worker_id=f"bench-{os.getpid()}") and not (
            OutboxItem.objects.filter(channel="sms", state=OutboxItem.State.PENDING).exists()
        ):
            return
    raise SystemExit("dispatch did not finish in time")


def dispatch(member: Any, number: Any, phones: list[tuple[int, str]], fake: Any, args: Any) -> None:
    from parley.channels.sms.services import number_update
    from parley.creators.models import Creator
    from parley.inbox.models import Message
    from parley.inbox.services import conversation_get_or_create
    from parley.outbox.sms_send import sms_message_send

    number = number_update(member=member, number=number, per_second=args.rate)
    creators = Creator.objects.in_bulk([c for c, _ in phones[: args.queue]])
    started = time.perf_counter()
    ids = []
    for creator in creators.values():
        conversation = conversation_get_or_create(creator=creator)
        message = sms_message_send(
            member=member, conversation=conversation, number=number, body="Bench: hello!"
        )
        ids.append(message.id)
    print(f"queued {len(ids):,} SMS in {time.perf_counter() - started:.1f} s", flush=True)
    fake.state.sent.clear()
    until = time.time() + len(ids) / args.rate * 3 + 60
    started = time.perf_counter()
    context = multiprocessing.get_context("fork")
    from django.db import connections

    connections.close_all()
    workers = [
        context.Process(target=_dispatch_loop, args=(args.database_url, fake.base, until))
        for _ in range(args.workers)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - started
    at = sorted(s.at for s in fake.state.sent)
    most, j = 0, 0
    for i, t in enumerate(at):
        while at[j] <= t - 1.0:
            j += 1
        most = max(most, i - j + 1)
    sent = Message.objects.filter(id__in=ids, status="sent").count()
    print(
        f"dispatch of {len(ids):,} SMS by {args.workers} workers at {args.rate:g}/s: "
        f"{len(at):,} reached Twilio, {sent:,} marked sent, in {elapsed:.1f} s "
        f"({len(at) / elapsed:.1f}/s); most in any one second: {most} "
        f"{'ok' if most <= args.rate and len(at) == len(ids) else 'OVER'}",
        flush=True,
    )
    Message.objects.filter(id__in=ids).delete()


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    os.environ.setdefault("PARLEY_DEBUG", "0")
    setup_django(args.database_url)
    from tests.channels.sms.twilio_fake import FakeTwilio

    fake = FakeTwilio()
    try:
        member, account, number = _connect(args.workspace, fake.base)
        print(machine())
        phones = _phones(member.workspace, max(args.phones, args.queue))
        inbound(account, number, phones, args)
        dispatch(member, number, phones, fake, args)
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
