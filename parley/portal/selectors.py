"""Reads of the creator portal. Every one is scoped: to the signed-in account (which
creators it may act as), then to one creator of one workspace (their thread, campaigns and
assets), or, for the brand's pages, to the member's workspace."""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from parley.accounts.models import Workspace
from parley.campaigns.models import (
    Agreement,
    Campaign,
    CampaignMember,
    CouponCode,
    GiftOffer,
    Payment,
    Product,
    TrackingLink,
)
from parley.core.errors import NotFound
from parley.inbox.models import Attachment, Channel, Message
from parley.portal.models import ContentSubmission, PortalAccess, PortalAccount, PortalSession
from parley.portal.services import token_hash

S = CampaignMember.Status
# A creator's campaigns that the portal shows: everything but declined, rejected and added
# (added is the brand's own list before any invitation).
SHOWN = [
    S.INVITED,
    S.ACCEPTED,
    S.APPLIED,
    S.APPROVED,
    S.ACTIVE,
    S.CONTENT_SUBMITTED,
    S.CONTENT_APPROVED,
    S.COMPLETED,
]
# What the creator sees of the thread: what people wrote on a channel, never system events
# (and notes and collaborator feedback are not messages at all). Outbound only once sent.
VISIBLE_OUT = [
    Message.Status.SENT,
    Message.Status.DELIVERED,
    Message.Status.READ,
]
THREAD_LIMIT = 200
# A public code as campaign_applications_set makes them (token_urlsafe): anything else, a
# NUL among others, is no campaign's.
CODE = re.compile(r"[A-Za-z0-9_-]{1,32}")


def session_account(*, key: str) -> PortalAccount | None:
    """The account signed in with this cookie key, while its session lasts."""
    if not key or len(key) > 100:
        return None
    session = (
        PortalSession.objects.select_related("account")
        .filter(key_hash=token_hash(key), expires_at__gt=timezone.now())
        .first()
    )
    return session.account if session else None


def access_get(*, account: PortalAccount, creator_id: int) -> PortalAccess:
    """The account's access as this creator; NotFound for any creator not theirs."""
    access = (
        PortalAccess.objects.select_related("creator", "workspace")
        .filter(account=account, creator_id=creator_id)
        .first()
    )
    if access is None:
        raise NotFound
    return access


@dataclass
class Waiting:
    invitations: int = 0
    agreements: int = 0
    gifts: int = 0
    content_due: int = 0
    changes: int = 0

    @property
    def total(self) -> int:
        return self.invitations + self.agreements + self.gifts + self.content_due + self.changes

    @property
    def labels(self) -> list[str]:
        """What waits, in words, most pressing first."""
        words = [
            (self.invitations, _("An invitation to answer")),
            (self.agreements, _("An agreement to sign")),
            (self.gifts, _("Gifts to pick")),
            (self.changes, _("Changes requested")),
            (self.content_due and not self.changes, _("Content to submit")),
        ]
        return [str(text) for n, text in words if n]


@dataclass
class HomeCampaign:
    membership: CampaignMember
    waiting: Waiting


@dataclass
class HomeBrand:
    access: PortalAccess
    memberships: list[CampaignMember] = field(default_factory=list)
    campaigns: list[HomeCampaign] = field(default_factory=list)
    unread: int = 0
    waiting: Waiting = field(default_factory=Waiting)
    # campaign id → what waits in it
    waiting_by_campaign: dict[int, Waiting] = field(default_factory=dict)


def portal_home(*, account: PortalAccount) -> list[HomeBrand]:
    """The account's brands, each with its open campaigns (status) and what waits for the
    creator: invitations to answer, agreements to sign, gifts to pick, content due or to
    change, and the brand's in-app messages not yet read. Six queries however many."""
    accesses = list(
        PortalAccess.objects.select_related("creator", "workspace")
        .filter(account=account)
        .order_by("workspace__name", "id")
    )
    brands = {a.creator_id: HomeBrand(access=a) for a in accesses}
    creator_ids = list(brands)
    if not creator_ids:
        return []
    for m in (
        CampaignMember.objects.select_related("campaign")
        .filter(creator_id__in=creator_ids, status__in=SHOWN)
        .exclude(campaign__status=Campaign.Status.ARCHIVED)
        .order_by("-last_activity_at", "-id")
    ):
        brand = brands[m.creator_id]
        brand.memberships.append(m)
        wait = brand.waiting_by_campaign.setdefault(m.campaign_id, Waiting())
        if m.status == S.INVITED:
            wait.invitations += 1
        if m.status in (S.ACCEPTED, S.APPROVED, S.ACTIVE):
            wait.content_due += 1

    def waits(rows: Iterable[tuple[int, int]], attr: str) -> None:
        for creator_id, campaign_id in rows:
            wait = brands[creator_id].waiting_by_campaign.setdefault(campaign_id, Waiting())
            setattr(wait, attr, getattr(wait, attr) + 1)

    waits(
        Agreement.objects.filter(
            creator_id__in=creator_ids, status=Agreement.Status.SENT
        ).values_list("creator_id", "campaign_id"),
        "agreements",
    )
    waits(
        GiftOffer.objects.filter(
            creator_id__in=creator_ids, status=GiftOffer.Status.OFFERED
        ).values_list("creator_id", "campaign_id"),
        "gifts",
    )
    waits(
        ContentSubmission.objects.filter(
            creator_id__in=creator_ids, status=ContentSubmission.Status.CHANGES_REQUESTED
        ).values_list("creator_id", "campaign_id"),
        "changes",
    )
    for creator_id, n in (
        Message.objects.filter(
            conversation__creator_id__in=creator_ids,
            channel=Channel.INAPP,
            direction=Message.Direction.OUTBOUND,
            status__in=[Message.Status.SENT, Message.Status.DELIVERED],
        )
        .values_list("conversation__creator_id")
        .annotate(n=Count("id"))
    ):
        brands[creator_id].unread = n
    for brand in brands.values():
        brand.campaigns = [
            HomeCampaign(m, brand.waiting_by_campaign.get(m.campaign_id, Waiting()))
            for m in brand.memberships
        ]
        total = brand.waiting
        for wait in brand.waiting_by_campaign.values():
            total.invitations += wait.invitations
            total.agreements += wait.agreements
            total.gifts += wait.gifts
            total.content_due += wait.content_due
            total.changes += wait.changes
    return [brands[a.creator_id] for a in accesses]


def portal_thread(*, access: PortalAccess, limit: int = THREAD_LIMIT) -> list[Message]:
    """The newest `limit` messages the creator may see of their thread with the brand,
    oldest first: inbound, and outbound once sent, on in-app, email and SMS; never events."""
    newest = list(
        Message.objects.filter(conversation__creator_id=access.creator_id)
        .filter(
            Q(direction=Message.Direction.INBOUND)
            | Q(direction=Message.Direction.OUTBOUND, status__in=VISIBLE_OUT)
        )
        .exclude(channel=Channel.EVENT)
        .select_related("author_member__user", "campaign")
        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("id")))
        .order_by("-created_at", "-id")[:limit]
    )
    newest.reverse()
    return newest


def portal_attachment_get(*, access: PortalAccess, id: int) -> Attachment:
    """A file of a message the creator can see in their thread."""
    attachment = (
        Attachment.objects.filter(id=id, message__conversation__creator_id=access.creator_id)
        .filter(
            Q(message__direction=Message.Direction.INBOUND)
            | Q(message__direction=Message.Direction.OUTBOUND, message__status__in=VISIBLE_OUT)
        )
        .first()
    )
    if attachment is None:
        raise NotFound
    return attachment


def portal_memberships(*, access: PortalAccess) -> list[CampaignMember]:
    """The creator's campaigns with the brand that the portal shows, newest activity first
    (the brand's tabs)."""
    return list(
        CampaignMember.objects.select_related("campaign")
        .filter(creator_id=access.creator_id, status__in=SHOWN)
        .exclude(campaign__status=Campaign.Status.ARCHIVED)
        .order_by("-last_activity_at", "-id")[:50]
    )


def membership_get(*, access: PortalAccess, campaign_id: int) -> CampaignMember:
    """The creator's place in one campaign of the brand (one the portal shows)."""
    member = (
        CampaignMember.objects.select_related("campaign")
        .filter(creator_id=access.creator_id, campaign_id=campaign_id, status__in=SHOWN)
        .first()
    )
    if member is None:
        raise NotFound
    return member


@dataclass
class CampaignView:
    membership: CampaignMember
    agreements: list[Agreement]
    gifts: GiftOffer | None
    products: list[Product]
    payments: list[Payment]
    coupon: CouponCode | None
    links: list[TrackingLink]
    submissions: list[ContentSubmission]


def portal_campaign(*, access: PortalAccess, campaign_id: int) -> CampaignView:
    """One campaign as the creator sees it, with everything the brand sent them in it."""
    membership = membership_get(access=access, campaign_id=campaign_id)
    scope = {"campaign_id": campaign_id, "creator_id": access.creator_id}
    offer = GiftOffer.objects.filter(**scope).first()
    return CampaignView(
        membership=membership,
        agreements=list(Agreement.objects.filter(**scope).order_by("-sent_at", "-id")),
        gifts=offer,
        products=list(Product.objects.filter(campaign_id=campaign_id).order_by("name", "id"))
        if offer is not None and offer.status == GiftOffer.Status.OFFERED
        else [],
        payments=list(
            Payment.objects.filter(**scope)
            .exclude(status=Payment.Status.CANCELLED)
            .order_by("-created_at", "-id")
        ),
        coupon=CouponCode.objects.filter(**scope).first(),
        links=list(TrackingLink.objects.filter(**scope).order_by("-created_at", "-id")),
        submissions=list(
            ContentSubmission.objects.filter(**scope).order_by("-submitted_at", "-id")
        ),
    )


def portal_agreement_get(*, access: PortalAccess, id: int) -> Agreement:
    agreement = (
        Agreement.objects.select_related("campaign", "creator")
        .filter(id=id, creator_id=access.creator_id)
        .first()
    )
    if agreement is None:
        raise NotFound
    return agreement


def portal_gift_get(*, access: PortalAccess, campaign_id: int) -> GiftOffer:
    offer = (
        GiftOffer.objects.select_related("campaign", "creator")
        .filter(campaign_id=campaign_id, creator_id=access.creator_id)
        .first()
    )
    if offer is None:
        raise NotFound
    return offer


def portal_submission_get(*, access: PortalAccess, id: int) -> ContentSubmission:
    submission = ContentSubmission.objects.filter(id=id, creator_id=access.creator_id).first()
    if submission is None:
        raise NotFound
    return submission


def public_campaign_get(*, code: str) -> Campaign:
    """A campaign open for applications, by its public code."""
    if not CODE.fullmatch(code or ""):
        raise NotFound
    campaign = (
        Campaign.objects.select_related("workspace")
        .filter(public_code=code, open_for_applications=True, status=Campaign.Status.ACTIVE)
        .first()
    )
    if campaign is None:
        raise NotFound
    return campaign


def account_access_in(*, account: PortalAccount, workspace_id: int) -> PortalAccess | None:
    return (
        PortalAccess.objects.select_related("creator")
        .filter(account=account, workspace_id=workspace_id)
        .first()
    )


# --- The brand's side -----------------------------------------------------------------------


@dataclass(frozen=True)
class PortalStatus:
    email: str
    invited_at: datetime
    signed_in_at: datetime | None


def portal_status(*, workspace: Workspace, creator_id: int) -> PortalStatus | None:
    """Whether the creator has a portal account, and whether they have signed in."""
    access = (
        PortalAccess.objects.select_related("account")
        .filter(workspace=workspace, creator_id=creator_id)
        .first()
    )
    if access is None:
        return None
    return PortalStatus(
        email=access.account.email,
        invited_at=access.invited_at,
        signed_in_at=access.first_signed_in_at,
    )


def submission_list(
    *, campaign: Campaign, status: str = "", limit: int = 100
) -> list[ContentSubmission]:
    """The campaign's submissions, newest first (those waiting for review, or all)."""
    rows = ContentSubmission.objects.filter(campaign=campaign)
    if status:
        rows = rows.filter(status=status)
    return list(
        rows.select_related("creator", "reviewed_by__user").order_by("-submitted_at", "-id")[:limit]
    )


def submission_counts(*, campaign: Campaign) -> dict[str, int]:
    return dict(
        ContentSubmission.objects.filter(campaign=campaign)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )


def submission_get(*, workspace: Workspace, id: int) -> ContentSubmission:
    submission = (
        ContentSubmission.objects.select_related("campaign", "creator")
        .filter(workspace=workspace, id=id)
        .first()
    )
    if submission is None:
        raise NotFound
    return submission


def creators_with_access(*, creator_ids: Iterable[int]) -> set[int]:
    return set(
        PortalAccess.objects.filter(creator_id__in=list(creator_ids)).values_list(
            "creator_id", flat=True
        )
    )
