"""The creator portal's pages, at /portal/. Mobile first (a creator lives on their phone).

A portal session is its own cookie (`parley_portal`, path /portal/, HttpOnly, SameSite=Lax,
Secure under PARLEY_HTTPS) naming a PortalSession row; Django's session and login are never
used, so a creator has no way into the team's pages or the API, and a member's session opens
no portal page. Every page of one brand takes the creator id in its URL and looks it up
among the signed-in account's own creators (anything else is a 404).
"""

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from parley.accounts.middleware import zone
from parley.campaigns.assets.agreements import agreement_pdf
from parley.campaigns.assets.links import link_url
from parley.core.errors import NotFound, ValidationFailed
from parley.core.files import filename_safe
from parley.core.net import client_ip
from parley.core.text import megabytes
from parley.core.views import apply_errors
from parley.portal import selectors, services
from parley.portal.content import SUBMITTABLE, content_max_bytes, content_submit
from parley.portal.forms import (
    ApplyForm,
    ApplySignedInForm,
    ContentForm,
    GiftForm,
    ReplyForm,
    SignForm,
    SignInForm,
)
from parley.portal.models import MagicLink, PortalAccess, PortalAccount

COOKIE = "parley_portal"
COOKIE_PATH = "/portal/"


def _cookie_key(request: HttpRequest) -> str:
    return request.COOKIES.get(COOKIE, "")


def portal_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A signed-in creator (a portal session), else the sign-in page; the view gets the
    account first."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        account = selectors.session_account(key=_cookie_key(request))
        if account is None:
            return redirect("portal:sign_in")
        return view(request, account, *args, **kwargs)

    return wrapped


def creator_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A page of one brand: the account's access as the creator in the URL (404 for any
    other creator), times in the brand's time zone."""

    @portal_view
    @wraps(view)
    def wrapped(
        request: HttpRequest, account: PortalAccount, creator_id: int, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        access = selectors.access_get(account=account, creator_id=creator_id)
        timezone.activate(zone(access.workspace.time_zone))
        return view(request, access, *args, **kwargs)

    return wrapped


# --- Signing in -----------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    """Ask for a link by email address. The answer never says whether the address has an
    account."""
    if request.method == "GET" and selectors.session_account(key=_cookie_key(request)):
        return redirect("portal:home")
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            answer = services.link_request(email=form.cleaned_data["email"], ip=client_ip(request))
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            if answer.wait_minutes:
                form.add_error(
                    None,
                    _("Too many sign-in links were asked for from here: try again in %(n)d min.")
                    % {"n": answer.wait_minutes},
                )
                return render(request, "portal/sign_in.html", {"form": form}, status=429)
            return render(request, "portal/link_sent.html", {"email": form.cleaned_data["email"]})
    status = 422 if form.is_bound else 200
    return render(request, "portal/sign_in.html", {"form": form}, status=status)


@require_http_methods(["GET", "POST"])
def link(request: HttpRequest, token: str) -> HttpResponse:
    """What a magic link opens: a button (GET leaves the link unused, so a mail scanner that
    follows it signs nobody in); the button's POST uses it and starts the session."""
    if request.method == "GET":
        found = services.link_peek(token=token)
        return render(
            request,
            "portal/link.html",
            {
                "link": found,
                "is_application": found is not None
                and found.purpose == MagicLink.Purpose.APPLICATION,
                "form": SignInForm(),
            },
            status=200 if found else 410,
        )
    try:
        account = services.link_use(token=token)
    except NotFound:
        return render(request, "portal/link.html", {"link": None, "form": SignInForm()}, status=410)
    response = redirect("portal:home")
    _session_cookie(response, services.session_start(account=account, ip=client_ip(request)))
    return response


def _session_cookie(response: HttpResponse, key: str) -> None:
    response.set_cookie(
        COOKIE,
        key,
        max_age=settings.PARLEY_PORTAL_SESSION_DAYS * 86400,
        path=COOKIE_PATH,
        secure=bool(getattr(settings, "SESSION_COOKIE_SECURE", False)),
        httponly=True,
        samesite="Lax",
    )


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    services.session_end(key=_cookie_key(request))
    response = redirect("portal:sign_in")
    response.delete_cookie(COOKIE, path=COOKIE_PATH, samesite="Lax")
    return response


# --- Home -----------------------------------------------------------------------------------


@portal_view
@require_GET
def home(request: HttpRequest, account: PortalAccount) -> HttpResponse:
    brands = selectors.portal_home(account=account)
    services.inapp_mark_delivered(creator_ids=[b.access.creator_id for b in brands])
    return render(request, "portal/home.html", {"account": account, "brands": brands})


# --- One brand: the thread ------------------------------------------------------------------


def _thread_context(access: PortalAccess, form: ReplyForm) -> dict[str, Any]:
    return {
        "access": access,
        "messages": selectors.portal_thread(access=access),
        "memberships": selectors.portal_memberships(access=access),
        "form": form,
        "tab": "thread",
    }


@creator_view
@require_GET
def thread(request: HttpRequest, access: PortalAccess) -> HttpResponse:
    context = _thread_context(access, ReplyForm())
    services.inapp_mark_read(access=access)
    return render(request, "portal/thread.html", context)


@creator_view
@require_POST
def reply(request: HttpRequest, access: PortalAccess) -> HttpResponse:
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            services.portal_reply(access=access, body=form.cleaned_data["body"])
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            return redirect(reverse("portal:thread", args=[access.creator_id]) + "#latest")
    return render(request, "portal/thread.html", _thread_context(access, form), status=422)


@creator_view
@require_GET
def attachment(request: HttpRequest, access: PortalAccess, attachment_id: int) -> HttpResponse:
    found = selectors.portal_attachment_get(access=access, id=attachment_id)
    return _download(found.file, found.filename)


def _download(file: Any, name: str) -> HttpResponse:
    """A stored file as a download: never shown inline, never sniffed, in a sandbox."""
    response = FileResponse(
        file.open("rb"),
        as_attachment=True,
        filename=filename_safe(name),
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    return cast(HttpResponse, response)


# --- One brand: a campaign ------------------------------------------------------------------


def _campaign_context(access: PortalAccess, campaign_id: int, **forms: Any) -> dict[str, Any]:
    view = selectors.portal_campaign(access=access, campaign_id=campaign_id)
    offer = view.gifts
    context: dict[str, Any] = {
        "access": access,
        "view": view,
        "campaign": view.membership.campaign,
        "memberships": selectors.portal_memberships(access=access),
        "tab": "campaign",
        "max_size": megabytes(content_max_bytes()),
    }
    context["sign_form"] = forms.get("sign_form") or SignForm(
        initial={"signer_name": access.creator.name}
    )
    if offer is not None and view.products:
        context["gift_form"] = forms.get("gift_form") or GiftForm(
            products=view.products, limit=offer.limit
        )
    context["content_form"] = forms.get("content_form") or ContentForm()
    context["can_submit"] = view.membership.status in SUBMITTABLE
    context["links"] = [(link, link_url(link)) for link in view.links]
    return context


@creator_view
@require_GET
def campaign(request: HttpRequest, access: PortalAccess, campaign_id: int) -> HttpResponse:
    return render(request, "portal/campaign.html", _campaign_context(access, campaign_id))


def _back(access: PortalAccess, campaign_id: int, anchor: str = "") -> HttpResponse:
    url = reverse("portal:campaign", args=[access.creator_id, campaign_id])
    return redirect(url + (f"#{anchor}" if anchor else ""))


def _refused(
    request: HttpRequest,
    access: PortalAccess,
    campaign_id: int,
    exc: ValidationFailed,
    **forms: Any,
) -> HttpResponse:
    context = _campaign_context(access, campaign_id, **forms)
    context["problems"] = [e for v in exc.errors.values() for e in v]
    for form in forms.values():
        apply_errors(form, exc)
    return render(request, "portal/campaign.html", context, status=422)


@creator_view
@require_POST
def answer(request: HttpRequest, access: PortalAccess, campaign_id: int) -> HttpResponse:
    membership = selectors.membership_get(access=access, campaign_id=campaign_id)
    choice = request.POST.get("answer")
    if choice not in ("accept", "decline"):
        return _refused(
            request,
            access,
            campaign_id,
            ValidationFailed({"answer": [_("Accept or decline the invitation.")]}),
        )
    try:
        services.invitation_answer(
            access=access, campaign=membership.campaign, accept=choice == "accept"
        )
    except ValidationFailed as exc:
        return _refused(request, access, campaign_id, exc)
    if choice == "decline":  # a declined campaign leaves the portal
        return redirect("portal:home")
    return _back(access, campaign_id)


@creator_view
@require_POST
def agreement_answer(
    request: HttpRequest, access: PortalAccess, campaign_id: int, agreement_id: int
) -> HttpResponse:
    agreement = selectors.portal_agreement_get(access=access, id=agreement_id)
    if agreement.campaign_id != campaign_id:
        return _refused(
            request, access, campaign_id, ValidationFailed(_("Not an agreement of this campaign."))
        )
    if request.POST.get("decline"):
        try:
            services.agreement_answer(access=access, agreement=agreement, sign=False)
        except ValidationFailed as exc:
            return _refused(request, access, campaign_id, exc)
        return _back(access, campaign_id, "agreements")
    form = SignForm(request.POST)
    if not form.is_valid():
        return _refused(
            request,
            access,
            campaign_id,
            ValidationFailed(_("Type your full name and tick the box to sign.")),
            sign_form=form,
        )
    try:
        services.agreement_answer(
            access=access,
            agreement=agreement,
            sign=True,
            signer_name=form.cleaned_data["signer_name"],
            consent=form.cleaned_data["consent"],
            ip=client_ip(request),
        )
    except ValidationFailed as exc:
        return _refused(request, access, campaign_id, exc, sign_form=form)
    return _back(access, campaign_id, "agreements")


@creator_view
@require_GET
def agreement_download(
    request: HttpRequest, access: PortalAccess, agreement_id: int
) -> HttpResponse:
    agreement = selectors.portal_agreement_get(access=access, id=agreement_id)
    pdf = agreement_pdf(agreement=agreement, time_zone=access.workspace.time_zone)
    name = filename_safe(f"agreement-{agreement.campaign.name}.pdf")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@creator_view
@require_POST
def gifts_pick(request: HttpRequest, access: PortalAccess, campaign_id: int) -> HttpResponse:
    offer = selectors.portal_gift_get(access=access, campaign_id=campaign_id)
    view = selectors.portal_campaign(access=access, campaign_id=campaign_id)
    form = GiftForm(request.POST, products=view.products, limit=offer.limit)
    if not form.is_valid():
        return _refused(
            request,
            access,
            campaign_id,
            ValidationFailed(_("Check the gifts you picked and the address.")),
            gift_form=form,
        )
    try:
        services.gifts_pick(
            access=access,
            offer=offer,
            selection=form.selection(),
            shipping_address=form.cleaned_data["shipping_address"],
        )
    except ValidationFailed as exc:
        return _refused(request, access, campaign_id, exc, gift_form=form)
    return _back(access, campaign_id, "gifts")


@creator_view
@require_POST
def content(request: HttpRequest, access: PortalAccess, campaign_id: int) -> HttpResponse:
    membership = selectors.membership_get(access=access, campaign_id=campaign_id)
    form = ContentForm(request.POST, request.FILES)
    if not form.is_valid():
        return _refused(
            request,
            access,
            campaign_id,
            ValidationFailed(_("Check the link or the file.")),
            content_form=form,
        )
    try:
        content_submit(
            access=access,
            campaign=membership.campaign,
            url=form.cleaned_data["url"],
            upload=form.cleaned_data["file"] or None,
            note=form.cleaned_data["note"],
        )
    except ValidationFailed as exc:
        return _refused(request, access, campaign_id, exc, content_form=form)
    return _back(access, campaign_id, "content")


@creator_view
@require_GET
def submission_file(request: HttpRequest, access: PortalAccess, submission_id: int) -> HttpResponse:
    submission = selectors.portal_submission_get(access=access, id=submission_id)
    if not submission.file:
        raise NotFound
    return _download(submission.file, submission.filename)


# --- A campaign's public page ---------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest, code: str) -> HttpResponse:
    """A campaign open for applications. Signed in with an account this brand knows: apply
    at once; otherwise a link to confirm goes to the address given."""
    campaign = selectors.public_campaign_get(code=code)
    account = selectors.session_account(key=_cookie_key(request))
    access = (
        selectors.account_access_in(account=account, workspace_id=campaign.workspace_id)
        if account
        else None
    )
    form: ApplyForm | ApplySignedInForm = (
        ApplySignedInForm(request.POST or None) if access else ApplyForm(request.POST or None)
    )
    context: dict[str, Any] = {"campaign": campaign, "form": form, "access": access}
    if request.method == "POST" and form.is_valid():
        try:
            if access is not None:
                services.campaign_apply(
                    creator=access.creator, campaign=campaign, note=form.cleaned_data["note"]
                )
                return redirect("portal:campaign", access.creator_id, campaign.id)
            answer = services.application_request(
                campaign=campaign,
                email=form.cleaned_data["email"],
                name=form.cleaned_data["name"],
                note=form.cleaned_data["note"],
                ip=client_ip(request),
            )
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            if answer.wait_minutes:
                form.add_error(
                    None,
                    _("Too many applications were sent from here: try again in %(n)d min.")
                    % {"n": answer.wait_minutes},
                )
                return render(request, "portal/apply.html", context, status=429)
            return render(
                request,
                "portal/link_sent.html",
                {"email": form.cleaned_data["email"], "campaign": campaign},
            )
    return render(request, "portal/apply.html", context, status=422 if form.is_bound else 200)
