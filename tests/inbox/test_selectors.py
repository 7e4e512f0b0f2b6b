import contextlib
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from parley.core.errors import NotFound, ValidationFailed
from parley.creators.models import CreatorTag
from parley.inbox import selectors as inbox_selectors
from parley.inbox.filters import InboxFilters
from parley.inbox.selectors import (
    conversation_get,
    conversation_list,
    conversation_match_ids,
    inbox_pulse,
    thread_messages,
)
from parley.inbox.services import conversation_assign, conversation_mark_read, message_record
from tests.factories import CampaignMemberFactory, ClientFactory, TagFactory

pytestmark = pytest.mark.django_db


def _names(page):  # type: ignore[no-untyped-def]
    return [e.conversation.creator.name for e in page.entries]


def test_unread_first_then_most_recent(member, make_conversation):
    now = timezone.now()
    make_conversation(name="Old read", inbound=1, at=now - timedelta(days=5))
    make_conversation(name="New read", inbound=1, at=now - timedelta(days=1))
    make_conversation(name="Old unread", inbound=1, at=now - timedelta(days=9))
    for c in member.inbox_entries.select_related("conversation__creator"):
        if c.conversation.creator.name != "Old unread":
            conversation_mark_read(member=member, conversation=c.conversation)

    page = conversation_list(member=member, filters=InboxFilters())

    assert _names(page) == ["Old unread", "New read", "Old read"]


def test_cursor_paging_visits_every_conversation_once(member, make_conversation):
    base = timezone.now() - timedelta(days=30)
    made = {make_conversation(inbound=i % 2, at=base + timedelta(hours=i)).id for i in range(23)}
    seen: list[int] = []
    cursor = None
    while True:
        page = conversation_list(member=member, filters=InboxFilters(), cursor=cursor, limit=5)
        seen += [e.conversation_id for e in page.entries]
        cursor = page.next_cursor
        if not cursor:
            break
    assert sorted(seen) == sorted(made)
    assert len(seen) == len(set(seen))


def test_equal_times_page_without_gaps(member, make_conversation):
    at = timezone.now() - timedelta(days=1)
    made = {make_conversation(at=at).id for _ in range(7)}
    first = conversation_list(member=member, filters=InboxFilters(), limit=4)
    second = conversation_list(
        member=member, filters=InboxFilters(), cursor=first.next_cursor, limit=4
    )
    assert {e.conversation_id for e in first.entries + second.entries} == made
    assert second.next_cursor is None


@settings(max_examples=25, deadline=None)
@given(st.text(max_size=60))
def test_garbage_cursor_is_a_validation_error_never_a_crash(cursor):
    from tests.factories import MemberFactory

    member = MemberFactory()
    if not cursor:
        return
    with contextlib.suppress(ValidationFailed):
        page = conversation_list(member=member, filters=InboxFilters(), cursor=cursor)
        assert page.entries == []


# The creator-set filters test entries three ways on PostgreSQL by the set's size (a join,
# a hashed set, a probe per entry; one way on SQLite): each must give the same rows.
SET_REGIMES = {"join": (500, 4000), "hashed": (0, 4000), "probe": (0, 0)}


@pytest.fixture(params=sorted(SET_REGIMES))
def set_regime(request, monkeypatch):  # type: ignore[no-untyped-def]
    small, large = SET_REGIMES[request.param]
    monkeypatch.setattr(inbox_selectors, "SMALL_SET", small)
    monkeypatch.setattr(inbox_selectors, "LARGE_SET", large)
    return request.param


def test_set_regime_is_the_one_planned(member, make_conversation, set_regime):
    tagged = make_conversation(name="Tagged")
    make_conversation(name="Other")
    tag = TagFactory(workspace=member.workspace)
    CreatorTag.objects.create(tag=tag, creator=tagged.creator)
    with CaptureQueriesContext(connection) as queries:
        page = conversation_list(member=member, filters=InboxFilters(tags=(tag.id,)))
    assert _names(page) == ["Tagged"]
    sql = queries.captured_queries[-1]["sql"]
    if connection.vendor != "postgresql":
        assert len(queries) == 1 and "EXISTS" in sql
    elif set_regime == "hashed":
        assert ") IS TRUE" in sql and "EXISTS" not in sql
    elif set_regime == "probe":
        assert "EXISTS" in sql and ") IS TRUE" not in sql
    else:
        assert "EXISTS" not in sql and ") IS TRUE" not in sql


def test_set_filter_pages_with_the_cursor(member, make_conversation, set_regime):
    base = timezone.now() - timedelta(days=30)
    tag = TagFactory(workspace=member.workspace)
    made = set()
    for i in range(17):
        conversation = make_conversation(inbound=i % 2, at=base + timedelta(hours=i))
        if i % 3:
            CreatorTag.objects.create(tag=tag, creator=conversation.creator)
            made.add(conversation.id)
    seen: list[int] = []
    cursor = None
    while True:
        page = conversation_list(
            member=member, filters=InboxFilters(tags=(tag.id,)), cursor=cursor, limit=4
        )
        seen += [e.conversation_id for e in page.entries]
        cursor = page.next_cursor
        if not cursor:
            break
    assert len(seen) == len(set(seen)) and set(seen) == made


def test_filters_combine_campaign_tag_client_unread_assigned_awaiting(
    member, teammate, make_conversation, set_regime
):
    client = ClientFactory(workspace=member.workspace)
    a = make_conversation(name="A", inbound=1, at=timezone.now() - timedelta(days=2))
    b = make_conversation(name="B")
    c = make_conversation(name="C", inbound=1)
    cm = CampaignMemberFactory(campaign__workspace=member.workspace, creator=a.creator)
    cm.campaign.client = client
    cm.campaign.save()
    CampaignMemberFactory(campaign=cm.campaign, creator=b.creator)
    tag = TagFactory(workspace=member.workspace)
    CreatorTag.objects.create(tag=tag, creator=a.creator)
    CreatorTag.objects.create(tag=tag, creator=c.creator)
    conversation_assign(actor=member, conversation=c, assignee=member)

    def names(**kw):  # type: ignore[no-untyped-def]
        return sorted(_names(conversation_list(member=member, filters=InboxFilters(**kw))))

    assert names(campaign=cm.campaign_id) == ["A", "B"]
    assert names(campaigns=(cm.campaign_id,), tags=(tag.id,)) == ["A"]
    assert names(clients=(client.id,)) == ["A", "B"]
    assert names(tags=(tag.id,)) == ["A", "C"]
    assert names(unread=True) == ["A", "C"]
    assert names(assigned_to_me=True) == ["C"]
    assert names(awaiting=True) == ["A"]
    assert names(q="b") == ["B"]


def test_list_is_scoped_to_the_member(member, other_member, make_conversation):
    make_conversation(name="Ours")
    make_conversation(name="Theirs", workspace=other_member.workspace)
    assert _names(conversation_list(member=member, filters=InboxFilters())) == ["Ours"]
    assert conversation_match_ids(member=member, filters=InboxFilters(), cap=10) != []


def test_conversation_get_other_workspace_is_not_found(member, other_member, make_conversation):
    theirs = make_conversation(workspace=other_member.workspace)
    with pytest.raises(NotFound):
        conversation_get(workspace=member.workspace, id=theirs.id)


def test_thread_oldest_first_and_campaign_filter(member, make_conversation):
    conversation = make_conversation()
    cm = CampaignMemberFactory(campaign__workspace=member.workspace, creator=conversation.creator)
    t0 = timezone.now() - timedelta(hours=3)
    for i, campaign in enumerate([None, cm.campaign_id, None]):
        message_record(
            conversation=conversation,
            channel="inapp",
            direction="out",
            status="sent",
            body_text=f"m{i}",
            author_member=member,
            campaign_id=campaign,
            created_at=t0 + timedelta(minutes=i),
        )
    assert [m.body_text for m in thread_messages(conversation=conversation)] == ["m0", "m1", "m2"]
    only = thread_messages(conversation=conversation, campaign_id=cm.campaign_id)
    assert [m.body_text for m in only] == ["m1"]


def test_pulse_changes_when_a_message_arrives(member, make_conversation):
    conversation = make_conversation()
    before = inbox_pulse(member=member)
    message_record(
        conversation=conversation,
        channel="inapp",
        direction="in",
        status="received",
        body_text="hi",
        author_creator=conversation.creator,
    )
    after = inbox_pulse(member=member)
    assert after != before and after[0] == before[0] + 1


def test_pulse_moves_when_a_read_thread_moves_and_the_page_carries_the_same(  # type: ignore[no-untyped-def]
    member, make_conversation
):
    waiting, ours = make_conversation(name="Waiting"), make_conversation(name="Ours")
    message_record(
        conversation=waiting,
        channel="inapp",
        direction="in",
        status="received",
        body_text="hi",
        author_creator=waiting.creator,
    )
    before = inbox_pulse(member=member)
    # Our own message in a thread we have read: no unread moves, the latest activity does.
    message_record(
        conversation=ours,
        channel="inapp",
        direction="out",
        status="sent",
        body_text="hello",
        author_member=member,
    )
    after = inbox_pulse(member=member)
    assert after[0] == before[0] == 1 and after[1] != before[1]
    page = conversation_list(member=member, filters=InboxFilters(), with_pulse=True)
    assert page.pulse == after


def test_the_pulse_is_three_lookups_in_entry_order(member, make_conversation):  # type: ignore[no-untyped-def]
    make_conversation()
    with CaptureQueriesContext(connection) as queries:
        inbox_pulse(member=member)
    sql = queries.captured_queries[-1]["sql"]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
            plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
            # Each looked up by member and unread (a bare `unread` test walks the member's
            # every entry).
            assert plan.count("entry_order (member_id=? AND unread=?)") == 3, plan
        else:
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}")
            plan = "\n".join(row[0] for row in cursor.fetchall())
            # The latest activity: the top of each of the member's two ranges.
            for unread in ("true", "false"):
                cond = f"Index Cond: ((member_id = {member.pk}) AND (unread = {unread}))"
                assert cond in plan, plan
