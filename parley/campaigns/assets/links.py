"""Tracking links: a short Parley link `/l/<code>` per creator and destination in a
campaign, and the clicks on it.

Codes are 12 characters of base64url from `secrets` (72 random bits): not a sequence, so
no one can walk them. Following a link is one indexed look-up (the code's unique index,
with the workspace's time zone joined) and one write transaction (the click's insert, and
the member's last activity at most once a minute). No IP address is stored: `visitor` is
an HMAC, with a key derived from the secret key, of the address, the browser's user agent
and the day, so a day's unique visitors can be counted and nothing else.
"""

import re
import secrets
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from parley.accounts.models import Member
from parley.campaigns.assets.common import (
    event_post,
    events_post_many,
    member_ids,
    membership_get,
)
from parley.campaigns.models import Campaign, CampaignMember, LinkClick, TrackingLink
from parley.core.crypto import sign
from parley.core.errors import ValidationFailed
from parley.core.text import SPACE
from parley.creators.models import Creator
from parley.inbox.events import said

DESTINATION_MAX = 2000
REFERRER_MAX = 500
CODE_BYTES = 9  # 12 characters
# What a code looks like; anything else is a 404 without a query.
CODE_SHAPE = re.compile(r"[A-Za-z0-9_-]{8,24}")
# Link previews and crawlers (chat apps unfurling a link, search engines, scripts) follow
# the link too; they are redirected but not counted.
BOTS = re.compile(
    r"bot\b|bot/|crawl|spider|slurp|preview|facebookexternalhit|embedly|whatsapp|"
    r"skypeuripreview|curl/|wget/|python-requests|python-urllib|go-http-client|okhttp|"
    r"headless(?!chrome)",
    re.IGNORECASE,
)
# A member's last activity moves on a click at most this often (one update, not one a click).
ACTIVITY_EVERY = timedelta(minutes=1)

# An http(s) address: a host name of letters, digits, dots and hyphens (no user name or
# password), an optional port, then anything but spaces and controls; spaces around it are
# ignored. The API's schema states it (core.text's rules: ASCII classes and escapes only).
DESTINATION_PATTERN = (
    rf"^[{SPACE}]*[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9]([A-Za-z0-9.-]{{0,251}}[A-Za-z0-9])?"
    rf"(:[0-9]{{1,5}})?([/?#][^\x00-\x20\x7f]*)?[{SPACE}]*$"
)


def destination_clean(value: str) -> str:
    """An http(s) address to redirect to (DESTINATION_PATTERN, at most DESTINATION_MAX
    characters once stripped), or ValidationFailed that says what is wrong."""
    value = value or ""
    field = "destination"
    stripped = value.strip()
    if not stripped:
        raise ValidationFailed({field: [_("Enter the web address the link leads to.")]})
    if len(stripped) > DESTINATION_MAX:
        raise ValidationFailed(
            {field: [_("A web address is at most %(n)d characters.") % {"n": DESTINATION_MAX}]}
        )
    if not re.fullmatch(DESTINATION_PATTERN, value):
        if "\x00" not in stripped and re.match(r"(?i)https?://[^/?#]*@", stripped):
            message = _("A web address with a user name or password cannot be a link.")
        elif "\x00" in stripped or not re.match(r"(?i)https?://", stripped):
            message = _(
                "A tracking link can only lead to a web page (http:// or https://), not to "
                "“%(value)s”."
            ) % {"value": stripped[:60].replace("\x00", "")}
        else:
            message = _("Enter a valid web address, e.g. https://shop.example/spring.")
        raise ValidationFailed({field: [message]})
    return stripped


def code_new() -> str:
    return secrets.token_urlsafe(CODE_BYTES)


def link_url(link: TrackingLink | str) -> str:
    """The link as the creator gets it: PARLEY_PUBLIC_URL + /l/<code>."""
    code = link if isinstance(link, str) else link.code
    base = str(settings.PARLEY_PUBLIC_URL).rstrip("/")
    return base + reverse("link_follow", args=[code])


def link_stand_in() -> str:
    """What a link that will be made looks like in a preview."""
    return str(settings.PARLEY_PUBLIC_URL).rstrip("/") + "/l/…"


def link_create(
    *, actor: Member | None, campaign: Campaign, creator: Creator, destination: str
) -> tuple[TrackingLink, bool]:
    """The creator's link to `destination` in the campaign: made now (with an event in their
    thread), or the one they have (created False)."""
    destination = destination_clean(destination)
    membership_get(campaign=campaign, creator=creator)
    existing = TrackingLink.objects.filter(
        campaign=campaign, creator=creator, destination=destination
    ).first()
    if existing is not None:
        return existing, False
    for _attempt in range(5):
        try:
            with transaction.atomic():
                link = TrackingLink.objects.create(
                    workspace_id=campaign.workspace_id,
                    campaign=campaign,
                    creator=creator,
                    code=code_new(),
                    destination=destination,
                    created_by=actor,
                )
                event_post(
                    campaign=campaign,
                    creator=creator,
                    actor=actor,
                    text=said(
                        gettext_noop("tracking link %(url)s to %(destination)s"),
                        url=link_url(link),
                        destination=destination,
                    ),
                )
                return link, True
        except IntegrityError:
            # The same link made meanwhile (it is returned), or, once in 2**72, a code taken.
            existing = TrackingLink.objects.filter(
                campaign=campaign, creator=creator, destination=destination
            ).first()
            if existing is not None:
                return existing, False
    raise RuntimeError("no free tracking-link code after 5 tries")


def links_create_many(
    *, actor: Member | None, campaign: Campaign, creator_ids: Iterable[int], destination: str
) -> dict[int, TrackingLink]:
    """Each creator's link to `destination` (the members tab, mass email): made in bulk
    for those in the campaign who have none, with an event each. Creators not in the
    campaign are left out. creator id → link."""
    destination = destination_clean(destination)
    ids = member_ids(campaign=campaign, creator_ids=creator_ids)
    if not ids:
        return {}
    with transaction.atomic():
        have = _links_of(campaign=campaign, creator_ids=ids, destination=destination)
        missing = [i for i in ids if i not in have]
        if missing:
            TrackingLink.objects.bulk_create(
                [
                    TrackingLink(
                        workspace_id=campaign.workspace_id,
                        campaign=campaign,
                        creator_id=creator_id,
                        code=code_new(),
                        destination=destination,
                        created_by=actor,
                    )
                    for creator_id in missing
                ],
                ignore_conflicts=True,
                batch_size=1000,
            )
            made = _links_of(campaign=campaign, creator_ids=missing, destination=destination)
            events_post_many(
                campaign=campaign,
                texts={
                    creator_id: said(
                        gettext_noop("tracking link %(url)s to %(destination)s"),
                        url=link_url(link),
                        destination=destination,
                    )
                    for creator_id, link in made.items()
                },
                actor=actor,
            )
            have.update(made)
    return have


def _links_of(
    *, campaign: Campaign, creator_ids: list[int], destination: str
) -> dict[int, TrackingLink]:
    found: dict[int, TrackingLink] = {}
    for first in range(0, len(creator_ids), 2000):
        for link in TrackingLink.objects.filter(
            campaign=campaign,
            destination=destination,
            creator_id__in=creator_ids[first : first + 2000],
        ):
            found[link.creator_id] = link
    return found


# --- Following a link ----------------------------------------------------------------------


@dataclass(frozen=True)
class Followed:
    destination: str
    recorded: bool


@lru_cache(maxsize=256)
def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def visitor_hash(*, ip: str, user_agent: str, day: str) -> str:
    """A keyed hash of who clicked on which day: equal for the same address and browser on
    the same day, and no way back to the address."""
    return sign(f"{ip}\x1f{user_agent}\x1f{day}", purpose="link-visitor", length=32)


def is_bot(user_agent: str) -> bool:
    return not user_agent.strip() or BOTS.search(user_agent) is not None


def link_follow(
    *, code: str, referrer: str = "", ip: str = "", user_agent: str = "", record: bool = True
) -> Followed | None:
    """Where `code` leads, or None when no link has it. With `record` (a GET by a browser),
    the click is written: one insert, and the member's last activity."""
    if not CODE_SHAPE.fullmatch(code):
        return None
    row = (
        TrackingLink.objects.filter(code=code)
        .values_list("id", "destination", "campaign_id", "creator_id", "workspace__time_zone")
        .first()
    )
    if row is None:
        return None
    link_id, destination, campaign_id, creator_id, zone_name = row
    if not record:
        return Followed(destination=destination, recorded=False)
    now = timezone.now()
    day = now.astimezone(_zone(zone_name)).date()
    user_agent = user_agent[:500]
    with transaction.atomic():
        LinkClick.objects.create(
            link_id=link_id,
            at=now,
            day=day,
            referrer=referrer.replace("\x00", "")[:REFERRER_MAX],
            visitor=visitor_hash(ip=ip, user_agent=user_agent, day=day.isoformat()),
        )
        CampaignMember.objects.filter(campaign_id=campaign_id, creator_id=creator_id).filter(
            Q(last_activity_at__isnull=True) | Q(last_activity_at__lt=now - ACTIVITY_EVERY)
        ).update(last_activity_at=now)
    return Followed(destination=destination, recorded=True)
