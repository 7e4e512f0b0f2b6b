from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from parley.creators.models import CreatorTag, Note
from parley.inbox.models import InboxEntry, Message, Notification
from parley.outbox.models import OutboxItem
from tests.factories import (
    CampaignFactory,
    CampaignMemberFactory,
    ClientFactory,
    MemberFactory,
    TagFactory,
)

pytestmark = pytest.mark.django_db


def test_inbox_requires_login(client):
    response = client.get(reverse("inbox:list"))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_login_page_logs_in_with_email(client, member):
    response = client.post(
        reverse("login"), {"username": member.user.email, "password": "pw-for-tests-1"}
    )
    assert response.status_code == 302
    assert client.get(reverse("inbox:list")).status_code == 200


def test_inbox_lists_unread_first(logged_in, member, make_conversation):
    make_conversation(name="Read Rita", at=timezone.now())
    make_conversation(name="Unread Ulla", inbound=1, at=timezone.now() - timedelta(days=3))
    html = logged_in.get(reverse("inbox:list")).content.decode()
    assert html.index("Unread Ulla") < html.index("Read Rita")


def test_opening_a_thread_marks_it_read(logged_in, member, make_conversation):
    conversation = make_conversation(inbound=2)
    response = logged_in.get(reverse("inbox:thread", args=[conversation.id]))
    assert response.status_code == 200
    assert "hello 1 from" in response.content.decode()
    assert not InboxEntry.objects.get(member=member, conversation=conversation).unread


def test_send_in_app_message_shows_in_thread(logged_in, member, make_conversation):
    conversation = make_conversation()
    response = logged_in.post(
        reverse("inbox:send", args=[conversation.id]),
        {"channel": "inapp", "body": "Welcome aboard"},
    )
    assert response.status_code == 200
    assert "Welcome aboard" in response.content.decode()
    message = Message.objects.get(conversation=conversation)
    assert (message.status, message.author_member_id, message.direction) == (
        "sent",
        member.id,
        "out",
    )


def test_send_empty_message_is_a_clear_error_and_keeps_nothing(logged_in, make_conversation):
    conversation = make_conversation()
    response = logged_in.post(reverse("inbox:send", args=[conversation.id]), {"body": "  "})
    assert response.status_code == 422
    assert "Write a message first." in response.content.decode()
    assert not Message.objects.filter(conversation=conversation).exists()


def test_send_later_queues_in_the_outbox(logged_in, make_conversation):
    conversation = make_conversation()
    when = (timezone.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    response = logged_in.post(
        reverse("inbox:send", args=[conversation.id]),
        {"channel": "inapp", "body": "Tomorrow", "send_at": when},
    )
    assert response.status_code == 200
    message = Message.objects.get(conversation=conversation)
    assert message.status == "queued" and message.scheduled_for is not None
    assert OutboxItem.objects.get(message=message).state == "pending"
    assert "scheduled for" in response.content.decode()


def test_send_with_foreign_campaign_is_rejected(logged_in, other_member, make_conversation):
    conversation = make_conversation()
    foreign = CampaignFactory(workspace=other_member.workspace)
    response = logged_in.post(
        reverse("inbox:send", args=[conversation.id]), {"body": "x", "campaign": foreign.id}
    )
    assert response.status_code == 422
    assert not Message.objects.filter(conversation=conversation).exists()


def test_mark_unread_returns_to_top_and_notifies(logged_in, member, make_conversation):
    conversation = make_conversation(inbound=1, at=timezone.now() - timedelta(days=10))
    make_conversation(name="Newer", inbound=1)
    logged_in.get(reverse("inbox:thread", args=[conversation.id]))
    message = Message.objects.get(conversation=conversation)

    response = logged_in.post(reverse("inbox:mark_unread", args=[conversation.id, message.id]))

    assert response.status_code == 200 and response["HX-Trigger-After-Settle"] == "inbox-changed"
    rows = logged_in.get(reverse("inbox:rows")).content.decode()
    assert rows.index(f'data-conversation="{conversation.id}"') < rows.index("Newer")
    assert Notification.objects.filter(member=member, kind="reminder").count() == 1
    # The dropdown says it once: the kind and the creator, not the same words again below.
    listed = logged_in.get(reverse("inbox:notifications")).content.decode()
    assert listed.count("Marked as unread") == 1


def test_filter_by_campaign_shows_status(logged_in, member, make_conversation):
    inside = make_conversation(name="Inside")
    make_conversation(name="Outside")
    cm = CampaignMemberFactory(
        campaign__workspace=member.workspace, creator=inside.creator, status="approved"
    )
    html = logged_in.get(reverse("inbox:rows"), {"campaign": cm.campaign_id}).content.decode()
    assert "Inside" in html and "Outside" not in html and "Approved" in html


def test_foreign_filter_ids_are_404(logged_in, other_member):
    foreign_campaign = CampaignFactory(workspace=other_member.workspace)
    foreign_tag = TagFactory(workspace=other_member.workspace)
    assert (
        logged_in.get(reverse("inbox:rows"), {"campaign": foreign_campaign.id}).status_code == 404
    )
    assert logged_in.get(reverse("inbox:list"), {"tags": foreign_tag.id}).status_code == 404


def test_malformed_filter_is_400(logged_in):
    assert logged_in.get(reverse("inbox:rows"), {"tags": "abc"}).status_code == 400
    assert logged_in.get(reverse("inbox:rows"), {"cursor": "%%%"}).status_code == 400


def test_load_more_pages_through(logged_in, member, make_conversation, settings):
    settings.PARLEY_INBOX_PAGE_SIZE = 2
    for i in range(5):
        make_conversation(name=f"C{i}", at=timezone.now() - timedelta(hours=i))
    first = logged_in.get(reverse("inbox:rows")).content.decode()
    assert first.count('data-testid="row"') == 2 and "Load more" in first


def test_sidebar_tag_add_and_remove(logged_in, member, make_conversation):
    conversation = make_conversation()
    response = logged_in.post(reverse("inbox:tag_add", args=[conversation.id]), {"name": "VIP"})
    assert response.status_code == 200 and "VIP" in response.content.decode()
    link = CreatorTag.objects.get(creator=conversation.creator)
    logged_in.post(reverse("inbox:tag_remove", args=[conversation.id, link.tag_id]))
    assert not CreatorTag.objects.filter(creator=conversation.creator).exists()


def test_sidebar_fields_note_campaign_assign(logged_in, member, teammate, make_conversation):
    conversation = make_conversation()
    campaign = CampaignFactory(workspace=member.workspace)
    logged_in.post(
        reverse("inbox:fields", args=[conversation.id]), {"new_key": "size", "new_value": "M"}
    )
    logged_in.post(reverse("inbox:note", args=[conversation.id]), {"body": "Loves hiking"})
    logged_in.post(reverse("inbox:campaign_add", args=[conversation.id]), {"campaign": campaign.id})
    logged_in.post(reverse("inbox:assign", args=[conversation.id]), {"assignee": teammate.id})
    conversation.refresh_from_db()
    conversation.creator.refresh_from_db()
    assert conversation.creator.custom_fields == {"size": "M"}
    assert Note.objects.get(creator=conversation.creator).author_id == member.id
    assert campaign.members.filter(creator=conversation.creator).exists()
    assert conversation.assignee_id == teammate.id


def test_empty_note_is_a_clear_error(logged_in, make_conversation):
    conversation = make_conversation()
    response = logged_in.post(reverse("inbox:note", args=[conversation.id]), {"body": ""})
    assert response.status_code == 422 and "cannot be empty" in response.content.decode()


def test_update_profile_validates_identity(logged_in, make_conversation):
    conversation = make_conversation()
    url = reverse("inbox:profile", args=[conversation.id])
    bad = logged_in.post(
        url,
        {
            "name": "New Name",
            "preferred_channel": "email",
            "identity_kind": "email",
            "identity_value": "not-an-email",
        },
    )
    assert bad.status_code == 422 and "valid email" in bad.content.decode()
    conversation.creator.refresh_from_db()
    assert conversation.creator.name != "New Name"  # all or nothing
    good = logged_in.post(
        url,
        {
            "name": "New Name",
            "preferred_channel": "sms",
            "identity_kind": "instagram",
            "identity_value": "@new.name",
        },
    )
    assert good.status_code == 200 and "@new.name" in good.content.decode()


def test_update_profile_refuses_a_long_name_in_words(logged_in, make_conversation):
    # The form has no maxlength (a browser would cut a long paste without a word): the
    # server says what the limit is, and keeps what was typed.
    conversation = make_conversation()
    url = reverse("inbox:profile", args=[conversation.id])
    form = logged_in.get(url).content.decode()
    assert "maxlength" not in form
    long = logged_in.post(
        url, {"name": "N" * 5000, "first_name": "F" * 100, "preferred_channel": "email"}
    )
    html = long.content.decode()
    assert long.status_code == 422 and "160" in html and "80" in html
    conversation.creator.refresh_from_db()
    assert len(conversation.creator.name) < 160


def test_bulk_tag_selected_and_all_that_match(logged_in, member, other_member, make_conversation):
    a = make_conversation(name="Anna")
    b = make_conversation(name="Bert")
    theirs = make_conversation(workspace=other_member.workspace)
    response = logged_in.post(
        reverse("inbox:bulk"),
        {"action": "tag", "bulk_tag_name": "summer", "creators": [a.creator_id, theirs.creator_id]},
    )
    assert response.status_code == 200 and "Tagged 1 creator" in response.content.decode()
    assert not CreatorTag.objects.filter(creator=theirs.creator).exists()

    response = logged_in.post(
        reverse("inbox:bulk"),
        {"action": "tag", "bulk_tag_name": "all", "select_all": "1", "q": "bert"},
    )
    assert "Tagged 1 creator" in response.content.decode()
    assert CreatorTag.objects.filter(creator=b.creator, tag__name="all").exists()


def test_bulk_add_to_campaign_and_errors(logged_in, member, other_member, make_conversation):
    a = make_conversation()
    campaign = CampaignFactory(workspace=member.workspace)
    ok = logged_in.post(
        reverse("inbox:bulk"),
        {"action": "campaign", "bulk_campaign": campaign.id, "creators": [a.creator_id]},
    )
    assert ok.status_code == 200 and campaign.members.count() == 1
    assert logged_in.post(reverse("inbox:bulk"), {"action": "tag"}).status_code == 422
    foreign = CampaignFactory(workspace=other_member.workspace)
    assert (
        logged_in.post(
            reverse("inbox:bulk"),
            {"action": "campaign", "bulk_campaign": foreign.id, "creators": [a.creator_id]},
        ).status_code
        == 404
    )


def test_pulse_triggers_refresh_only_when_something_moved(logged_in, member, make_conversation):
    conversation = make_conversation()
    first = logged_in.get(reverse("inbox:pulse"))
    token = first.content.decode().split("pulse=")[1].split('"')[0]
    assert "HX-Trigger" not in logged_in.get(reverse("inbox:pulse"), {"pulse": token})
    from parley.inbox.services import message_record

    message_record(
        conversation=conversation,
        channel="inapp",
        direction="in",
        status="received",
        body_text="new!",
        author_creator=conversation.creator,
    )
    moved = logged_in.get(reverse("inbox:pulse"), {"pulse": token})
    assert moved["HX-Trigger"] == "inbox-changed"
    assert 'data-testid="unread-badge"' in moved.content.decode()


def test_badge_counts_up_to_the_cap_then_shows_plus(
    logged_in, member, make_conversation, monkeypatch
):
    from parley.inbox import selectors, views

    monkeypatch.setattr(selectors, "UNREAD_BADGE_CAP", 2)
    monkeypatch.setattr(views.listing, "UNREAD_BADGE_CAP", 2)
    make_conversation(inbound=1)
    make_conversation(inbound=1)
    assert '">2</span>' in logged_in.get(reverse("inbox:pulse")).content.decode()
    make_conversation(inbound=1)
    make_conversation(inbound=1)
    for url in (reverse("inbox:pulse"), reverse("inbox:list")):
        html = logged_in.get(url).content.decode()
        assert 'data-testid="unread-badge"' in html and '">2+</span>' in html


def test_notifications_dropdown_and_mark_read(logged_in, member, make_conversation):
    make_conversation(name="Noisy", inbound=1)
    html = logged_in.get(reverse("inbox:notifications")).content.decode()
    assert "Noisy" in html
    # What others wrote is isolated: a right-to-left override in a message does not turn
    # the notification's time around ("setunim 0").
    Notification.objects.filter(member=member).update(text="\u202egnitset")
    html = logged_in.get(reverse("inbox:notifications")).content.decode()
    assert '<bdi class="muted">\u202egnitset</bdi> <time' in html
    assert "<bdi>Noisy</bdi>" in html
    logged_in.post(reverse("inbox:notifications_read"))
    assert not Notification.objects.filter(member=member, read_at__isnull=True).exists()


def test_switch_workspace(logged_in, member, other_member):
    mine_too = MemberFactory(user=member.user)
    response = logged_in.post(
        reverse("accounts:workspace_switch"), {"workspace": mine_too.workspace_id}
    )
    assert response.status_code == 302
    assert mine_too.workspace.name in logged_in.get(reverse("inbox:list")).content.decode()
    foreign = logged_in.post(
        reverse("accounts:workspace_switch"), {"workspace": other_member.workspace_id}
    )
    assert foreign.status_code == 404


def test_the_switcher_lists_both_workspaces_on_pages_with_campaign_memberships(
    logged_in, member, make_conversation
):
    # The creator page and the thread name their campaign memberships `memberships`, which
    # once emptied the switcher there.
    mine_too = MemberFactory(user=member.user)
    conversation = make_conversation()
    for url in (
        reverse("creators:detail", args=[conversation.creator_id]),
        reverse("inbox:conversation", args=[conversation.id]),
    ):
        html = logged_in.get(url).content.decode()
        switcher = html.split('<select id="ws"', 1)[1].split("</select>", 1)[0]
        assert switcher.count("<option") == 2, url
        assert mine_too.workspace.name in switcher and member.workspace.name in switcher


CONVERSATION_ROUTES = [
    ("get", "inbox:conversation", {}),
    ("get", "inbox:thread", {}),
    ("get", "inbox:messages", {}),
    ("post", "inbox:send", {"body": "x"}),
    ("post", "inbox:tag_add", {"name": "x"}),
    ("post", "inbox:fields", {"new_key": "a", "new_value": "b"}),
    ("post", "inbox:note", {"body": "x"}),
    ("post", "inbox:campaign_add", {"campaign": "1"}),
    ("post", "inbox:assign", {"assignee": ""}),
    ("get", "inbox:profile", {}),
    ("post", "inbox:profile", {"name": "x"}),
]


@pytest.mark.parametrize(("method", "name", "data"), CONVERSATION_ROUTES)
def test_other_workspace_conversation_is_404_everywhere(
    logged_in, other_member, make_conversation, method, name, data
):
    theirs = make_conversation(workspace=other_member.workspace, inbound=1)
    response = getattr(logged_in, method)(reverse(name, args=[theirs.id]), data)
    assert response.status_code == 404
    assert not Message.objects.filter(conversation=theirs, direction="out").exists()


def test_other_workspace_ids_in_nested_routes_are_404(
    logged_in, member, other_member, make_conversation
):
    ours = make_conversation(inbound=1)
    theirs = make_conversation(workspace=other_member.workspace, inbound=1)
    their_message = Message.objects.get(conversation=theirs)
    their_tag = TagFactory(workspace=other_member.workspace)
    their_member = other_member
    assert (
        logged_in.post(reverse("inbox:mark_unread", args=[ours.id, their_message.id])).status_code
        == 404
    )
    assert (
        logged_in.post(reverse("inbox:mark_unread", args=[theirs.id, their_message.id])).status_code
        == 404
    )
    assert (
        logged_in.post(reverse("inbox:tag_remove", args=[ours.id, their_tag.id])).status_code == 404
    )
    assert (
        logged_in.post(reverse("inbox:tag_add", args=[ours.id]), {"tag": their_tag.id}).status_code
        == 404
    )
    assert (
        logged_in.post(
            reverse("inbox:assign", args=[ours.id]), {"assignee": their_member.id}
        ).status_code
        == 404
    )


def _thirty_in_a_campaign(member, make_conversation):
    """30 conversations, each creator in one campaign of a client and tagged."""
    client = ClientFactory(workspace=member.workspace)
    campaign = CampaignFactory(workspace=member.workspace, client=client)
    tag = TagFactory(workspace=member.workspace)
    for i in range(30):
        conversation = make_conversation(inbound=i % 2)
        CampaignMemberFactory(campaign=campaign, creator=conversation.creator)
        CreatorTag.objects.create(creator=conversation.creator, tag=tag)
    return {"campaign": campaign.id, "campaigns": campaign.id, "tags": tag.id, "clients": client.id}


# rows: session, user, memberships, the page (4); with filters the ids are checked in
# one query that also sizes the creator sets (5). The page: session, user, memberships,
# filter options with the id check, the page with the badge's pulse and the campaign
# statuses, and the mailboxes that need re-authorising (6, filters or not).
@pytest.mark.parametrize(
    ("url", "filtered", "most"),
    [
        ("inbox:rows", False, 4),
        ("inbox:rows", True, 5),
        ("inbox:list", False, 6),
        ("inbox:list", True, 6),
    ],
)
def test_list_query_counts_are_pinned(
    logged_in, member, make_conversation, django_assert_max_num_queries, url, filtered, most
):
    filters = _thirty_in_a_campaign(member, make_conversation) if filtered else {}
    if not filtered:
        for i in range(30):
            make_conversation(inbound=i % 2)
    with django_assert_max_num_queries(most):
        response = logged_in.get(reverse(url), filters)
    body = response.content.decode()
    assert body.count('data-testid="row"') == 30
    assert body.count('data-testid="campaign-status"') == (30 if filtered else 0)
    if url == "inbox:list":
        assert 'data-testid="unread-badge" aria-label="15 unread conversations">15<' in body


def test_thread_query_count_is_pinned(
    logged_in, member, make_conversation, django_assert_max_num_queries
):
    conversation = make_conversation(inbound=40)
    # session, user, memberships, the conversation, marking it read, campaigns (with the
    # creator's statuses), the thread's campaigns, mailboxes, messages, attachments,
    # identities, tags (with the creator's), notes, members; which kinds of campaign asset
    # the creator holds (none here: nothing more; with some, one query a kind whatever
    # their number, tests/campaigns/test_assets_views.py); the SMS numbers (and, for a
    # creator with a phone, one more for its opt-outs); whether the creator has a creator
    # portal account (the assets section's payments and agreements)
    with django_assert_max_num_queries(17):
        response = logged_in.get(reverse("inbox:thread", args=[conversation.id]))
    assert response.content.decode().count('data-testid="message"') == 40


def test_pages_poll_as_often_as_the_setting_says_in_any_language(logged_in, settings):
    # 1.5 s by default: a message another process records shows within two seconds
    assert 'every 1500ms"' in logged_in.get(reverse("inbox:pulse")).content.decode()
    settings.PARLEY_POLL_SECONDS = 2.25
    page = logged_in.get(reverse("inbox:list"), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert 'every 2250ms"' in page and 'lang="de"' in page
