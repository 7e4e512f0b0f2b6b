"""Creators in Chromium: a new workspace's empty state, import a CSV with two bad rows, see
the report, download the failed rows, then export the list filtered by a tag."""

import csv

import pytest
from playwright.sync_api import expect

from parley.campaigns.models import Campaign
from parley.creators.imports import creator_import_run
from parley.creators.models import Creator, CreatorImport, CreatorTag
from tests.factories import CreatorFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CSV = (
    "Name;Email;Instagram;Followers;Tags\r\n"
    "Aino Virtanen;aino@example.fi;@aino.v;12.5k;summer\r\n"
    "Broken Email;not-an-email;;;summer\r\n"
    "Bea Berg;bea@example.se;bea_b;900;summer, vip\r\n"
    ";nobody@example.com;;;\r\n"
    "Cai Chen;cai@example.com;;;winter\r\n"
)


def _read(path: str) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def test_import_report_failed_rows_and_export_the_filter(  # type: ignore[no-untyped-def]
    login, member, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    page = login()
    # Given a new workspace: the inbox and the Creators page say what to do first
    expect(page.locator("[data-testid=inbox-empty]")).to_contain_text("import your creators")
    page.get_by_role("link", name="Creators", exact=True).click()
    expect(page.locator("[data-testid=creators-empty]")).to_be_visible()
    # When I upload a CSV (semicolons) with two bad rows
    page.locator("[data-testid=creators-empty]").get_by_role(
        "link", name="Import a CSV file"
    ).click()
    page.set_input_files(
        "input[type=file]",
        files=[{"name": "creators.csv", "mimeType": "text/csv", "buffer": CSV.encode()}],
    )
    page.get_by_role("button", name="Upload and map columns").click()
    # Then the columns are mapped from the header and the preview shows what each row does
    expect(page.locator("[data-testid=preview]")).to_contain_text("New creator")
    expect(page.locator("[data-testid=preview]")).to_contain_text(
        "“not-an-email” is not a valid email address."
    )
    mapping = page.locator("[data-testid=mapping-form]")
    expect(mapping.locator("select").first).to_have_value("name")
    # A column's field name is asked for only when it goes to a custom field
    name_box = mapping.locator("input[placeholder='Field name']").first
    expect(name_box).to_be_hidden()
    mapping.locator("select").first.select_option("custom")
    expect(name_box).to_be_visible()
    mapping.locator("select").first.select_option("name")
    expect(name_box).to_be_hidden()
    page.locator("[data-testid=start-import]").click()
    expect(page.locator("[data-testid=import-progress]")).to_be_visible()
    # When the worker runs it, the page shows the result without a reload
    creator_import_run(import_id=CreatorImport.objects.get().id)
    expect(page.locator("[data-testid=count-created]")).to_have_text("3", timeout=10_000)
    expect(page.locator("[data-testid=count-failed]")).to_have_text("2")
    expect(page.locator("[data-testid=failures] tbody tr")).to_have_count(2)
    expect(page.locator("[data-testid=failures]")).to_contain_text("No name.")
    # And the failed rows download as CSV, with the reason per row
    with page.expect_download() as download:
        page.locator("[data-testid=download-failures]").click()
    rows = _read(download.value.path())
    assert rows[0] == ["Name", "Email", "Instagram", "Followers", "Tags", "line", "error"]
    assert [(r[0], r[5], r[6]) for r in rows[1:]] == [
        ("Broken Email", "3", "“not-an-email” is not a valid email address."),
        ("", "5", "No name."),
    ]
    assert Creator.objects.get(name="Aino Virtanen").followers == 12500
    # When I filter the list by the tag "summer" and export
    page.get_by_role("link", name="See the creators").click()
    expect(page.locator("[data-testid=creator-row]")).to_have_count(3)
    page.locator("details.filter-menu summary").click()
    page.get_by_label("summer").check()
    expect(page.locator("[data-testid=creator-row]")).to_have_count(2)
    page.keyboard.press("Escape")
    with page.expect_download() as download:
        page.locator("[data-testid=export-link]").click()
    exported = _read(download.value.path())
    # Then the file holds the two tagged creators
    assert exported[0][:4] == ["name", "first_name", "emails", "phones"]
    assert sorted(r[0] for r in exported[1:]) == ["Aino Virtanen", "Bea Berg"]
    header = exported[0]
    bea = dict(zip(header, next(r for r in exported[1:] if r[0] == "Bea Berg"), strict=True))
    assert bea["tags"] == "summer, vip" and bea["instagram"] == "bea_b"
    # And sorting by a column keeps the filter ticked since the page was drawn
    page.locator("[data-testid=sort-followers]").click()
    page.wait_for_url("**sort=-followers**")
    assert "tags=" in page.url
    expect(page.locator("[data-testid=creator-row]")).to_have_count(2)


def test_the_bulk_bar_shows_what_the_chosen_action_needs(login, member):  # type: ignore[no-untyped-def]
    Campaign.objects.create(workspace=member.workspace, name="Trail")
    ada = CreatorFactory(workspace=member.workspace, name="Ada Lind")
    page = login()
    page.goto("/creators/")
    bar = page.locator(".bulkbar")
    tag, tag_name = bar.locator("select[name=bulk_tag]"), bar.locator("input[name=bulk_tag_name]")
    campaign = bar.locator("select[name=bulk_campaign]")
    expect(tag).to_be_visible()
    expect(tag_name).to_be_visible()
    expect(campaign).to_be_hidden()
    bar.locator("[data-testid=bulk-action]").select_option("campaign")
    expect(campaign).to_be_visible()
    expect(tag).to_be_hidden()
    bar.locator("[data-testid=bulk-action]").select_option("export")
    expect(campaign).to_be_hidden()
    expect(tag_name).to_be_hidden()
    # And tagging still works from it
    bar.locator("[data-testid=bulk-action]").select_option("tag")
    page.get_by_label(f"Select {ada.name}").check()
    tag_name.fill("spring")
    bar.get_by_role("button", name="Apply").click()
    expect(page.locator("#flash")).to_contain_text("spring")
    assert CreatorTag.objects.filter(creator=ada, tag__name="spring").exists()
