"""The thread's messages as HTML, built here rather than in a template (as the inbox rows
are, see rows.py): about 40 template nodes a message cost 0.35 ms each. Every value is
escaped with `html.escape`; an email's HTML body keeps its own template (a sandboxed
iframe owned by the email channel)."""

import html
from datetime import datetime

from django.template.defaultfilters import filesizeformat, linebreaksbr
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from parley.channels.email.mime import quoted_split
from parley.inbox.models import Message


def _day_time(at: datetime) -> str:
    """ "Nov 27 14:05", "27. Nov 14:05", "27.11. 14.05": in the active language."""
    local = timezone.localtime(at)
    return (
        f"{formats.date_format(local, 'MONTH_DAY_FORMAT')} "
        f"{formats.time_format(local, 'TIME_FORMAT')}"
    )


def _when(at: datetime) -> str:
    local = timezone.localtime(at)
    return f'<time datetime="{local.isoformat()}">{html.escape(_day_time(at))}</time>'


def _author(m: Message) -> str:
    if m.author_member_id:
        return str(m.author_member.user)  # type: ignore[union-attr]
    if m.author_creator_id:
        return m.author_creator.name  # type: ignore[union-attr]
    return _("Unknown sender")


def _delivery(m: Message) -> str:
    if m.direction != Message.Direction.OUTBOUND:
        return ""
    text = html.escape(str(m.get_status_display()))  # type: ignore[attr-defined]
    if m.status == Message.Status.QUEUED and m.scheduled_for:
        when = _day_time(m.scheduled_for)
        text += " · " + html.escape(_("scheduled for %(when)s") % {"when": when})
    text += _limit_note(m)
    item = getattr(m, "outbox_item", None)
    css = m.status
    if item is not None and item.state == "unknown":
        text = html.escape(_("Outcome unknown")) + ": " + html.escape(m.status_reason)
    elif item is not None and item.state == "cancelled":
        # Someone chose to: not a failure (the status stays failed, as nothing went).
        text, css = html.escape(_("Cancelled: not sent")), "cancelled"
    elif m.status == Message.Status.FAILED and m.status_reason:
        text += ": " + html.escape(m.status_reason)
    elif m.status == Message.Status.SENT and m.status_reason and not m.is_malformed:
        text += " · " + html.escape(m.status_reason)  # a note, e.g. "Delivery delayed: …"
    return f'<span class="delivery delivery-{html.escape(css)}" data-testid="status">{text}</span>'


def _limit_note(m: Message) -> str:
    """ "Scheduled for 28 Nov: daily limit of max@brand.example reached", for a queued
    message its sender's limit moved to a later day."""
    item = getattr(m, "outbox_item", None)  # the reverse one-to-one, when there is one
    if m.status != Message.Status.QUEUED or item is None or item.planned_day is None:
        return ""
    if item.planned_day <= timezone.localtime(item.send_after).date():
        return ""
    day = formats.date_format(item.planned_day, "j M")
    note = _("Scheduled for %(day)s: daily limit of %(sender)s reached") % {
        "day": day,
        "sender": item.sender_label,
    }
    return ' · <span data-testid="limit-note">' + html.escape(note) + "</span>"


def _button(url: str, label: str, testid: str, css: str = "linkish", confirm: str = "") -> str:
    """`confirm` (escaped already): the question htmx asks before it posts."""
    asks = f' hx-confirm="{confirm}"' if confirm else ""
    return (
        f'<button type="button" class="{css}" hx-post="{html.escape(url)}" '
        f'hx-target="#conversation-pane" hx-swap="innerHTML"{asks} data-testid="{testid}">'
        f"{label}</button>"
    )


def _fixes(m: Message, conversation_url: str, labels: dict[str, str]) -> str:
    """Retry a failed message; retry or mark as sent one whose outcome is unknown."""
    item = getattr(m, "outbox_item", None)
    if item is None or item.state not in ("failed", "unknown"):
        return ""
    base = f"{conversation_url}messages/{m.id:d}/"
    out = _button(base + "retry/", labels["retry"], "retry", "small")
    if item.state == "unknown":
        out += " " + _button(base + "mark-sent/", labels["mark_sent"], "mark-sent", "small")
    return f' <span class="fixes">{out}</span>'


def _cancel(m: Message, conversation_url: str, labels: dict[str, str]) -> str:
    """Edit or cancel a message that waits for its time or its day."""
    item = getattr(m, "outbox_item", None)
    if item is None or item.state != "pending" or item.not_before <= timezone.now():
        return ""
    edit = (
        f'<a href="{html.escape(conversation_url)}messages/{m.id:d}/edit/" '
        f'data-testid="edit-scheduled">{labels["edit"]}</a>'
    )
    return edit + _button(
        f"{conversation_url}messages/{m.id:d}/cancel/",
        labels["cancel"],
        "cancel",
        confirm=labels["cancel_confirm"],
    )


def _body(m: Message, show_quoted: str) -> str:
    if m.body_html:
        return render_to_string("email/_html_frame.html", {"message": m})
    new, quoted = quoted_split(m.body_text or "")
    body = f'<div class="body">{linebreaksbr(new, autoescape=True)}</div>'
    if quoted:
        body += (
            f'<details class="quoted"><summary>{show_quoted}</summary>'
            f'<div class="body muted">{linebreaksbr(quoted, autoescape=True)}</div></details>'
        )
    return body


def _attachments(m: Message) -> str:
    items = [
        f'<li><a href="{html.escape(reverse("email:attachment", args=[a.id]))}" download>'
        f"{html.escape(a.filename)}</a> "
        f'<span class="muted">({html.escape(filesizeformat(a.size))})</span></li>'
        for a in m.attachments.all()
    ]
    return f'<ul class="attachments">{"".join(items)}</ul>' if items else ""


def thread_messages_html(messages: list[Message], *, conversation_url: str) -> SafeString:
    """Each message's `<article>` (or a system event's line), oldest first."""
    e = html.escape
    actions = e(_("Message actions"))
    mark_unread = e(_("Mark as unread"))
    show_quoted = e(_("Show quoted text"))
    malformed = (
        '<span class="delivery delivery-failed">'
        f"{e(_('Malformed: shown as far as it could be read'))}</span>"
    )
    labels = {
        "retry": e(_("Retry")),
        "mark_sent": e(_("Mark as sent")),
        "cancel": e(_("Cancel sending")),
        "cancel_confirm": e(_("Cancel this message? It will not be sent.")),
        "edit": e(_("Edit text or time")),
    }
    out = []
    for m in messages:
        if m.is_event:
            out.append(
                f'<div class="event" data-testid="event"><span>{e(m.shown_text)}</span> '
                f"{_when(m.created_at)}</div>\n"
            )
            continue
        campaign = f'<span class="muted">· {e(m.campaign.name)}</span>' if m.campaign else ""
        subject = f'<div class="subject">{e(m.subject)}</div>' if m.subject else ""
        out.append(
            f'<article class="msg {e(m.direction)}" data-testid="message" '
            f'data-message="{m.id:d}"><header>'
            f"<strong>{e(_author(m))}</strong> "
            f'<span class="chan chan-{e(m.channel)}">'
            f"{e(str(m.get_channel_display()))}</span> "  # type: ignore[attr-defined]
            f"{campaign} {_when(m.created_at)} {_delivery(m)}"
            f"{malformed if m.is_malformed else ''}"
            f"{_fixes(m, conversation_url, labels)}"
            f'<details class="kebab small"><summary aria-label="{actions}">⋮</summary>'
            '<div class="dropdown menu">'
            f"{_button(f'{conversation_url}messages/{m.id:d}/unread/', mark_unread, 'mark-unread')}"
            f"{_cancel(m, conversation_url, labels)}"
            "</div></details></header>"
            f"{subject}{_body(m, show_quoted)}{_attachments(m)}</article>\n"
        )
    # Every value above was escaped (linebreaksbr and the email template escape their own).
    return mark_safe("".join(out))
