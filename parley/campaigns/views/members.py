"""A campaign's Members tab (status filter, keyset paging, each row's status changes, bulk
actions on the ticked creators or all that match) and the campaign bar of the inbox thread.

Status changes go through parley.broadcasts.campaign_mail (the workflow with its emails);
the pages offer only the changes parley/campaigns/workflow.py allows from each status."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from parley.accounts.models import Member
from parley.broadcasts.campaign_mail import (
    campaign_member_transition,
    campaign_members_transition,
)
from parley.broadcasts.services import broadcast_draft
from parley.campaigns.assets.selectors import member_assets
from parley.campaigns.forms_assets import BulkAssetForm
from parley.campaigns.models import Campaign
from parley.campaigns.selectors import (
    campaign_get,
    campaign_member_counts,
    campaign_member_find,
    campaign_member_get,
    campaign_member_match_ids,
    campaign_member_page,
)
from parley.campaigns.views.common import (
    STATUSES,
    campaign_context,
    errors_response,
)
from parley.campaigns.views.rows import member_rows_html
from parley.campaigns.workflow import (
    BULK_TARGETS,
    EMAIL_OF_TARGET,
    status_label,
    transitions_from,
)
from parley.channels.email.models import Mailbox
from parley.channels.email.selectors import mailbox_get, mailbox_list
from parley.core.errors import ValidationFailed
from parley.core.text import id_or_none
from parley.core.views import member_view
from parley.creators.selectors import tag_get
from parley.creators.services import tag_get_or_create, tags_add
from parley.portal.services import portal_invite_many


def _status_filter(request: HttpRequest) -> str:
    status = request.GET.get("status") or request.POST.get("status_filter") or ""
    if status and status not in STATUSES.values:
        raise ValidationFailed({"status": [_("Unknown status.")]})
    return status


def _rows_context(
    campaign: Campaign, status: str, cursor: str | None, *, archived: bool
) -> dict[str, Any]:
    page = campaign_member_page(campaign=campaign, status=status or None, cursor=cursor)
    query = [("status", status)] if status else []
    assets = member_assets(campaign=campaign, creator_ids=[m.creator_id for m in page.members])
    return {
        "campaign": campaign,
        "rows": page.members,
        "rows_html": member_rows_html(
            campaign=campaign, members=page.members, assets=assets, archived=archived
        ),
        "status": status,
        "archived": archived,
        "next_query": urlencode([*query, ("cursor", page.next_cursor)]) if page.next_cursor else "",
    }


@member_view
@require_GET
def detail(request: HttpRequest, member: Member, campaign_id: int) -> HttpResponse:
    """The Members tab: the campaign's creators, newest activity first."""
    campaign = campaign_get(workspace=member.workspace, id=campaign_id)
    context = campaign_context(member, campaign, "members")
    try:
        status = _status_filter(request)
        context.update(
            _rows_context(campaign, status, request.GET.get("cursor"), archived=context["archived"])
        )
    except ValidationFailed as exc:
        return errors_response(request, exc, status=400)
    context.update(
        status_tabs=_status_tabs(context["counts"], status),
        bulk_targets=[(code, str(label)) for code, label in BULK_TARGETS.items()],
        bulk_asset_form=BulkAssetForm(),
        mailboxes=mailbox_list(workspace=member.workspace),
        bulk_limit=settings.PARLEY_BULK_LIMIT,
    )
    return render(request, "campaigns/members.html", context)


@member_view
@require_GET
def member_rows(request: HttpRequest, member: Member, campaign_id: int) -> HttpResponse:
    """The member rows alone: "Load more", and the refresh after a change."""
    campaign = campaign_get(workspace=member.workspace, id=campaign_id)
    try:
        context = _rows_context(
            campaign,
            _status_filter(request),
            request.GET.get("cursor"),
            archived=campaign.status == Campaign.Status.ARCHIVED,
        )
    except ValidationFailed as exc:
        return errors_response(request, exc, status=400)
    context["append"] = bool(request.GET.get("cursor"))
    if request.GET.get("counts") == "1":
        # The refresh after a change: the status filter's counts come along (out of band).
        counts = campaign_member_counts(campaign_ids=[campaign.id]).get(campaign.id, {})
        context.update(
            counts=counts,
            total=sum(counts.values()),
            status_tabs=_status_tabs(counts, context["status"]),
            oob=True,
        )
    return render(request, "campaigns/_member_rows.html", context)


def _status_tabs(counts: dict[str, int], status: str) -> list[tuple[str, str, int]]:
    """(status, label, members) for each status with members, and the one filtered on."""
    return [
        (code, str(label), counts.get(code, 0))
        for code, label in STATUSES.choices
        if counts.get(code) or code == status
    ]


def _flag(request: HttpRequest, name: str, default: bool) -> bool:
    value = request.POST.get(name)
    return default if value is None else value == "1"


def _mailbox_choice(request: HttpRequest, member: Member) -> Mailbox | None:
    mailbox_id = id_or_none(request.POST.get("mailbox"))
    return mailbox_get(workspace=member.workspace, id=mailbox_id) if mailbox_id else None


@member_view
@require_POST
def member_status(
    request: HttpRequest, member: Member, campaign_id: int, creator_id: int
) -> HttpResponse:
    """One row's status change (a button of the row); the rows refresh after it."""
    cm = campaign_member_get(
        workspace=member.workspace, campaign_id=campaign_id, creator_id=creator_id
    )
    status = request.POST.get("to", "")
    try:
        campaign_member_transition(
            member=member,
            campaign_member=cm,
            status=status,
            mailbox=_mailbox_choice(request, member),
            send_email=_flag(request, "send_email", True),
            confirm_bouncing=_flag(request, "confirm_bouncing", False),
        )
    except ValidationFailed as exc:
        return errors_response(request, exc)
    response = render(
        request,
        "inbox/_flash.html",
        {
            "text": _("%(name)s is now “%(status)s”.")
            % {"name": cm.creator.name, "status": status_label(status)}
        },
    )
    response["HX-Trigger-After-Settle"] = "members-changed"
    return response


def _bulk_ids(request: HttpRequest, campaign: Campaign, cap: int) -> list[int]:
    if request.POST.get("select_all") == "1":
        ids = campaign_member_match_ids(campaign=campaign, status=_status_filter(request), cap=cap)
        if len(ids) > cap:
            raise ValidationFailed(
                _("At most %(n)s creators at once: filter by a status first.") % {"n": cap}
            )
        return ids
    return [i for i in (id_or_none(v) for v in request.POST.getlist("creators")) if i]


@member_view
@require_POST
def members_bulk(request: HttpRequest, member: Member, campaign_id: int) -> HttpResponse:
    """A status change for the ticked creators (or all that match the status filter), a tag,
    or a mass message about the campaign."""
    campaign = campaign_get(workspace=member.workspace, id=campaign_id)
    action = request.POST.get("action", "")
    try:
        emails = action.startswith("status:") or action == "broadcast"
        cap = settings.PARLEY_BROADCAST_LIMIT if emails else settings.PARLEY_BULK_LIMIT
        ids = _bulk_ids(request, campaign, cap)
        if not ids:
            raise ValidationFailed(_("Select at least one creator."))
        if action == "broadcast":
            draft = broadcast_draft(member=member, creator_ids=ids, campaign=campaign)
            response = HttpResponse()
            response["HX-Redirect"] = reverse("broadcasts:edit", args=[draft.id])
            return response
        if action.startswith("status:"):
            status = action.removeprefix("status:")
            outcome = campaign_members_transition(
                member=member,
                campaign=campaign,
                creator_ids=ids,
                status=status,
                mailbox=_mailbox_choice(request, member),
                send_email=_flag(request, "send_email", True),
            )
            text = outcome.summary(status)
            if status == STATUSES.INVITED and _flag(request, "portal_invite", False):
                # The invitation and the creator portal's, at once: the worker emails each.
                invited = portal_invite_many(actor=member, creator_ids=outcome.moved, queue=True)
                text += " " + invited.summary()
            link = (
                reverse("broadcasts:detail", args=[outcome.broadcast.id])
                if outcome.broadcast
                else ""
            )
            response = render(request, "campaigns/_bulk_done.html", {"text": text, "link": link})
            response["HX-Trigger-After-Settle"] = "members-changed"
            return response
        if action == "tag":
            tag_id = id_or_none(request.POST.get("bulk_tag"))
            tag = (
                tag_get(workspace=member.workspace, id=tag_id)
                if tag_id
                else tag_get_or_create(
                    workspace=member.workspace, name=request.POST.get("bulk_tag_name", "")
                )
            )
            added = tags_add(tag=tag, creator_ids=ids)
            text = ngettext(
                "Tagged %(n)s creator with %(tag)s.", "Tagged %(n)s creators with %(tag)s.", added
            ) % {"n": added, "tag": tag.name}
            return render(request, "inbox/_flash.html", {"text": text})
        raise ValidationFailed({"action": [_("Unknown action.")]})
    except ValidationFailed as exc:
        return errors_response(request, exc)


# The inbox thread's campaign bar -----------------------------------------------------


def member_bar_context(member: Member, campaign_id: int, creator_id: int) -> dict[str, Any]:
    """The bar over the thread when a campaign is chosen in the inbox drop-down: the
    creator's status in it and the changes possible from there. Two queries."""
    campaign = campaign_get(workspace=member.workspace, id=campaign_id)
    cm = campaign_member_find(campaign=campaign, creator_id=creator_id)
    return {
        "bar_campaign": campaign,
        "bar_member": cm,
        "bar_creator_id": creator_id,
        "bar_status": status_label(cm.status) if cm else "",
        "bar_transitions": transitions_from(cm.status) if cm else [],
        "bar_archived": campaign.status == Campaign.Status.ARCHIVED,
    }


@member_view
@require_http_methods(["GET", "POST"])
def member_bar(
    request: HttpRequest, member: Member, campaign_id: int, creator_id: int
) -> HttpResponse:
    """The campaign bar of the inbox thread, and its buttons (then the bar again; the thread
    and the list refresh to show the event and the new status)."""
    context = member_bar_context(member, campaign_id, creator_id)
    if request.method == "GET":
        return render(request, "campaigns/_member_bar.html", context)
    cm = campaign_member_get(
        workspace=member.workspace, campaign_id=campaign_id, creator_id=creator_id
    )
    status = request.POST.get("to", "")
    try:
        campaign_member_transition(
            member=member,
            campaign_member=cm,
            status=status,
            send_email=_flag(request, "send_email", True),
            confirm_bouncing=_flag(request, "confirm_bouncing", False),
        )
    except ValidationFailed as exc:
        known = status in STATUSES.values
        context.update(
            bar_errors=exc.errors,
            bar_tried=status if known else "",
            # a change with an email can still be made without it
            bar_tried_email=status in EMAIL_OF_TARGET,
        )
        return render(request, "campaigns/_member_bar.html", context, status=422)
    response = render(
        request, "campaigns/_member_bar.html", member_bar_context(member, campaign_id, creator_id)
    )
    response["HX-Trigger-After-Settle"] = "inbox-changed"
    return response
