"""The inbox list, the header badge and the notifications drop-down."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from parley.accounts.models import Member
from parley.accounts.selectors import client_list
from parley.campaigns.models import CampaignMember
from parley.campaigns.selectors import (
    campaign_list,
    campaign_member_status_codes,
    inbox_filters_check,
)
from parley.core.errors import ValidationFailed
from parley.core.views import member_view
from parley.creators.selectors import tag_list
from parley.inbox.filters import InboxFilters, filters_from_query
from parley.inbox.selectors import (
    conversation_get,
    conversation_list,
    inbox_pulse,
    notification_list,
)
from parley.inbox.services import notifications_mark_read


def _checked_filters(request: HttpRequest, member: Member) -> InboxFilters:
    """Parse the filters; a campaign, tag or client id of another workspace is a 404."""
    filters = filters_from_query(request.GET)
    inbox_filters_check(workspace=member.workspace, filters=filters)
    return filters


def _rows_context(member: Member, filters: InboxFilters, cursor: str | None) -> dict:
    page = conversation_list(member=member, filters=filters, cursor=cursor)
    if filters.campaign:
        statuses = campaign_member_status_codes(
            campaign_id=filters.campaign,
            creator_ids=[e.conversation.creator_id for e in page.entries],
        )
        for entry in page.entries:
            code = statuses.get(entry.conversation.creator_id)
            entry.campaign_status = CampaignMember.Status(code).label if code else ""  # type: ignore[attr-defined]
    query = filters.to_query()
    return {
        # Row links are built from this prefix: one reverse() instead of three per row.
        "inbox_url": reverse("inbox:list"),
        "page": page,
        "filters": filters,
        "query": urlencode(query),
        "next_query": urlencode([*query, ("cursor", page.next_cursor)]) if page.next_cursor else "",
    }


def _bad_filter(request: HttpRequest, exc: ValidationFailed) -> HttpResponse:
    return render(request, "inbox/_errors.html", {"errors": exc.errors}, status=400)


@member_view
@require_GET
def inbox(request: HttpRequest, member: Member, conversation_id: int | None = None) -> HttpResponse:
    try:
        filters = _checked_filters(request, member)
        context = _rows_context(member, filters, request.GET.get("cursor"))
    except ValidationFailed as exc:
        return _bad_filter(request, exc)
    if conversation_id is not None:
        context["open_conversation"] = conversation_get(
            workspace=member.workspace, id=conversation_id
        )
    unread, token = inbox_pulse(member=member)
    context.update(
        campaigns=campaign_list(workspace=member.workspace),
        tags=tag_list(workspace=member.workspace),
        clients=client_list(workspace=member.workspace),
        unread=unread,
        pulse=token,
    )
    return render(request, "inbox/inbox.html", context)


@member_view
@require_GET
def rows(request: HttpRequest, member: Member) -> HttpResponse:
    """The list rows alone: htmx swaps them on filter changes, "Load more" and live updates."""
    try:
        filters = _checked_filters(request, member)
        context = _rows_context(member, filters, request.GET.get("cursor"))
    except ValidationFailed as exc:
        return _bad_filter(request, exc)
    context["append"] = bool(request.GET.get("cursor"))
    return render(request, "inbox/_rows.html", context)


@member_view
@require_GET
def pulse(request: HttpRequest, member: Member) -> HttpResponse:
    """Polled by the header every few seconds; tells the page when anything moved."""
    unread, token = inbox_pulse(member=member)
    response = render(request, "inbox/_badge.html", {"unread": unread, "pulse": token})
    if request.GET.get("pulse") not in (None, "", token):
        response["HX-Trigger"] = "inbox-changed"
    return response


@member_view
@require_GET
def notifications(request: HttpRequest, member: Member) -> HttpResponse:
    return render(
        request, "inbox/_notifications.html", {"notifications": notification_list(member=member)}
    )


@member_view
@require_POST
def notifications_read(request: HttpRequest, member: Member) -> HttpResponse:
    notifications_mark_read(member=member)
    return render(
        request, "inbox/_notifications.html", {"notifications": notification_list(member=member)}
    )
