"""Builds a believable workspace in bulk: the demo data and the benchmark data set.

Rows are written in batches (bulk_create, or plain tuples through COPY/executemany for the
big tables), with the inbox's denormalised columns (last activity, awaiting reply, preview,
per-member unread) computed as `message_record` would have left them.
"""

import itertools
import random
import zoneinfo
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from django.db import transaction
from django.utils import timezone

from parley.accounts.models import Client, Member, User, Workspace
from parley.campaigns.models import Campaign, CampaignMember
from parley.core.bulk import rows_insert
from parley.creators.models import Creator, CreatorTag, Identity, Note, Tag
from parley.creators.normalize import profile_url, search_text
from parley.inbox.models import Conversation, InboxEntry, Message, Notification
from parley.inbox.responses import response_counts_add, response_counts_of
from parley.inbox.search import messages_insert_indexed, search_index_since
from parley.portal.models import ContentSubmission

T = TypeVar("T")

FIRST = (  # noqa: SIM905 - a name list reads better as one string
    "Aino Emma Lea Mia Noah Leo Elias Oliver Sofia Ella Mila Luca Anna Ida Ben Paul Eino Onni "
    "Venla Lumi Jonas Felix Clara Marie Hanna Lotta Maja Nelli Aada Eetu Max Lina Zoe Amir Yara"
).split()
LAST = (  # noqa: SIM905
    "Virtanen Korhonen Nieminen Mäkinen Müller Schmidt Schneider Fischer Weber Meyer Wagner "
    "Laine Heikkinen Koskinen Becker Hoffmann Smith Johnson Brown Garcia Martin Rossi Silva"
).split()
NICHES = ["beauty", "fitness", "food", "travel", "gaming", "tech", "fashion", "parenting", "pets"]
INBOUND = [
    "Hi! Thanks for reaching out, I'd love to hear more about the campaign.",
    "What are the deliverables and the timeline?",
    "Could you send the agreement over? Happy to sign this week.",
    "The package arrived today, thank you so much!",
    "I posted the reel, here is the link. Let me know what you think.",
    "What's my coupon code for the followers?",
    "Sorry for the late reply, I was travelling. Still interested!",
    "Can we move the posting date to next Friday?",
]
OUTBOUND = [
    "Hi {name}, we'd love to have you in our next campaign. Interested?",
    "Great! The brief is attached; deliverables are one reel and two stories.",
    "Thanks {name}! Your products ship tomorrow.",
    "Looks amazing, approved. Payment goes out this week.",
    "Friendly reminder: the content is due on Friday.",
    "Here is your personal code and tracking link.",
]


def _name(rng: random.Random) -> tuple[str, str]:
    first = rng.choice(FIRST)
    return first, f"{first} {rng.choice(LAST)}"


def generate(
    *,
    workspace: Workspace,
    members: list[Member],
    campaigns: list[Campaign],
    tags: list[Tag],
    creators: int,
    messages: int,
    seed: int = 7,
    batch: int = 1000,
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Add `creators` creators with `messages` messages spread over the last 6 months."""
    rng = random.Random(seed)
    now = now or timezone.now()
    per_creator = max(1, messages // max(1, creators))
    first_id = (Creator.objects.order_by("-id").values_list("id", flat=True).first() or 0) + 1
    done = 0
    while done < creators:
        count = min(batch, creators - done)
        with transaction.atomic():
            _batch(
                rng,
                workspace,
                members,
                campaigns,
                tags,
                start=first_id + done,
                count=count,
                per_creator=per_creator,
                now=now,
            )
        done += count
        if progress:
            progress(done)


_CUM_WEIGHTS: dict[int, list[float]] = {}


def _skewed_sample(rng: random.Random, items: list[T], k: int) -> list[T]:
    """k distinct items, the first ones far more often (weight 1/rank): a few big campaigns
    and popular tags, a long tail of small ones, as real workspaces have."""
    n = len(items)
    if n not in _CUM_WEIGHTS:
        _CUM_WEIGHTS[n] = list(itertools.accumulate(1 / rank for rank in range(1, n + 1)))
    cum_weights = _CUM_WEIGHTS[n]
    chosen: list[T] = []
    while len(chosen) < k:
        item = rng.choices(items, cum_weights=cum_weights)[0]
        if item not in chosen:
            chosen.append(item)
    return chosen


MESSAGE_COLUMNS = (
    "workspace_id",
    "conversation_id",
    "channel",
    "direction",
    "campaign_id",
    "author_member_id",
    "author_creator_id",
    "subject",
    "body_text",
    "status",
    "created_at",
    "sent_at",
    "response_seconds",
    "first_response",
)
ENTRY_COLUMNS = (
    "workspace_id",
    "member_id",
    "conversation_id",
    "creator_id",
    "unread",
    "last_read_at",
    "sort_at",
)
IDENTITY_COLUMNS = (
    "workspace_id",
    "creator_id",
    "kind",
    "value",
    "normalized",
    "url",
    "followers",
    "is_primary",
)


def _batch(
    rng: random.Random,
    workspace: Workspace,
    members: list[Member],
    campaigns: list[Campaign],
    tags: list[Tag],
    *,
    start: int,
    count: int,
    per_creator: int,
    now: datetime,
) -> None:
    creator_rows = []
    identity_rows: list[tuple[str, str, str, str, int | None]] = []
    for n in range(start, start + count):
        first, name = _name(rng)
        handle = f"{first.lower()}.{n}"
        email = f"{handle}@creators.example"
        niche = rng.choice(NICHES)
        creator_rows.append(
            Creator(
                workspace=workspace,
                name=name,
                first_name=first,
                preferred_channel=rng.choice(["email", "email", "inapp", "sms"]),
                custom_fields={"niche": niche, "city": rng.choice(["Helsinki", "Berlin", "Oulu"])},
                search_text=search_text(name, [email, handle]),
            )
        )
        identity_rows.append((Identity.Kind.EMAIL, email, email, "", None))
        kind = rng.choice([Identity.Kind.INSTAGRAM, Identity.Kind.TIKTOK, Identity.Kind.YOUTUBE])
        audience = rng.randint(2_000, 900_000)
        identity_rows.append((kind, f"@{handle}", handle, profile_url(kind, handle), audience))
        # The headline audience, as the services keep it: the largest profile's.
        creator_rows[-1].followers = audience
    created = Creator.objects.bulk_create(creator_rows)
    ws = workspace.id
    rows_insert(
        Identity,
        IDENTITY_COLUMNS,
        ((ws, created[i // 2].id, *row, True) for i, row in enumerate(identity_rows)),
    )

    CreatorTag.objects.bulk_create(
        CreatorTag(creator=c, tag=t)
        for c in created
        for t in _skewed_sample(rng, tags, rng.randint(0, min(2, len(tags))))
    )
    memberships = []
    for creator in created:
        for campaign in _skewed_sample(rng, campaigns, rng.randint(0, min(2, len(campaigns)))):
            memberships.append(
                CampaignMember(
                    workspace=workspace,
                    campaign=campaign,
                    creator=creator,
                    status=rng.choice(CampaignMember.Status.values),
                )
            )
    CampaignMember.objects.bulk_create(memberships)
    campaign_of: dict[int, list[int]] = {}
    for cm in memberships:
        campaign_of.setdefault(cm.creator_id, []).append(cm.campaign_id)

    member_ids = [m.id for m in members]
    conversations = []
    # A thread is a list of (created_at, inbound, channel, campaign id, author member id, body).
    threads: list[list[tuple[datetime, bool, str, int | None, int | None, str]]] = []
    thread_responses: list[list[tuple[int | None, bool]]] = []
    for creator in created:
        count = max(1, int(rng.gauss(per_creator, per_creator / 3)))
        at = now - timedelta(days=rng.uniform(1, 180))
        thread = []
        cids = campaign_of.get(creator.id, [])
        for k in range(count):
            at += timedelta(minutes=rng.uniform(5, 60 * 24 * 3))
            if at > now:
                at = now - timedelta(seconds=rng.uniform(1, 3600))
            inbound = k % 2 == 1 if rng.random() < 0.8 else rng.random() < 0.5
            channel = rng.choice(["email", "email", "inapp", "sms"])
            author = rng.choice(member_ids)
            thread.append(
                (
                    at,
                    inbound,
                    channel,
                    rng.choice(cids) if cids and rng.random() < 0.7 else None,
                    None if inbound else author,
                    rng.choice(INBOUND)
                    if inbound
                    else rng.choice(OUTBOUND).format(name=creator.first_name),
                )
            )
        thread.sort(key=lambda m: m[0])
        last = thread[-1]
        inbound_times = [m[0] for m in thread if m[1]]
        awaiting = None
        replied = False
        # Each reply that ends a wait: (seconds waited, first reply in the thread), as
        # message_record stores them; None for every other message.
        responses: list[tuple[int | None, bool]] = []
        for m in thread:
            if m[1] and awaiting is None:
                awaiting = m[0]
            elif not m[1]:
                waited = int((m[0] - awaiting).total_seconds()) if awaiting else None
                responses.append((waited, waited is not None and not replied))
                awaiting, replied = None, True
                continue
            responses.append((None, False))
        conversations.append(
            Conversation(
                workspace=workspace,
                creator=creator,
                assignee=rng.choice(members) if rng.random() < 0.3 else None,
                last_activity_at=last[0],
                last_inbound_at=inbound_times[-1] if inbound_times else None,
                awaiting_reply_since=awaiting,
                preview=" ".join(last[5].split())[:140],
                channels=",".join(sorted({m[2] for m in thread})),
            )
        )
        threads.append(thread)
        thread_responses.append(responses)
    Conversation.objects.bulk_create(conversations)
    entries = []
    for conversation in conversations:
        unread_for_all = conversation.awaiting_reply_since is not None and rng.random() < 0.25
        for member_id in member_ids:
            unread = unread_for_all and rng.random() < 0.8
            last_activity = conversation.last_activity_at
            entries.append(
                (
                    ws,
                    member_id,
                    conversation.id,
                    conversation.creator_id,
                    unread,
                    None if unread else last_activity,
                    last_activity,
                )
            )
    # The messages go in by COPY, which gives no ids back: where they are not indexed as
    # they go in (SQLite), index those above the highest id before them (generation runs
    # alone, in one transaction). In the order they were written, as real messages are
    # stored, so ids follow time within a batch (message search lists the newest first).
    last_id = Message.objects.order_by("-id").values_list("id", flat=True).first() or 0
    rows = [
        (
            ws,
            conversation.id,
            channel,
            "in" if inbound else "out",
            campaign_id,
            author_member_id,
            conversation.creator_id if inbound else None,
            "Collaboration" if channel == "email" else "",
            body,
            "received" if inbound else "sent",
            at,
            None if inbound else at,
            waited,
            first,
        )
        for conversation, thread, responses in zip(
            conversations, threads, thread_responses, strict=True
        )
        for (at, inbound, channel, campaign_id, author_member_id, body), (
            waited,
            first,
        ) in zip(thread, responses, strict=True)
    ]
    rows.sort(key=lambda row: row[10])  # created_at
    messages_insert_indexed(
        MESSAGE_COLUMNS, rows, index=lambda: search_index_since(after_id=last_id)
    )
    # The replies that ended a wait: (created_at, author, first response, seconds waited).
    replies = ((r[10], r[5], r[13], r[12]) for r in rows if r[12] is not None)
    response_counts_add(
        workspace_id=ws,
        counts=response_counts_of(replies, zoneinfo.ZoneInfo(workspace.time_zone)),
    )
    rows_insert(InboxEntry, ENTRY_COLUMNS, entries)
    by_id = {c.id: c for c in conversations}
    Notification.objects.bulk_create(
        Notification(
            workspace=workspace,
            member_id=member_id,
            kind=Notification.Kind.INBOUND,
            conversation_id=conversation_id,
            text=by_id[conversation_id].preview,
            created_at=sort_at,
        )
        for _ws, member_id, conversation_id, _creator_id, unread, _read, sort_at in entries
        if unread
    )
    Note.objects.bulk_create(
        Note(
            creator=c,
            author=rng.choice(members),
            body=f"Works mostly on {c.custom_fields['niche']}.",
        )
        for c in created
        if rng.random() < 0.2
    )


def demo_workspace(*, creators: int = 300, messages: int = 3000) -> Workspace:
    """The demo: 3 members, 2 clients, 5 campaigns, tags, creators and months of messages."""
    with transaction.atomic():
        workspace = Workspace.objects.create(name="Nordic Glow", kind=Workspace.Kind.AGENCY)
        people = [
            ("demo@parley.test", "Dana", "Demo", Member.Role.OWNER),
            ("mika@parley.test", "Mika", "Laine", Member.Role.ADMIN),
            ("jonas@parley.test", "Jonas", "Weber", Member.Role.MEMBER),
        ]
        members = []
        for email, first, last, role in people:
            user = User.objects.filter(email=email).first() or User.objects.create_user(
                email=email, password="parley-demo", first_name=first, last_name=last
            )
            members.append(Member.objects.create(workspace=workspace, user=user, role=role))
        clients = [
            Client.objects.create(workspace=workspace, name=n)
            for n in ("Aurora Cosmetics", "Fjord Outdoor")
        ]
        campaigns = [
            Campaign.objects.create(workspace=workspace, name=n, client=c)
            for n, c in [
                ("Spring Glow Launch", clients[0]),
                ("Summer Skincare", clients[0]),
                ("Trail Season", clients[1]),
                ("Winter Gear Gifting", clients[1]),
                ("Brand Ambassadors 2026", None),
            ]
        ]
        tags = [
            Tag.objects.create(workspace=workspace, name=n)
            for n in ("VIP", "micro", "macro", "UGC", "Finland", "Germany", "needs-contract")
        ]
    generate(
        workspace=workspace,
        members=members,
        campaigns=campaigns,
        tags=tags,
        creators=creators,
        messages=messages,
    )
    _demo_submissions(workspace)
    return workspace


def _demo_submissions(workspace: Workspace) -> None:
    """A member the demo marked "Content submitted" has content waiting for review (a link,
    as if sent from the creator portal), so the Content Approval tab and the portal agree
    with the Members tab."""
    now = timezone.now()
    submitted = CampaignMember.objects.filter(
        campaign__workspace=workspace, status=CampaignMember.Status.CONTENT_SUBMITTED
    ).order_by("id")
    ContentSubmission.objects.bulk_create(
        ContentSubmission(
            workspace=workspace,
            campaign_id=m.campaign_id,
            creator_id=m.creator_id,
            url=f"https://www.instagram.com/p/demo-{m.campaign_id}-{m.creator_id}/",
            note="The post for the campaign, as agreed.",
            submitted_at=now - timedelta(hours=3 * (i + 1)),
        )
        for i, m in enumerate(submitted)
    )
