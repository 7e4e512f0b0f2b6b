"""Template helpers for email: the re-auth banner."""

from typing import Any

from django import template

from parley.channels.email.selectors import mailboxes_for_banner

register = template.Library()


@register.inclusion_tag("email/_reauth_banner.html", takes_context=True)
def email_reauth_banner(context: dict[str, Any]) -> dict[str, Any]:
    """`{% load email_tags %}{% email_reauth_banner %}`: a loud banner while any mailbox of
    the workspace needs re-authorisation, or is paused by its provider."""
    member = context.get("member")
    mailboxes = mailboxes_for_banner(workspace=member.workspace) if member else []
    return {"banner_mailboxes": mailboxes}
