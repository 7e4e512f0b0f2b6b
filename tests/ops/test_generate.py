"""The bulk generator writes rows the services would have written (its big tables skip the
ORM: COPY on PostgreSQL, executemany elsewhere)."""

import pytest

from parley.campaigns.models import CampaignMember
from parley.creators.models import Creator, Identity
from parley.creators.normalize import profile_url
from parley.inbox.filters import InboxFilters
from parley.inbox.models import Conversation, InboxEntry, Message, ResponseCount
from parley.inbox.responses import response_counts_rebuild
from parley.inbox.search import message_search
from parley.inbox.selectors import conversation_list, thread_messages
from parley.ops.generate import generate
from tests.factories import CampaignFactory, MemberFactory, TagFactory, WorkspaceFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def generated():  # type: ignore[no-untyped-def]
    workspace = WorkspaceFactory()
    members = [MemberFactory(workspace=workspace) for _ in range(2)]
    campaigns = [CampaignFactory(workspace=workspace) for _ in range(4)]
    tags = [TagFactory(workspace=workspace) for _ in range(5)]
    # given a workspace, when 40 creators with ~400 messages are generated in batches of 15
    generate(
        workspace=workspace,
        members=members,
        campaigns=campaigns,
        tags=tags,
        creators=40,
        messages=400,
        batch=15,
    )
    return workspace, members


def test_every_creator_gets_identities_a_conversation_and_an_entry_per_member(generated):
    workspace, members = generated
    creators = Creator.objects.filter(workspace=workspace)
    assert creators.count() == 40
    identities = Identity.objects.filter(workspace=workspace)
    assert identities.count() == 80
    assert all(i.created_at is not None and i.is_primary for i in identities)
    # the profiles' addresses are the platforms' own (TikTok and YouTube with an @)
    for social in identities.exclude(kind=Identity.Kind.EMAIL):
        assert social.url == profile_url(social.kind, social.normalized), social.url
    assert Conversation.objects.filter(workspace=workspace).count() == 40
    for member in members:
        assert InboxEntry.objects.filter(member=member).count() == 40
    assert 250 <= Message.objects.filter(workspace=workspace).count() <= 550
    assert not CampaignMember.objects.exclude(workspace=workspace).exists()


def test_denormalised_inbox_columns_agree_with_the_messages(generated):
    workspace, _members = generated
    for conversation in Conversation.objects.filter(workspace=workspace):
        messages = list(conversation.messages.order_by("created_at", "id"))
        assert conversation.last_activity_at == messages[-1].created_at
        inbound = [m.created_at for m in messages if m.direction == Message.Direction.INBOUND]
        assert conversation.last_inbound_at == (inbound[-1] if inbound else None)
        for entry in conversation.entries.all():
            assert entry.sort_at == conversation.last_activity_at
            assert entry.unread == (entry.last_read_at is None)
            assert not entry.unread or conversation.awaiting_reply_since is not None
        for message in messages:
            inbound_message = message.direction == Message.Direction.INBOUND
            assert (message.author_creator_id == conversation.creator_id) == inbound_message
            assert (message.sent_at is None) == inbound_message


def test_generated_rows_read_back_through_the_selectors(generated):
    _workspace, members = generated
    page = conversation_list(member=members[0], filters=InboxFilters(), limit=10)
    assert len(page.entries) == 10 and page.next_cursor is not None
    keys = [(e.unread, e.sort_at) for e in page.entries]
    assert keys == sorted(keys, reverse=True)
    thread = thread_messages(conversation=page.entries[0].conversation)
    assert thread and thread[-1].created_at == page.entries[0].conversation.last_activity_at


def test_the_response_counts_agree_with_the_replies(generated):
    """The generator counts its replies as message_record would: what a rebuild from the
    replies makes is what it wrote (the Reports page reads the counts)."""
    workspace, _members = generated

    def counts() -> list[tuple[object, ...]]:
        rows = ResponseCount.objects.filter(workspace=workspace)
        return sorted(rows.values_list("day", "member_id", "first", "seconds", "count"))

    written = counts()
    replies = Message.objects.filter(workspace=workspace, response_seconds__isnull=False)
    assert sum(row[-1] for row in written) == replies.count() > 0
    response_counts_rebuild(workspace_id=workspace.id)
    assert counts() == written


def test_a_batch_stores_its_messages_in_the_order_they_were_written():
    """Ids follow time within a batch, as real messages are stored (message search lists
    the newest stored first)."""
    workspace = WorkspaceFactory()
    members = [MemberFactory(workspace=workspace)]
    generate(
        workspace=workspace,
        members=members,
        campaigns=[],
        tags=[],
        creators=10,
        messages=100,
        batch=10,
    )
    times = list(
        Message.objects.filter(workspace=workspace)
        .order_by("id")
        .values_list("created_at", flat=True)
    )
    assert len(times) > 50 and times == sorted(times)


def test_generated_messages_are_found_by_search(generated):
    """Indexed as they go in (PostgreSQL) or after (SQLite), as message_record indexes."""
    workspace, _members = generated
    newest = Message.objects.filter(workspace=workspace).order_by("-id").first()
    assert newest is not None
    word = max(newest.body_text.split(), key=len).strip(".,!?'\"")
    found = message_search(workspace=workspace, q=word, limit=100).hits
    assert newest.id in [hit.message.id for hit in found]
