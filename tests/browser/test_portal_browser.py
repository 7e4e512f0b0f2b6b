"""The creator portal in Chromium, the whole loop: the brand invites a creator from the
thread's menu; the creator opens the magic link from the email the test SMTP server caught,
accepts the invitation, signs the agreement, picks a gift, submits a content URL and
writes in-app, while the brand's open thread shows each step without a reload; the brand
approves the content in Content Approval; then the portal at 390x844, with screenshots in
the test's folder."""

import re
import time

import pytest
from django.core import mail
from playwright.sync_api import Browser, Page, expect

from parley.campaigns.assets import agreements, gifts
from parley.campaigns.models import CampaignMember
from parley.inbox.services import conversation_get_or_create
from parley.portal.models import ContentSubmission
from tests.campaigns.assets_support import creator_in
from tests.factories import CampaignFactory, CampaignMemberFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LINK = re.compile(r"https?://[^/\s]+(/portal/link/[A-Za-z0-9_-]+/)")


def _link_from_smtp(smtp_server, to: str) -> str:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for message in smtp_server.handler.messages:
            if to in str(message["To"]):
                found = LINK.search(message.get_body(preferencelist=("plain",)).get_content())
                if found:
                    return found.group(1)
        time.sleep(0.1)
    raise AssertionError(f"no portal email to {to}")


def test_invite_accept_sign_pick_submit_approve_and_mobile(  # type: ignore[no-untyped-def]
    browser: Browser, login, member, smtp_server, settings, live_server, tmp_path
):
    # Parley's own email goes to the test SMTP server
    smtp_server.handler.users["parley@brand.test"] = "smtp-secret"
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_server.port
    settings.EMAIL_HOST_USER = "parley@brand.test"
    settings.EMAIL_HOST_PASSWORD = "smtp-secret"
    settings.PARLEY_PUBLIC_URL = live_server.url
    assert mail  # the SMTP backend, not the test outbox, carries the mail here

    # Given a campaign with an agreement template and a product, and Ann invited to it
    campaign = CampaignFactory(workspace=member.workspace, name="Spring")
    campaign.agreement_template = "Two reels for {{ campaign }}, {{ name }}."
    campaign.save()
    ann = creator_in(campaign, name="Ann Example", email="ann@creator.test")
    product = gifts.product_create(campaign=campaign, name="Hoodie", options=["S", "M"])
    conversation = conversation_get_or_create(creator=ann)

    # When the brand invites Ann to the portal from the thread's menu
    brand = login()
    brand.goto(f"/inbox/c/{conversation.id}/")
    expect(brand.locator("[data-testid=portal-status]")).to_contain_text("No portal account")
    brand.locator(".thread-head details.kebab summary").click()
    brand.locator("[data-testid=kebab-portal-invite]").click()
    expect(brand.locator("[data-testid=portal-status]")).to_contain_text("Portal: invited")
    # (the team sends the agreement and offers gifts, which the portal account allows now)
    agreements.agreement_send(actor=member, campaign=campaign, creator=ann)
    gifts.gift_offer(actor=member, campaign=campaign, creator=ann, limit=1)

    # Then Ann opens the link from her email: a button, which signs her in
    path = _link_from_smtp(smtp_server, "ann@creator.test")
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1100, "height": 900})
    context.set_default_timeout(10_000)
    creator: Page = context.new_page()
    creator.goto(path)
    creator.get_by_role("button", name="Sign in").click()
    creator.wait_for_url("**/portal/")
    expect(creator.locator("[data-testid=waiting]")).to_contain_text("An invitation to answer")

    # She accepts
    creator.get_by_role("link", name="Spring").click()
    creator.locator("[data-testid=accept]").click()
    expect(creator.locator("[data-testid=status]")).to_have_text("Accepted")
    expect(brand.locator("#thread-messages")).to_contain_text(
        "Spring: Accepted the invitation", timeout=15_000
    )

    # She signs the agreement with her typed name and consent
    expect(creator.locator(".agreement-text")).to_contain_text("Two reels for Spring")
    creator.fill("input[name=signer_name]", "Ann Example")
    creator.check("input[name=consent]")
    creator.locator("form.sign button[type=submit]").click()
    expect(creator.locator("[data-testid=agreement-pdf]")).to_be_visible()
    expect(creator.locator("[data-testid=status]")).to_have_text("Active")
    expect(brand.locator("#thread-messages")).to_contain_text(
        "agreement signed by Ann Example", timeout=15_000
    )

    # She picks a hoodie in M and gives her address
    creator.fill(f"input[name=qty_{product.id}]", "1")
    creator.select_option(f"select[name=option_{product.id}]", "M")
    creator.fill("textarea[name=shipping_address]", "Ann Example\nMain Street 1\nHelsinki")
    creator.locator("form.gifts button[type=submit]").click()
    expect(creator.locator("[data-testid=gift-status]")).to_contain_text("Selected")
    expect(brand.locator("#thread-messages")).to_contain_text(
        "products selected: Hoodie (M) x 1", timeout=15_000
    )

    # She submits a link to her reel
    creator.fill("input[name=url]", "https://reels.example/ann/spring")
    creator.locator("form.content button[type=submit]").click()
    expect(creator.locator("[data-testid=submission]")).to_contain_text("Waiting for review")
    expect(brand.locator("#thread-messages")).to_contain_text(
        "Content submitted: https://reels.example/ann/spring", timeout=15_000
    )

    # She writes to the brand in-app: the brand's open thread shows it, unread in the list
    campaign_page = creator.url
    creator.get_by_role("link", name="Messages").click()
    # (an empty reply comes back scrolled to the form and its error)
    creator.locator("form.reply button[type=submit]").click()
    creator.wait_for_url("**/reply/#reply")
    expect(creator.locator("form#reply .error")).to_be_in_viewport()
    creator.fill("textarea[name=body]", "Posted it! Link above.")
    creator.locator("form.reply button[type=submit]").click()
    expect(creator.locator("[data-testid=portal-message]").last).to_contain_text("Posted it!")
    expect(creator.locator("#latest")).to_be_in_viewport()
    # and the brand tab leads to the newest message
    creator.get_by_role("link", name="Messages").click()
    creator.wait_for_url("**#latest")
    expect(brand.locator("#thread-messages")).to_contain_text(
        "Posted it! Link above.", timeout=15_000
    )
    creator.goto(campaign_page)

    # The brand approves it in Content Approval
    brand.goto(f"/campaigns/{campaign.id}/content/")
    card = brand.locator("[data-testid=submission]")
    expect(card).to_contain_text("https://reels.example/ann/spring")
    card.get_by_label("Approve").check()
    card.get_by_role("button", name="Save the decision").click()
    expect(brand.locator("[data-testid=content-empty]")).to_be_visible()
    assert ContentSubmission.objects.get().status == ContentSubmission.Status.APPROVED
    assert (
        CampaignMember.objects.get(campaign=campaign, creator=ann).status
        == CampaignMember.Status.CONTENT_APPROVED
    )
    brand.goto(f"/inbox/c/{conversation.id}/")
    expect(brand.locator("#thread-messages")).to_contain_text("Spring: Content approved")
    expect(brand.locator("[data-testid=portal-status]")).to_contain_text("Portal account")

    # Then the portal at 390x844: the decision shows, nothing overflows sideways, and with
    # four campaigns the brand's tabs all show (they wrap; none is scrolled out of sight)
    for name in ("Autumn launch with a long name", "Winter", "Holiday gift guide 2026"):
        CampaignMemberFactory(
            campaign=CampaignFactory(workspace=member.workspace, name=name),
            creator=ann,
            status=CampaignMember.Status.INVITED,
        )
    creator.set_viewport_size({"width": 390, "height": 844})
    creator.reload()
    expect(creator.locator("[data-testid=submission]")).to_contain_text("Approved")
    expect(creator.locator("[data-testid=status]")).to_have_text("Content approved")
    thread = f"/portal/c/{ann.id}/"
    for name, url in (("home", "/portal/"), ("thread", thread), ("campaign", creator.url)):
        creator.goto(url)
        width = creator.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (url, width)
        creator.screenshot(path=str(tmp_path / f"portal-{name}-390x844.png"))
    # and in German and Finnish, whose header words are longer
    for language in ("de", "fi"):
        creator.context.add_cookies(
            [{"name": "django_language", "value": language, "url": creator.url}]
        )
        creator.goto(f"/portal/c/{ann.id}/campaigns/{campaign.id}/")
        width = creator.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, (language, width)
        box = creator.locator("[data-testid=sign-out]").bounding_box()
        assert box and box["x"] + box["width"] <= 390, (language, box)
    creator.context.add_cookies([{"name": "django_language", "value": "en", "url": creator.url}])
    creator.goto(f"/portal/c/{ann.id}/campaigns/{campaign.id}/")
    tabs = creator.locator("[data-testid=campaign-tab]")
    expect(tabs).to_have_count(4)
    for i in range(4):
        box = tabs.nth(i).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    shot = tmp_path / "portal-390x844.png"
    creator.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    context.close()
