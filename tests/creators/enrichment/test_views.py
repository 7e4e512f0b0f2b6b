"""The pages: the thread's kebab (Fetch Email, Get TikTok Demographics, Create PDF Report),
the sidebar's enrichment panel with its statuses and charts, the inbox bulk action, and
the not-configured state, where the menus say so and nothing is queued."""

import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from parley.creators.enrichment.services import audience_report_run, email_request_run
from parley.creators.models import AudienceReport, EnrichmentRequest, Identity
from tests.creators.enrichment.servers import throttled
from tests.factories import CreatorFactory, IdentityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation(make_conversation):  # type: ignore[no-untyped-def]
    conversation = make_conversation(name="Päivi Weiß", inbound=2)
    IdentityFactory(
        creator=conversation.creator, kind="tiktok", value="paivi.w", normalized="paivi.w"
    )
    return conversation


def panel(logged_in, creator_id):  # type: ignore[no-untyped-def]
    return logged_in.get(reverse("enrichment:panel", args=[creator_id]))


def test_kebab_offers_the_three_items_and_the_sidebar_loads_the_panel(
    provider, logged_in, conversation
):
    body = logged_in.get(reverse("inbox:thread", args=[conversation.id])).content.decode()

    creator_id = conversation.creator_id
    assert f'hx-post="{reverse("enrichment:fetch_email", args=[creator_id])}"' in body
    assert f'hx-post="{reverse("enrichment:demographics", args=[creator_id])}"' in body
    assert f'href="{reverse("enrichment:report", args=[creator_id])}"' in body
    assert f'hx-get="{reverse("enrichment:panel", args=[creator_id])}"' in body


def test_not_configured_menus_say_so_and_nothing_is_queued(no_provider, logged_in, conversation):
    body = logged_in.get(reverse("inbox:thread", args=[conversation.id])).content.decode()
    assert "Fetch Email: no enrichment provider configured" in body
    assert "Get TikTok Demographics: no enrichment provider configured" in body
    assert "enrichment:fetch_email" not in body and "fetch-email/" not in body
    listing = logged_in.get(reverse("inbox:list")).content.decode()
    # the bulk bar's Fetch Email is a disabled button that says why
    button = listing[listing.index('data-testid="bulk-fetch-email"') - 120 :]
    assert 'type="button" disabled title="No enrichment provider configured"' in button

    response = logged_in.post(reverse("enrichment:fetch_email", args=[conversation.creator_id]))

    assert response.status_code == 422
    assert "No enrichment provider is configured" in response.content.decode()
    assert not EnrichmentRequest.objects.exists()
    response = logged_in.post(reverse("enrichment:demographics", args=[conversation.creator_id]))
    assert response.status_code == 422
    assert not AudienceReport.objects.exists()
    shown = panel(logged_in, conversation.creator_id).content.decode()
    assert 'data-testid="not-configured"' in shown
    assert "PARLEY_" not in shown and "PARLEY_" not in response.content.decode()


def test_fetch_email_shows_pending_then_found_from_enrichment(provider, logged_in, conversation):
    creator = conversation.creator

    response = logged_in.post(reverse("enrichment:fetch_email", args=[creator.id]))

    body = response.content.decode()
    assert response.status_code == 200
    assert 'data-status="pending"' in body and 'hx-trigger="every 3s"' in body
    request = EnrichmentRequest.objects.get(creator=creator)
    email_request_run(request_id=request.id)
    body = panel(logged_in, creator.id).content.decode()
    assert 'data-status="found"' in body and "paivi.w@example.com" in body
    assert "every 3s" not in body
    sidebar = logged_in.get(reverse("inbox:thread", args=[conversation.id])).content.decode()
    assert 'data-testid="from-enrichment"' in sidebar


def test_rate_limited_and_failed_states_are_shown(provider, logged_in, conversation):
    creator = conversation.creator
    provider.script("paivi.w", throttled(120))
    logged_in.post(reverse("enrichment:fetch_email", args=[creator.id]))
    request = EnrichmentRequest.objects.get(creator=creator)

    email_request_run(request_id=request.id)

    body = panel(logged_in, creator.id).content.decode()
    assert 'data-status="pending"' in body and "again at" in body
    EnrichmentRequest.objects.filter(id=request.id).update(
        status="failed", note="The provider refused the API key (401).", finished_at=timezone.now()
    )
    body = panel(logged_in, creator.id).content.decode()
    assert 'data-status="failed"' in body and "refused the API key (401)" in body


def test_demographics_are_charts_without_inline_style(provider, logged_in, conversation):
    creator = conversation.creator

    response = logged_in.post(reverse("enrichment:demographics", args=[creator.id]))
    assert 'data-testid="audience-status" data-status="pending"' in response.content.decode()
    audience_report_run(report_id=AudienceReport.objects.get(creator=creator).id)

    body = panel(logged_in, creator.id).content.decode()
    for group in ("genders", "ages", "countries"):
        assert f'data-testid="chart-{group}"' in body
    assert re.search(r'<rect class="fill" width="61\.9" height="6"/>', body)  # women 61.88%
    assert "62%" in body and "18\u201324" in body and "Finland" in body and "Other" in body
    assert "style=" not in body
    assert 'data-testid="fetched-at"' in body
    assert ">Refresh<" in body
    response = logged_in.get(reverse("inbox:thread", args=[conversation.id]))
    assert "style=" not in response.content.decode()
    # The page's policy forbids inline styles: the panel needs none.
    assert "style-src 'self'" in response["Content-Security-Policy"]


def test_refresh_asks_again(provider, logged_in, conversation):
    creator = conversation.creator
    logged_in.post(reverse("enrichment:demographics", args=[creator.id]))
    report = AudienceReport.objects.get(creator=creator)
    audience_report_run(report_id=report.id)

    logged_in.post(reverse("enrichment:demographics", args=[creator.id]))  # fresh: the cache
    report.refresh_from_db()
    assert report.status == "ready"
    logged_in.post(reverse("enrichment:demographics", args=[creator.id]), {"refresh": "1"})
    report.refresh_from_db()
    assert report.status == "pending"


def test_no_tiktok_handle_is_said_plainly(provider, logged_in, make_conversation):
    conversation = make_conversation()

    body = panel(logged_in, conversation.creator_id).content.decode()
    assert "No TikTok handle on file." in body
    response = logged_in.post(reverse("enrichment:demographics", args=[conversation.creator_id]))
    assert response.status_code == 422
    assert "TikTok handle" in response.content.decode()


def test_bulk_fetch_email(provider, logged_in, member, make_conversation):
    with_handle = [make_conversation() for _ in range(3)]
    for i, c in enumerate(with_handle):
        IdentityFactory(creator=c.creator, kind="instagram", value=f"p{i}", normalized=f"p{i}")
    bare = make_conversation()
    foreign = CreatorFactory()
    IdentityFactory(creator=foreign, kind="tiktok", value="far", normalized="far")
    ids = [c.creator_id for c in [*with_handle, bare]] + [foreign.id]

    response = logged_in.post(reverse("inbox:bulk"), {"action": "fetch_email", "creators": ids})

    assert response.status_code == 200
    text = response.content.decode()
    assert "Fetch Email requested for 3 creators." in text and "1 skipped" in text
    assert set(EnrichmentRequest.objects.values_list("creator_id", flat=True)) == {
        c.creator_id for c in with_handle
    }


def test_bulk_not_configured(no_provider, logged_in, conversation):
    response = logged_in.post(
        reverse("inbox:bulk"), {"action": "fetch_email", "creators": [conversation.creator_id]}
    )
    assert response.status_code == 422
    assert "No enrichment provider is configured" in response.content.decode()
    assert not EnrichmentRequest.objects.exists()


def test_report_downloads_a_pdf(no_provider, logged_in, conversation):
    response = logged_in.get(reverse("enrichment:report", args=[conversation.creator_id]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert 'filename="paivi-wei' in response["Content-Disposition"]
    text = PdfReader(io.BytesIO(response.content)).pages[0].extract_text()
    assert "Päivi Weiß" in text


def test_another_workspaces_creator_is_404(provider, logged_in, other_member):
    stranger = CreatorFactory(workspace=other_member.workspace)
    IdentityFactory(creator=stranger, kind=Identity.Kind.TIKTOK, value="x", normalized="x")
    for name, method in [
        ("enrichment:panel", "get"),
        ("enrichment:fetch_email", "post"),
        ("enrichment:demographics", "post"),
        ("enrichment:report", "get"),
    ]:
        response = getattr(logged_in, method)(reverse(name, args=[stranger.id]))
        assert response.status_code == 404, name
    assert not EnrichmentRequest.objects.exists() and not AudienceReport.objects.exists()


def test_the_creator_profile_offers_the_actions_and_loads_the_panel(provider, logged_in, member):
    creator = CreatorFactory(workspace=member.workspace, name="Jörg Weiß")

    body = logged_in.get(reverse("creators:detail", args=[creator.id])).content.decode()

    assert f'hx-post="{reverse("enrichment:fetch_email", args=[creator.id])}"' in body
    assert f'hx-post="{reverse("enrichment:demographics", args=[creator.id])}"' in body
    assert f'href="{reverse("enrichment:report", args=[creator.id])}"' in body
    assert f'hx-get="{reverse("enrichment:panel", args=[creator.id])}"' in body
    # Once on the page: the panel, loaded into it, does not repeat the header's link.
    assert body.count("Create PDF Report") == 1
    assert "Create PDF Report" not in panel(logged_in, creator.id).content.decode()


def test_the_creator_profile_says_when_no_provider_is_configured(no_provider, logged_in, member):
    creator = CreatorFactory(workspace=member.workspace)

    body = logged_in.get(reverse("creators:detail", args=[creator.id])).content.decode()

    assert "Fetch Email: no enrichment provider configured" in body
    assert reverse("enrichment:fetch_email", args=[creator.id]) not in body


def test_creators_list_shows_each_creators_latest_fetch_email(provider, logged_in, conversation):
    creator = conversation.creator
    other = CreatorFactory(workspace=creator.workspace, name="Noone Asked")
    logged_in.post(reverse("enrichment:fetch_email", args=[creator.id]))

    rows = logged_in.get(reverse("creators:rows")).content.decode()
    row = rows[rows.index(f'data-creator="{creator.id}"') :]
    assert 'data-status="pending"' in row[: row.index("</tr>")]

    email_request_run(request_id=EnrichmentRequest.objects.get(creator=creator).id)
    rows = logged_in.get(reverse("creators:rows")).content.decode()
    row = rows[rows.index(f'data-creator="{creator.id}"') :]
    assert 'data-status="found"' in row[: row.index("</tr>")]
    nobody = rows[rows.index(f'data-creator="{other.id}"') :]
    assert 'data-testid="email-status"' not in nobody[: nobody.index("</tr>")]
