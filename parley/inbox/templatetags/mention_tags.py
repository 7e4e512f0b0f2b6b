from collections.abc import Iterable

from django import template
from django.utils.safestring import SafeString

from parley.accounts.models import Member
from parley.inbox.mentions import note_html

register = template.Library()


@register.filter
def with_mentions(body: str, members: Iterable[Member] | None) -> SafeString:
    """A note's text, escaped, its line breaks kept and each teammate's @mention a link."""
    return note_html(body, members or [])
