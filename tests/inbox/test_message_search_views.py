"""The inbox search bar finds messages too: the hits under the creators, each opening the
thread scrolled to its message; the filter in the address."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from parley.inbox.models import Channel, Message
from parley.inbox.services import message_record

pytestmark = pytest.mark.django_db


def _say(conversation, text: str) -> Message:  # type: ignore[no-untyped-def]
    return message_record(
        conversation=conversation,
        channel=Channel.EMAIL,
        direction=Message.Direction.INBOUND,
        status=Message.Status.RECEIVED,
        body_text=text,
        author_creator=conversation.creator,
    )


def test_the_search_bar_lists_matching_messages_with_a_marked_snippet(
    logged_in, member, other_member, make_conversation
):
    ada = make_conversation(name="Ada Lovelace")
    hit = _say(ada, "Here is the <b>moodboard</b> for May")
    # (A name no generated member has: the page shows the member's name too.)
    theirs = make_conversation(workspace=other_member.workspace, name="Eve Quillfeather")
    _say(theirs, "their moodboard")

    html = logged_in.get(reverse("inbox:list"), {"q": "moodboard"}).content.decode()

    assert 'data-testid="message-hits"' in html
    assert html.count('data-testid="message-hit"') == 1
    assert "&lt;b&gt;<mark>moodboard</mark>&lt;/b&gt;" in html
    assert f'hx-get="/inbox/c/{ada.id}/thread/?m={hit.id}"' in html
    assert f'href="/inbox/c/{ada.id}/?q=moodboard&amp;m={hit.id}"' in html
    assert "Quillfeather" not in html and "their moodboard" not in html


def test_a_one_letter_search_says_why_no_message_is_looked_for(logged_in, make_conversation):
    make_conversation(name="Ada Lovelace", inbound=1)
    response = logged_in.get(reverse("inbox:rows"), {"q": "a"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'data-testid="message-search-error"' in html and "at least two letters" in html
    assert 'data-testid="row"' in html  # creators are still found by the letter


def test_more_messages_pages_on(logged_in, make_conversation):
    conversation = make_conversation(name="Ada")
    made = [_say(conversation, f"invoice number {i}") for i in range(13)]
    first = logged_in.get(reverse("inbox:rows"), {"q": "invoice"}).content.decode()
    assert first.count('data-testid="message-hit"') == 10
    more = first.split('data-testid="more-messages"')[0].rsplit('hx-get="', 1)[1].split('"')[0]
    second = logged_in.get(more.replace("&amp;", "&")).content.decode()
    assert [f'data-message="{m.id}"' in second for m in made[:3]] == [True] * 3
    assert 'data-testid="more-messages"' not in second


def test_a_hit_opens_the_thread_at_its_message_even_when_older_than_the_newest_200(
    logged_in, make_conversation
):
    conversation = make_conversation(name="Ada")
    old = _say(conversation, "the original quote")
    for i in range(200):
        _say(conversation, f"later {i}")
    html = logged_in.get(
        reverse("inbox:thread", args=[conversation.id]), {"m": old.id}
    ).content.decode()
    assert f'data-focus-message="{old.id}"' in html
    assert f'data-message="{old.id}"' in html
    plain = logged_in.get(reverse("inbox:thread", args=[conversation.id])).content.decode()
    assert f'data-message="{old.id}"' not in plain and "data-focus-message" not in plain


def test_the_page_opened_at_a_hit_loads_its_thread_there(logged_in, make_conversation):
    conversation = make_conversation(name="Ada", inbound=1)
    message = conversation.messages.get()
    html = logged_in.get(
        reverse("inbox:conversation", args=[conversation.id]), {"q": "hello", "m": message.id}
    ).content.decode()
    assert f'hx-get="/inbox/c/{conversation.id}/thread/?m={message.id}"' in html


def test_the_search_adds_a_query_for_its_ids_and_one_for_its_rows(
    logged_in, make_conversation, django_assert_max_num_queries
):
    for i in range(12):
        make_conversation(name=f"Creator {i}", inbound=2)
    with CaptureQueriesContext(connection) as plain:
        logged_in.get(reverse("inbox:rows"), {"q": "zzzz"})
    with django_assert_max_num_queries(len(plain.captured_queries)):
        logged_in.get(reverse("inbox:rows"), {"q": "zzzz"})
    with django_assert_max_num_queries(len(plain.captured_queries) + 1):
        html = logged_in.get(reverse("inbox:rows"), {"q": "hello"}).content.decode()
    assert html.count('data-testid="message-hit"') == 10


def test_a_filter_change_puts_the_filter_in_the_address(logged_in, make_conversation):
    conversation = make_conversation(name="Ada", inbound=1)
    response = logged_in.get(
        reverse("inbox:rows"),
        {"q": "ada", "unread": "1"},
        headers={
            "HX-Request": "true",
            "HX-Trigger": "filters",
            "HX-Current-URL": f"http://testserver/inbox/c/{conversation.id}/?q=a",
        },
    )
    assert response["HX-Push-Url"] == f"/inbox/c/{conversation.id}/?unread=1&q=ada"
    live = logged_in.get(reverse("inbox:rows"), {"q": "ada"}, headers={"HX-Trigger": "rows"})
    assert "HX-Push-Url" not in live
    elsewhere = logged_in.get(
        reverse("inbox:rows"),
        {"q": "ada"},
        headers={"HX-Trigger": "filters", "HX-Current-URL": "https://evil.example/x"},
    )
    assert elsewhere["HX-Push-Url"] == "/inbox/?q=ada"


def test_rows_keep_the_filter_in_the_address_they_push(logged_in, make_conversation):
    conversation = make_conversation(name="Ada", inbound=1)
    html = logged_in.get(reverse("inbox:rows"), {"q": "ada", "unread": "1"}).content.decode()
    assert f'hx-push-url="/inbox/c/{conversation.id}/?unread=1&amp;q=ada"' in html
