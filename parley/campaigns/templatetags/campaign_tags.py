"""Campaign bits other apps' templates show: the status changes of the inbox bulk bar."""

from django import template
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from parley.campaigns.workflow import BULK_TARGETS

register = template.Library()


@register.simple_tag
def campaign_status_buttons() -> SafeString:
    """A submit button (`action=status:…`) for each status a bulk change can lead to: the
    inbox bulk bar's status menu, offered while a campaign is chosen."""
    return format_html_join(
        "",
        '<button type="submit" class="linkish" name="action" value="status:{}">{}</button>',
        BULK_TARGETS.items(),
    )
