"""The inbox rows and filter options as HTML, built here rather than in a template.

The list is the hottest page. Django's template engine costs several microseconds per
variable, tag and filter (about 0.1 ms a row, several ms for the option lists), so, as
Django's admin does for its change-list cells, rows and options are formatted in Python
with every value escaped. Dates are localised once per day shown and labels translated
once per request."""

import html
from collections.abc import Collection, Iterable
from datetime import date

from django.utils import formats, timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from parley.campaigns.models import CampaignMember
from parley.campaigns.selectors import FilterOption
from parley.inbox.models import Channel, InboxEntry
from parley.inbox.search import MessageHit
from parley.inbox.waiting import waiting_text


def inbox_rows_html(
    entries: list[InboxEntry],
    *,
    inbox_url: str,
    with_status: bool,
    campaign_id: int | None = None,
    query: str = "",
) -> SafeString:
    """The `<li>` of each entry; with_status adds the creator's status in the campaign
    chosen in the drop-down (entries carry it as `campaign_status`), and a row then opens
    the thread in that campaign's view (its messages and action bar) when `campaign_id`.
    `query`: the filter as a URL query, kept in the address a row puts in the history.

    Every text goes through `html.escape` (what Django's `escape` calls, without its lazy-
    string checks, which cost more than the escaping on 600 values a page)."""
    e = html.escape
    channel_labels = {
        "email": e(_("Email")),
        "sms": e(_("SMS")),
        "inapp": e(_("In-app")),
    }
    statuses = {code: e(str(label)) for code, label in CampaignMember.Status.choices}
    unread_title = f' title="{e(_("Unread"))}"'
    select_label = _("Select %(name)s")
    prefix = e(inbox_url)
    day_labels: dict[date, str] = {}
    now = timezone.now()
    view = f"?campaign={int(campaign_id):d}" if campaign_id else ""
    kept = e(query)
    out = []
    for entry in entries:
        conversation = entry.conversation
        name = e(conversation.creator.name)
        label = getattr(entry, "creator_label", None)
        label = (
            f' <span class="handle" data-testid="creator-label">{e(label)}</span>' if label else ""
        )
        at = timezone.localtime(conversation.last_activity_at)
        day = at.date()
        if day not in day_labels:
            day_labels[day] = e(formats.date_format(at, "MONTH_DAY_FORMAT"))
        url = f"{prefix}c/{conversation.id:d}/"
        address = f"{url}?{kept}" if kept else url
        chans = "".join(
            f'<span class="chan chan-{e(ch)}">{channel_labels.get(ch) or e(ch)}</span>'
            for ch in conversation.channel_list
        )
        waiting = waiting_text(conversation.awaiting_reply_since, now)
        if waiting:
            waiting = f' <span class="waiting-mark" data-testid="waiting-mark">{e(waiting)}</span>'
        status = ""
        if with_status:
            code = getattr(entry, "campaign_status", None)
            status = (
                '<span class="status" data-testid="campaign-status">'
                f"{statuses.get(code, '') if code else ''}</span>"
            )
        out.append(
            f'<li class="row{" unread" if entry.unread else ""}" data-testid="row" '
            f'data-conversation="{conversation.id:d}">'
            f'<input type="checkbox" name="creators" value="{conversation.creator_id:d}" '
            f'aria-label="{e(select_label % {"name": conversation.creator.name})}">'
            f'<a class="row-link" href="{address}" hx-get="{url}thread/{view}" '
            f'hx-target="#conversation-pane" hx-push-url="{address}">'
            f'<span class="dot"{unread_title if entry.unread else ""}></span>'
            f'<span class="who">{name}{label}</span>'
            f'<time datetime="{at.isoformat()}" title="{at.strftime("%Y-%m-%d %H:%M")}">'
            f"{day_labels[day]}</time>"
            f'<span class="preview">{e(conversation.preview)}</span>'
            f'<span class="chans">{chans}{waiting}</span>{status}</a></li>\n'
        )
    # Every value above was escaped.
    return mark_safe("".join(out))


def message_hits_html(hits: list[MessageHit], *, inbox_url: str, query: str) -> SafeString:
    """A `<li>` per message found by the search: the creator, the day, the channel and the
    snippet with the terms marked; a click opens the thread scrolled to the message, and
    the address keeps the filter (`query`)."""
    e = html.escape
    prefix = e(inbox_url)
    kept = f"{e(query)}&amp;" if query else ""
    channel_labels = {code: e(str(label)) for code, label in Channel.choices}
    out = []
    for hit in hits:
        message = hit.message
        at = timezone.localtime(message.created_at)
        url = f"{prefix}c/{message.conversation_id:d}/"
        address = f"{url}?{kept}m={message.id:d}"
        out.append(
            f'<li class="row hit" data-testid="message-hit" data-message="{message.id:d}">'
            f'<a class="row-link" href="{address}" hx-get="{url}thread/?m={message.id:d}" '
            f'hx-target="#conversation-pane" hx-push-url="{address}">'
            f'<span class="who">{e(message.conversation.creator.name)}</span>'
            f'<time datetime="{at.isoformat()}">{e(formats.date_format(at, "DATE_FORMAT"))}'
            "</time>"
            f'<span class="preview">{hit.snippet}</span>'
            f'<span class="chans"><span class="chan chan-{e(message.channel)}">'
            f"{channel_labels.get(message.channel) or e(message.channel)}</span></span>"
            "</a></li>\n"
        )
    # Every value above was escaped; the snippet comes escaped from the search.
    return mark_safe("".join(out))


def select_options_html(
    options: Iterable[FilterOption], selected: Collection[int] = ()
) -> SafeString:
    """`<option>`s of campaigns, tags or clients, those in `selected` selected."""
    return format_html_join(
        "",
        '<option value="{}"{}>{}</option>',
        ((o.id, " selected" if o.id in selected else "", o.name) for o in options),
    )


def menu_buttons_html(action: str, options: Iterable[FilterOption], empty: str) -> SafeString:
    """A submit button per option (`action=<action>:<id>`), for the bulk bar's menus; the
    `empty` text when there is none."""
    if not options:
        return format_html('<span class="muted">{}</span>', empty)
    return format_html_join(
        "",
        '<button type="submit" class="linkish" name="action" value="{}:{}">{}</button>',
        ((action, o.id, o.name) for o in options),
    )


def checkboxes_html(
    name: str, options: Iterable[FilterOption], checked: Collection[int]
) -> SafeString:
    """A labelled checkbox per option, those in `checked` checked."""
    return format_html_join(
        "",
        '<label><input type="checkbox" name="{}" value="{}"{}> {}</label>',
        ((name, o.id, " checked" if o.id in checked else "", o.name) for o in options),
    )
