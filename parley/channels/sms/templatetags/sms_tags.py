"""Template helpers for SMS: the sidebar's opt-out line."""

from typing import Any

from django import template

from parley.channels.sms.selectors import opt_outs_many
from parley.creators.models import Identity

register = template.Library()


def contact_context(workspace_id: int, identities: list[Identity]) -> dict[str, Any]:
    """The opt-outs of the creator's phone numbers (one query; none without a phone)."""
    phones = [i.normalized for i in identities if i.kind == Identity.Kind.PHONE]
    opt_outs = opt_outs_many(workspace_id=workspace_id, phones=phones)
    return {"sms_opt_outs": [opt_outs[p] for p in phones if p in opt_outs]}


@register.inclusion_tag("sms/_contact.html")
def sms_contact(conversation: Any, contacts: list[Identity]) -> dict[str, Any]:
    """`{% load sms_tags %}{% sms_contact conversation contacts %}`: which of the creator's
    phone numbers opted out of SMS, refreshed by itself when the inbox moves (a STOP that
    just came in)."""
    return {"conversation": conversation, **contact_context(conversation.workspace_id, contacts)}
