"""Campaign bits other apps' templates show: the status changes of the inbox bulk bar."""

from django import template
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

from parley.campaigns.workflow import BULK_TARGETS

register = template.Library()


@register.simple_tag
def campaign_status_options() -> SafeString:
    """`<option value="status:…">` for each status a bulk change can lead to, with its
    button's label: the inbox bulk bar offers them while a campaign is chosen."""
    return format_html_join("", '<option value="status:{}">{}</option>', BULK_TARGETS.items())
