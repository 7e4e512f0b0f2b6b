"""Working as a team, in Chromium: a saved reply inserted by typing / and its name, and by
the picker; a mention in a note shown as a link and told to the teammate; the Reports
page's periods."""

import pytest
from playwright.sync_api import expect

from parley.inbox.models import Notification
from parley.replies.services import saved_reply_create
from tests.factories import MemberFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def thread(member, make_conversation):  # type: ignore[no-untyped-def]
    saved_reply_create(
        member=member, name="Shipping address", body="Hi {{ first_name }}, where to ship?"
    )
    saved_reply_create(member=member, name="Brief", body="The brief is attached.")
    return make_conversation(name="Mia Laine", inbound=1)


def test_slash_and_a_name_inserts_the_reply_filled_in(login, thread):
    page = login()
    page.locator("[data-testid=row] a").first.click()
    box = page.locator("form.composer textarea[name=body]")

    box.click()
    box.type("Hello! /ship")
    expect(page.locator(".reply-option")).to_have_count(1)
    page.keyboard.press("Enter")

    expect(box).to_have_value("Hello! Hi Mia, where to ship?")
    expect(page.locator("[data-replies-menu]")).to_be_hidden()


def test_the_picker_lists_every_reply_and_inserts_at_the_cursor(login, thread):
    page = login()
    page.locator("[data-testid=row] a").first.click()
    box = page.locator("form.composer textarea[name=body]")
    box.fill("Thanks. ")

    page.locator("[data-testid=saved-replies]").click()
    expect(page.locator(".reply-option")).to_have_count(2)
    page.locator(".reply-option", has_text="Brief").click()

    expect(box).to_have_value("Thanks. The brief is attached.")


def test_a_mention_in_a_note_is_a_link_and_notifies_the_teammate(login, member, thread):
    ben = MemberFactory(
        workspace=member.workspace,
        user=UserFactory(email="ben@brand.test", first_name="Ben", last_name="Weber"),
    )
    page = login()
    page.locator("[data-testid=row] a").first.click()

    page.fill("#sidebar textarea[name=body]", "@ben can you ship the kit?")
    page.locator("#sidebar button", has_text="Add note").click()

    expect(page.locator("#sidebar a.mention")).to_have_text("@ben")
    expect(page.locator("#sidebar a.mention")).to_have_attribute("href", "mailto:ben@brand.test")
    assert Notification.objects.filter(member=ben, kind=Notification.Kind.MENTION).count() == 1


def test_reports_page_switches_periods(login):
    page = login()
    page.locator("nav.mainnav a", has_text="Reports").click()

    expect(page.locator("[data-testid=reports-empty]")).to_be_visible()
    page.locator("[data-testid=period-7]").click()
    expect(page.locator("[data-testid=period-7]")).to_have_attribute("aria-current", "page")
