"""Saved replies: Settings pages to create, edit and delete them, and the two JSON answers
the message box asks for (the list, and one reply filled in for the thread's creator)."""

from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from parley.accounts.models import Member
from parley.broadcasts.fields import fields
from parley.campaigns.selectors import campaign_get
from parley.core.errors import ValidationFailed
from parley.core.views import apply_errors, int_or_none, member_view
from parley.inbox.selectors import conversation_get
from parley.replies.forms import SavedReplyForm
from parley.replies.models import SavedReply
from parley.replies.selectors import saved_reply_get, saved_reply_list, saved_reply_render
from parley.replies.services import saved_reply_create, saved_reply_delete, saved_reply_update

PREVIEW = 120


def _preview(reply: SavedReply) -> str:
    flat = " ".join(reply.body.split())
    return flat if len(flat) <= PREVIEW else flat[: PREVIEW - 1] + "…"


def _page(
    request: HttpRequest, member: Member, form: SavedReplyForm, editing: SavedReply | None
) -> HttpResponse:
    context = {
        "form": form,
        "editing": editing,
        "replies": [(r, _preview(r)) for r in saved_reply_list(workspace=member.workspace)],
        "fields": fields(),
    }
    return render(request, "replies/settings.html", context, status=422 if form.errors else 200)


@member_view
@require_http_methods(["GET", "POST"])
def settings_replies(request: HttpRequest, member: Member) -> HttpResponse:
    """Settings → Saved replies: the list, and a form for a new one."""
    form = SavedReplyForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            saved_reply_create(member=member, **form.cleaned_data)
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            flash.success(request, _("Saved reply “%(name)s” added.") % form.cleaned_data)
            return redirect("replies:settings")
    return _page(request, member, form, None)


@member_view
@require_http_methods(["GET", "POST"])
def settings_reply_edit(request: HttpRequest, member: Member, reply_id: int) -> HttpResponse:
    reply = saved_reply_get(workspace=member.workspace, id=reply_id)
    initial = {"name": reply.name, "subject": reply.subject, "body": reply.body}
    form = SavedReplyForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved_reply_update(member=member, reply=reply, **form.cleaned_data)
        except ValidationFailed as exc:
            apply_errors(form, exc)
        else:
            flash.success(request, _("Saved reply “%(name)s” updated.") % form.cleaned_data)
            return redirect("replies:settings")
    return _page(request, member, form, reply)


@member_view
@require_POST
def settings_reply_delete(request: HttpRequest, member: Member, reply_id: int) -> HttpResponse:
    reply = saved_reply_get(workspace=member.workspace, id=reply_id)
    saved_reply_delete(member=member, reply=reply)
    flash.success(request, _("Saved reply “%(name)s” deleted.") % {"name": reply.name})
    if getattr(request, "htmx", False):  # asked to confirm first: the page again
        response = HttpResponse()
        response["HX-Redirect"] = reverse("replies:settings")
        return response
    return redirect("replies:settings")


@member_view
@require_GET
def replies_for_box(request: HttpRequest, member: Member) -> JsonResponse:
    """The workspace's saved replies for the message box's picker and `/name`."""
    return JsonResponse(
        {
            "replies": [
                {"id": r.id, "name": r.name, "preview": _preview(r)}
                for r in saved_reply_list(workspace=member.workspace)
            ]
        }
    )


@member_view
@require_GET
def reply_for_conversation(
    request: HttpRequest, member: Member, reply_id: int, conversation_id: int
) -> JsonResponse:
    """One saved reply filled in for the conversation's creator (and the campaign chosen in
    the message box, if any): {subject, body}, or 422 {error} saying what is missing."""
    conversation = conversation_get(workspace=member.workspace, id=conversation_id)
    reply = saved_reply_get(workspace=member.workspace, id=reply_id)
    campaign_id = int_or_none(request.GET.get("campaign"))
    campaign = campaign_get(workspace=member.workspace, id=campaign_id) if campaign_id else None
    try:
        rendered = saved_reply_render(reply=reply, creator=conversation.creator, campaign=campaign)
    except ValidationFailed as exc:
        error = " ".join(m for messages in exc.errors.values() for m in messages)
        return JsonResponse({"error": error}, status=422)
    return JsonResponse({"subject": rendered.subject, "body": rendered.body})
