"""The enrichment API: Fetch Email requests for one creator or many and their status, the
TikTok audience figures and their refresh, the PDF report; 409 without a provider."""

import io

import pytest
from pypdf import PdfReader

from parley.creators.enrichment.services import audience_report_run, email_request_run
from parley.creators.models import AudienceReport, EnrichmentRequest
from tests.factories import CreatorFactory, IdentityFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def creator(member):  # type: ignore[no-untyped-def]
    creator = CreatorFactory(workspace=member.workspace, name="Jussi Kärkkäinen")
    IdentityFactory(creator=creator, kind="tiktok", value="jussi.k", normalized="jussi.k")
    return creator


def test_one_request_then_its_status(provider, api, creator):
    response = api.post(f"/creators/{creator.id}/email-requests")

    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "pending" and body["creator_id"] == creator.id
    assert (body["platform"], body["handle"]) == ("tiktok", "jussi.k")

    email_request_run(request_id=body["id"])
    status = api.get(f"/email-requests/{body['id']}").json()
    assert status["status"] == "found"
    assert status["email"] == "jussi.k@example.com"
    assert status["identity_id"] is not None
    listed = api.get(f"/creators/{creator.id}/email-requests").json()
    assert [r["id"] for r in listed] == [body["id"]]


def test_many_at_once_with_the_skipped_and_why(provider, api, member, creator):
    bare = CreatorFactory(workspace=member.workspace)

    response = api.post("/email-requests", {"creator_ids": [creator.id, bare.id]})

    assert response.status_code == 202
    body = response.json()
    assert [r["creator_id"] for r in body["requested"]] == [creator.id]
    assert body["skipped"] == [
        {"creator_id": bare.id, "reason": "No Instagram, TikTok, YouTube or X handle to look up."}
    ]


def test_not_configured_is_409_and_queues_nothing(no_provider, api, creator):
    for response in (
        api.post(f"/creators/{creator.id}/email-requests"),
        api.post("/email-requests", {"creator_ids": [creator.id]}),
        api.post(f"/creators/{creator.id}/demographics/refresh"),
    ):
        assert response.status_code == 409
        assert "No enrichment provider is configured" in str(response.json()["detail"])
    assert not EnrichmentRequest.objects.exists() and not AudienceReport.objects.exists()


def test_demographics_none_then_refreshed(provider, api, creator):
    assert api.get(f"/creators/{creator.id}/demographics").json()["status"] == "none"

    response = api.post(f"/creators/{creator.id}/demographics/refresh")
    assert response.status_code == 202 and response.json()["status"] == "pending"
    audience_report_run(report_id=AudienceReport.objects.get(creator=creator).id)

    body = api.get(f"/creators/{creator.id}/demographics").json()
    assert body["status"] == "ready" and body["handle"] == "jussi.k"
    assert body["genders"][0] == {"code": "FEMALE", "name": "", "share": 0.6188}
    assert body["countries"][0] == {"code": "FI", "name": "Finland", "share": 0.31}
    assert body["followers"] == 254_300 and body["fetched_at"]


def test_refresh_without_a_tiktok_handle_is_409(provider, api, member):
    bare = CreatorFactory(workspace=member.workspace)
    assert api.post(f"/creators/{bare.id}/demographics/refresh").status_code == 409


def test_report_is_a_pdf(api, creator):
    response = api.get(f"/creators/{creator.id}/report")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "Jussi Kärkkäinen" in PdfReader(io.BytesIO(response.content)).pages[0].extract_text()


def test_unknown_ids_are_404(provider, api, creator):
    assert api.get("/email-requests/999999").status_code == 404
    assert api.post("/email-requests", {"creator_ids": [creator.id, 999999]}).status_code == 404
    assert not EnrichmentRequest.objects.exists()
