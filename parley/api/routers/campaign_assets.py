"""Campaign actions as resources: under a campaign (its tracking links, coupon pool,
payments, agreements, product catalogue and gift offers), by id (`/links/{id}`,
`/payments/{id}`, `/agreements/{id}`, `/gifts/{id}`), and a creator's assets in every
campaign (`/creators/{id}/assets`). Files are sent with a conversation's messages
(`POST /conversations/{id}/messages` with `campaign_id` and `attachments`).

Every id is looked up in the token's workspace (another workspace's is a 404). What the
schema cannot know is a 409: a creator who is not in the campaign, an empty coupon pool,
no portal account (payments and agreements; no creator has one until the portal exists),
a status change that is not allowed.
"""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.text import slugify
from django.utils.translation import gettext
from ninja import Query, Router, Status

from parley.api import asset_schemas as s
from parley.api.auth import acting_member
from parley.api.schemas import ErrorOut, FieldErrorsOut, PathId
from parley.campaigns.assets import agreements, coupons, gifts, links, payments
from parley.campaigns.assets import selectors as assets
from parley.campaigns.assets.delivery import coupon_send, link_send
from parley.campaigns.models import Campaign, GiftOffer, Payment, Product, TrackingLink
from parley.campaigns.selectors import campaign_get
from parley.channels.email.models import Mailbox
from parley.channels.email.selectors import mailbox_get
from parley.core.errors import Conflict, NotFound, ValidationFailed
from parley.creators.models import Creator
from parley.creators.selectors import creator_get

campaign_router = Router(tags=["campaign actions"])
links_router = Router(tags=["campaign actions"])
payments_router = Router(tags=["campaign actions"])
agreements_router = Router(tags=["campaign actions"])
gifts_router = Router(tags=["campaign actions"])
creators_router = Router(tags=["campaign actions"])

NOT_FOUND = {404: ErrorOut}
INVALID = {422: FieldErrorsOut}
CONFLICT = {409: FieldErrorsOut}
# What sending by email can meet that the request could not know: no address, a bounce.
_STATE_FIELDS = {"conversation", "confirm_bouncing", "creator"}


def _scope(
    request: HttpRequest, campaign_id: int, creator_id: int | None = None
) -> tuple[Any, Campaign, Creator | None]:
    member = acting_member(request)
    campaign = campaign_get(workspace=member.workspace, id=campaign_id)
    creator = creator_get(workspace=member.workspace, id=creator_id) if creator_id else None
    return member, campaign, creator


def _delivery(member: Any, send: Any) -> dict[str, Any]:
    if send is None or send.channel == "none":
        return {"channel": "none"}
    mailbox: Mailbox | None = None
    if send.channel == "email":
        mailbox = mailbox_get(workspace=member.workspace, id=send.mailbox_id)
    return {
        "channel": send.channel,
        "body": send.body,
        "subject": getattr(send, "subject", ""),
        "mailbox": mailbox,
    }


def _state_conflict(exc: ValidationFailed) -> ValidationFailed:
    """A refusal by a lower service for the state of things (a creator without an email
    address, a bounced one) is a 409 here: the request itself was valid."""
    if set(exc.errors) <= _STATE_FIELDS:
        return Conflict(exc.errors)
    return exc


# --- Tracking links ------------------------------------------------------------------------


@campaign_router.get("/{campaign_id}/links", response={200: list[s.LinkOut], **NOT_FOUND})
def campaign_links(request: HttpRequest, campaign_id: PathId) -> list[TrackingLink]:
    """The campaign's tracking links with their clicks (at most 1,000, oldest first)."""
    member, campaign, _ = _scope(request, campaign_id)
    return assets.link_list(workspace=member.workspace, campaign=campaign)


@campaign_router.post(
    "/{campaign_id}/links",
    response={200: s.LinkOut, 201: s.LinkOut, **NOT_FOUND, **INVALID, **CONFLICT},
)
def campaign_link_create(
    request: HttpRequest, campaign_id: PathId, payload: s.LinkIn
) -> Status[TrackingLink]:
    """The creator's tracking link to `destination` (201 when made now, 200 when they had
    it), optionally sent to them (`send`). 409 when the creator is not in the campaign, or
    an email cannot reach them."""
    member, campaign, creator = _scope(request, campaign_id, payload.creator_id)
    assert creator is not None
    existed = TrackingLink.objects.filter(
        campaign=campaign, creator=creator, destination=links.destination_clean(payload.destination)
    ).exists()
    try:
        link, _message = link_send(
            actor=member,
            campaign=campaign,
            creator=creator,
            destination=payload.destination,
            **_delivery(member, payload.send),
        )
    except ValidationFailed as exc:
        raise _state_conflict(exc) from exc
    return Status(200 if existed else 201, assets.link_get(workspace=member.workspace, id=link.id))


@links_router.get("/{link_id}", response={200: s.LinkDetailOut, **NOT_FOUND})
def link_detail(request: HttpRequest, link_id: PathId) -> TrackingLink:
    """A tracking link, its clicks and unique visitors, and its latest days."""
    member = acting_member(request)
    link = assets.link_get(workspace=member.workspace, id=link_id)
    link.days = [  # type: ignore[attr-defined]
        {"day": day, "clicks": clicks, "unique": unique}
        for day, clicks, unique in assets.link_days(link=link)
    ]
    return link


# --- Coupon codes --------------------------------------------------------------------------


@campaign_router.get(
    "/{campaign_id}/coupons", response={200: s.CouponPageOut, **NOT_FOUND, **INVALID}
)
def campaign_coupons(
    request: HttpRequest, campaign_id: PathId, params: Query[s.CouponQuery]
) -> dict[str, Any]:
    """The campaign's pool by id, with how many codes it has and how many are free."""
    member, campaign, _ = _scope(request, campaign_id)
    items = assets.coupon_list(
        workspace=member.workspace,
        campaign=campaign,
        assigned=params.assigned,
        after=params.after,
        limit=params.limit + 1,
    )
    stats = assets.pool_stats(campaign=campaign)
    more = len(items) > params.limit
    items = items[: params.limit]
    return {
        "items": items,
        "total": stats.total,
        "free": stats.free,
        "next_after": items[-1].id if more else None,
    }


@campaign_router.post(
    "/{campaign_id}/coupons",
    response={201: s.PoolAddedOut, **NOT_FOUND, **INVALID, **CONFLICT},
)
def campaign_coupons_add(
    request: HttpRequest, campaign_id: PathId, payload: s.CouponsIn
) -> Status[dict[str, Any]]:
    """Add codes to the pool: given (`codes`) or generated (`pattern`, `count`)."""
    _member, campaign, _ = _scope(request, campaign_id)
    if isinstance(payload, s.CouponCodesIn):
        added = coupons.pool_add(campaign=campaign, codes=payload.codes)
    else:
        added = coupons.pool_generate(
            campaign=campaign, pattern=payload.pattern, count=payload.count
        )
    stats = assets.pool_stats(campaign=campaign)
    return Status(
        201,
        {
            "added": added.added,
            "duplicates": added.duplicates,
            "total": stats.total,
            "free": stats.free,
        },
    )


@campaign_router.post(
    "/{campaign_id}/coupons/assign",
    response={200: s.CouponOut, 201: s.CouponOut, **NOT_FOUND, **INVALID, **CONFLICT},
)
def campaign_coupon_assign(
    request: HttpRequest, campaign_id: PathId, payload: s.CouponAssignIn
) -> Status[Any]:
    """The creator's code (201 when given now from the pool, 200 when they had one; never
    a code another creator has), optionally sent to them (`send`). 409 when the pool is
    empty or the creator is not in the campaign."""
    member, campaign, creator = _scope(request, campaign_id, payload.creator_id)
    assert creator is not None
    had = assets.coupon_of(campaign=campaign, creator=creator) is not None
    try:
        code, _message = coupon_send(
            actor=member, campaign=campaign, creator=creator, **_delivery(member, payload.send)
        )
    except ValidationFailed as exc:
        raise _state_conflict(exc) from exc
    return Status(200 if had else 201, code)


# --- Payments ------------------------------------------------------------------------------


@campaign_router.get("/{campaign_id}/payments", response={200: list[s.PaymentOut], **NOT_FOUND})
def campaign_payments(request: HttpRequest, campaign_id: PathId) -> list[Payment]:
    member, campaign, _ = _scope(request, campaign_id)
    return assets.payment_list(workspace=member.workspace, campaign=campaign)


@campaign_router.post(
    "/{campaign_id}/payments",
    response={201: s.PaymentDetailOut, **NOT_FOUND, **INVALID, **CONFLICT},
)
def campaign_payment_create(
    request: HttpRequest, campaign_id: PathId, payload: s.PaymentIn
) -> Status[Payment]:
    """A pending payment to the creator. 409 when the creator has no portal account (none
    has until the creator portal exists) or is not in the campaign."""
    member, campaign, creator = _scope(request, campaign_id, payload.creator_id)
    assert creator is not None
    payment = payments.payment_create(
        actor=member,
        campaign=campaign,
        creator=creator,
        amount=payload.amount,
        currency=payload.currency,
        due_on=payload.due_on,
        note=payload.note,
    )
    return Status(201, _payment_detail(payment))


def _payment_detail(payment: Payment) -> Payment:
    payment.history = assets.payment_history(payment=payment)  # type: ignore[attr-defined]
    return payment


@payments_router.get("/{payment_id}", response={200: s.PaymentDetailOut, **NOT_FOUND})
def payment_detail(request: HttpRequest, payment_id: PathId) -> Payment:
    """A payment and the history of its status: who changed it, when."""
    member = acting_member(request)
    return _payment_detail(assets.payment_get(workspace=member.workspace, id=payment_id))


@payments_router.patch(
    "/{payment_id}", response={200: s.PaymentDetailOut, **NOT_FOUND, **INVALID, **CONFLICT}
)
def payment_patch(request: HttpRequest, payment_id: PathId, payload: s.PaymentPatch) -> Payment:
    """Change the due date or the note (a pending payment), or the status (pending → paid
    or cancelled). 409 for a change its status does not allow."""
    member = acting_member(request)
    payment = assets.payment_get(workspace=member.workspace, id=payment_id)
    changes = payload.dict(exclude_unset=True)
    if "due_on" in changes or changes.get("note") is not None:
        payments.payment_update(
            payment=payment,
            due_on=changes.get("due_on", ...),
            note=changes.get("note"),
        )
    if changes.get("status") is not None and changes["status"] != payment.status:
        payment = payments.payment_set_status(
            actor=member, payment=payment, status=changes["status"]
        )
    elif changes.get("status") is not None:
        raise Conflict({"status": [_already(payment)]})
    return _payment_detail(assets.payment_get(workspace=member.workspace, id=payment_id))


def _already(payment: Payment) -> str:
    return gettext("The payment is %(status)s already.") % {
        "status": payment.get_status_display().lower()
    }


# --- Agreements ----------------------------------------------------------------------------


@campaign_router.get("/{campaign_id}/agreements", response={200: list[s.AgreementOut], **NOT_FOUND})
def campaign_agreements(request: HttpRequest, campaign_id: PathId) -> list[Any]:
    member, campaign, _ = _scope(request, campaign_id)
    return assets.agreement_list(workspace=member.workspace, campaign=campaign)


@campaign_router.post(
    "/{campaign_id}/agreements",
    response={201: s.AgreementDetailOut, **NOT_FOUND, **INVALID, **CONFLICT},
)
def campaign_agreement_send(
    request: HttpRequest, campaign_id: PathId, payload: s.AgreementIn
) -> Status[Any]:
    """The campaign's agreement template rendered for the creator and frozen (status
    `sent`; the creator signs or declines in the portal). 409 when the campaign has no
    template or it cannot be written for the creator, the creator has no portal account,
    or is not in the campaign."""
    member, campaign, creator = _scope(request, campaign_id, payload.creator_id)
    assert creator is not None
    return Status(201, agreements.agreement_send(actor=member, campaign=campaign, creator=creator))


@agreements_router.get("/{agreement_id}", response={200: s.AgreementDetailOut, **NOT_FOUND})
def agreement_detail(request: HttpRequest, agreement_id: PathId) -> Any:
    return assets.agreement_get(workspace=acting_member(request).workspace, id=agreement_id)


@agreements_router.get(
    "/{agreement_id}/pdf",
    response={200: None, **NOT_FOUND},
    openapi_extra={
        "responses": {
            "200": {
                "description": "The agreement as a PDF.",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def agreement_pdf(request: HttpRequest, agreement_id: PathId) -> HttpResponse:
    member = acting_member(request)
    agreement = assets.agreement_get(workspace=member.workspace, id=agreement_id)
    response = HttpResponse(
        agreements.agreement_pdf(agreement=agreement, time_zone=member.workspace.time_zone),
        content_type="application/pdf",
    )
    name = slugify(f"agreement-{agreement.campaign.name}-{agreement.creator.name}") or "agreement"
    response["Content-Disposition"] = f'attachment; filename="{name}.pdf"'
    return response


# --- Products and gifts --------------------------------------------------------------------


@campaign_router.get("/{campaign_id}/products", response={200: list[s.ProductOut], **NOT_FOUND})
def campaign_products(request: HttpRequest, campaign_id: PathId) -> list[Product]:
    """The gift catalogue (images are uploaded on the campaign's Settings tab)."""
    _member, campaign, _ = _scope(request, campaign_id)
    return assets.product_list(campaign=campaign)


@campaign_router.post(
    "/{campaign_id}/products", response={201: s.ProductOut, **NOT_FOUND, **INVALID}
)
def campaign_product_create(
    request: HttpRequest, campaign_id: PathId, payload: s.ProductIn
) -> Status[Product]:
    _member, campaign, _ = _scope(request, campaign_id)
    product = gifts.product_create(
        campaign=campaign,
        name=payload.name,
        options=payload.options,
        stock=payload.stock,
        per_creator_limit=payload.per_creator_limit,
    )
    return Status(201, product)


@campaign_router.patch(
    "/{campaign_id}/products/{product_id}",
    response={200: s.ProductOut, **NOT_FOUND, **INVALID},
)
def campaign_product_patch(
    request: HttpRequest, campaign_id: PathId, product_id: PathId, payload: s.ProductPatch
) -> Product:
    """Change what is given; `stock: null` keeps no stock."""
    member, campaign, _ = _scope(request, campaign_id)
    product = assets.product_get(workspace=member.workspace, id=product_id, campaign=campaign)
    changes = payload.dict(exclude_unset=True)
    return gifts.product_update(
        product=product,
        name=changes.get("name"),
        options=changes.get("options"),
        stock=changes.get("stock", ...),
        per_creator_limit=changes.get("per_creator_limit"),
    )


@campaign_router.get("/{campaign_id}/gifts", response={200: list[s.GiftOut], **NOT_FOUND})
def campaign_gifts(request: HttpRequest, campaign_id: PathId) -> list[GiftOffer]:
    member, campaign, _ = _scope(request, campaign_id)
    return assets.gift_list(workspace=member.workspace, campaign=campaign)


@campaign_router.post(
    "/{campaign_id}/gifts", response={201: s.GiftOut, **NOT_FOUND, **INVALID, **CONFLICT}
)
def campaign_gift_offer(
    request: HttpRequest, campaign_id: PathId, payload: s.GiftIn
) -> Status[GiftOffer]:
    """Offer the catalogue to the creator, up to `limit` items. 409 when the campaign has
    no products, the creator is not in it, or has answered their offer already."""
    member, campaign, creator = _scope(request, campaign_id, payload.creator_id)
    assert creator is not None
    return Status(
        201, gifts.gift_offer(actor=member, campaign=campaign, creator=creator, limit=payload.limit)
    )


@gifts_router.get("/{gift_id}", response={200: s.GiftOut, **NOT_FOUND})
def gift_detail(request: HttpRequest, gift_id: PathId) -> GiftOffer:
    return assets.gift_get(workspace=acting_member(request).workspace, id=gift_id)


@gifts_router.post(
    "/{gift_id}/selection", response={200: s.GiftOut, **NOT_FOUND, **INVALID, **CONFLICT}
)
def gift_selection(request: HttpRequest, gift_id: PathId, payload: s.GiftSelectionIn) -> GiftOffer:
    """Record what the creator picked (offered → selected; the stock goes down). A product
    of another workspace is a 404; what the catalogue does not allow (another campaign's
    product, an option it does not have, more than the offer or the product allows, out
    of stock) and an offer answered already are a 409."""
    member = acting_member(request)
    offer = assets.gift_get(workspace=member.workspace, id=gift_id)
    wanted = {line.product_id for line in payload.selection}
    found = set(
        Product.objects.filter(workspace=member.workspace, id__in=wanted).values_list(
            "id", flat=True
        )
    )
    if found != wanted:
        raise NotFound
    try:
        return gifts.gift_select(
            actor=member,
            offer=offer,
            selection=[line.dict() for line in payload.selection],
            shipping_address=payload.shipping_address,
        )
    except ValidationFailed as exc:
        if isinstance(exc, Conflict):
            raise
        raise Conflict(exc.errors) from exc


@gifts_router.post(
    "/{gift_id}/shipment", response={200: s.GiftOut, **NOT_FOUND, **INVALID, **CONFLICT}
)
def gift_shipment(request: HttpRequest, gift_id: PathId, payload: s.GiftShipIn) -> GiftOffer:
    """Selected → shipped, with the tracking number. 409 from any other status."""
    member = acting_member(request)
    offer = assets.gift_get(workspace=member.workspace, id=gift_id)
    return gifts.gift_ship(actor=member, offer=offer, tracking_number=payload.tracking_number)


# --- A creator's assets --------------------------------------------------------------------


@creators_router.get("/{creator_id}/assets", response={200: list[s.CampaignAssetsOut], **NOT_FOUND})
def creator_assets(request: HttpRequest, creator_id: PathId) -> list[dict[str, Any]]:
    """Everything sent to the creator, by campaign: tracking links with their clicks, the
    coupon code, payments, agreements and the gift offer (what the thread's sidebar
    shows)."""
    member = acting_member(request)
    creator = creator_get(workspace=member.workspace, id=creator_id)
    return [
        {
            "campaign_id": group.campaign.id,
            "campaign": group.campaign.name,
            "links": group.links,
            "coupon_code": group.coupon.code if group.coupon else None,
            "payments": group.payments,
            "agreements": group.agreements,
            "gift": group.gift,
        }
        for group in assets.creator_assets(workspace=member.workspace, creator=creator)
    ]
