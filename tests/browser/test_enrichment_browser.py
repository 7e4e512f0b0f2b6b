"""Fetch Email and Get TikTok Demographics from the thread's menu in Chromium, against the
local provider: the panel shows the request pending, then (the worker's run done here)
refreshes itself to the address found and the audience charts, with no Content-Security-
Policy violation; the PDF report downloads."""

import os

import pytest
from playwright.sync_api import Page, expect

from parley.creators.enrichment.services import audience_report_run, email_request_run
from parley.creators.models import AudienceReport, EnrichmentRequest
from tests.browser.test_csp_browser import _violations, _watch
from tests.factories import IdentityFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_fetch_email_and_demographics_from_the_menu(
    page: Page, login, provider, make_conversation, tmp_path
):  # type: ignore[no-untyped-def]
    conversation = make_conversation(name="Mikko Ääninen", inbound=1)
    IdentityFactory(creator=conversation.creator, kind="tiktok", value="mikko", normalized="mikko")
    console = _watch(page)
    login()
    page.locator("[data-testid=row]", has_text="Mikko Ääninen").locator("a").click()
    panel = page.locator("[data-testid=enrichment]")
    expect(panel.locator("h3").first).to_have_text("Enrichment")

    page.locator(".thread-head details.kebab summary").click()
    page.locator("[data-testid=kebab-fetch-email]").click()
    expect(panel.locator("[data-testid=email-status]")).to_have_attribute("data-status", "pending")
    email_request_run(request_id=EnrichmentRequest.objects.get().id)  # the worker's part
    expect(panel.locator("[data-testid=email-status]")).to_contain_text(
        "mikko@example.com", timeout=8000
    )

    page.locator(".thread-head details.kebab summary").click()
    page.locator("[data-testid=kebab-demographics]").click()
    expect(panel.locator("[data-testid=audience-status]")).to_have_attribute(
        "data-status", "pending"
    )
    audience_report_run(report_id=AudienceReport.objects.get().id)
    chart = panel.locator("[data-testid=chart-genders]")
    expect(chart).to_contain_text("Women", timeout=8000)
    expect(panel.locator("[data-testid=chart-countries]")).to_contain_text("Finland")
    width = panel.locator("[data-testid=chart-genders] rect.fill").first.bounding_box()
    track = panel.locator("[data-testid=chart-genders] rect.track").first.bounding_box()
    assert width and track and 0.55 < width["width"] / track["width"] < 0.68  # 61.9%
    if os.environ.get("PARLEY_SCREENSHOTS"):
        page.screenshot(path=os.environ["PARLEY_SCREENSHOTS"] + "/enrichment-panel.png")
    assert _violations(page, console) == []

    page.locator(".thread-head details.kebab summary").click()
    with page.expect_download() as download:
        page.locator("[data-testid=kebab-report]").click()
    path = tmp_path / "report.pdf"
    download.value.save_as(path)
    assert path.read_bytes().startswith(b"%PDF-")
