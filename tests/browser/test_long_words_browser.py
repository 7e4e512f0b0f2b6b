"""A long unbroken word wraps: the thread pane keeps its width and Send stays on screen
(issue 11, finding 2: a 3,000-character word blanked the pane and pushed Send away)."""

import pytest
from playwright.sync_api import expect

from parley.inbox.models import Message
from parley.inbox.services import message_record

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTH = 1400  # the viewport of the `page` fixture


def test_a_3000_character_word_wraps_and_send_stays_on_screen(login, make_conversation):
    # Given a creator with a long one-word name who sent a 3,000-character word
    conversation = make_conversation(name="N" * 150)
    message_record(
        conversation=conversation,
        channel="inapp",
        direction=Message.Direction.INBOUND,
        status=Message.Status.RECEIVED,
        body_text="W" * 3000,
        author_creator=conversation.creator,
    )
    page = login()

    # When the thread is opened
    page.locator("[data-testid=row]").first.locator("a").click()
    message = page.locator("[data-testid=message]").last
    expect(message).to_be_visible()

    # Then the message wraps inside the viewport, and Send and the sidebar are on screen
    send = page.get_by_role("button", name="Send")
    expect(send).to_be_visible()
    for box in (message.bounding_box(), send.bounding_box()):
        assert box is not None
        assert box["width"] > 0
        assert box["x"] + box["width"] <= WIDTH
    assert message.bounding_box()["height"] > 100  # wrapped onto many lines
    sidebar = page.locator(".sidebar").first.bounding_box()
    assert sidebar is not None and sidebar["x"] + sidebar["width"] <= WIDTH
