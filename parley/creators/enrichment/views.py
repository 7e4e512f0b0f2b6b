"""The enrichment panel and its actions, for any page that shows a creator (the inbox
sidebar today, the creator profile page): Fetch Email, Get TikTok Demographics, and the
PDF report download. Every action answers with the panel again (422 with the reason when
it could not be done); the panel polls itself while something is pending."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_POST

from parley.accounts.models import Member
from parley.campaigns.report import creator_report_pdf
from parley.core.errors import ValidationFailed
from parley.core.views import member_view
from parley.creators.enrichment.selectors import (
    audience_chart,
    audience_report_get,
    email_request_latest,
    enrichment_configured,
)
from parley.creators.enrichment.services import audience_request, email_request_create
from parley.creators.models import AudienceReport, Creator, EnrichmentRequest, Identity
from parley.creators.selectors import creator_get


def panel_context(creator: Creator) -> dict:
    """What `enrichment/_panel.html` shows for one creator (three queries)."""
    request = email_request_latest(creator=creator)
    report = audience_report_get(creator=creator)
    return {
        "creator": creator,
        "configured": enrichment_configured(),
        "email_request": request,
        "audience": report,
        "chart": audience_chart(report) if report is not None else None,
        "has_tiktok": creator.identities.filter(kind=Identity.Kind.TIKTOK).exists(),
        "pending": (request is not None and request.status == EnrichmentRequest.Status.PENDING)
        or (report is not None and report.status == AudienceReport.Status.PENDING),
    }


def _panel(request: HttpRequest, creator: Creator, errors: dict | None = None) -> HttpResponse:
    context = panel_context(creator)
    context["errors"] = errors or {}
    return render(request, "enrichment/_panel.html", context, status=422 if errors else 200)


@member_view
@require_GET
def panel(request: HttpRequest, member: Member, creator_id: int) -> HttpResponse:
    return _panel(request, creator_get(workspace=member.workspace, id=creator_id))


@member_view
@require_POST
def fetch_email(request: HttpRequest, member: Member, creator_id: int) -> HttpResponse:
    creator = creator_get(workspace=member.workspace, id=creator_id)
    try:
        email_request_create(creator=creator, member=member)
    except ValidationFailed as exc:
        return _panel(request, creator, exc.errors)
    return _panel(request, creator)


@member_view
@require_POST
def demographics(request: HttpRequest, member: Member, creator_id: int) -> HttpResponse:
    """Get TikTok Demographics (the figures on file when fresh), or Refresh (`refresh=1`)."""
    creator = creator_get(workspace=member.workspace, id=creator_id)
    try:
        audience_request(creator=creator, member=member, force=request.POST.get("refresh") == "1")
    except ValidationFailed as exc:
        return _panel(request, creator, exc.errors)
    return _panel(request, creator)


@member_view
@require_GET
def report(request: HttpRequest, member: Member, creator_id: int) -> HttpResponse:
    """Create PDF Report: the creator's profile, audience, campaigns and message statistics."""
    creator = creator_get(workspace=member.workspace, id=creator_id)
    pdf = creator_report_pdf(workspace=member.workspace, creator=creator)
    response = HttpResponse(pdf, content_type="application/pdf")
    name = slugify(creator.name) or "creator"
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="{name}-{stamp}.pdf"'
    return response
