from typing import Any

from django.contrib import messages as flash
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm, PasswordResetForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from parley.accounts.forms import ApiTokenForm, NotificationPreferencesForm, WorkspaceForm
from parley.accounts.middleware import SESSION_KEY
from parley.accounts.models import Member
from parley.accounts.selectors import api_token_get, api_token_list
from parley.accounts.services import api_token_create, api_token_revoke
from parley.accounts.throttle import login_lockout_minutes, password_reset_throttle
from parley.core.errors import NotFound, ValidationFailed
from parley.core.net import client_ip
from parley.core.views import apply_errors, int_or_none, member_view
from parley.inbox.preferences import notification_preferences
from parley.inbox.services import notification_preferences_update
from parley.inbox.workspace import workspace_general_update


@login_required
@require_POST
def workspace_switch(request: HttpRequest) -> HttpResponse:
    workspace_id = int_or_none(request.POST.get("workspace"))
    if not any(m.workspace_id == workspace_id for m in request.memberships):  # type: ignore[attr-defined]
        raise NotFound
    request.session[SESSION_KEY] = workspace_id
    return redirect("inbox:list")


def login_locked_out(
    request: HttpRequest, original_response: HttpResponse | None, credentials: Any = None
) -> HttpResponse:
    """AXES_LOCKOUT_CALLABLE: the login page again, saying how long to wait (429)."""
    minutes = login_lockout_minutes(request, credentials)
    message = ngettext(
        "Too many failed attempts to log in. Try again in %(n)d minute.",
        "Too many failed attempts to log in. Try again in %(n)d minutes.",
        minutes,
    ) % {"n": minutes}
    context = {
        "form": AuthenticationForm(request),
        "locked_message": message,
        "next": request.POST.get("next", "") if request.method == "POST" else "",
    }
    return render(request, "registration/login.html", context, status=429)


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset page with a limit on the emails: per address (silently: the page
    answers the same whether or not the address has an account) and per client address."""

    def form_valid(self, form: PasswordResetForm) -> HttpResponse:
        decision = password_reset_throttle(
            email=form.cleaned_data["email"], ip=client_ip(self.request)
        )
        if decision.wait_minutes:
            n = decision.wait_minutes
            form.add_error(
                None,
                ngettext(
                    "Too many reset requests from your network. Try again in %(n)d minute.",
                    "Too many reset requests from your network. Try again in %(n)d minutes.",
                    n,
                )
                % {"n": n},
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        if not decision.send:
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


@member_view
@require_http_methods(["GET", "POST"])
def settings_general(request: HttpRequest, member: Member) -> HttpResponse:
    """Settings → General: the workspace's name, kind, time zone and search language (admins
    change them)."""
    workspace = member.workspace
    initial = {
        "name": workspace.name,
        "kind": workspace.kind,
        "time_zone": workspace.time_zone,
        "search_language": workspace.search_language,
    }
    form = WorkspaceForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST":
        if not member.is_admin:
            return render(request, "settings/general.html", {"form": form}, status=403)
        if form.is_valid():
            try:
                workspace_general_update(member=member, **form.cleaned_data)
            except ValidationFailed as exc:
                apply_errors(form, exc)
            else:
                flash.success(request, _("Settings saved."))
                return redirect("accounts:settings_general")
    status = 422 if form.is_bound else 200
    return render(request, "settings/general.html", {"form": form}, status=status)


@member_view
@require_http_methods(["GET", "POST"])
def settings_notifications(request: HttpRequest, member: Member) -> HttpResponse:
    """Settings → Notifications: which kinds the member hears of in the app, by email."""
    current = notification_preferences(member=member)
    kinds = [(p.kind, p.label) for p in current]
    initial = {
        "in_app": [p.kind for p in current if p.in_app],
        "email": [p.kind for p in current if p.email],
    }
    form = NotificationPreferencesForm(
        request.POST if request.method == "POST" else None, initial=initial, kinds=kinds
    )
    if request.method == "POST" and form.is_valid():
        in_app, email = set(form.cleaned_data["in_app"]), set(form.cleaned_data["email"])
        notification_preferences_update(
            member=member, changes={kind: (kind in in_app, kind in email) for kind, _l in kinds}
        )
        flash.success(request, _("Notification settings saved."))
        return redirect("accounts:settings_notifications")
    status = 422 if form.is_bound else 200
    return render(request, "settings/notifications.html", {"form": form}, status=status)


@member_view
@require_http_methods(["GET", "POST"])
def settings_tokens(request: HttpRequest, member: Member) -> HttpResponse:
    """Settings → API tokens: the member's own tokens; a new one is shown once."""
    form = ApiTokenForm(request.POST if request.method == "POST" else None)
    created = ""
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                _token, created = api_token_create(member=member, name=form.cleaned_data["name"])
            except ValidationFailed as exc:
                apply_errors(form, exc)
            else:
                form = ApiTokenForm()
                status = 201
        if form.errors:
            status = 422
    context = {"form": form, "tokens": api_token_list(member=member), "created": created}
    response = render(request, "settings/tokens.html", context, status=status)
    if created:  # the value is on this page only: keep it out of caches
        response["Cache-Control"] = "no-store"
    return response


@member_view
@require_POST
def settings_token_revoke(request: HttpRequest, member: Member, token_id: int) -> HttpResponse:
    token = api_token_get(member=member, id=token_id)
    api_token_revoke(member=member, token=token)
    flash.success(
        request, _("Token “%(name)s” revoked: it no longer works.") % {"name": token.name}
    )
    if getattr(request, "htmx", False):  # asked to confirm first: the page again
        response = HttpResponse()
        response["HX-Redirect"] = reverse("accounts:settings_tokens")
        return response
    return redirect("accounts:settings_tokens")
