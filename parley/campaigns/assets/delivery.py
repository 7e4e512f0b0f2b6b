"""A tracking link or a coupon code sent to the creator in a message: by email through the
outbox (no portal account needed), or in-app. The text is the team's, with `{link}` or
`{code}` where the value goes (added at the end when it is missing)."""

from django.db import transaction
from django.utils.translation import gettext as _

from parley.accounts.models import Member
from parley.campaigns.assets.coupons import coupon_assign
from parley.campaigns.assets.links import link_create, link_url
from parley.campaigns.models import Campaign, CouponCode, TrackingLink
from parley.channels.email.models import Mailbox
from parley.core.errors import ValidationFailed
from parley.creators.models import Creator
from parley.inbox.models import Channel, Message
from parley.inbox.services import conversation_get_or_create
from parley.outbox.email_send import email_message_send
from parley.outbox.services import message_send

# "Just make it": the value is shown in the sidebar and can go out later (a mass email).
NONE = "none"
CHANNELS = (NONE, Channel.EMAIL.value, Channel.INAPP.value)


def text_with(body: str, placeholder: str, value: str) -> str:
    body = (body or "").strip()
    if placeholder in body:
        return body.replace(placeholder, value)
    return f"{body}\n\n{value}" if body else value


def deliver(
    *,
    actor: Member,
    campaign: Campaign,
    creator: Creator,
    channel: str,
    body: str,
    subject: str = "",
    mailbox: Mailbox | None = None,
) -> Message | None:
    """Send `body` to the creator on `channel` (email, in-app) within the campaign; None
    for "none". Call inside the action's transaction, after the value exists."""
    if channel == NONE:
        return None
    conversation = conversation_get_or_create(creator=creator)
    if channel == Channel.EMAIL:
        if mailbox is None:
            raise ValidationFailed({"mailbox": [_("Choose the mailbox to send from.")]})
        return email_message_send(
            member=actor,
            conversation=conversation,
            mailbox=mailbox,
            subject=(subject or "").strip() or campaign.name,
            body=body,
            campaign_id=campaign.id,
        )
    if channel == Channel.INAPP:
        return message_send(
            member=actor,
            conversation=conversation,
            channel=Channel.INAPP,
            body=body,
            campaign_id=campaign.id,
        )
    raise ValidationFailed({"channel": [_("Send it by email or in-app, or only make it.")]})


def delivery_check(*, channel: str, mailbox: Mailbox | None) -> None:
    """The form's errors before anything is made."""
    if channel not in CHANNELS:
        raise ValidationFailed({"channel": [_("Send it by email or in-app, or only make it.")]})
    if channel == Channel.EMAIL and mailbox is None:
        raise ValidationFailed({"mailbox": [_("Choose the mailbox to send from.")]})


def link_send(
    *,
    actor: Member,
    campaign: Campaign,
    creator: Creator,
    destination: str,
    channel: str = NONE,
    body: str = "",
    subject: str = "",
    mailbox: Mailbox | None = None,
) -> tuple[TrackingLink, Message | None]:
    """The creator's tracking link to `destination` (made, or the one they have), sent to
    them on `channel` with `{link}` in `body` replaced. All or nothing."""
    delivery_check(channel=channel, mailbox=mailbox)
    with transaction.atomic():
        link, _created = link_create(
            actor=actor, campaign=campaign, creator=creator, destination=destination
        )
        message = deliver(
            actor=actor,
            campaign=campaign,
            creator=creator,
            channel=channel,
            body=text_with(body, "{link}", link_url(link)),
            subject=subject,
            mailbox=mailbox,
        )
    return link, message


def coupon_send(
    *,
    actor: Member,
    campaign: Campaign,
    creator: Creator,
    channel: str = NONE,
    body: str = "",
    subject: str = "",
    mailbox: Mailbox | None = None,
) -> tuple[CouponCode, Message | None]:
    """The creator's coupon code (theirs, or one of the pool now), sent to them on
    `channel` with `{code}` in `body` replaced. All or nothing."""
    delivery_check(channel=channel, mailbox=mailbox)
    with transaction.atomic():
        code, _new = coupon_assign(actor=actor, campaign=campaign, creator=creator)
        message = deliver(
            actor=actor,
            campaign=campaign,
            creator=creator,
            channel=channel,
            body=text_with(body, "{code}", code.code),
            subject=subject,
            mailbox=mailbox,
        )
    return code, message
