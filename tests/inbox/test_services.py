from datetime import timedelta

import pytest
from django.utils import timezone

from parley.core.errors import ValidationFailed
from parley.inbox.models import InboxEntry, Message, Notification
from parley.inbox.services import (
    conversation_assign,
    conversation_mark_read,
    conversation_mark_unread,
    inbox_entries_create_for_member,
    message_record,
)
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


def test_inbound_message_makes_conversation_unread_for_every_member(
    member, teammate, make_conversation
):
    # given a conversation with no messages
    conversation = make_conversation()
    # when a creator writes
    message_record(
        conversation=conversation,
        channel="email",
        direction=Message.Direction.INBOUND,
        status=Message.Status.RECEIVED,
        body_text="Hi   there,\nI'm in!",
        author_creator=conversation.creator,
    )
    # then both members see it unread, with a notification, and the conversation awaits us
    entries = InboxEntry.objects.filter(conversation=conversation)
    assert sorted(e.unread for e in entries) == [True, True]
    assert Notification.objects.filter(conversation=conversation, kind="inbound").count() == 2
    conversation.refresh_from_db()
    assert conversation.preview == "Hi there, I'm in!"
    assert conversation.awaiting_reply_since is not None
    assert conversation.channel_list == ["email"]


def test_member_reply_clears_awaiting_and_reads_for_author_only(
    member, teammate, make_conversation
):
    conversation = make_conversation(inbound=1)
    message_record(
        conversation=conversation,
        channel="inapp",
        direction=Message.Direction.OUTBOUND,
        status=Message.Status.SENT,
        body_text="Welcome!",
        author_member=member,
    )
    conversation.refresh_from_db()
    assert conversation.awaiting_reply_since is None
    assert conversation.channel_list == ["email", "inapp"]
    assert not InboxEntry.objects.get(conversation=conversation, member=member).unread
    assert InboxEntry.objects.get(conversation=conversation, member=teammate).unread


def test_mark_read_then_unread_moves_to_top_and_notifies(member, make_conversation):
    old = make_conversation(inbound=1, at=timezone.now() - timedelta(days=3))
    make_conversation(inbound=1)
    conversation_mark_read(member=member, conversation=old)
    entry = InboxEntry.objects.get(conversation=old, member=member)
    assert not entry.unread and entry.last_read_at is not None

    conversation_mark_unread(member=member, conversation=old)

    entry.refresh_from_db()
    assert entry.unread and entry.marked_unread
    top = InboxEntry.objects.filter(member=member).order_by("-unread", "-sort_at").first()
    assert top is not None and top.conversation_id == old.id
    assert Notification.objects.filter(member=member, kind="reminder").count() == 1


def test_assign_to_member_of_other_workspace_is_rejected(member, other_member, make_conversation):
    conversation = make_conversation()
    with pytest.raises(ValidationFailed):
        conversation_assign(actor=member, conversation=conversation, assignee=other_member)


def test_assign_notifies_assignee(member, teammate, make_conversation):
    conversation = make_conversation()
    conversation_assign(actor=member, conversation=conversation, assignee=teammate)
    conversation.refresh_from_db()
    assert conversation.assignee_id == teammate.id
    assert Notification.objects.filter(member=teammate, kind="assigned").exists()


def test_new_member_gets_an_entry_for_every_conversation(member, make_conversation):
    make_conversation(inbound=1)
    make_conversation()
    newcomer = MemberFactory(workspace=member.workspace)
    assert inbox_entries_create_for_member(member=newcomer) == 2
    assert InboxEntry.objects.filter(member=newcomer, unread=False).count() == 2
