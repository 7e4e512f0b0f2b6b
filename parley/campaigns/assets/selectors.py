"""Reads of campaign assets, always scoped to a workspace (another workspace's id is
NotFound).

`creator_assets` is what the thread sidebar, the creator profile and the PDF report show:
every asset of one creator, grouped by campaign: one query for which kinds they hold (most
creators hold none, and that is all it costs), then one for each kind held whatever their
number (links with their click counts in one grouped query; codes, payments, agreements,
gift offers). `member_assets` is the members tab's: counts for a page of creators of
one campaign, two queries whatever the page's size.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db import connection
from django.db.models import Count, Max, Model, Q, QuerySet
from django.utils.translation import gettext as _

from parley.accounts.models import Workspace
from parley.campaigns.models import (
    Agreement,
    Campaign,
    CouponCode,
    GiftOffer,
    LinkClick,
    Payment,
    PaymentChange,
    Product,
    TrackingLink,
)
from parley.core.errors import NotFound
from parley.creators.models import Creator


def _clicks(links: QuerySet[TrackingLink]) -> QuerySet[TrackingLink]:
    # `visitor` hashes the day in, so distinct visitors over all days = the sum of each
    # day's unique visitors.
    return links.annotate(
        click_count=Count("clicks"),
        unique_count=Count("clicks__visitor", distinct=True),
        last_click_at=Max("clicks__at"),
    )


@dataclass
class CampaignAssets:
    campaign: Campaign
    links: list[TrackingLink] = field(default_factory=list)
    coupon: CouponCode | None = None
    payments: list[Payment] = field(default_factory=list)
    agreements: list[Agreement] = field(default_factory=list)
    gift: GiftOffer | None = None

    @property
    def empty(self) -> bool:
        return not (self.links or self.coupon or self.payments or self.agreements or self.gift)


_ASSET_MODELS: tuple[type[Model], ...] = (TrackingLink, CouponCode, Payment, Agreement, GiftOffer)


def _kinds_held(*, workspace_id: int, creator_id: int) -> set[type[Model]]:
    """Which asset models hold a row of the creator's: one query, an EXISTS on each table
    (its creator index, stopped at the first row)."""
    qn = connection.ops.quote_name
    scope = {"workspace_id": workspace_id, "creator_id": creator_id}
    where = " AND ".join(f"{qn(column)} = %s" for column in scope)
    probes = [
        f"EXISTS (SELECT 1 FROM {qn(model._meta.db_table)} WHERE {where})"
        for model in _ASSET_MODELS
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(probes)}", list(scope.values()) * len(probes))
        row = cursor.fetchone()
    return {model for model, yes in zip(_ASSET_MODELS, row, strict=True) if yes}


def creator_assets(*, workspace: Workspace, creator: Creator) -> list[CampaignAssets]:
    """Every asset of the creator, by campaign (by name)."""
    scope = Q(workspace=workspace, creator=creator)
    by_campaign: dict[int, CampaignAssets] = {}

    def group(campaign: Campaign) -> CampaignAssets:
        if campaign.id not in by_campaign:
            by_campaign[campaign.id] = CampaignAssets(campaign=campaign)
        return by_campaign[campaign.id]

    held = _kinds_held(workspace_id=workspace.id, creator_id=creator.id)
    if TrackingLink in held:
        for link in (
            _clicks(TrackingLink.objects.filter(scope))
            .select_related("campaign")
            .order_by("created_at", "id")
        ):
            group(link.campaign).links.append(link)
    if CouponCode in held:
        for coupon in CouponCode.objects.filter(scope).select_related("campaign"):
            group(coupon.campaign).coupon = coupon
    if Payment in held:
        for payment in (
            Payment.objects.filter(scope).select_related("campaign").order_by("created_at", "id")
        ):
            group(payment.campaign).payments.append(payment)
    if Agreement in held:
        for agreement in (
            Agreement.objects.filter(scope)
            .defer("body")
            .select_related("campaign")
            .order_by("sent_at", "id")
        ):
            group(agreement.campaign).agreements.append(agreement)
    if GiftOffer in held:
        for offer in GiftOffer.objects.filter(scope).select_related("campaign"):
            group(offer.campaign).gift = offer
    return sorted(by_campaign.values(), key=lambda a: (a.campaign.name, a.campaign.id))


@dataclass
class MemberAssets:
    """One creator's assets in one campaign, counted (the members tab's columns)."""

    links: int = 0
    clicks: int = 0
    unique: int = 0
    coupon: str = ""
    payments: dict[str, int] = field(default_factory=dict)
    agreement: str = ""  # the latest one's status
    gift: str = ""  # the offer's status
    # Whether the creator has a creator portal account (payments and agreements need one).
    portal: bool = False

    @property
    def any(self) -> bool:
        return bool(self.links or self.coupon or self.payments or self.agreement or self.gift)


def member_assets(*, campaign: Campaign, creator_ids: list[int]) -> dict[int, MemberAssets]:
    """creator id → their assets in the campaign, for a page of members: two queries,
    whatever the page's size (links with their clicks, grouped; then codes, payments by
    status, agreements, gift offers and portal accounts in one UNION ALL)."""
    out: dict[int, MemberAssets] = defaultdict(MemberAssets)
    ids = [int(i) for i in creator_ids]
    if not ids:
        return {}
    for creator_id, links, clicks, unique in (
        TrackingLink.objects.filter(campaign=campaign, creator_id__in=ids)
        .values("creator_id")
        .annotate(
            n_links=Count("id", distinct=True),
            n_clicks=Count("clicks"),
            n_unique=Count("clicks__visitor", distinct=True),
        )
        .values_list("creator_id", "n_links", "n_clicks", "n_unique")
        .order_by()
    ):
        row = out[creator_id]
        row.links, row.clicks, row.unique = links, clicks, unique
    latest: dict[int, tuple[object, int]] = {}
    for kind, creator_id, text, n, at in _member_asset_rows(campaign.id, ids):
        row = out[creator_id]
        if kind == "c":
            row.coupon = text
        elif kind == "p":
            row.payments[text] = n
        elif kind == "a" and (creator_id not in latest or (at, n) > latest[creator_id]):
            latest[creator_id] = (at, n)  # the latest sent wins
            row.agreement = text
        elif kind == "g":
            row.gift = text
        elif kind == "x":
            row.portal = True
    return dict(out)


def _member_asset_rows(campaign_id: int, ids: list[int]) -> list[tuple]:  # type: ignore[type-arg]
    """(kind, creator id, text, number, time) rows: "a" agreement (status, id, sent at), "c"
    coupon code, "p" payments of a status (their number), "g" gift offer (status), "x"
    a creator portal account (its table from the portal seam, parley.campaigns.assets.portal:
    this app does not import the portal)."""
    from parley.campaigns.assets import portal

    table = {
        model: connection.ops.quote_name(model._meta.db_table)
        for model in (Agreement, CouponCode, Payment, GiftOffer)
    }
    accounts = connection.ops.quote_name(portal.portal_access_table())
    marks = ", ".join(["%s"] * len(ids))
    mine = f"campaign_id = %s AND creator_id IN ({marks})"
    sql = (
        f"SELECT 'a', creator_id, status, id, sent_at FROM {table[Agreement]} WHERE {mine}"
        f" UNION ALL SELECT 'c', creator_id, code, 0, NULL FROM {table[CouponCode]}"
        f" WHERE {mine}"
        f" UNION ALL SELECT 'p', creator_id, status, COUNT(*), NULL FROM {table[Payment]}"
        f" WHERE {mine} GROUP BY creator_id, status"
        f" UNION ALL SELECT 'g', creator_id, status, 0, NULL FROM {table[GiftOffer]}"
        f" WHERE {mine}"
        f" UNION ALL SELECT 'x', creator_id, '', 0, NULL FROM {accounts}"
        f" WHERE creator_id IN ({marks})"
    )
    params = [*([campaign_id, *ids] * 4), *ids]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


# --- One of each, by id --------------------------------------------------------------------


def link_get(*, workspace: Workspace, id: int) -> TrackingLink:
    link = (
        _clicks(TrackingLink.objects.filter(workspace=workspace, id=id))
        .select_related("campaign", "creator")
        .first()
    )
    if link is None:
        raise NotFound
    return link


def link_list(
    *, workspace: Workspace, campaign: Campaign | None = None, creator: Creator | None = None
) -> list[TrackingLink]:
    links = TrackingLink.objects.filter(workspace=workspace)
    if campaign is not None:
        links = links.filter(campaign=campaign)
    if creator is not None:
        links = links.filter(creator=creator)
    return list(_clicks(links).select_related("campaign", "creator").order_by("id")[:1000])


def link_days(*, link: TrackingLink, limit: int = 90) -> list[tuple[date, int, int]]:
    """(day, clicks, unique visitors) of the link's latest days with clicks, newest first."""
    return list(
        LinkClick.objects.filter(link=link)
        .values("day")
        .annotate(n_clicks=Count("id"), n_unique=Count("visitor", distinct=True))
        .order_by("-day")
        .values_list("day", "n_clicks", "n_unique")[:limit]
    )


def payment_get(*, workspace: Workspace, id: int) -> Payment:
    payment = (
        Payment.objects.filter(workspace=workspace, id=id)
        .select_related("campaign", "creator")
        .first()
    )
    if payment is None:
        raise NotFound
    return payment


def payment_list(
    *, workspace: Workspace, campaign: Campaign | None = None, creator: Creator | None = None
) -> list[Payment]:
    payments = Payment.objects.filter(workspace=workspace)
    if campaign is not None:
        payments = payments.filter(campaign=campaign)
    if creator is not None:
        payments = payments.filter(creator=creator)
    return list(payments.select_related("campaign", "creator").order_by("id")[:1000])


def payment_history(*, payment: Payment) -> list[PaymentChange]:
    return list(payment.changes.select_related("by__user").order_by("at", "id"))


def payment_histories(*, payments: list[Payment]) -> dict[int, list[PaymentChange]]:
    out: dict[int, list[PaymentChange]] = defaultdict(list)
    for change in (
        PaymentChange.objects.filter(payment__in=payments)
        .select_related("by__user")
        .order_by("at", "id")
    ):
        out[change.payment_id].append(change)
    return out


def agreement_get(*, workspace: Workspace, id: int) -> Agreement:
    agreement = (
        Agreement.objects.filter(workspace=workspace, id=id)
        .select_related("campaign", "creator")
        .first()
    )
    if agreement is None:
        raise NotFound
    return agreement


def agreement_list(
    *, workspace: Workspace, campaign: Campaign | None = None, creator: Creator | None = None
) -> list[Agreement]:
    agreements = Agreement.objects.filter(workspace=workspace)
    if campaign is not None:
        agreements = agreements.filter(campaign=campaign)
    if creator is not None:
        agreements = agreements.filter(creator=creator)
    return list(agreements.select_related("campaign", "creator").order_by("id")[:1000])


def gift_get(*, workspace: Workspace, id: int) -> GiftOffer:
    offer = (
        GiftOffer.objects.filter(workspace=workspace, id=id)
        .select_related("campaign", "creator")
        .first()
    )
    if offer is None:
        raise NotFound
    return offer


def gift_list(
    *, workspace: Workspace, campaign: Campaign | None = None, creator: Creator | None = None
) -> list[GiftOffer]:
    offers = GiftOffer.objects.filter(workspace=workspace)
    if campaign is not None:
        offers = offers.filter(campaign=campaign)
    if creator is not None:
        offers = offers.filter(creator=creator)
    return list(offers.select_related("campaign", "creator").order_by("id")[:1000])


def product_get(*, workspace: Workspace, id: int, campaign: Campaign | None = None) -> Product:
    products = Product.objects.filter(workspace=workspace, id=id)
    if campaign is not None:
        products = products.filter(campaign=campaign)
    product = products.first()
    if product is None:
        raise NotFound
    return product


def product_list(*, campaign: Campaign) -> list[Product]:
    return list(Product.objects.filter(campaign=campaign).order_by("name", "id"))


@dataclass
class PoolStats:
    total: int
    free: int

    @property
    def assigned(self) -> int:
        return self.total - self.free


def pool_stats(*, campaign: Campaign) -> PoolStats:
    counts = CouponCode.objects.filter(campaign=campaign).aggregate(
        total=Count("id"), free=Count("id", filter=Q(creator__isnull=True))
    )
    return PoolStats(total=counts["total"] or 0, free=counts["free"] or 0)


def coupon_list(
    *,
    workspace: Workspace,
    campaign: Campaign | None = None,
    creator: Creator | None = None,
    assigned: bool | None = None,
    after: int = 0,
    limit: int = 100,
) -> list[CouponCode]:
    """Codes by id (keyset: those after `after`)."""
    codes = CouponCode.objects.filter(workspace=workspace, id__gt=after)
    if campaign is not None:
        codes = codes.filter(campaign=campaign)
    if creator is not None:
        codes = codes.filter(creator=creator)
    if assigned is not None:
        codes = codes.filter(creator__isnull=not assigned)
    return list(codes.select_related("creator", "campaign").order_by("id")[:limit])


def coupon_of(*, campaign: Campaign, creator: Creator) -> CouponCode | None:
    return CouponCode.objects.filter(campaign=campaign, creator=creator).first()


@dataclass
class AssetGroup:
    """One campaign in the sidebar: the creator's status in it (a label, "" when they left
    it), their assets, and whether the actions may be taken."""

    campaign: Campaign
    status: str
    assets: CampaignAssets

    @property
    def member(self) -> bool:
        return bool(self.status)


def creator_asset_groups(
    *, workspace: Workspace, creator: Creator, campaigns: list[Campaign]
) -> list[AssetGroup]:
    """The sidebar's and the profile's campaign assets: a group for each campaign the creator
    is in (`campaigns` from `campaign_list(creator=…)`, carrying `creator_status`) and for
    each other campaign they have assets in. One query for the kinds of asset the creator
    holds, then one for each kind held (a picked gift's lines carry the products' names)."""
    from parley.campaigns.models import CampaignMember

    labels = dict(CampaignMember.Status.choices)
    assets = {a.campaign.id: a for a in creator_assets(workspace=workspace, creator=creator)}
    groups: list[AssetGroup] = []
    for campaign in campaigns:
        status = getattr(campaign, "creator_status", None)
        if status or campaign.id in assets:
            groups.append(
                AssetGroup(
                    campaign=campaign,
                    status=str(labels.get(status, status)) if status else "",
                    assets=assets.pop(campaign.id, CampaignAssets(campaign=campaign)),
                )
            )
    for left in assets.values():  # campaigns not in the list given
        groups.append(AssetGroup(campaign=left.campaign, status="", assets=left))
    return groups


def creator_assets_panel(
    *, workspace: Workspace, creator: Creator, campaigns: list[Campaign] | None = None
) -> dict[str, object]:
    """What the campaign assets section (campaigns/assets/_section.html) shows, as template
    context: the inbox sidebar, the creator profile and the section's own refresh use it.
    `campaigns`: the caller's `campaign_list(creator=…)` when it has it."""
    from parley.campaigns.assets import portal
    from parley.campaigns.selectors import campaign_list

    if campaigns is None:
        campaigns = campaign_list(workspace=workspace, creator=creator)
    return {
        "asset_creator": creator,
        "asset_groups": creator_asset_groups(
            workspace=workspace, creator=creator, campaigns=campaigns
        ),
        "has_portal": portal.creator_has_portal(creator=creator),
        "portal_refusal": portal.portal_required_message(
            creator=creator, what=_("payments and agreements")
        ),
    }
