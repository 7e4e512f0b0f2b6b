"""The Campaigns list, a new campaign, and a campaign's Content Approval and Settings tabs,
archive and restore."""

from typing import Any

from django.conf import settings
from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from parley.accounts.models import Member
from parley.accounts.selectors import client_get, client_list
from parley.campaigns.forms import AgreementForm, CampaignForm, EmailTemplatesForm
from parley.campaigns.models import Campaign
from parley.campaigns.selectors import (
    ARCHIVED,
    CURRENT,
    campaign_get,
    campaign_has_archived,
    campaign_page,
)
from parley.campaigns.services import (
    campaign_archive,
    campaign_create,
    campaign_email_templates,
    campaign_restore,
    campaign_update,
)
from parley.campaigns.views.common import (
    PAGE_SIZE,
    STATUSES,
    campaign_context,
    errors_response,
)
from parley.core.errors import ValidationFailed
from parley.core.views import apply_errors, member_view
from parley.portal.forms import ReviewForm
from parley.portal.models import ContentSubmission
from parley.portal.selectors import submission_counts, submission_list

# The list ------------------------------------------------------------------------------


def _count_cells(counts: dict[str, int]) -> list[tuple[str, str, int]]:
    """(status, label, n) of the statuses a campaign has members in, in workflow order."""
    return [(code, str(label), counts[code]) for code, label in STATUSES.choices if code in counts]


@member_view
@require_GET
def campaigns(request: HttpRequest, member: Member) -> HttpResponse:
    """Drafts and active campaigns by name (archived ones under their own tab), with their
    members by status; "Load more" pages on."""
    view = ARCHIVED if request.GET.get("view") == ARCHIVED else CURRENT
    try:
        page = campaign_page(
            workspace=member.workspace, view=view, cursor=request.GET.get("cursor"), limit=PAGE_SIZE
        )
    except ValidationFailed as exc:
        return errors_response(request, exc, status=400)
    rows = [
        {
            "campaign": c,
            "counts": _count_cells(page.counts.get(c.id, {})),
            "total": sum(page.counts.get(c.id, {}).values()),
        }
        for c in page.campaigns
    ]
    context: dict[str, Any] = {
        "rows": rows,
        "view": view,
        "next_query": urlencode({"view": view, "cursor": page.next_cursor})
        if page.next_cursor
        else "",
    }
    if request.GET.get("cursor"):
        return render(request, "campaigns/_list_rows.html", context)
    context["has_archived"] = view == ARCHIVED or campaign_has_archived(workspace=member.workspace)
    return render(request, "campaigns/list.html", context)


@member_view
@require_http_methods(["GET", "POST"])
def new(request: HttpRequest, member: Member) -> HttpResponse:
    clients = client_list(workspace=member.workspace)
    form = CampaignForm(request.POST if request.method == "POST" else None, clients=clients)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            client = (
                client_get(workspace=member.workspace, id=data["client"])
                if data["client"]
                else None
            )
            campaign = campaign_create(
                workspace=member.workspace,
                name=data["name"],
                client=client,
                status=data["status"],
                brief=data["brief"],
                starts_on=data["starts_on"],
                ends_on=data["ends_on"],
                payment_terms=data["payment_terms"],
            )
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            flash.success(request, _("Campaign created. Add creators to it from the inbox."))
            return redirect("campaigns:detail", campaign.id)
    status = 422 if form.is_bound else 200
    return render(request, "campaigns/new.html", {"form": form}, status=status)


@member_view
@require_GET
def content(request: HttpRequest, member: Member, campaign_id: int) -> HttpResponse:
    """Content Approval: what creators submitted in the creator portal (waiting for review
    first, or all), each with Approve / Request changes; the campaign's public page for
    applications."""
    campaign = campaign_get(workspace=member.workspace, id=campaign_id)
    return content_page(request, member, campaign, show_all=request.GET.get("show") == "all")


def review_form(submission_id: int, data: Any = None) -> ReviewForm:
    """The Approve / Request changes form on one submission's card."""
    return ReviewForm(data, auto_id=f"review-{submission_id}-%s")


def content_page(
    request: HttpRequest,
    member: Member,
    campaign: Campaign,
    *,
    show_all: bool = False,
    refused: tuple[int, ReviewForm] | None = None,
) -> HttpResponse:
    """The Content Approval tab; `refused`: a decision that was not saved (the submission's
    id and its form, with the errors and the comment typed), shown on that card (422)."""
    context = campaign_context(member, campaign, "content")
    submissions = list(
        submission_list(
            campaign=campaign, status="" if show_all else ContentSubmission.Status.SUBMITTED
        )
    )
    for s in submissions:
        # A form a card, with ids of its own (a label finds its own card's radio), posting
        # back to its card (a refused decision comes back scrolled to it).
        s.review_form = (  # type: ignore[attr-defined]
            refused[1] if refused and refused[0] == s.id else review_form(s.id)
        )
        s.review_action = (  # type: ignore[attr-defined]
            reverse("portal_team:review", args=[s.id]) + f"#submission-{s.id}"
        )
    context.update(
        show_all=show_all,
        submissions=submissions,
        submission_counts=submission_counts(campaign=campaign),
        public_url=(
            settings.PARLEY_PUBLIC_URL + reverse("portal:apply", args=[campaign.public_code])
            if campaign.open_for_applications and campaign.public_code
            else ""
        ),
    )
    return render(request, "campaigns/content.html", context, status=422 if refused else 200)


def _details_initial(campaign: Campaign) -> dict[str, Any]:
    return {
        "section": "details",
        "name": campaign.name,
        "client": campaign.client_id,
        "status": campaign.status,
        "starts_on": campaign.starts_on,
        "ends_on": campaign.ends_on,
        "brief": campaign.brief,
        "payment_terms": campaign.payment_terms,
    }


def _emails_initial(campaign: Campaign) -> dict[str, Any]:
    initial: dict[str, Any] = {"section": "emails"}
    for kind, template in campaign_email_templates(campaign=campaign).items():
        initial[f"{kind}_subject"] = template.subject
        initial[f"{kind}_body"] = template.body
    return initial


@member_view
@require_http_methods(["GET", "POST"])
def settings_tab(request: HttpRequest, member: Member, campaign_id: int) -> HttpResponse:
    """Settings: the campaign's details, its agreement template and its emails, each a card
    of its own; archive and restore. (Products and coupon codes: the assets' cards.)"""
    campaign = campaign_get(workspace=member.workspace, id=campaign_id)
    archived = campaign.status == Campaign.Status.ARCHIVED
    clients = client_list(workspace=member.workspace)
    post = request.POST if request.method == "POST" else None
    section = request.POST.get("section") if post is not None else None
    details = CampaignForm(
        post if section == "details" else None,
        clients=clients,
        archived=archived,
        initial=_details_initial(campaign),
    )
    agreement = AgreementForm(
        post if section == "agreement" else None,
        initial={"section": "agreement", "agreement_template": campaign.agreement_template},
    )
    emails = EmailTemplatesForm(
        post if section == "emails" else None, initial=_emails_initial(campaign)
    )
    bound = {"details": details, "agreement": agreement, "emails": emails}.get(section or "")
    if bound is not None and archived:
        bound.add_error(None, _("This campaign is archived: restore it to make changes."))
    elif bound is not None and bound.is_valid():
        data = bound.cleaned_data
        try:
            if bound is details:
                campaign_update(
                    campaign=campaign,
                    name=data["name"],
                    client=client_get(workspace=member.workspace, id=data["client"])
                    if data["client"]
                    else None,
                    status=data.get("status") or None,
                    brief=data["brief"],
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                    payment_terms=data["payment_terms"],
                )
            elif bound is agreement:
                campaign_update(campaign=campaign, agreement_template=data["agreement_template"])
            else:
                campaign_update(campaign=campaign, templates=emails.templates())
        except ValidationFailed as exc:
            apply_errors(bound, exc)
        else:
            flash.success(request, _("Saved."))
            return redirect(reverse("campaigns:settings", args=[campaign.id]) + f"#{section}")
    context = campaign_context(member, campaign, "settings")
    context.update(details=details, agreement=agreement, emails=emails)
    status = 422 if bound is not None else 200
    return render(request, "campaigns/settings.html", context, status=status)


@member_view
@require_POST
def archive(request: HttpRequest, member: Member, campaign_id: int) -> HttpResponse:
    campaign = campaign_get(workspace=member.workspace, id=campaign_id)
    if request.POST.get("restore") == "1":
        campaign_restore(campaign=campaign)
        flash.success(request, _("Campaign restored."))
        return redirect("campaigns:detail", campaign.id)
    campaign_archive(campaign=campaign)
    flash.success(
        request,
        _("Campaign archived: it no longer shows in the inbox. Restore it any time."),
    )
    return redirect("campaigns:detail", campaign.id)
