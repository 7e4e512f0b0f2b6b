"""The campaign actions' part of the tenancy walk (tests/api/test_tenancy.py) and the
hostile-input walk (tests/test_hostile_input.py): one of every asset in a workspace, the
requests that name another workspace's ids, and what they must not change."""

from typing import Any

from django.utils import timezone

from parley.accounts.models import Member
from parley.campaigns.assets.coupons import pool_add
from parley.campaigns.assets.links import link_create
from parley.campaigns.models import (
    Agreement,
    Campaign,
    CampaignMember,
    CouponCode,
    GiftOffer,
    LinkClick,
    Payment,
    PaymentChange,
    Product,
    TrackingLink,
)
from parley.creators.models import Creator


def asset_world(*, acting: Member, campaign: Campaign, creator: Creator) -> dict[str, int]:
    """A link, two free codes, a pending payment, a sent agreement, a product and a gift
    picked in `campaign` (the creator is in it); a second campaign with a product and a
    gift offered (not picked yet). Ids by name."""
    ws = campaign.workspace
    campaign.agreement_template = "Agreement for {{ name }}."
    campaign.save(update_fields=["agreement_template"])
    # No author: the event leaves the members' read state as the world set it.
    link, _ = link_create(
        actor=None, campaign=campaign, creator=creator, destination="https://shop.test/"
    )
    pool_add(campaign=campaign, codes=[f"C-{ws.id}-1", f"C-{ws.id}-2"])
    payment = Payment.objects.create(
        workspace=ws, campaign=campaign, creator=creator, amount="10.00", currency="EUR"
    )
    PaymentChange.objects.create(payment=payment, status="pending", by=acting, at=timezone.now())
    agreement = Agreement.objects.create(
        workspace=ws, campaign=campaign, creator=creator, body="Deal.", sent_at=timezone.now()
    )
    product = Product.objects.create(workspace=ws, campaign=campaign, name="Hoodie")
    picked = GiftOffer.objects.create(
        workspace=ws,
        campaign=campaign,
        creator=creator,
        status=GiftOffer.Status.SELECTED,
        selection=[{"product_id": product.id, "name": "Hoodie", "option": "", "quantity": 1}],
        shipping_address="Main St 1",
    )
    second = Campaign.objects.create(workspace=ws, name="Second")
    CampaignMember.objects.create(workspace=ws, campaign=second, creator=creator)
    product2 = Product.objects.create(workspace=ws, campaign=second, name="Cap")
    offered = GiftOffer.objects.create(workspace=ws, campaign=second, creator=creator, limit=2)
    return {
        "link": link.id,
        "payment": payment.id,
        "agreement": agreement.id,
        "product": product.id,
        "gift": picked.id,
        "campaign2": second.id,
        "product2": product2.id,
        "gift_offered": offered.id,
    }


def asset_snapshot() -> dict[str, list[Any]]:
    return {
        "links": list(TrackingLink.objects.order_by("id").values_list("id", "creator_id")),
        "clicks": list(LinkClick.objects.order_by("id").values_list("id")),
        "coupons": list(CouponCode.objects.order_by("id").values_list("id", "code", "creator_id")),
        "payments": list(
            Payment.objects.order_by("id").values_list("id", "status", "note", "due_on")
        ),
        "payment_changes": list(PaymentChange.objects.order_by("id").values_list("id")),
        "agreements": list(Agreement.objects.order_by("id").values_list("id", "status")),
        "products": list(
            Product.objects.order_by("id").values_list("id", "name", "stock", "options")
        ),
        "gifts": list(
            GiftOffer.objects.order_by("id").values_list("id", "status", "limit", "tracking_number")
        ),
    }


_LINK = {"creator_id": "{creator}", "destination": "https://shop.test/new"}
_PAY = {"creator_id": "{creator}", "amount": "10.50", "currency": "EUR"}
_PICK = {"selection": [{"product_id": "{product2}", "quantity": 1}], "shipping_address": "Here"}


def _case(method: str, route: str, path: str, body: Any = None) -> tuple[Any, ...]:
    return ((method, route), method, path, body, {})


ASSET_CASES: list[tuple[Any, ...]] = [
    _case("get", "/campaigns/{campaign_id}/links", "/campaigns/{f_campaign}/links"),
    _case("post", "/campaigns/{campaign_id}/links", "/campaigns/{f_campaign}/links", _LINK),
    _case(
        "post",
        "/campaigns/{campaign_id}/links",
        "/campaigns/{campaign}/links",
        {**_LINK, "creator_id": "{f_creator}"},
    ),
    _case(
        "post",
        "/campaigns/{campaign_id}/links",
        "/campaigns/{campaign}/links",
        {**_LINK, "send": {"channel": "email", "mailbox_id": "{f_mailbox}", "body": "Your link:"}},
    ),
    _case("get", "/campaigns/{campaign_id}/coupons", "/campaigns/{f_campaign}/coupons"),
    _case(
        "post",
        "/campaigns/{campaign_id}/coupons",
        "/campaigns/{f_campaign}/coupons",
        {"codes": ["NEW-1"]},
    ),
    _case(
        "post",
        "/campaigns/{campaign_id}/coupons",
        "/campaigns/{f_campaign}/coupons",
        {"pattern": "GEN-####", "count": 3},
    ),
    _case(
        "post",
        "/campaigns/{campaign_id}/coupons/assign",
        "/campaigns/{f_campaign}/coupons/assign",
        {"creator_id": "{creator}"},
    ),
    _case(
        "post",
        "/campaigns/{campaign_id}/coupons/assign",
        "/campaigns/{campaign}/coupons/assign",
        {"creator_id": "{f_creator}"},
    ),
    _case("get", "/campaigns/{campaign_id}/payments", "/campaigns/{f_campaign}/payments"),
    _case("post", "/campaigns/{campaign_id}/payments", "/campaigns/{f_campaign}/payments", _PAY),
    _case(
        "post",
        "/campaigns/{campaign_id}/payments",
        "/campaigns/{campaign}/payments",
        {**_PAY, "creator_id": "{f_creator}"},
    ),
    _case("get", "/campaigns/{campaign_id}/agreements", "/campaigns/{f_campaign}/agreements"),
    _case(
        "post",
        "/campaigns/{campaign_id}/agreements",
        "/campaigns/{f_campaign}/agreements",
        {"creator_id": "{creator}"},
    ),
    _case(
        "post",
        "/campaigns/{campaign_id}/agreements",
        "/campaigns/{campaign}/agreements",
        {"creator_id": "{f_creator}"},
    ),
    _case("get", "/campaigns/{campaign_id}/products", "/campaigns/{f_campaign}/products"),
    _case(
        "post",
        "/campaigns/{campaign_id}/products",
        "/campaigns/{f_campaign}/products",
        {"name": "Cap", "options": ["S"], "stock": 3},
    ),
    _case(
        "patch",
        "/campaigns/{campaign_id}/products/{product_id}",
        "/campaigns/{f_campaign}/products/{f_product}",
        {"name": "Taken over"},
    ),
    _case(
        "patch",
        "/campaigns/{campaign_id}/products/{product_id}",
        "/campaigns/{campaign}/products/{f_product}",
        {"stock": 1},
    ),
    _case("get", "/campaigns/{campaign_id}/gifts", "/campaigns/{f_campaign}/gifts"),
    _case(
        "post",
        "/campaigns/{campaign_id}/gifts",
        "/campaigns/{f_campaign2}/gifts",
        {"creator_id": "{creator}", "limit": 3},
    ),
    _case(
        "post",
        "/campaigns/{campaign_id}/gifts",
        "/campaigns/{campaign2}/gifts",
        {"creator_id": "{f_creator}", "limit": 3},
    ),
    _case("get", "/links/{link_id}", "/links/{f_link}"),
    _case("get", "/payments/{payment_id}", "/payments/{f_payment}"),
    _case("patch", "/payments/{payment_id}", "/payments/{f_payment}", {"status": "paid"}),
    _case("get", "/agreements/{agreement_id}", "/agreements/{f_agreement}"),
    _case("get", "/agreements/{agreement_id}/pdf", "/agreements/{f_agreement}/pdf"),
    _case("get", "/gifts/{gift_id}", "/gifts/{f_gift}"),
    _case("post", "/gifts/{gift_id}/selection", "/gifts/{f_gift_offered}/selection", _PICK),
    _case(
        "post",
        "/gifts/{gift_id}/selection",
        "/gifts/{gift_offered}/selection",
        {**_PICK, "selection": [{"product_id": "{f_product2}", "quantity": 1}]},
    ),
    _case(
        "post", "/gifts/{gift_id}/shipment", "/gifts/{f_gift}/shipment", {"tracking_number": "T1"}
    ),
    _case("get", "/creators/{creator_id}/assets", "/creators/{f_creator}/assets"),
]

ASSET_ROUTES = sorted({case[0] for case in ASSET_CASES})
