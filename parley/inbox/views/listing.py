"""The inbox list, the header badge and the notifications drop-down."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_POST

from parley.accounts.models import Member
from parley.campaigns.selectors import inbox_filter_options, inbox_filters_check
from parley.core.errors import ValidationFailed
from parley.core.views import member_view
from parley.inbox.filters import InboxFilters, filters_from_query
from parley.inbox.selectors import (
    UNREAD_BADGE_CAP,
    conversation_get,
    conversation_list,
    inbox_pulse,
    notification_list,
)
from parley.inbox.services import notifications_mark_read
from parley.inbox.views.rows import checkboxes_html, inbox_rows_html, select_options_html


def _rows_context(
    member: Member,
    filters: InboxFilters,
    cursor: str | None,
    set_sizes: dict[str, bool],
    with_pulse: bool = False,
) -> dict:
    page = conversation_list(
        member=member, filters=filters, cursor=cursor, with_pulse=with_pulse, set_sizes=set_sizes
    )
    query = filters.to_query()
    return {
        "rows_url": reverse("inbox:rows"),
        "page": page,
        "rows_html": inbox_rows_html(
            page.entries,
            inbox_url=reverse("inbox:list"),
            with_status=bool(filters.campaign),
            campaign_id=filters.campaign,
        ),
        "filters": filters,
        "next_query": urlencode([*query, ("cursor", page.next_cursor)]) if page.next_cursor else "",
    }


def _badge(unread: int) -> str:
    """The header badge's text: the unread count, or "999+" past the cap."""
    return f"{UNREAD_BADGE_CAP}+" if unread > UNREAD_BADGE_CAP else str(unread)


def _bad_filter(request: HttpRequest, exc: ValidationFailed) -> HttpResponse:
    return render(request, "inbox/_errors.html", {"errors": exc.errors}, status=400)


@member_view
@require_GET
def inbox(request: HttpRequest, member: Member, conversation_id: int | None = None) -> HttpResponse:
    try:
        filters = filters_from_query(request.GET)
        # The options come with the tenancy check of the filter's ids: one query for both.
        options = inbox_filter_options(workspace=member.workspace, filters=filters)
        context = _rows_context(
            member, filters, request.GET.get("cursor"), options.set_sizes, with_pulse=True
        )
    except ValidationFailed as exc:
        return _bad_filter(request, exc)
    if conversation_id is not None:
        context["open_conversation"] = conversation_get(
            workspace=member.workspace, id=conversation_id
        )
    unread, token = context["page"].pulse
    context.update(
        campaign_options=select_options_html(options.campaigns, {filters.campaign or 0}),
        campaign_boxes=checkboxes_html("campaigns", options.campaigns, filters.campaigns),
        tag_boxes=checkboxes_html("tags", options.tags, filters.tags),
        client_boxes=checkboxes_html("clients", options.clients, filters.clients),
        bulk_tag_options=select_options_html(options.tags),
        bulk_campaign_options=select_options_html(options.campaigns),
        unread=unread,
        badge=_badge(unread),
        pulse=token,
    )
    return render(request, "inbox/inbox.html", context)


@member_view
@require_GET
def rows(request: HttpRequest, member: Member) -> HttpResponse:
    """The list rows alone: htmx swaps them on filter changes, "Load more" and live updates."""
    try:
        filters = filters_from_query(request.GET)
        set_sizes = inbox_filters_check(workspace=member.workspace, filters=filters)
        context = _rows_context(member, filters, request.GET.get("cursor"), set_sizes)
    except ValidationFailed as exc:
        return _bad_filter(request, exc)
    context["append"] = bool(request.GET.get("cursor"))
    return render(request, "inbox/_rows.html", context)


@member_view
@require_GET
def pulse(request: HttpRequest, member: Member) -> HttpResponse:
    """Polled by the header every few seconds; tells the page when anything moved."""
    unread, token = inbox_pulse(member=member)
    response = render(
        request, "inbox/_badge.html", {"unread": unread, "badge": _badge(unread), "pulse": token}
    )
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
