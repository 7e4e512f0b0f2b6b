from datetime import timedelta

import pytest
from django.utils import timezone

from parley.creators.services import tags_add
from parley.inbox.models import Attachment, InboxEntry, Message, Notification
from parley.inbox.services import conversation_assign, conversation_mark_read, message_record
from parley.outbox.models import OutboxItem
from tests.factories import (
    CampaignFactory,
    CampaignMemberFactory,
    ClientFactory,
    TagFactory,
)

pytestmark = pytest.mark.django_db


def _ids(response) -> list[int]:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def _tag(conversation, tag) -> None:  # type: ignore[no-untyped-def]
    tags_add(tag=tag, creator_ids=[conversation.creator_id])


# List ----------------------------------------------------------------------------------


def test_list_puts_unread_first_then_most_recent(api, member, make_conversation):
    # given an old unread conversation and two read ones, the newer of which is first
    now = timezone.now()
    old_unread = make_conversation(inbound=1, at=now - timedelta(days=5))
    older_read = make_conversation(inbound=1, at=now - timedelta(days=2))
    newer_read = make_conversation(inbound=1, at=now - timedelta(days=1))
    for c in (older_read, newer_read):
        conversation_mark_read(member=member, conversation=c)

    # when the inbox is listed
    response = api.get("/conversations")

    # then unread comes first, then the read ones by activity
    assert _ids(response) == [old_unread.id, newer_read.id, older_read.id]
    first = response.json()["items"][0]
    assert first["unread"] is True
    assert first["creator"] == {"id": old_unread.creator_id, "name": old_unread.creator.name}
    assert first["channels"] == ["email"]
    assert first["preview"].startswith("hello 0 from")
    assert first["campaign_status"] is None
    assert response.json()["next_cursor"] is None


def test_list_pages_with_a_cursor_without_gaps_or_repeats(api, make_conversation):
    # given seven conversations
    now = timezone.now()
    made = [make_conversation(inbound=i % 2, at=now - timedelta(hours=i)) for i in range(7)]

    # when they are read three at a time
    seen: list[int] = []
    cursor = None
    for _page in range(5):
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        response = api.get("/conversations", **params)
        seen += _ids(response)
        cursor = response.json()["next_cursor"]
        if cursor is None:
            break

    # then every conversation came exactly once, in three pages
    assert sorted(seen) == sorted(c.id for c in made)
    assert len(seen) == len(set(seen))
    assert cursor is None


def test_list_filters_by_campaign_and_shows_the_status(api, member, make_conversation):
    # given two conversations, one of whose creators is approved in a campaign
    inside = make_conversation()
    make_conversation()
    campaign = CampaignFactory(workspace=member.workspace)
    CampaignMemberFactory(campaign=campaign, creator=inside.creator, status="approved")

    # when the list is filtered on that campaign
    response = api.get("/conversations", campaign=campaign.id)

    # then only its creator is listed, with the status code
    assert _ids(response) == [inside.id]
    assert response.json()["items"][0]["campaign_status"] == "approved"


def test_list_filters_by_any_of_several_campaigns(api, member, make_conversation):
    a, b, _c = make_conversation(), make_conversation(), make_conversation()
    one = CampaignFactory(workspace=member.workspace)
    two = CampaignFactory(workspace=member.workspace)
    CampaignMemberFactory(campaign=one, creator=a.creator)
    CampaignMemberFactory(campaign=two, creator=b.creator)

    response = api.get("/conversations", campaigns=[one.id, two.id])

    assert sorted(_ids(response)) == sorted([a.id, b.id])


def test_list_filters_by_tags(api, member, make_conversation):
    tagged, _untagged = make_conversation(), make_conversation()
    tag = TagFactory(workspace=member.workspace)
    _tag(tagged, tag)

    assert _ids(api.get("/conversations", tags=tag.id)) == [tagged.id]


def test_list_filters_by_clients(api, member, make_conversation):
    for_client, _other = make_conversation(), make_conversation()
    client = ClientFactory(workspace=member.workspace)
    campaign = CampaignFactory(workspace=member.workspace, client=client)
    CampaignMemberFactory(campaign=campaign, creator=for_client.creator)

    assert _ids(api.get("/conversations", clients=client.id)) == [for_client.id]


def test_list_filters_unread(api, member, make_conversation):
    unread = make_conversation(inbound=1)
    read = make_conversation(inbound=1)
    conversation_mark_read(member=member, conversation=read)

    assert _ids(api.get("/conversations", unread="true")) == [unread.id]


def test_list_filters_assigned_to_me(api, member, teammate, make_conversation):
    mine, theirs, _nobody = make_conversation(), make_conversation(), make_conversation()
    conversation_assign(actor=member, conversation=mine, assignee=member)
    conversation_assign(actor=member, conversation=theirs, assignee=teammate)

    response = api.get("/conversations", assigned_to_me="1")

    assert _ids(response) == [mine.id]
    assert response.json()["items"][0]["assignee_id"] == member.id


def test_list_filters_awaiting_reply(api, make_conversation):
    waiting = make_conversation(inbound=1, at=timezone.now() - timedelta(hours=30))
    make_conversation(inbound=1)  # waiting, but for less than a day

    assert _ids(api.get("/conversations", awaiting="true")) == [waiting.id]


def test_list_searches_by_creator_name(api, make_conversation):
    found = make_conversation(name="Zelda Quinn")
    make_conversation(name="Anna Berg")

    assert _ids(api.get("/conversations", q="quinn")) == [found.id]


def test_list_rejects_malformed_filters_with_field_messages(api):
    response = api.get("/conversations", campaigns="x", unread="maybe", limit=0)

    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail["campaigns.0"] == ["Enter a whole number."]
    assert detail["unread"] == ["Enter true or false."]
    assert detail["limit"] == ["Ensure this is at least 1."]


def test_list_rejects_long_search_with_the_filter_message(api):
    response = api.get("/conversations", q="x" * 101)

    assert response.status_code == 422
    assert response.json() == {"detail": {"q": ["Ensure this is at most 100 characters."]}}


def test_list_rejects_a_forged_cursor(api, make_conversation):
    make_conversation()

    response = api.get("/conversations", cursor="bm9wZQ")

    assert response.status_code == 422
    assert list(response.json()["detail"]) == ["cursor"]


def test_list_query_count_does_not_grow_with_the_page(
    api, member, make_conversation, django_assert_max_num_queries
):
    # given 25 conversations
    for i in range(25):
        make_conversation(inbound=1, at=timezone.now() - timedelta(minutes=i))

    # when a page is listed: token (1), its first-use stamp (1), the page (1)
    with django_assert_max_num_queries(3):
        response = api.get("/conversations", limit=25)

    assert len(_ids(response)) == 25


def test_list_query_count_with_every_filter(
    api, member, make_conversation, django_assert_max_num_queries
):
    # given 20 conversations in a campaign of a client, all tagged
    client = ClientFactory(workspace=member.workspace)
    campaign = CampaignFactory(workspace=member.workspace, client=client)
    tag = TagFactory(workspace=member.workspace)
    for _i in range(20):
        conversation = make_conversation(inbound=1)
        CampaignMemberFactory(campaign=campaign, creator=conversation.creator)
        _tag(conversation, tag)

    # when filtered on all of them: token, stamp, the ids checked in one query, and the
    # page with the campaign statuses, and the search's ids from the trigram index
    with django_assert_max_num_queries(5):
        response = api.get(
            "/conversations",
            campaign=campaign.id,
            campaigns=campaign.id,
            tags=tag.id,
            clients=client.id,
            unread="1",
            q="creator",
        )

    assert len(_ids(response)) == 20
    assert {i["campaign_status"] for i in response.json()["items"]} == {"invited"}


def test_unread_count(api, member, make_conversation):
    make_conversation(inbound=1)
    make_conversation(inbound=2)
    conversation_mark_read(member=member, conversation=make_conversation(inbound=1))

    response = api.get("/conversations/unread-count")

    assert response.status_code == 200
    assert response.json() == {"unread": 2}


# One conversation and its thread -------------------------------------------------------


def test_get_conversation(api, member, teammate, make_conversation):
    conversation = make_conversation(inbound=1)
    campaign = CampaignFactory(workspace=member.workspace)
    message_record(
        conversation=conversation,
        channel="inapp",
        direction=Message.Direction.OUTBOUND,
        status=Message.Status.SENT,
        body_text="About the campaign",
        campaign_id=campaign.id,
        author_member=member,
    )
    conversation_assign(actor=member, conversation=conversation, assignee=teammate)

    response = api.get(f"/conversations/{conversation.id}")

    assert response.status_code == 200
    body = response.json()
    assert body["id"] == conversation.id
    assert body["creator"]["id"] == conversation.creator_id
    assert body["assignee"] == {"id": teammate.id, "name": str(teammate.user)}
    assert body["campaign_ids"] == [campaign.id]
    assert body["channels"] == ["email", "inapp"]
    assert body["preview"] == "About the campaign"


def test_get_conversation_that_does_not_exist(api):
    response = api.get("/conversations/999999")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_thread_is_oldest_first_with_authors(api, member, make_conversation):
    # given an inbound message, then our reply
    start = timezone.now() - timedelta(hours=2)
    conversation = make_conversation(inbound=1, at=start)
    message_record(
        conversation=conversation,
        channel="inapp",
        direction=Message.Direction.OUTBOUND,
        status=Message.Status.SENT,
        body_text="Thanks!",
        author_member=member,
    )

    response = api.get(f"/conversations/{conversation.id}/messages")

    assert response.status_code == 200
    messages = response.json()
    assert [m["direction"] for m in messages] == ["in", "out"]
    assert messages[0]["author"] == {
        "kind": "creator",
        "id": conversation.creator_id,
        "name": conversation.creator.name,
    }
    assert messages[1]["author"] == {"kind": "member", "id": member.id, "name": str(member.user)}
    assert messages[1]["body_text"] == "Thanks!"
    assert messages[0]["created_at"] < messages[1]["created_at"]


def test_thread_filtered_by_campaign(api, member, make_conversation):
    conversation = make_conversation(inbound=1)
    campaign = CampaignFactory(workspace=member.workspace)
    in_campaign = message_record(
        conversation=conversation,
        channel="inapp",
        direction=Message.Direction.OUTBOUND,
        status=Message.Status.SENT,
        body_text="Campaign brief",
        campaign_id=campaign.id,
        author_member=member,
    )

    response = api.get(f"/conversations/{conversation.id}/messages", campaign=campaign.id)

    assert response.status_code == 200
    assert [m["id"] for m in response.json()] == [in_campaign.id]


def test_thread_rejects_a_malformed_campaign(api, make_conversation):
    conversation = make_conversation()

    response = api.get(f"/conversations/{conversation.id}/messages", campaign="abc")

    assert response.status_code == 422
    assert response.json() == {"detail": {"campaign": ["Enter a whole number."]}}


def test_thread_query_count_does_not_grow_with_messages(
    api, member, make_conversation, django_assert_max_num_queries
):
    # given a thread of 30 messages by both sides, in a campaign, with attachments
    campaign = CampaignFactory(workspace=member.workspace)
    conversation = make_conversation(inbound=15)
    for i in range(15):
        message = message_record(
            conversation=conversation,
            channel="inapp",
            direction=Message.Direction.OUTBOUND,
            status=Message.Status.SENT,
            body_text=f"reply {i}",
            campaign_id=campaign.id,
            author_member=member,
        )
        Attachment.objects.create(
            message=message,
            file=f"attachments/f{i}.txt",  # a stored name; no file is written
            filename=f"f{i}.txt",
            content_type="text/plain",
            size=1,
        )

    # when the thread is read: token, stamp, conversation, messages, attachments
    with django_assert_max_num_queries(5):
        response = api.get(f"/conversations/{conversation.id}/messages")
    assert len(response.json()) == 30
    assert response.json()[-1]["attachments"][0]["filename"] == "f14.txt"

    # and filtered on the campaign: one more to look the campaign up in the workspace, and
    # one fewer as the token was stamped a moment ago
    with django_assert_max_num_queries(5):
        response = api.get(f"/conversations/{conversation.id}/messages", campaign=campaign.id)
    assert len(response.json()) == 15


# Sending ---------------------------------------------------------------------------------


def test_send_in_app_message(api, member, make_conversation):
    # given a conversation waiting for our answer
    conversation = make_conversation(inbound=1)

    # when we answer in-app, for a campaign
    campaign = CampaignFactory(workspace=member.workspace)
    response = api.post(
        f"/conversations/{conversation.id}/messages",
        {"body": "  Welcome aboard!  ", "campaign_id": campaign.id},
    )

    # then it is sent at once, shows in the thread and the conversation no longer waits
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "sent"
    assert body["channel"] == "inapp"
    assert body["body_text"] == "Welcome aboard!"
    assert body["campaign_id"] == campaign.id
    assert body["author"]["id"] == member.id
    thread = api.get(f"/conversations/{conversation.id}/messages").json()
    assert thread[-1]["id"] == body["id"]
    conversation.refresh_from_db()
    assert conversation.awaiting_reply_since is None


def test_send_scheduled_message_is_queued(api, make_conversation):
    conversation = make_conversation()
    later = (timezone.now() + timedelta(days=1)).replace(microsecond=0)

    response = api.post(
        f"/conversations/{conversation.id}/messages",
        {"body": "Reminder", "send_at": later.isoformat()},
    )

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "queued"
    assert body["scheduled_for"] is not None
    item = OutboxItem.objects.get(message_id=body["id"])
    assert item.not_before == later


def test_send_with_a_time_that_has_passed_sends_now(api, make_conversation):
    # given a conversation
    conversation = make_conversation()

    # when a message is scheduled for a time that has already passed
    response = api.post(
        f"/conversations/{conversation.id}/messages",
        {"body": "late", "send_at": "2001-01-01T10:00:00+00:00"},
    )

    # then it is sent now, as the schema says, rather than refused
    assert response.status_code == 201
    assert response.json()["status"] == "sent"
    assert response.json()["scheduled_for"] is None


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"body": "   "}, "body", "This field cannot be blank."),
        ({}, "body", "This field is required."),
        ({"body": 5}, "body", "Enter text."),
        ({"body": "x", "campaign_id": "abc"}, "campaign_id", "Enter a whole number."),
        ({"body": "x", "send_at": "tomorrow"}, "send_at", None),
        (
            {"body": "x", "send_at": "2030-01-01T10:00:00"},
            "send_at",
            "Include a time zone, e.g. 2030-05-01T09:00:00+02:00.",
        ),
        ({"body": "x", "subject": "s" * 901}, "subject", "Ensure this is at most 900 characters."),
        ({"body": "x", "send_at": 1_900_000_000}, "send_at", None),
        (
            {"body": "x", "channel": "carrier-pigeon"},
            "channel",
            "Choose one of: 'inapp', 'email', 'sms'.",
        ),
        ({"body": "x", "channel": "email"}, "mailbox_id", "This field is required."),
        ({"body": "x", "mailbox_id": 1}, "mailbox_id", "Unknown field."),
        ({"body": "x", "channel": None}, "channel", None),
    ],
)
def test_send_rejects_bad_input_per_field(api, make_conversation, payload, field, message):
    conversation = make_conversation()

    response = api.post(f"/conversations/{conversation.id}/messages", payload)

    assert response.status_code == 422
    detail = response.json()["detail"]
    assert list(detail) == [field]
    if message:
        assert detail[field] == [message]
    assert not Message.objects.filter(conversation=conversation).exists()


def test_send_with_a_body_that_is_not_json_is_400(api, make_conversation):
    conversation = make_conversation()

    response = api.client.post(
        f"/api/v1/conversations/{conversation.id}/messages",
        data="{not json",
        content_type="application/json",
        headers=api._headers(),
    )

    assert response.status_code == 400
    assert response.json() == {"detail": "The request body is not valid JSON."}


# Read state and assignment ---------------------------------------------------------------


def test_mark_read(api, member, teammate, make_conversation):
    conversation = make_conversation(inbound=1)

    response = api.post(f"/conversations/{conversation.id}/read")

    assert response.status_code == 204
    assert not InboxEntry.objects.get(member=member, conversation=conversation).unread
    # read state is per member
    assert InboxEntry.objects.get(member=teammate, conversation=conversation).unread


def test_mark_unread_moves_to_top_with_reminder(api, member, make_conversation):
    # given an old, read conversation below a newer one
    old = make_conversation(inbound=1, at=timezone.now() - timedelta(days=3))
    newer = make_conversation(inbound=1)
    for c in (old, newer):
        conversation_mark_read(member=member, conversation=c)

    # when the old one is marked unread
    response = api.post(f"/conversations/{old.id}/unread")

    # then it is first in the inbox, unread, with a reminder notification
    assert response.status_code == 204
    items = api.get("/conversations").json()["items"]
    assert items[0]["id"] == old.id
    assert items[0]["unread"] is True and items[0]["marked_unread"] is True
    assert Notification.objects.filter(member=member, kind="reminder").count() == 1


def test_mark_unread_from_a_message(api, member, make_conversation):
    conversation = make_conversation(inbound=2)
    conversation_mark_read(member=member, conversation=conversation)
    first = Message.objects.filter(conversation=conversation).order_by("created_at").first()
    assert first is not None

    response = api.post(f"/conversations/{conversation.id}/unread", {"message_id": first.id})

    assert response.status_code == 204
    entry = InboxEntry.objects.get(member=member, conversation=conversation)
    assert entry.unread and entry.last_read_at == first.created_at


def test_mark_unread_with_a_message_of_another_conversation_is_404(api, make_conversation):
    conversation = make_conversation()
    elsewhere = make_conversation(inbound=1)
    message = Message.objects.get(conversation=elsewhere)

    response = api.post(f"/conversations/{conversation.id}/unread", {"message_id": message.id})

    assert response.status_code == 404
    assert not Notification.objects.filter(kind="reminder").exists()


def test_mark_unread_rejects_a_malformed_message_id(api, make_conversation):
    conversation = make_conversation()

    response = api.post(f"/conversations/{conversation.id}/unread", {"message_id": "first"})

    assert response.status_code == 422
    assert response.json() == {"detail": {"message_id": ["Enter a whole number."]}}


def test_assign_and_unassign(api, member, teammate, make_conversation):
    conversation = make_conversation()

    response = api.put(f"/conversations/{conversation.id}/assignee", {"member_id": teammate.id})

    assert response.status_code == 200
    assert response.json()["assignee"] == {"id": teammate.id, "name": str(teammate.user)}
    assert Notification.objects.filter(member=teammate, kind="assigned").exists()

    response = api.put(f"/conversations/{conversation.id}/assignee", {"member_id": None})

    assert response.status_code == 200
    assert response.json()["assignee"] is None
    conversation.refresh_from_db()
    assert conversation.assignee_id is None


def test_assign_needs_member_id(api, make_conversation):
    conversation = make_conversation()

    response = api.put(f"/conversations/{conversation.id}/assignee", {})

    assert response.status_code == 422
    assert response.json() == {"detail": {"member_id": ["This field is required."]}}


def test_assign_to_unknown_member_is_404(api, make_conversation):
    conversation = make_conversation()

    response = api.put(f"/conversations/{conversation.id}/assignee", {"member_id": 999999})

    assert response.status_code == 404
