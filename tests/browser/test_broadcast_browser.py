"""A mass email in Chromium: filter by a tag, select all that match, compose with a personal
field, preview it for one creator, send; with a limit of 3 a day, the rest show their day."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from parley.broadcasts.models import Broadcast
from parley.broadcasts.services import broadcast_queue
from parley.channels.email.models import Mailbox
from parley.creators.models import CreatorTag
from parley.outbox.dispatch import outbox_dispatch_due
from tests.factories import IdentityFactory, TagFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_mass_email_from_a_tag_filter_with_a_limit(  # type: ignore[no-untyped-def]
    login, member, make_conversation, connect, smtp_server
):
    # Given six creators tagged "Spring box" (and one who is not), and a mailbox sending at
    # most three a day
    tag = TagFactory(workspace=member.workspace, name="Spring box")
    for i in range(6):
        conversation = make_conversation(name=f"Tagged{i} Person", at=timezone.now())
        IdentityFactory(creator=conversation.creator, value=f"tagged{i}@creators.test")
        CreatorTag.objects.create(tag=tag, creator=conversation.creator)
    make_conversation(name="Other Person")
    mailbox = connect(access=Mailbox.Access.SEND_ONLY)
    mailbox.daily_limit = 3
    mailbox.save(update_fields=["daily_limit"])
    page = login()
    # When I filter by the tag and select all that match
    page.locator("details.filter-menu summary").click()
    page.get_by_label("Spring box").check()
    expect(page.locator("[data-testid=row]")).to_have_count(6)
    page.keyboard.press("Escape")  # close the filter menu
    page.locator("#select-all").check()
    page.locator("[data-testid=bulk-broadcast]").click()
    # Then the compose page is for the six of them
    expect(page.locator("h1")).to_contain_text("Mass message to 6 creators")
    # (the subject and the mailbox are an email's: in-app hides them)
    page.get_by_label("In-app").check()
    expect(page.locator("input[name=subject]")).to_be_hidden()
    expect(page.locator("select[name=mailbox]")).to_be_hidden()
    page.get_by_label("Email", exact=True).check()
    expect(page.locator("input[name=subject]")).to_be_visible()
    # When I write with a personal field and preview it for one creator
    # (choosing whom to preview for saves what was typed first: nothing is lost)
    page.fill("input[name=subject]", "Spring box for {{ first_name }}")
    page.fill("textarea[name=body]", "Hi {{ first_name }}, your box ships soon.")
    page.select_option("#as", label="Tagged3 Person <tagged3@creators.test>")
    expect(page.locator("textarea[name=body]")).to_have_value(
        "Hi {{ first_name }}, your box ships soon."
    )
    expect(page.locator("[data-testid=preview-subject]")).to_have_text("Spring box for Tagged3")
    expect(page.locator("[data-testid=preview-body]")).to_contain_text("Hi Tagged3, your box")
    # And check it, then send
    page.get_by_role("button", name="Check").click()
    expect(page.locator("[data-testid=check]")).to_contain_text("Ready: 6 creators get it.")
    # (Send asks first: answered no, nothing goes; yes, it is sent)
    questions: list[str] = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    page.locator("[data-testid=send-button]").click()
    assert questions == ["Send this message to 6 creators now? What goes out cannot be taken back."]
    assert Broadcast.objects.get().state == Broadcast.State.DRAFT
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("[data-testid=send-button]").click()
    expect(page.locator("[data-testid=progress]")).to_be_visible()
    # When the worker writes the messages and sends what today's limit allows
    broadcast = Broadcast.objects.get()
    broadcast_queue(broadcast_id=broadcast.id)
    outbox_dispatch_due()
    # Then the page shows three sent, and the rest scheduled by day, without a reload
    expect(page.locator("[data-testid=count-sent]")).to_have_text("3", timeout=10_000)
    expect(page.locator("[data-testid=by-day] tr")).to_have_count(1)
    expect(page.locator("[data-testid=by-day]")).to_contain_text("3")
    assert len({r for _f, rs in smtp_server.handler.envelopes[-3:] for r in rs}) == 3
