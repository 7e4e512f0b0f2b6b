"""Campaigns in Chromium: create a campaign (with a brief in the editor), add creators from
the inbox filter, bulk-invite them from the Members tab (one without an address is skipped
and named), see the statuses, then in the inbox's campaign view see each creator's status,
the events in the thread, and move one on with the bar's button."""

import pytest
from django.utils import timezone
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from parley.broadcasts.models import Broadcast
from parley.broadcasts.services import broadcast_queue
from parley.campaigns.models import Campaign, CampaignMember
from parley.channels.email.models import Mailbox
from parley.creators.models import CreatorTag
from parley.outbox.dispatch import outbox_dispatch_due
from parley.outbox.models import OutboxItem
from tests.factories import IdentityFactory, TagFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_create_add_from_inbox_bulk_invite_and_follow_statuses(  # type: ignore[no-untyped-def]
    login, member, make_conversation
):
    # Given four creators tagged "Summer" (one without an email address), one who is not,
    # and a mailbox to send from
    tag = TagFactory(workspace=member.workspace, name="Summer")
    for i, name in enumerate(["Ada Lind", "Bo Berg", "Cai Holm", "Dee Noemail"]):
        conversation = make_conversation(name=name, at=timezone.now())
        if name != "Dee Noemail":
            IdentityFactory(creator=conversation.creator, value=f"c{i}@creators.test")
        CreatorTag.objects.create(tag=tag, creator=conversation.creator)
    make_conversation(name="Other Person")
    Mailbox.objects.create(
        workspace=member.workspace,
        connected_by=member,
        address="team@brand.test",
        connected_at=timezone.now(),
        is_default=True,
        access=Mailbox.Access.SEND_ONLY,
        smtp_host="127.0.0.1",
    )
    page = login()

    # When I create a campaign from the Campaigns section, with a brief in bold
    page.get_by_role("link", name="Campaigns", exact=True).click()
    expect(page.locator("[data-testid=campaigns-empty]")).to_be_visible()
    page.locator("[data-testid=new-campaign]").click()
    page.fill("input[name=name]", "Summer Launch")
    editor = page.locator(".rich-edit")
    editor.click()
    page.keyboard.type("Two reels, ")
    page.get_by_role("button", name="Bold").click()
    page.keyboard.type("tagged")
    page.get_by_role("button", name="Create campaign").click()
    # Then its Members tab says how to add creators
    expect(page.locator("[data-testid=members-empty]")).to_be_visible()
    campaign = Campaign.objects.get()
    assert campaign.brief == "Two reels, <b>tagged</b>"

    # When I add the tagged creators from the inbox filter
    page.get_by_role("link", name="Inbox", exact=True).click()
    page.locator("details.filter-menu summary").click()
    page.get_by_label("Summer", exact=True).check()
    expect(page.locator("[data-testid=row]")).to_have_count(4)
    page.keyboard.press("Escape")
    page.locator("#select-all").check()
    page.locator("[data-testid=bulk-campaign-menu] summary").click()
    page.locator("[data-testid=bulk-campaign-menu]").get_by_role(
        "button", name="Summer Launch"
    ).click()
    expect(page.locator("#flash")).to_contain_text("Added 4 creators to Summer Launch")

    # And invite all of them from the campaign's Members tab
    page.get_by_role("link", name="Campaigns", exact=True).click()
    page.get_by_role("link", name="Summer Launch").click()
    rows = page.locator("[data-testid=member-row]")
    expect(rows).to_have_count(4)
    expect(page.locator("[data-testid=member-status]")).to_have_text(["Added"] * 4)
    page.locator("[data-testid=select-all]").check()
    page.select_option("[data-testid=members-action]", "status:invited")
    page.locator("[data-testid=members-apply]").click()
    # Then three are invited, and the one without an address is named as skipped
    flash = page.locator("[data-testid=members-flash]")
    expect(flash).to_contain_text("3 creators are now “Invited”")
    expect(flash).to_contain_text("No email address (Dee Noemail)")
    expect(page.locator("[data-testid=member-row][data-status=invited]")).to_have_count(3)
    expect(page.locator("[data-testid=member-row][data-status=added]")).to_have_count(1)
    # and the status filter counts them
    expect(page.locator("[data-testid=status-filter]")).to_contain_text("Invited 3")

    # When the worker writes the invitations (each email and the event beside it)
    broadcast_queue(broadcast_id=Broadcast.objects.get().id)
    assert set(OutboxItem.objects.values_list("priority", flat=True)) == {
        OutboxItem.Priority.INVITATION
    }

    # And I choose the campaign in the inbox drop-down
    page.get_by_role("link", name="Inbox", exact=True).click()
    page.select_option("[data-testid=campaign-select]", label="Summer Launch")
    expect(page.locator("[data-testid=campaign-status]")).to_have_count(4)
    ada = page.locator("[data-testid=row]", has_text="Ada Lind")
    expect(ada.locator("[data-testid=campaign-status]")).to_have_text("Invited")
    # Then opening a creator shows the event apart from the messages, and the status bar
    ada.locator("a.row-link").click()
    events = page.locator("#thread-messages [data-testid=event]")
    expect(events).to_contain_text(["Summer Launch: Invitation sent"])
    bar = page.locator("[data-testid=campaign-bar]")
    expect(bar.locator("[data-testid=bar-status]")).to_have_text("Invited")
    # When I mark the invitation accepted from the bar
    bar.locator("[data-testid=bar-to-accepted]").click()
    # Then the bar, the list and the thread show it
    expect(page.locator("[data-testid=bar-status]")).to_have_text("Accepted")
    expect(events.last).to_contain_text("Summer Launch: Accepted the invitation")
    expect(ada.locator("[data-testid=campaign-status]")).to_have_text("Accepted")
    assert CampaignMember.objects.get(creator__name="Ada Lind").status == "accepted"
    # and only the next step is offered now
    expect(page.locator("[data-testid=bar-to-active]")).to_be_visible()
    expect(page.locator("[data-testid=bar-to-declined]")).to_have_count(0)


def _send_menu(page, action: str) -> None:  # type: ignore[no-untyped-def]
    """Choose an item of the sidebar's Send… menu. The sidebar refreshes itself after an
    action (the thread changed), which closes a menu opened just before: open it again."""
    for _ in range(10):
        if not page.locator(f"[data-testid={action}]").is_visible():
            page.locator("[data-testid=asset-menu]").click()
        try:
            page.locator(f"[data-testid={action}]").click(timeout=1000)
            return
        except PlaywrightTimeout:
            continue
    raise AssertionError(f"the Send… menu's {action} could not be chosen")


def test_settings_then_a_link_and_a_code_by_email_and_the_click_counted(  # type: ignore[no-untyped-def]
    login, member, make_conversation, connect, smtp_server, live_server, settings
):
    settings.PARLEY_PUBLIC_URL = live_server.url
    # Given a campaign with a creator who has an email address, and a mailbox
    campaign = Campaign.objects.create(workspace=member.workspace, name="Spring Box")
    conversation = make_conversation(name="Ada Lind", at=timezone.now())
    IdentityFactory(creator=conversation.creator, value="ada@creators.test")
    CampaignMember.objects.create(
        workspace=member.workspace, campaign=campaign, creator=conversation.creator
    )
    connect(access=Mailbox.Access.SEND_ONLY)
    page = login()

    # When I add a product and paste two codes on the campaign's Settings tab
    page.goto(f"/campaigns/{campaign.id}/settings/")
    products = page.locator("[data-testid=campaign-products]")
    products.get_by_label("Name").fill("Linen shirt")
    products.get_by_label("Options").fill("S, M, L")
    products.locator("[data-testid=product-add]").click()
    expect(products.locator("[data-testid=product]")).to_contain_text(["Linen shirt"])
    pool = page.locator("[data-testid=campaign-pool]")
    pool.locator("textarea").fill("SPRING-AAA1\nSPRING-BBB2")
    pool.locator("[data-testid=pool-paste]").click()
    expect(page.locator("[data-testid=pool-stats]")).to_contain_text("2 codes in the pool")

    # And send Ada a tracking link by email from her thread
    destination = f"{live_server.url}/login/?from=spring"
    page.goto(f"/inbox/c/{conversation.id}/")
    page.wait_for_load_state("networkidle")
    _send_menu(page, "action-link")
    panel = page.locator("[data-testid=asset-panel]")
    # (in the 320 px sidebar the form's labels are over their inputs, which take its width)
    leads_to = panel.get_by_label("Leads to").bounding_box()
    submit = panel.locator("[data-testid=action-submit]").bounding_box()
    assert leads_to and leads_to["width"] > 240, leads_to
    assert submit and submit["height"] < 40, submit
    panel.get_by_label("Leads to").fill(destination)
    panel.get_by_label("By email").check()
    panel.locator("[data-testid=action-submit]").click()
    link = page.locator("[data-testid=asset-link]")
    expect(link.locator("[data-testid=link-clicks]")).to_contain_text("0 clicks")
    # and her coupon code the same way
    _send_menu(page, "action-code")
    page.locator("[data-testid=asset-panel]").get_by_label("By email").check()
    page.locator("[data-testid=action-submit]").click()
    expect(page.locator("[data-testid=asset-coupon]")).to_contain_text("SPRING-")
    # Then both go out as emails through the outbox, each with its value in the text
    assert outbox_dispatch_due() == 2
    emails = smtp_server.handler.messages
    texts = [m.get_body(preferencelist=("plain",)).get_content() for m in emails]
    code = CampaignMember.objects.get().creator.coupon_codes.get().code
    assert any("/l/" in t for t in texts) and any(code in t for t in texts)

    # When Ada follows the link from the email in a browser
    url = next(w for t in texts for w in t.split() if "/l/" in w)
    visitor = page.context.new_page()
    visitor.goto(url)
    # Then she lands on the destination, and the sidebar counts her click
    assert visitor.url == destination
    visitor.close()
    page.reload()
    expect(page.locator("[data-testid=link-clicks]")).to_contain_text("1 click")


def test_bulk_actions_show_the_inputs_of_the_chosen_action(login, member, make_conversation):  # type: ignore[no-untyped-def]
    campaign = Campaign.objects.create(workspace=member.workspace, name="Trail")
    CampaignMember.objects.create(
        workspace=member.workspace, campaign=campaign, creator=make_conversation().creator
    )
    page = login()
    page.goto(f"/campaigns/{campaign.id}/")
    panel = page.locator("[data-testid=bulk-assets]")
    panel.locator("summary").click()
    address, items = panel.get_by_label("Link leads to"), panel.get_by_label("Items to pick")
    expect(address).to_be_visible()
    expect(items).to_be_hidden()
    panel.get_by_label("Action").select_option("gift")
    expect(items).to_be_visible()
    expect(address).to_be_hidden()
    panel.get_by_label("Action").select_option("code")
    expect(items).to_be_hidden()
    expect(address).to_be_hidden()
