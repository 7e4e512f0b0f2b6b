"""Browser: the message box asks before emailing a bouncing address, in Chromium."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from parley.creators.models import Identity
from parley.creators.services import identity_bounce_mark
from parley.inbox.models import Message

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_send_anyway_after_the_address_bounced(login, page, mailbox, creator_thread):  # type: ignore[no-untyped-def]
    # Given Maya's address hard-bounced
    conversation = creator_thread(email="maya@creators.test", name="Maya Lind")
    identity_bounce_mark(
        identity=Identity.objects.get(creator_id=conversation.creator_id),
        status="5.1.1",
        diagnostic="Recipient address rejected: User unknown",
        at=timezone.now(),
    )
    login()
    page.goto(f"/inbox/c/{conversation.id}/")
    expect(page.locator("[data-testid=bouncing]")).to_contain_text("bounced: 5.1.1")
    # When an email to her is sent from the message box
    page.select_option("[data-testid=channel]", "email")
    page.fill("input[name=subject]", "Still keen?")
    page.fill("form.composer textarea[name=body]", "Hi Maya, still keen on the collab?")
    page.get_by_role("button", name="Send", exact=True).click()
    # Then it asks first, keeping what was written, and nothing is queued
    warning = page.locator("[data-testid=bouncing-confirm]")
    expect(warning).to_contain_text("Email to maya@creators.test bounced on")
    expect(page.locator("form.composer textarea[name=body]")).to_have_value(
        "Hi Maya, still keen on the collab?"
    )
    assert not Message.objects.filter(conversation=conversation).exists()
    # When it is sent anyway, it is queued
    page.get_by_role("button", name="Send anyway").click()
    expect(page.locator("[data-testid=message]").last).to_contain_text("still keen")
    assert Message.objects.get(conversation=conversation).subject == "Still keen?"
