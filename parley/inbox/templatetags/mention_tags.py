from collections.abc import Iterable
from datetime import datetime

from django import template
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from parley.accounts.models import Member
from parley.inbox.mentions import note_html
from parley.inbox.waiting import waiting_text

register = template.Library()


@register.filter
def with_mentions(body: str, members: Iterable[Member] | None) -> SafeString:
    """A note's text, escaped, its line breaks kept and each teammate's @mention a link."""
    return note_html(body, members or [])


@register.simple_tag
def waiting_mark(since: datetime | None) -> SafeString:
    """The mark of a conversation waiting for our reply past the goal (empty otherwise)."""
    text = waiting_text(since, timezone.now())
    if not text:
        return mark_safe("")
    return format_html(
        '<span class="waiting-mark" data-testid="waiting-mark" title="{}">{}</span>',
        _("Waiting for our reply since %(when)s")
        % {"when": formats.date_format(timezone.localtime(since), "DATETIME_FORMAT")},
        text,
    )
