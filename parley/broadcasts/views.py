"""Mass messages: compose (preview, a test to yourself, check, send), progress, cancel."""

from typing import Any

from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from parley.accounts.models import Member
from parley.broadcasts.fields import custom_examples, fields_offered
from parley.broadcasts.forms import BroadcastForm
from parley.broadcasts.models import Broadcast
from parley.broadcasts.selectors import (
    broadcast_check,
    broadcast_drafts,
    broadcast_get,
    broadcast_list,
    broadcast_preview,
    broadcast_progress,
    recipients_load,
)
from parley.broadcasts.services import (
    broadcast_cancel,
    broadcast_send,
    broadcast_test_send,
    broadcast_update,
)
from parley.channels.email.selectors import mailbox_get, mailbox_list
from parley.channels.sms.selectors import number_get as sms_number_get
from parley.channels.sms.selectors import number_list as sms_number_list
from parley.core.errors import NotFound, ValidationFailed
from parley.core.text import id_or_none
from parley.core.views import apply_errors, member_view

ACTIONS = ("save", "preview", "test", "check", "send")


@member_view
@require_GET
def broadcasts(request: HttpRequest, member: Member) -> HttpResponse:
    context = {
        "broadcasts": broadcast_list(workspace=member.workspace),
        "drafts": broadcast_drafts(member=member),
    }
    return render(request, "broadcasts/list.html", context)


def _initial(broadcast: Broadcast, mailboxes: list[Any], sms_numbers: list[Any]) -> dict[str, Any]:
    default = next((m.id for m in mailboxes if m.is_default), None)
    default_number = next((n.id for n in sms_numbers if n.is_default), None)
    channel = broadcast.channel
    if channel == Broadcast.Channel.EMAIL and not mailboxes:
        channel = Broadcast.Channel.INAPP  # no mailbox to send from: the one that can go
    return {
        "channel": channel,
        "mailbox": broadcast.mailbox_id or default,
        "sms_number": broadcast.sms_number_id or default_number,
        "subject": broadcast.subject_template,
        "body": broadcast.body_template,
        "send_at": broadcast.send_at,
    }


@member_view
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, member: Member, broadcast_id: int) -> HttpResponse:
    broadcast = broadcast_get(workspace=member.workspace, id=broadcast_id)
    if broadcast.state != Broadcast.State.DRAFT:
        return redirect("broadcasts:detail", broadcast.id)
    mailboxes = mailbox_list(workspace=member.workspace)
    sms_numbers = sms_number_list(workspace=member.workspace)
    post = request.POST if request.method == "POST" else None
    form = BroadcastForm(
        post,
        mailboxes=mailboxes,
        sms_numbers=sms_numbers,
        initial=_initial(broadcast, mailboxes, sms_numbers),
    )
    context: dict[str, Any] = {
        "broadcast": broadcast,
        "form": form,
        "fields": fields_offered(campaign=broadcast.campaign_id is not None),
    }
    action = request.POST.get("action", "save") if post else ""
    status = 200
    if post is not None and action in ACTIONS:
        if form.is_valid():
            try:
                response = _act(request, member, broadcast, form, action, context)
                if response is not None:
                    return response
            except ValidationFailed as exc:
                apply_errors(form, exc)
                status = 422
        else:
            status = 422
    context["preview"] = context.get("preview") or _preview(request, broadcast)
    context["recipients"] = [
        x.recipient
        for x in recipients_load(
            workspace_id=member.workspace_id, creator_ids=list(broadcast.recipient_ids)[:20]
        )
    ]
    # The custom fields of the creators in the preview list, as the templates name them.
    context["custom_examples"] = custom_examples([r.custom for r in context["recipients"]])
    return render(request, "broadcasts/edit.html", context, status=status)


def _act(
    request: HttpRequest,
    member: Member,
    broadcast: Broadcast,
    form: BroadcastForm,
    action: str,
    context: dict[str, Any],
) -> HttpResponse | None:
    data = form.cleaned_data
    mailbox = (
        mailbox_get(workspace=member.workspace, id=data["mailbox"]) if data["mailbox"] else None
    )
    number_id = data.get("sms_number")
    sms_number = sms_number_get(workspace=member.workspace, id=number_id) if number_id else None
    broadcast_update(
        member=member,
        broadcast=broadcast,
        channel=data["channel"],
        mailbox=mailbox,
        subject=data["subject"],
        body=data["body"],
        send_at=data["send_at"],
        sms_number=sms_number,
    )
    if action == "test":
        subject = broadcast_test_send(member=member, broadcast=broadcast, to=member.user.email)
        context["notice"] = _("A test was sent to %(to)s: “%(subject)s”.") % {
            "to": member.user.email,
            "subject": subject,
        }
    elif action == "check":
        check = broadcast_check(broadcast=broadcast)
        if check.problems:
            raise ValidationFailed(check.problems)
        context["check"] = check
        if check.segments:  # a bulk SMS: each recipient's own count
            context["check_segments"] = [
                (
                    item.recipient.name,
                    item.recipient.phone,
                    check.segments.get(item.recipient.creator_id, 0),
                )
                for item in check.sendable[:100]
            ]
            context["segments_total"] = sum(check.segments.values())
    elif action == "send":
        check = broadcast_send(member=member, broadcast=broadcast)
        flash.success(
            request,
            ngettext("Sending to %(n)d creator.", "Sending to %(n)d creators.", len(check.sendable))
            % {"n": len(check.sendable)},
        )
        return redirect("broadcasts:detail", broadcast.id)
    return None


def _preview(request: HttpRequest, broadcast: Broadcast) -> dict[str, str] | None:
    wanted = id_or_none(request.GET.get("as") or request.POST.get("as"))
    try:
        return broadcast_preview(broadcast=broadcast, creator_id=wanted)
    except NotFound:
        return None


@member_view
@require_GET
def detail(request: HttpRequest, member: Member, broadcast_id: int) -> HttpResponse:
    broadcast = broadcast_get(workspace=member.workspace, id=broadcast_id)
    if broadcast.state == Broadcast.State.DRAFT:
        return redirect("broadcasts:edit", broadcast.id)
    template = "broadcasts/_live.html" if request.htmx else "broadcasts/detail.html"  # type: ignore[attr-defined]
    return render(
        request,
        template,
        {"broadcast": broadcast, "progress": broadcast_progress(broadcast=broadcast)},
    )


@member_view
@require_POST
def cancel(request: HttpRequest, member: Member, broadcast_id: int) -> HttpResponse:
    broadcast = broadcast_get(workspace=member.workspace, id=broadcast_id)
    try:
        cancelled = broadcast_cancel(member=member, broadcast=broadcast)
    except ValidationFailed as exc:
        flash.error(request, " ".join(m for ms in exc.errors.values() for m in ms))
    else:
        flash.success(
            request,
            ngettext("%(n)d message cancelled.", "%(n)d messages cancelled.", cancelled)
            % {"n": cancelled},
        )
    return redirect(reverse("broadcasts:detail", args=[broadcast.id]))
