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

from parley.accounts.forms import (
    ApiTokenForm,
    MemberInviteForm,
    NotificationPreferencesForm,
    WorkspaceForm,
)
from parley.accounts.middleware import SESSION_KEY
from parley.accounts.models import Member
from parley.accounts.selectors import (
    api_token_get,
    api_token_list,
    member_get,
    member_list,
    member_manageable,
    member_removed_get,
    member_roles_grantable,
)
from parley.accounts.services import (
    TeamAdminOnly,
    api_token_create,
    api_token_revoke,
    member_invitation_resend,
    member_role_set,
)
from parley.accounts.throttle import login_lockout_minutes, password_reset_throttle
from parley.broadcasts.services import author_pending_cancel
from parley.core.errors import Conflict, NotFound, ValidationFailed
from parley.core.middleware import error_header
from parley.core.net import client_ip
from parley.core.text import id_or_none
from parley.core.views import apply_errors, int_or_none, member_view
from parley.inbox.preferences import notification_preferences
from parley.inbox.services import notification_preferences_update
from parley.inbox.team import team_member_invite, team_member_remove
from parley.inbox.workspace import workspace_general_update
from parley.outbox.selectors import pending_by_author


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


def _team_page(
    request: HttpRequest,
    member: Member,
    form: MemberInviteForm | None = None,
    *,
    status: int = 200,
    error: str = "",
) -> HttpResponse:
    """The Team page; with `error`, said on top of it (and to htmx, which swaps nothing)."""
    roles = member_roles_grantable(actor=member)
    if form is None:
        form = MemberInviteForm(roles=roles)
    if error:
        flash.error(request, error)
    members = member_list(workspace=member.workspace)
    # The only owner's row offers no change: each would be refused (the last owner stays).
    owners = [m.id for m in members if m.role == Member.Role.OWNER]
    sole_owner = owners[0] if len(owners) == 1 else None
    rows = [(m, m.id != sole_owner and member_manageable(actor=member, member=m)) for m in members]
    context = {"form": form, "rows": rows, "roles": roles, "removed": _removed(request, member)}
    response = render(request, "settings/team.html", context, status=status)
    if error and getattr(request, "htmx", False):
        error_header(response, error)
    return response


def _refusal(request: HttpRequest, member: Member, exc: ValidationFailed) -> HttpResponse:
    """A change the service refused: the page again, saying why; 403 when the member may
    not make it, 409 when the workspace's state forbids it (the last owner), else 422."""
    status = 403 if isinstance(exc, TeamAdminOnly) else 409 if isinstance(exc, Conflict) else 422
    text = " ".join(m for messages in exc.errors.values() for m in messages)
    return _team_page(request, member, status=status, error=text)


def _removed(request: HttpRequest, member: Member) -> tuple[Member, int] | None:
    """Just after removing a teammate (`?removed=<id>`), for owners and admins: the removed
    teammate and how many of their messages still wait to go out, if any do."""
    removed_id = id_or_none(request.GET.get("removed"))
    if removed_id is None or not member.is_admin:
        return None
    try:
        removed = member_removed_get(workspace=member.workspace, id=removed_id)
    except NotFound:
        return None
    pending = pending_by_author(workspace_id=member.workspace_id, member_id=removed.id)
    return (removed, pending) if pending else None


def _back_to_team(
    request: HttpRequest, to: str = "accounts:settings_team", query: str = ""
) -> HttpResponse:
    url = reverse(to) + query
    if getattr(request, "htmx", False):  # asked to confirm first: the page again
        response = HttpResponse()
        response["HX-Redirect"] = url
        return response
    return redirect(url)


@member_view
@require_http_methods(["GET", "POST"])
def settings_team(request: HttpRequest, member: Member) -> HttpResponse:
    """Settings → Team: the workspace's members, for every member to see; owners and admins
    invite teammates here (and change roles and remove them from the list)."""
    if request.method != "POST":
        return _team_page(request, member)
    if not member.is_admin:
        return _refusal(
            request,
            member,
            TeamAdminOnly(_("Only an owner or admin can invite teammates.")),
        )
    form = MemberInviteForm(request.POST, roles=member_roles_grantable(actor=member))
    if form.is_valid():
        try:
            invited = team_member_invite(actor=member, **form.cleaned_data)
        except TeamAdminOnly as exc:
            return _refusal(request, member, exc)
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            if invited.invitation_pending:
                text = _(
                    "%(email)s is invited: an email with a link to choose a password is on its way."
                )
            else:
                text = _("%(email)s is now a member of this workspace; an email tells them so.")
            flash.success(request, text % {"email": invited.user.email})
            return redirect("accounts:settings_team")
    return _team_page(request, member, form, status=422)


@member_view
@require_POST
def settings_team_role(request: HttpRequest, member: Member, member_id: int) -> HttpResponse:
    """Change a teammate's role (owners and admins; owners for owners)."""
    target = member_get(workspace=member.workspace, id=member_id)
    try:
        member_role_set(actor=member, member=target, role=request.POST.get("role", ""))
    except ValidationFailed as exc:
        return _refusal(request, member, exc)
    flash.success(
        request,
        _("%(name)s is now %(role)s.")
        % {"name": str(target.user), "role": target.get_role_display()},
    )
    return _back_to_team(request)


@member_view
@require_POST
def settings_team_remove(request: HttpRequest, member: Member, member_id: int) -> HttpResponse:
    """Remove a teammate (owners and admins; owners for owners; never the last owner)."""
    target = member_get(workspace=member.workspace, id=member_id)
    try:
        team_member_remove(actor=member, member=target)
    except ValidationFailed as exc:
        return _refusal(request, member, exc)
    if target.id == member.id:
        flash.success(request, _("You left %(workspace)s.") % {"workspace": member.workspace.name})
        return _back_to_team(request, "inbox:list")
    flash.success(
        request,
        _("%(name)s no longer belongs to this workspace. What they wrote stays, under their name.")
        % {"name": str(target.user)},
    )
    return _back_to_team(request, query=f"?removed={target.id}")


@member_view
@require_POST
def settings_team_pending_cancel(
    request: HttpRequest, member: Member, member_id: int
) -> HttpResponse:
    """Cancel what a removed teammate left waiting to go out (owners and admins)."""
    target = member_removed_get(workspace=member.workspace, id=member_id)
    try:
        cancelled = author_pending_cancel(actor=member, author=target)
    except ValidationFailed as exc:
        return _refusal(request, member, exc)
    flash.success(
        request,
        ngettext(
            "%(n)d message of %(name)s cancelled.",
            "%(n)d messages of %(name)s cancelled.",
            cancelled,
        )
        % {"n": cancelled, "name": str(target.user)},
    )
    return _back_to_team(request)


@member_view
@require_POST
def settings_team_invitation(request: HttpRequest, member: Member, member_id: int) -> HttpResponse:
    """Send a teammate's invitation again, with a new link (they have not set a password)."""
    target = member_get(workspace=member.workspace, id=member_id)
    try:
        member_invitation_resend(actor=member, member=target)
    except ValidationFailed as exc:
        return _refusal(request, member, exc)
    flash.success(request, _("Invitation sent to %(email)s again.") % {"email": target.user.email})
    return _back_to_team(request)
