"""Click through the inbox in Chromium as a person would."""

import os
import re
import subprocess
import sys
from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from parley.creators.models import CreatorTag
from parley.inbox.models import InboxEntry, Message
from parley.inbox.services import conversation_mark_read
from tests.conftest import database_url
from tests.factories import CampaignMemberFactory, TagFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def inbox(member, make_conversation):  # type: ignore[no-untyped-def]
    now = timezone.now()
    unread = make_conversation(name="Una Unread", inbound=1, at=now - timedelta(days=4))
    newer = make_conversation(name="Rita Read", inbound=1, at=now - timedelta(hours=1))
    older = make_conversation(name="Otto Older", inbound=1, at=now - timedelta(days=2))
    for c in (newer, older):
        conversation_mark_read(member=member, conversation=c)
    return {"unread": unread, "newer": newer, "older": older}


def _menu_item(page, summary: str, item: str) -> None:  # type: ignore[no-untyped-def]
    """Choose an item of a message's menu. The thread refreshes itself once after it opens
    (reading it moved the inbox), which replaces a menu opened just before: open it again."""
    for _ in range(10):
        if not page.locator(f"[data-testid={item}]").first.is_visible():
            page.locator(summary).first.click()
        try:
            page.locator(f"[data-testid={item}]").first.click(timeout=1000)
            return
        except PlaywrightTimeout:
            continue
    raise AssertionError(f"the menu's {item} could not be chosen")


def rows(page):  # type: ignore[no-untyped-def]
    return page.locator("[data-testid=row]")


def badge(page):  # type: ignore[no-untyped-def]
    return page.locator("[data-testid=unread-badge]")


def test_unread_on_top_open_read_mark_unread(login, inbox, member):
    page = login()
    # unread at the top, though it is the oldest
    expect(rows(page).first).to_contain_text("Una Unread")
    expect(rows(page).first).to_have_class("row unread")
    expect(badge(page)).to_have_text("1")

    # open a thread: it becomes read, and the badge drops
    rows(page).first.locator("a").click()
    expect(page.locator("[data-testid=message]").first).to_contain_text("hello 0 from Una Unread")
    expect(badge(page)).to_have_text("0", timeout=8000)
    entry = InboxEntry.objects.get(member=member, conversation=inbox["unread"])
    assert not entry.unread
    # the list refreshes by itself: its row is read now (and the list has settled), and it
    # stays marked as the open one wherever the order moved it
    expect(rows(page).filter(has_text="Una Unread")).to_have_class(
        re.compile(r"^row\s*$"), timeout=8000
    )
    expect(rows(page).filter(has_text="Una Unread")).to_have_attribute("aria-current", "true")
    expect(page.locator("#rows li[aria-current]")).to_have_count(1)

    # open an older read thread and mark its message unread: back to the top, badge up
    rows(page).filter(has_text="Otto Older").locator("a").click()
    expect(page.locator(".thread-head h2")).to_contain_text("Otto Older")
    _menu_item(page, "[data-testid=message] details.kebab summary", "mark-unread")
    expect(page.locator("[data-testid=no-thread]")).to_contain_text("Marked as unread")
    expect(rows(page).first).to_contain_text("Otto Older", timeout=8000)
    expect(badge(page)).to_have_text("1", timeout=8000)
    # the pane took the answer inside it (the messages' outerHTML swap is not inherited):
    # the next row still opens its thread there
    expect(page.locator("#conversation-pane [data-testid=no-thread]")).to_have_count(1)
    rows(page).filter(has_text="Rita Read").locator("a").click()
    expect(page.locator(".thread-head h2")).to_contain_text("Rita Read")


def test_an_open_menu_stays_open_while_the_page_polls(login, inbox, settings):
    page = login()
    rows(page).filter(has_text="Otto Older").locator("a").click()  # read already
    expect(page.locator(".thread-head h2")).to_contain_text("Otto Older")
    page.locator("[data-testid=message] details.kebab summary").first.click()
    item = page.locator("[data-testid=mark-unread]").first
    expect(item).to_be_visible()

    # the header's badge asks every poll; its answer closes no menu
    page.wait_for_timeout(2.5 * settings.PARLEY_POLL_SECONDS * 1000)
    expect(item).to_be_visible()
    item.click()
    expect(page.locator("[data-testid=no-thread]")).to_contain_text("Marked as unread")


def test_filter_by_campaign_then_tag_then_reset(login, inbox, member):
    campaign_member = CampaignMemberFactory(
        campaign__workspace=member.workspace,
        campaign__name="Spring",
        creator=inbox["newer"].creator,
        status="approved",
    )
    CampaignMemberFactory(campaign=campaign_member.campaign, creator=inbox["older"].creator)
    tag = TagFactory(workspace=member.workspace, name="VIP")
    CreatorTag.objects.create(tag=tag, creator=inbox["older"].creator)
    page = login()
    expect(rows(page)).to_have_count(3)

    page.select_option("[data-testid=campaign-select]", label="Spring")
    expect(rows(page)).to_have_count(2)
    expect(page.locator("[data-testid=campaign-status]").first).to_be_visible()

    page.locator("details.filter-menu summary").click()
    page.get_by_label("VIP").check()
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text("Otto Older")
    expect(page.locator("[data-testid=filter-button] .count")).to_have_text("1")
    # The filtered address, opened again: the menu stays closed (it covered the bulk bar)
    # and its button says one choice is on.
    page.goto(f"/inbox/?campaign={campaign_member.campaign_id}&tags={tag.id}")
    expect(rows(page)).to_have_count(1)
    expect(page.locator("details.filter-menu")).not_to_have_attribute("open", "")
    expect(page.locator("[data-testid=filter-button] .count")).to_have_text("1")
    page.locator("details.filter-menu summary").click()

    page.locator("[data-testid=reset-filters]").click()
    expect(rows(page)).to_have_count(3)


def test_select_creators_and_add_a_tag(login, inbox):
    page = login()
    rows(page).filter(has_text="Rita Read").locator("input[type=checkbox]").check()
    rows(page).filter(has_text="Otto Older").locator("input[type=checkbox]").check()
    page.locator("[data-testid=bulk-tag-menu] summary").click()
    page.fill("input[name=bulk_tag_name]", "summer-box")
    page.locator("[data-testid=bulk-new-tag]").click()
    expect(page.locator("[data-testid=flash]")).to_contain_text("Tagged 2 creators")
    # the menu closed: it does not cover the answer
    expect(page.locator("[data-testid=bulk-tag-menu]")).not_to_have_attribute("open", "")
    tagged = set(
        CreatorTag.objects.filter(tag__name="summer-box").values_list("creator__name", flat=True)
    )
    assert tagged == {"Rita Read", "Otto Older"}


def test_send_an_in_app_message(login, inbox):
    page = login()
    rows(page).filter(has_text="Rita Read").locator("a").click()
    # (the thread menu's Add Tag leads to the sidebar's tag field, and the menu closes)
    page.locator(".thread-head details.kebab summary").click()
    page.locator(".thread-head a[href='#add-tag']").click()
    expect(page.locator("#add-tag input")).to_be_focused()
    expect(page.locator(".thread-head details.kebab")).not_to_have_attribute("open", "")
    page.fill("textarea[name=body]", "Your parcel ships today!")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("[data-testid=message]").last).to_contain_text("Your parcel ships today!")
    expect(page.locator("[data-testid=message]").last.locator("[data-testid=status]")).to_have_text(
        "Sent"
    )
    assert Message.objects.filter(body_text="Your parcel ships today!", status="sent").exists()


def _record_elsewhere(conversation_id: int, text: str) -> None:
    """An inbound message recorded by another process (as the worker would)."""
    code = (
        "from parley.inbox.models import Conversation\n"
        "from parley.inbox.services import message_record\n"
        f"c = Conversation.objects.get(id={conversation_id})\n"
        "message_record(conversation=c, channel='sms', direction='in', status='received',"
        f" body_text={text!r}, author_creator=c.creator)\n"
    )
    env = {**os.environ, "DATABASE_URL": database_url()}
    subprocess.run(
        [sys.executable, str(settings.BASE_DIR / "manage.py"), "shell", "-c", code],
        env=env,
        check=True,
        capture_output=True,
    )


def test_message_from_another_process_appears_without_reload(login, inbox):
    page = login()
    rows(page).filter(has_text="Rita Read").locator("a").click()
    expect(page.locator(".thread-head h2")).to_contain_text("Rita Read")
    _record_elsewhere(inbox["newer"].id, "Posted it just now!")
    # within 5 seconds, no reload: the thread shows it, and the row its preview (the open
    # thread marks it read again, so it sorts below the unread rows: it need not be first)
    expect(page.locator("[data-testid=message]").last).to_contain_text(
        "Posted it just now!", timeout=5000
    )
    expect(rows(page).filter(has_text="Rita Read")).to_contain_text(
        "Posted it just now!", timeout=5000
    )
    # a message to a conversation that is not open puts its row on top, unread
    _record_elsewhere(inbox["older"].id, "Otto here")
    expect(rows(page).first).to_contain_text("Otto here", timeout=5000)
    expect(rows(page).first).to_have_class(re.compile("unread"))
