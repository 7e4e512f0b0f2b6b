"""Builds a believable workspace in bulk: the demo data and the benchmark data set.

Rows are written with bulk_create in batches, with the inbox's denormalised columns
(last activity, awaiting reply, preview, per-member unread) computed as `message_record`
would have left them.
"""

import random
from collections.abc import Callable
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from parley.accounts.models import Client, Member, User, Workspace
from parley.campaigns.models import Campaign, CampaignMember
from parley.creators.models import Creator, CreatorTag, Identity, Note, Tag
from parley.inbox.models import Conversation, InboxEntry, Message

FIRST = (
    "Aino Emma Lea Mia Noah Leo Elias Oliver Sofia Ella Mila Luca Anna Ida Ben Paul Eino Onni "
    "Venla Lumi Jonas Felix Clara Marie Hanna Lotta Maja Nelli Aada Eetu Max Lina Zoe Amir Yara"
).split()
LAST = (
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
    identity_rows: list[Identity] = []
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
                search_text=f"{name.lower()} {email} {handle}",
            )
        )
        identity_rows.append(Identity(kind=Identity.Kind.EMAIL, value=email, normalized=email))
        kind = rng.choice([Identity.Kind.INSTAGRAM, Identity.Kind.TIKTOK, Identity.Kind.YOUTUBE])
        identity_rows.append(
            Identity(
                kind=kind,
                value=f"@{handle}",
                normalized=handle,
                url=f"https://www.{kind}.com/{handle}",
                followers=rng.randint(2_000, 900_000),
            )
        )
    created = Creator.objects.bulk_create(creator_rows)
    for i, identity in enumerate(identity_rows):
        identity.creator = created[i // 2]
        identity.workspace = workspace
        identity.is_primary = True
    Identity.objects.bulk_create(identity_rows)

    CreatorTag.objects.bulk_create(
        CreatorTag(creator=c, tag=t) for c in created for t in rng.sample(tags, rng.randint(0, 2))
    )
    memberships = []
    for creator in created:
        for campaign in rng.sample(campaigns, rng.randint(0, min(2, len(campaigns)))):
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

    conversations = []
    thread_rows: list[list[Message]] = []
    for creator in created:
        count = max(1, int(rng.gauss(per_creator, per_creator / 3)))
        at = now - timedelta(days=rng.uniform(1, 180))
        thread: list[Message] = []
        for k in range(count):
            at += timedelta(minutes=rng.uniform(5, 60 * 24 * 3))
            if at > now:
                at = now - timedelta(seconds=rng.uniform(1, 3600))
            inbound = k % 2 == 1 if rng.random() < 0.8 else rng.random() < 0.5
            channel = rng.choice(["email", "email", "inapp", "sms"])
            author = rng.choice(members)
            cids = campaign_of.get(creator.id, [])
            thread.append(
                Message(
                    workspace=workspace,
                    channel=channel,
                    direction="in" if inbound else "out",
                    campaign_id=rng.choice(cids) if cids and rng.random() < 0.7 else None,
                    author_member=None if inbound else author,
                    author_creator=creator if inbound else None,
                    subject="Collaboration" if channel == "email" else "",
                    body_text=rng.choice(INBOUND)
                    if inbound
                    else rng.choice(OUTBOUND).format(name=creator.first_name),
                    status="received" if inbound else "sent",
                    created_at=at,
                    sent_at=None if inbound else at,
                )
            )
        thread.sort(key=lambda m: m.created_at)
        last = thread[-1]
        inbound_times = [m.created_at for m in thread if m.direction == "in"]
        awaiting = None
        for m in thread:
            if m.direction == "in" and awaiting is None:
                awaiting = m.created_at
            elif m.direction == "out":
                awaiting = None
        conversations.append(
            Conversation(
                workspace=workspace,
                creator=creator,
                assignee=rng.choice(members) if rng.random() < 0.3 else None,
                last_activity_at=last.created_at,
                last_inbound_at=inbound_times[-1] if inbound_times else None,
                awaiting_reply_since=awaiting,
                preview=" ".join(last.body_text.split())[:140],
                channels=",".join(sorted({m.channel for m in thread})),
            )
        )
        thread_rows.append(thread)
    Conversation.objects.bulk_create(conversations)
    all_messages = []
    entries = []
    for conversation, thread in zip(conversations, thread_rows, strict=True):
        for m in thread:
            m.conversation = conversation
        all_messages.extend(thread)
        unread_for_all = conversation.awaiting_reply_since is not None and rng.random() < 0.25
        for member in members:
            unread = unread_for_all and rng.random() < 0.8
            entries.append(
                InboxEntry(
                    workspace=workspace,
                    member=member,
                    conversation=conversation,
                    unread=unread,
                    last_read_at=None if unread else conversation.last_activity_at,
                    sort_at=conversation.last_activity_at,
                )
            )
    Message.objects.bulk_create(all_messages, batch_size=2000)
    InboxEntry.objects.bulk_create(entries, batch_size=2000)
    Note.objects.bulk_create(
        Note(creator=c, author=rng.choice(members), body=f"Works mostly on {c.custom_fields['niche']}.")
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
            Client.objects.create(workspace=workspace, name=n) for n in ("Aurora Cosmetics", "Fjord Outdoor")
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
    return workspace
