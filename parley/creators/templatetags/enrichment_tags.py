"""`{% load enrichment_tags %}`: whether the enrichment provider is configured, for menus
that offer Fetch Email and Get TikTok Demographics (no query: a settings check)."""

from django import template

from parley.creators.enrichment.providers import enrichment_configured as _configured

register = template.Library()


@register.simple_tag
def enrichment_configured() -> bool:
    return _configured()
