"""A request that fails says so on the page (it used to do nothing visible)."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_refused_note_says_why_and_keeps_the_text(login, make_conversation):  # type: ignore[no-untyped-def]
    conversation = make_conversation(name="Nora Null", inbound=1)
    page = login()
    page.goto(reverse("inbox:conversation", args=[conversation.id]))
    note = page.locator("#sidebar textarea[name=body]")
    note.fill("before\x00after")
    page.locator("#sidebar button", has_text="Add note").click()
    notice = page.locator("[data-testid=request-error]")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("NUL character")
    expect(note).to_have_value("before\x00after")
    notice.click()
    expect(notice).to_have_count(0)
