"""Regressions for issue 11, finding 2, on the pages: each of these answered 500 (or took
text no column can hold) before."""

import pytest

from parley.creators.models import CreatorTag, Note
from parley.inbox.models import Message
from tests.factories import CampaignFactory, TagFactory

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"  # 20 digits: beyond 64 bits


@pytest.mark.parametrize("url", ["/inbox/rows/", "/inbox/"])
def test_a_nul_in_the_search_is_a_400(logged_in, url):
    response = logged_in.get(url, {"q": "a\x00b"})

    assert response.status_code == 400
    assert b"NUL" in response.content


@pytest.mark.parametrize("name", ["campaign", "campaigns", "tags", "clients"])
def test_a_huge_id_in_the_inbox_filters_is_a_400(logged_in, name):
    response = logged_in.get("/inbox/rows/", {name: HUGE})

    assert response.status_code == 400


def test_a_nul_in_a_note_is_a_400_and_nothing_is_stored(logged_in, make_conversation):
    conversation = make_conversation()

    response = logged_in.post(f"/inbox/c/{conversation.id}/notes/", {"body": "a\x00b"})

    assert response.status_code == 400
    assert not Note.objects.exists()


def test_a_nul_in_a_field_name_is_a_400(logged_in, make_conversation):
    conversation = make_conversation()

    response = logged_in.post(f"/inbox/c/{conversation.id}/fields/", {"field:a\x00": "x"})

    assert response.status_code == 400


def test_bulk_tagging_a_huge_creator_id_tags_nobody(logged_in, member):
    tag = TagFactory(workspace=member.workspace)

    response = logged_in.post(
        "/inbox/bulk/", {"action": "tag", "creators": [HUGE], "bulk_tag": str(tag.id)}
    )

    assert response.status_code == 422
    assert not CreatorTag.objects.exists()


def test_bulk_adding_to_a_huge_campaign_id_asks_for_a_campaign(logged_in, make_conversation):
    conversation = make_conversation()

    response = logged_in.post(
        "/inbox/bulk/",
        {"action": "campaign", "creators": [conversation.creator_id], "bulk_campaign": HUGE},
    )

    assert response.status_code == 422
    assert b"Pick a campaign." in response.content


def test_bulk_select_all_with_a_huge_filter_id_is_rejected(logged_in, make_conversation):
    make_conversation()

    response = logged_in.post(
        "/inbox/bulk/", {"action": "tag", "select_all": "1", "tags": HUGE, "bulk_tag_name": "x"}
    )

    assert response.status_code == 422


@pytest.mark.parametrize(
    "path", [f"/inbox/c/{HUGE}/thread/", "/inbox/c/0/thread/", f"/email/messages/{HUGE}/html/"]
)
def test_an_id_out_of_range_in_a_page_url_is_a_404(logged_in, path):
    assert logged_in.get(path).status_code == 404


def test_a_huge_campaign_in_the_thread_shows_every_message(logged_in, make_conversation):
    conversation = make_conversation(inbound=1)

    response = logged_in.get(f"/inbox/c/{conversation.id}/thread/", {"campaign": HUGE})

    assert response.status_code == 200
    assert b"hello 0" in response.content


def test_a_huge_tag_id_in_the_sidebar_is_no_tag(logged_in, make_conversation):
    conversation = make_conversation()

    response = logged_in.post(f"/inbox/c/{conversation.id}/tags/", {"tag": HUGE, "name": ""})

    assert response.status_code == 422
    assert not CreatorTag.objects.exists()


def test_a_send_time_that_does_not_exist_is_a_form_error(logged_in, make_conversation):
    conversation = make_conversation()

    response = logged_in.post(
        f"/inbox/c/{conversation.id}/send/", {"body": "hi", "send_at": "2030-02-31T10:00"}
    )

    assert response.status_code == 422
    assert not Message.objects.filter(conversation=conversation).exists()


def test_a_first_name_longer_than_its_column_is_a_form_error(logged_in, make_conversation):
    conversation = make_conversation(name="Ann Example")

    response = logged_in.post(
        f"/inbox/c/{conversation.id}/profile/",
        {"name": "Ann Example", "first_name": "A" * 81, "preferred_channel": "email"},
    )

    assert response.status_code == 422
    conversation.creator.refresh_from_db()
    assert conversation.creator.first_name == "Ann"


def test_a_huge_mailbox_id_when_starting_oauth_is_no_mailbox(logged_in):
    response = logged_in.get("/settings/integrations/email/oauth/gmail/start/", {"mailbox": HUGE})

    assert response.status_code < 500


def test_a_huge_campaign_id_when_adding_from_the_sidebar_asks_for_one(
    logged_in, member, make_conversation
):
    conversation = make_conversation()
    CampaignFactory(workspace=member.workspace)

    response = logged_in.post(f"/inbox/c/{conversation.id}/campaigns/", {"campaign": HUGE})

    assert response.status_code == 422
