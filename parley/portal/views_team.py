"""The brand's side of the portal: a creator's portal account (shown in the thread, invited
from its menu), a campaign's public page for applications, and the Content Approval tab's
decisions. Mounted at the site's root (namespace "portal_team")."""

from typing import cast

from django.contrib import messages as flash
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from parley.accounts.models import Member
from parley.campaigns.selectors import campaign_get
from parley.campaigns.views.campaigns import content_page, review_form
from parley.core.errors import Conflict, NotFound, ValidationFailed
from parley.core.files import filename_safe
from parley.core.views import apply_errors, member_view
from parley.creators.selectors import creator_get
from parley.portal import selectors
from parley.portal.content import content_review
from parley.portal.services import campaign_applications_set, portal_invite


def _status(request: HttpRequest, member: Member, creator_id: int, **extra: object) -> HttpResponse:
    status = selectors.portal_status(workspace=member.workspace, creator_id=creator_id)
    return render(
        request,
        "portal/team/_status.html",
        {"portal": status, "creator_id": creator_id, **extra},
        status=422 if extra.get("errors") else 200,
    )


@member_view
@require_GET
def creator_status(request: HttpRequest, member: Member, creator_id: int) -> HttpResponse:
    """Whether the creator has a portal account (the thread's header)."""
    creator_get(workspace=member.workspace, id=creator_id)
    return _status(request, member, creator_id)


@member_view
@require_POST
def creator_invite(request: HttpRequest, member: Member, creator_id: int) -> HttpResponse:
    creator = creator_get(workspace=member.workspace, id=creator_id)
    try:
        portal_invite(actor=member, creator=creator)
    except ValidationFailed as exc:
        return _status(
            request, member, creator_id, errors=[e for v in exc.errors.values() for e in v]
        )
    response = _status(request, member, creator_id, sent=True)
    response["HX-Trigger-After-Settle"] = "inbox-changed, assets-changed"
    return response


@member_view
@require_POST
def applications(request: HttpRequest, member: Member, campaign_id: int) -> HttpResponse:
    """Open or close the campaign's public page for applications."""
    campaign = campaign_get(workspace=member.workspace, id=campaign_id)
    opened = request.POST.get("open") == "1"
    try:
        campaign_applications_set(campaign=campaign, is_open=opened)
    except ValidationFailed as exc:
        for errors in exc.errors.values():
            for error in errors:
                flash.error(request, error)
    else:
        flash.success(
            request,
            _("Applications are open: share the public page's link.")
            if opened
            else _("Applications are closed; the public page is gone."),
        )
    return redirect("campaigns:content", campaign.id)


@member_view
@require_POST
def review(request: HttpRequest, member: Member, submission_id: int) -> HttpResponse:
    """Approve a submission, or ask for changes with a comment to the creator."""
    submission = selectors.submission_get(workspace=member.workspace, id=submission_id)
    form = review_form(submission.id, request.POST)
    try:
        if not form.is_valid():
            raise ValidationFailed({k: [str(e) for e in v] for k, v in form.errors.items()})
        decision = form.cleaned_data["decision"]
        content_review(
            actor=member,
            submission=submission,
            approve=decision == "approve",
            comment=form.cleaned_data["comment"],
        )
    except ValidationFailed as exc:
        if not isinstance(exc, Conflict):
            # Its card is still on the tab: the errors and the comment typed go back onto it.
            apply_errors(form, exc)
            return content_page(request, member, submission.campaign, refused=(submission.id, form))
        for errors in exc.errors.values():
            for error in errors:
                flash.error(request, error)
    else:
        flash.success(
            request,
            _("Approved. The creator sees it in the portal.")
            if decision == "approve"
            else _("Changes requested. The creator got your comment in-app."),
        )
    return redirect("campaigns:content", submission.campaign_id)


@member_view
@require_GET
def submission_file(request: HttpRequest, member: Member, submission_id: int) -> HttpResponse:
    submission = selectors.submission_get(workspace=member.workspace, id=submission_id)
    if not submission.file:
        raise NotFound
    response = FileResponse(
        submission.file.open("rb"),
        as_attachment=True,
        filename=filename_safe(submission.filename),
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return cast(HttpResponse, response)
