"""The inbox list, the header badge and the notifications drop-down."""

from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats
from django.utils.html import escape
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from parley.accounts.models import Member
from parley.campaigns.selectors import inbox_filter_options, inbox_filters_check
from parley.core.errors import ValidationFailed
from parley.core.views import int_or_none, member_view
from parley.inbox.filters import InboxFilters, filters_from_query
from parley.inbox.search import message_search
from parley.inbox.selectors import (
    UNREAD_BADGE_CAP,
    conversation_get,
    conversation_list,
    conversation_match_count,
    inbox_pulse,
    notification_list,
)
from parley.inbox.services import notifications_mark_read
from parley.inbox.views.rows import (
    checkboxes_html,
    inbox_rows_html,
    menu_buttons_html,
    message_hits_html,
    select_options_html,
)


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
    context = {
        "rows_url": reverse("inbox:rows"),
        "page": page,
        "rows_html": inbox_rows_html(
            page.entries,
            inbox_url=reverse("inbox:list"),
            with_status=bool(filters.campaign),
            campaign_id=filters.campaign,
            query=urlencode(query),
        ),
        "filters": filters,
        "next_query": urlencode([*query, ("cursor", page.next_cursor)]) if page.next_cursor else "",
    }
    if filters.q and not cursor:
        context.update(_message_hits(member, filters, None))
    return context


# Messages the search shows under the creators it found, and then a page at a time.
MESSAGE_HITS = 10


def _message_hits(member: Member, filters: InboxFilters, cursor: str | None) -> dict:
    """The messages matching the search box (the first page, or the one after `cursor`),
    or the reason the search cannot look for messages (a term too short, ...)."""
    try:
        found = message_search(
            workspace=member.workspace, q=filters.q, cursor=cursor, limit=MESSAGE_HITS
        )
    except ValidationFailed as exc:
        errors = " ".join(str(m) for messages in exc.errors.values() for m in messages)
        return {"message_search": True, "message_search_error": errors}
    query = filters.to_query()
    return {
        "message_search": True,
        "message_hits": found.hits,
        "message_hits_html": message_hits_html(
            found.hits, inbox_url=reverse("inbox:list"), query=urlencode(query)
        ),
        "message_more": urlencode([*query, ("cursor", found.next_cursor)])
        if found.next_cursor
        else "",
    }


def _address(request: HttpRequest, filters: InboxFilters) -> str:
    """The page's address for the filter: the inbox, or the conversation open in it (as the
    browser shows it now), with the filter as its query."""
    inbox_url = reverse("inbox:list")
    path = urlsplit(request.headers.get("HX-Current-URL", "")).path
    if not path.startswith(inbox_url):
        path = inbox_url
    query = urlencode(filters.to_query())
    return f"{path}?{query}" if query else path


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
        # The thread opens as a row opens it: in the campaign's view when one is chosen,
        # scrolled to a message the search found (?m=).
        thread_query = [("campaign", str(filters.campaign))] if filters.campaign else []
        focus = int_or_none(request.GET.get("m"))
        if focus:
            thread_query.append(("m", str(focus)))
        context["thread_query"] = urlencode(thread_query)
    unread, token = context["page"].pulse
    context.update(
        campaign_options=select_options_html(options.campaigns, {filters.campaign or 0}),
        campaign_boxes=checkboxes_html("campaigns", options.campaigns, filters.campaigns),
        tag_boxes=checkboxes_html("tags", options.tags, filters.tags),
        client_boxes=checkboxes_html("clients", options.clients, filters.clients),
        bulk_tag_buttons=menu_buttons_html("tag", options.tags, _("No tags yet.")),
        bulk_campaign_buttons=menu_buttons_html(
            "campaign", options.campaigns, _("No campaigns yet.")
        ),
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
    response = render(request, "inbox/_rows.html", context)
    if request.headers.get("HX-Trigger") == "filters":
        # The filter form changed: its choice goes into the address (reload, back and a
        # shared link keep it).
        response["HX-Push-Url"] = _address(request, filters)
    return response


@member_view
@require_GET
def match_count(request: HttpRequest, member: Member) -> HttpResponse:
    """Beside "All that match", while it is ticked: how many creators a bulk action would
    act on (counted up to the most one action takes)."""
    if request.GET.get("select_all") != "1":
        return HttpResponse("")
    try:
        filters = filters_from_query(request.GET)
        inbox_filters_check(workspace=member.workspace, filters=filters)
        cap = settings.PARLEY_BROADCAST_LIMIT
        n = conversation_match_count(member=member, filters=filters, cap=cap)
    except ValidationFailed as exc:
        return _bad_filter(request, exc)
    if n > cap:
        text = _("More than %(n)s creators: a bulk action takes at most that many.") % {
            "n": formats.number_format(cap, force_grouping=True)
        }
    else:
        text = ngettext("Acts on %(n)s creator.", "Acts on %(n)s creators.", n) % {
            "n": formats.number_format(n, force_grouping=True)
        }
    return HttpResponse(escape(text))


@member_view
@require_GET
def message_hits(request: HttpRequest, member: Member) -> HttpResponse:
    """The next page of messages found by the search ("More messages")."""
    try:
        filters = filters_from_query(request.GET)
        context = _message_hits(member, filters, request.GET.get("cursor") or None)
    except ValidationFailed as exc:
        return _bad_filter(request, exc)
    return render(request, "inbox/_message_hits.html", context)


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
