"""Settings → Integrations → Email provider; OAuth callback; attachment download; the
sandboxed HTML of an email. Thin: selectors read, services write."""

from typing import cast

from django.contrib import messages as flash
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseForbidden
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from parley.accounts.models import Member
from parley.channels.email import oauth
from parley.channels.email.forms import DailyLimitForm, ImapConnectForm, OAuthStartForm
from parley.channels.email.mime import html_sanitise
from parley.channels.email.models import Mailbox
from parley.channels.email.selectors import (
    attachment_get,
    email_message_get,
    mailbox_get,
    mailbox_list,
)
from parley.channels.email.services import (
    ServerSettings,
    mailbox_connect_imap,
    mailbox_connect_oauth,
    mailbox_disconnect,
    mailbox_make_default,
)
from parley.core.errors import ValidationFailed
from parley.core.files import filename_safe
from parley.core.views import apply_errors, int_or_none, member_view
from parley.outbox.mailboxes import mailbox_daily_limit_set, mailboxes_today
from parley.outbox.selectors import sender_queues

OAUTH_SESSION_KEY = "parley_email_oauth"
PROVIDERS = (Mailbox.Provider.GMAIL, Mailbox.Provider.MICROSOFT)


def _admin_only(member: Member) -> HttpResponse | None:
    if not member.is_admin:
        return HttpResponseForbidden(_("Only an admin can change the connected mailboxes."))
    return None


@member_view
@require_GET
def settings_page(request: HttpRequest, member: Member) -> HttpResponse:
    mailboxes = mailbox_list(workspace=member.workspace)
    today = mailboxes_today(workspace=member.workspace, mailboxes=mailboxes)
    queues = sender_queues(
        workspace_id=member.workspace_id, sender_keys=[m.sender_key for m in mailboxes]
    )
    for mailbox in mailboxes:  # what the page shows beside each mailbox
        mailbox.today = today.get(mailbox.id)  # type: ignore[attr-defined]
        mailbox.queue = queues.get(mailbox.sender_key, [])  # type: ignore[attr-defined]
    return render(
        request,
        "email/settings.html",
        {
            "mailboxes": mailboxes,
            "providers": [(p, oauth.provider_configured(p)) for p in PROVIDERS],
            "now": timezone.now(),
        },
    )


@member_view
@require_http_methods(["GET", "POST"])
def daily_limit(request: HttpRequest, member: Member, mailbox_id: int) -> HttpResponse:
    """How many emails the mailbox may send a day (admins)."""
    denied = _admin_only(member)
    if denied:
        return denied
    mailbox = mailbox_get(workspace=member.workspace, id=mailbox_id)
    form = DailyLimitForm(request.POST or None, initial={"daily_limit": mailbox.daily_limit})
    if request.method == "POST" and form.is_valid():
        try:
            mailbox_daily_limit_set(
                member=member, mailbox=mailbox, daily_limit=form.cleaned_data["daily_limit"]
            )
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            flash.success(request, _("Daily limit saved."))
            return redirect("email:settings")
    status = 422 if form.is_bound else 200
    return render(
        request, "email/daily_limit.html", {"form": form, "mailbox": mailbox}, status=status
    )


@sensitive_post_parameters("password")
@member_view
@require_http_methods(["GET", "POST"])
def connect_imap(
    request: HttpRequest, member: Member, mailbox_id: int | None = None
) -> HttpResponse:
    denied = _admin_only(member)
    if denied:
        return denied
    mailbox = mailbox_get(workspace=member.workspace, id=mailbox_id) if mailbox_id else None
    if mailbox is not None and mailbox.is_oauth:
        return redirect(
            reverse("email:oauth_start", args=[mailbox.provider]) + f"?mailbox={mailbox.pk}"
        )
    initial = {}
    if mailbox is not None:
        initial = {
            f: getattr(mailbox, f)
            for f in (
                "address",
                "display_name",
                "access",
                "username",
                "smtp_host",
                "smtp_port",
                "smtp_tls",
                "imap_host",
                "imap_port",
                "imap_tls",
            )
        }
    form = ImapConnectForm(request.POST or None, initial=initial)
    if mailbox is not None:  # reconnecting: the address stays what it is
        form.fields["address"].disabled = True
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            mailbox_connect_imap(
                member=member,
                address=mailbox.address if mailbox else data["address"],
                display_name=data["display_name"],
                access=data["access"],
                servers=ServerSettings(
                    smtp_host=data["smtp_host"].strip(),
                    smtp_port=data["smtp_port"],
                    smtp_tls=data["smtp_tls"],
                    imap_host=(data["imap_host"] or "").strip(),
                    imap_port=data["imap_port"],
                    imap_tls=data["imap_tls"],
                ),
                username=data["username"].strip(),
                password=data["password"],
                mailbox=mailbox,
            )
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            flash.success(request, _("Mailbox connected."))
            return redirect("email:settings")
    status = 422 if request.method == "POST" else 200
    return render(request, "email/connect.html", {"form": form, "mailbox": mailbox}, status=status)


@member_view
@require_POST
def make_default(request: HttpRequest, member: Member, mailbox_id: int) -> HttpResponse:
    denied = _admin_only(member)
    if denied:
        return denied
    mailbox_make_default(
        member=member, mailbox=mailbox_get(workspace=member.workspace, id=mailbox_id)
    )
    return redirect("email:settings")


@member_view
@require_POST
def disconnect(request: HttpRequest, member: Member, mailbox_id: int) -> HttpResponse:
    denied = _admin_only(member)
    if denied:
        return denied
    mailbox_disconnect(
        member=member, mailbox=mailbox_get(workspace=member.workspace, id=mailbox_id)
    )
    flash.success(request, _("Mailbox disconnected."))
    return redirect("email:settings")


@member_view
@require_GET
def oauth_start(request: HttpRequest, member: Member, provider: str) -> HttpResponse:
    denied = _admin_only(member)
    if denied:
        return denied
    if provider not in PROVIDERS:
        return render(
            request, "email/oauth_error.html", {"error": _("Unknown email provider.")}, status=404
        )
    mailbox_id = int_or_none(request.GET.get("mailbox"))
    mailbox = mailbox_get(workspace=member.workspace, id=mailbox_id) if mailbox_id else None
    form = OAuthStartForm(request.GET or None)
    access = (
        form.cleaned_data["access"]
        if form.is_valid()
        else (mailbox.access if mailbox else Mailbox.Access.FULL)
    )
    redirect_uri = request.build_absolute_uri(reverse("email:oauth_callback"))
    try:
        start = oauth.authorization_start(
            provider=provider,
            redirect_uri=redirect_uri,
            login_hint=mailbox.address if mailbox else "",
        )
    except oauth.OAuthError as exc:
        return render(request, "email/oauth_error.html", {"error": str(exc)}, status=400)
    request.session[OAUTH_SESSION_KEY] = {
        "state": start.state,
        "verifier": start.code_verifier,
        "provider": provider,
        "access": access,
        "mailbox": mailbox.pk if mailbox else None,
        "redirect_uri": redirect_uri,
        "workspace": member.workspace_id,
    }
    return redirect(start.url)


@sensitive_variables("token", "pending")
@member_view
@require_GET
def oauth_callback(request: HttpRequest, member: Member) -> HttpResponse:
    pending = request.session.pop(OAUTH_SESSION_KEY, None)
    if (
        not pending
        or request.GET.get("state") != pending["state"]
        or pending["workspace"] != member.workspace_id
    ):
        return render(
            request,
            "email/oauth_error.html",
            {"error": _("This sign-in link has expired. Try again.")},
            status=400,
        )
    if "error" in request.GET or "code" not in request.GET:
        return render(
            request,
            "email/oauth_error.html",
            {"error": _("The provider did not grant access.")},
            status=400,
        )
    mailbox = (
        mailbox_get(workspace=member.workspace, id=pending["mailbox"])
        if pending["mailbox"]
        else None
    )
    try:
        token = oauth.code_exchange(
            provider=pending["provider"],
            code=request.GET["code"],
            code_verifier=pending["verifier"],
            redirect_uri=pending["redirect_uri"],
        )
        mailbox_connect_oauth(
            member=member,
            provider=pending["provider"],
            access=pending["access"],
            token=token,
            mailbox=mailbox,
        )
    except (oauth.OAuthError, ValidationFailed) as exc:
        message = (
            "; ".join(e for errs in exc.errors.values() for e in errs)
            if isinstance(exc, ValidationFailed)
            else str(exc)
        )
        return render(request, "email/oauth_error.html", {"error": message}, status=400)
    flash.success(request, _("Mailbox connected."))
    return redirect("email:settings")


@member_view
@require_GET
def attachment_download(request: HttpRequest, member: Member, attachment_id: int) -> HttpResponse:
    attachment = attachment_get(workspace=member.workspace, id=attachment_id)
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=filename_safe(attachment.filename),
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'"
    # A streaming response; member_view only passes it through.
    return cast(HttpResponse, response)


@member_view
@require_GET
@xframe_options_sameorigin
def message_html(request: HttpRequest, member: Member, message_id: int) -> HttpResponse:
    """The sanitised HTML of an email, for `<iframe sandbox>` (no allow-same-origin): even
    if something slipped through nh3, it runs in an opaque origin with no script, no remote
    loads (CSP)."""
    message = email_message_get(workspace=member.workspace, id=message_id)
    # Sanitised when stored; cleaned again here so a stricter policy applies to old rows too.
    response = render(
        request, "email/message_frame.html", {"html": html_sanitise(message.body_html)}
    )
    response["Content-Security-Policy"] = (
        "sandbox; default-src 'none'; img-src data: cid:; style-src 'unsafe-inline'"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Referrer-Policy"] = "no-referrer"
    return response
