"""The team app on a phone (390x844), in Chromium: no page is wider than the screen (the
header wraps, wide tables scroll in their own box), the inbox shows the list on /inbox/
and the open conversation, thread over sidebar, on /inbox/c/<id>/, with a link back to
the list; at 900x800 the list beside the thread, the sidebar under it; at 1400x900 the
inbox keeps its three columns."""

import pytest
from playwright.sync_api import expect

from parley.creators.models import CreatorTag
from tests.factories import (
    CampaignFactory,
    CampaignMemberFactory,
    ClientFactory,
    IdentityFactory,
    TagFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


def test_team_pages_fit_a_phone_and_the_inbox_shows_one_pane(login, member, make_conversation):
    # Given a creator with a long email and a tag, in a campaign with a client
    conversation = make_conversation(name="Lotta Schneider", inbound=3)
    creator = conversation.creator
    IdentityFactory(creator=creator, value="lotta.schneider.partnerships@creators-example.test")
    CreatorTag.objects.create(
        creator=creator, tag=TagFactory(workspace=member.workspace, name="needs-contract")
    )
    campaign = CampaignFactory(
        workspace=member.workspace,
        name="Brand Ambassadors 2026",
        client=ClientFactory(workspace=member.workspace, name="Aurora Cosmetics"),
    )
    CampaignMemberFactory(campaign=campaign, creator=creator)
    page = login()
    page.set_viewport_size(PHONE)

    # Then no team page is wider than the screen, and every header link is on it
    thread = f"/inbox/c/{conversation.id}/"
    pages = [
        "/inbox/",
        thread,
        "/creators/",
        f"/creators/{creator.id}/",
        "/campaigns/",
        f"/campaigns/{campaign.id}/",
        "/reports/",
        "/settings/general/",
        "/settings/replies/",
        "/settings/notifications/",
        "/settings/tokens/",
        "/settings/integrations/email/",
        "/settings/integrations/sms/",
    ]
    for url in pages:
        page.goto(url)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], (url, width)
        header = page.locator("header.topbar").bounding_box()
        for link in page.locator("nav.mainnav a").all():
            box = link.bounding_box()
            assert box is not None, url
            assert box["x"] + box["width"] <= PHONE["width"], (url, link.inner_text())
            assert box["y"] + box["height"] <= header["y"] + header["height"], url

    # The sections are on one line in German and Finnish too (Settings is its gear)
    for language in ("de", "fi", "en"):
        page.context.add_cookies([{"name": "django_language", "value": language, "url": page.url}])
        page.goto("/inbox/")
        tops = {round(link.bounding_box()["y"]) for link in page.locator("nav.mainnav a").all()}
        assert len(tops) == 1, (language, tops)
    expect(page.locator("[data-testid=nav-settings]")).to_have_attribute("title", "Settings")

    # The creators table scrolls sideways instead of breaking the email a letter a line
    page.goto("/creators/")
    email = page.locator(".creators-table .contact .ident").first
    assert email.bounding_box()["height"] < 30

    # The inbox: the list, no conversation pane
    page.goto("/inbox/")
    expect(page.locator(".list-pane")).to_be_visible()
    expect(page.locator("#conversation-pane")).to_be_hidden()

    # A row opens the conversation in place of the list: the thread the screen's width,
    # the sidebar under it
    page.locator("[data-testid=row] a").first.click()
    expect(page.locator("#thread")).to_be_visible()
    expect(page.locator(".list-pane")).to_be_hidden()
    box = page.locator("#thread").bounding_box()
    assert box["width"] > 300
    sidebar = page.locator("#sidebar").bounding_box()
    assert sidebar["y"] >= box["y"] + box["height"] - 1

    # and the link back leads to the list
    page.locator("[data-testid=back-to-list]").click()
    page.wait_for_url("**/inbox/")
    expect(page.locator(".list-pane")).to_be_visible()

    # Opened by its address, the conversation shows as well
    page.goto(thread)
    expect(page.locator("#thread")).to_be_visible()
    assert page.locator("#thread").bounding_box()["width"] > 300
    expect(page.locator(".list-pane")).to_be_hidden()

    # At 900x800 (a small laptop, a tablet) the list stays beside the thread, which takes
    # the rest of the width; the sidebar is under it, where "Details" leads
    page.set_viewport_size({"width": 900, "height": 800})
    expect(page.locator(".list-pane")).to_be_visible()
    assert page.locator(".list-pane").bounding_box()["width"] == 320
    assert page.locator("#thread").bounding_box()["width"] >= 900 - 320 - 1
    expect(page.locator("#sidebar")).not_to_be_in_viewport()
    page.locator("[data-testid=to-sidebar]").click()
    expect(page.locator("#sidebar")).to_be_in_viewport()
    assert page.evaluate("document.documentElement.scrollWidth") <= 900

    # At 1400x900 the inbox keeps its three columns, without the link back or to the sidebar
    page.set_viewport_size({"width": 1400, "height": 900})
    expect(page.locator(".list-pane")).to_be_visible()
    assert page.locator(".list-pane").bounding_box()["width"] == 380
    expect(page.locator("[data-testid=back-to-list]")).to_be_hidden()
    expect(page.locator("[data-testid=to-sidebar]")).to_be_hidden()
    expect(page.locator("#sidebar")).to_be_in_viewport()
