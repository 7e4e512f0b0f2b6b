"""Enrichment and the creator report: Fetch Email requests (for one creator or many) and
their status, TikTok audience figures (the cached ones, and a refresh), and the PDF report.

Fetching happens in the worker: a request answers 202 with the row, `pending` until the
provider has answered (`found`, `not_found` or `failed`, with `note` saying why). Without an
enrichment provider configured on the server, asking is a 409 and nothing is queued.
"""

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.text import slugify
from ninja import Field, Router, Schema, Status

from parley.api.auth import acting_member
from parley.api.schemas import CreatorIdsIn, ErrorOut, FieldErrorsOut, PathId
from parley.campaigns.report import creator_report_pdf
from parley.creators.enrichment.selectors import (
    audience_report_get,
    email_request_get,
    email_request_list,
)
from parley.creators.enrichment.services import (
    audience_request,
    email_request_create,
    email_requests_create,
)
from parley.creators.models import AudienceReport, EnrichmentRequest
from parley.creators.selectors import creator_get, creator_get_many

creators_router = Router(tags=["enrichment"])
requests_router = Router(tags=["enrichment"])

NOT_FOUND = {404: ErrorOut}
# No enrichment provider configured, or nothing to look the creator up by.
CONFLICT = {409: FieldErrorsOut}


class EmailRequestOut(Schema):
    id: int
    creator_id: int
    status: Literal["pending", "found", "not_found", "failed"] = Field(
        ..., description="`pending` until the provider has answered."
    )
    platform: str = Field(..., description="The kind of handle the provider was asked about.")
    handle: str
    email: str = Field(..., description="The address found (when `found`).")
    identity_id: int | None = Field(
        None, description="The email identity it became (marked as from enrichment)."
    )
    note: str = Field(..., description="Why it failed, or a remark on the address found.")
    retry_at: datetime | None = Field(
        None, description="Rate-limited or the provider was down: not asked again before then."
    )
    created_at: datetime
    finished_at: datetime | None


class SkippedOut(Schema):
    creator_id: int
    reason: str


class EmailRequestsOut(Schema):
    requested: list[EmailRequestOut] = Field(
        ..., description="One pending request per creator (a request already pending is reused)."
    )
    skipped: list[SkippedOut] = Field(
        ..., description="Creators not asked about: they have an email, or no handle to look up."
    )


class ShareOut(Schema):
    code: str
    name: str = ""
    share: float = Field(..., ge=0, le=1)


class DemographicsOut(Schema):
    creator_id: int
    platform: str
    status: Literal["none", "pending", "ready", "not_found", "failed"] = Field(
        ...,
        description=(
            "`none`: never fetched. `pending`: a fetch is under way; the figures on file (if "
            "any) stay until it ends. `failed` / `not_found`: the last fetch's outcome (`note`)."
        ),
    )
    handle: str
    genders: list[ShareOut]
    ages: list[ShareOut]
    countries: list[ShareOut]
    followers: int | None
    fetched_at: datetime | None = Field(None, description="When the figures on file were fetched.")
    note: str


def _demographics(creator_id: int, report: AudienceReport | None) -> dict[str, Any]:
    if report is None:
        return {
            "creator_id": creator_id,
            "platform": "tiktok",
            "status": "none",
            "handle": "",
            "genders": [],
            "ages": [],
            "countries": [],
            "followers": None,
            "fetched_at": None,
            "note": "",
        }
    return {
        "creator_id": creator_id,
        "platform": report.platform,
        "status": report.status,
        "handle": report.handle,
        "genders": report.genders,
        "ages": report.ages,
        "countries": report.countries,
        "followers": report.followers,
        "fetched_at": report.fetched_at,
        "note": report.note,
    }


@creators_router.post(
    "/{creator_id}/email-requests", response={202: EmailRequestOut, **NOT_FOUND, **CONFLICT}
)
def creator_email_request(request: HttpRequest, creator_id: PathId) -> Status[EnrichmentRequest]:
    """Fetch Email for one creator (even one with an address on file). A request already
    pending for the creator is answered as it is."""
    member = acting_member(request)
    creator = creator_get(workspace=member.workspace, id=creator_id)
    return Status(202, email_request_create(creator=creator, member=member))


@creators_router.get(
    "/{creator_id}/email-requests", response={200: list[EmailRequestOut], **NOT_FOUND}
)
def creator_email_requests(request: HttpRequest, creator_id: PathId) -> list[EnrichmentRequest]:
    """The creator's latest 20 Fetch Email requests, newest first."""
    member = acting_member(request)
    return email_request_list(creator=creator_get(workspace=member.workspace, id=creator_id))


@creators_router.get("/{creator_id}/demographics", response={200: DemographicsOut, **NOT_FOUND})
def creator_demographics(request: HttpRequest, creator_id: PathId) -> dict[str, Any]:
    """The TikTok audience figures on file (shares 0 to 1, largest first) and their date."""
    member = acting_member(request)
    creator = creator_get(workspace=member.workspace, id=creator_id)
    return _demographics(creator.id, audience_report_get(creator=creator))


@creators_router.post(
    "/{creator_id}/demographics/refresh",
    response={202: DemographicsOut, **NOT_FOUND, **CONFLICT},
)
def creator_demographics_refresh(
    request: HttpRequest, creator_id: PathId
) -> Status[dict[str, Any]]:
    """Fetch the creator's TikTok audience figures again (needs a TikTok handle). One fetch at
    a time: while one is under way this answers it as it is."""
    member = acting_member(request)
    creator = creator_get(workspace=member.workspace, id=creator_id)
    report = audience_request(creator=creator, member=member, force=True)
    return Status(202, _demographics(creator.id, report))


@creators_router.get(
    "/{creator_id}/report",
    response={200: None, **NOT_FOUND},
    openapi_extra={
        "responses": {
            "200": {
                "description": "The creator's PDF report.",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def creator_report(request: HttpRequest, creator_id: PathId) -> HttpResponse:
    """The creator's PDF report: profile, identities, audience figures on file, campaign
    history and message statistics."""
    member = acting_member(request)
    creator = creator_get(workspace=member.workspace, id=creator_id)
    response = HttpResponse(
        creator_report_pdf(workspace=member.workspace, creator=creator),
        content_type="application/pdf",
    )
    name = f"{slugify(creator.name) or 'creator'}-{timezone.localdate().isoformat()}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@requests_router.post("", response={202: EmailRequestsOut, **NOT_FOUND, **CONFLICT})
def email_requests(request: HttpRequest, payload: CreatorIdsIn) -> Status[dict[str, Any]]:
    """Fetch Email for many creators (up to 5,000): one request each, skipping those that have
    an email already or no handle the provider knows. Any id of another workspace is a 404."""
    member = acting_member(request)
    creators = creator_get_many(workspace=member.workspace, ids=payload.creator_ids)
    outcome = email_requests_create(
        workspace=member.workspace, creator_ids=[c.id for c in creators], member=member
    )
    return Status(
        202,
        {
            "requested": outcome.requested,
            "skipped": [{"creator_id": s.creator.id, "reason": s.reason} for s in outcome.skipped],
        },
    )


@requests_router.get("/{request_id}", response={200: EmailRequestOut, **NOT_FOUND})
def email_request(request: HttpRequest, request_id: PathId) -> EnrichmentRequest:
    """One Fetch Email request and its status."""
    return email_request_get(workspace=acting_member(request).workspace, id=request_id)
