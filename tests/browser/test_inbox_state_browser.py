"""The inbox in Chromium (issue 17): the filter, search and campaign choice live in the
address (reload, back and a shared link keep them); message search opens the thread at the
message; "All that match" says how many; Send Email; the API docs without the internet."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from parley.channels.email.models import Mailbox
from parley.inbox.models import Channel, Message
from parley.inbox.services import conversation_mark_read, message_record
from tests.factories import CampaignFactory, CampaignMemberFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def inbox(member, make_conversation):  # type: ignore[no-untyped-def]
    now = timezone.now()
    rita = make_conversation(name="Rita Read", inbound=1, at=now - timedelta(hours=1))
    otto = make_conversation(name="Otto Older", inbound=1, at=now - timedelta(days=2))
    una = make_conversation(name="Una Unread", inbound=1, at=now - timedelta(days=3))
    conversation_mark_read(member=member, conversation=rita)
    campaign = CampaignFactory(workspace=member.workspace, name="Summer Launch")
    CampaignMemberFactory(campaign=campaign, creator=otto.creator)
    CampaignMemberFactory(campaign=campaign, creator=una.creator)
    found = message_record(
        conversation=otto,
        channel=Channel.EMAIL,
        direction=Message.Direction.INBOUND,
        status=Message.Status.RECEIVED,
        subject="Parcel",
        body_text="The parcel with the <b>moodboard</b> arrived",
        author_creator=otto.creator,
        created_at=now - timedelta(days=2, hours=-1),
    )
    for i in range(30):
        message_record(
            conversation=otto,
            channel=Channel.INAPP,
            direction=Message.Direction.INBOUND,
            status=Message.Status.RECEIVED,
            body_text=f"later message {i}",
            author_creator=otto.creator,
            created_at=now - timedelta(days=1, minutes=60 - i),
        )
    return {"rita": rita, "otto": otto, "una": una, "campaign": campaign, "found": found}


def rows(page):  # type: ignore[no-untyped-def]
    return page.locator("[data-testid=row]")


def test_search_filter_and_campaign_live_in_the_address(login, inbox, page, live_server):
    page = login()
    expect(rows(page)).to_have_count(3)

    # When I search, the address says so; a reload keeps the search and its rows
    page.fill("#q", "Rita")
    expect(page).to_have_url(re.compile(r"/inbox/\?q=Rita$"))
    expect(rows(page)).to_have_count(1)
    page.reload()
    expect(page.locator("#q")).to_have_value("Rita")
    expect(rows(page)).to_have_count(1)

    # A second search, then Back: the first one again, in the box and in the list
    page.fill("#q", "Otto")
    expect(page).to_have_url(re.compile(r"q=Otto$"))
    expect(rows(page)).to_have_count(1)
    expect(rows(page).first).to_contain_text("Otto Older")
    page.go_back()
    expect(page).to_have_url(re.compile(r"q=Rita$"))
    expect(page.locator("#q")).to_have_value("Rita")
    expect(rows(page).first).to_contain_text("Rita Read")

    # The campaign drop-down and a filter box go into the address too
    page.fill("#q", "")
    expect(rows(page)).to_have_count(3)
    campaign = inbox["campaign"]
    page.select_option("[data-testid=campaign-select]", str(campaign.id))
    expect(page).to_have_url(re.compile(rf"campaign={campaign.id}"))
    expect(rows(page)).to_have_count(2)
    page.locator("details.filter-menu summary").click()
    page.get_by_label("Unread only").check()
    expect(page).to_have_url(re.compile(rf"campaign={campaign.id}.*unread=1"))
    expect(rows(page)).to_have_count(2)

    # A shared link opens the same list in another browser tab
    shared = page.url
    other = page.context.new_page()
    other.goto(shared)
    expect(other.locator("[data-testid=campaign-select]")).to_have_value(str(campaign.id))
    expect(other.get_by_label("Unread only")).to_be_checked()
    expect(other.locator("[data-testid=row]")).to_have_count(2)

    # Opening a row keeps the filter in the address, and a reload keeps both
    other.keyboard.press("Escape")  # the filter menu opens itself when a filter is set
    other.locator("[data-testid=row]").filter(has_text="Otto Older").locator("a").click()
    expect(other).to_have_url(re.compile(rf"/inbox/c/{inbox['otto'].id}/\?campaign="))
    other.reload()
    expect(other.locator("[data-testid=campaign-select]")).to_have_value(str(campaign.id))
    expect(other.locator("#thread h2")).to_contain_text("Otto Older")


def test_a_message_found_opens_its_thread_there(login, inbox):
    page = login()
    page.fill("#q", "moodboard")
    hit = page.locator("[data-testid=message-hit]")
    expect(hit).to_have_count(1)
    expect(hit.locator("mark")).to_have_text("moodboard")
    expect(hit).to_contain_text("<b>moodboard</b>")  # the text as written, not markup
    hit.locator("a").click()
    found = page.locator(f"article[data-message='{inbox['found'].id}']")
    expect(found).to_have_class(re.compile(r"\bfound\b"))
    # Still there once the parts of the pane that load after the thread are in
    page.wait_for_load_state("networkidle")
    expect(found).to_be_in_viewport()
    expect(page).to_have_url(re.compile(rf"m={inbox['found'].id}"))

    # One letter is not searched in messages, and says why
    page.fill("#q", "o")
    expect(page.locator("[data-testid=message-search-error]")).to_contain_text(
        "at least two letters"
    )


def test_all_that_match_says_how_many_before_acting(login, inbox):
    page = login()
    count = page.locator("[data-testid=match-count]")
    expect(count).to_have_text("")
    page.locator("#select-all").check()
    expect(count).to_have_text("Acts on 3 creators.")
    page.fill("#q", "Otto")
    expect(count).to_have_text("Acts on 1 creator.")
    page.locator("#select-all").uncheck()
    expect(count).to_have_text("")


def test_send_email_from_the_thread_menu(login, inbox, member):
    Mailbox.objects.create(
        workspace=member.workspace,
        connected_by=member,
        address="first@brand.test",
        connected_at=timezone.now(),
        smtp_host="127.0.0.1",
        secret="encrypted",
    )
    default = Mailbox.objects.create(
        workspace=member.workspace,
        connected_by=member,
        address="team@brand.test",
        connected_at=timezone.now(),
        is_default=True,
        smtp_host="127.0.0.1",
        secret="encrypted",
    )
    page = login()
    rows(page).filter(has_text="Otto Older").locator("a").click()
    page.select_option("[data-testid=mailbox]", label="From first@brand.test")
    # The thread's parts that load after it (each settle closes open menus) are in.
    page.wait_for_load_state("networkidle")
    page.get_by_label("More actions").click()
    page.locator("[data-testid=kebab-send-email]").click()
    expect(page.locator("[data-testid=channel]")).to_have_value("email")
    expect(page.locator("[data-testid=mailbox]")).to_have_value(str(default.id))
    expect(page.locator("[data-testid=subject]")).to_be_visible()
    expect(page.locator("[data-testid=subject]")).to_have_value("Re: Parcel")
    expect(page.locator("form.composer textarea[name=body]")).to_be_focused()


def test_api_docs_work_without_the_internet(page, live_server):
    outside = []

    def only_ours(route):  # type: ignore[no-untyped-def]
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_ours)
    page.goto("/api/v1/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Parley")
    expect(page.locator(".opblock-tag-section").first).to_be_visible()
    assert outside == []
