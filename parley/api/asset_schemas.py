"""Request and response shapes of the campaign actions' API (parley/api/routers/
campaign_assets.py). As in schemas.py, inputs state every rule the services apply, with the
services' own constants and patterns; what depends on stored state (an empty pool, a
creator not in the campaign, no portal account, a wrong status change) is a 409."""

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias

from ninja import Field, Schema
from pydantic import BeforeValidator, Strict, StringConstraints
from pydantic_core import PydanticCustomError

from parley.api.schemas import Id, Input, nonblank, text
from parley.campaigns.assets import coupons, gifts, links, payments
from parley.campaigns.assets.currencies import currency_codes
from parley.campaigns.models import Agreement, GiftOffer, Payment
from parley.core.text import NON_BLANK, ONE_LINE
from parley.outbox.services import MAX_BODY, MAX_SUBJECT

if TYPE_CHECKING:
    CurrencyCode: TypeAlias = str
    PaymentStatus: TypeAlias = str
else:
    CurrencyCode = Literal[currency_codes()]
    PaymentStatus = Literal[tuple(Payment.Status.values)]


def _whole_number(value: Any) -> Any:
    # JSON Schema counts 5.0 as an integer; true, false and "5" are none.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _date_text(value: Any) -> Any:
    # pydantic would read a number as a Unix time; the schema says an ISO 8601 date.
    if not isinstance(value, str | date):
        raise PydanticCustomError("date_type", "Input should be a valid date")
    return value


# JSON integers (not true/false, not text) within the services' limits.
Count = Annotated[int, Strict(), Field(ge=1, le=10_000), BeforeValidator(_whole_number)]
StockCount = Annotated[int, Strict(), Field(ge=0, le=1_000_000), BeforeValidator(_whole_number)]
UpTo50 = Annotated[int, Strict(), Field(ge=1, le=gifts.LIMIT_MAX), BeforeValidator(_whole_number)]


DateText = Annotated[date, BeforeValidator(_date_text)]
Destination = Annotated[
    str, StringConstraints(max_length=links.DESTINATION_MAX, pattern=links.DESTINATION_PATTERN)
]
CouponCodeText = Annotated[
    str, StringConstraints(min_length=1, max_length=coupons.CODE_MAX, pattern=coupons.CODE_PATTERN)
]
# At most two decimals, above zero, below 10**10: "250", "250.5", "250.50".
AMOUNT_PATTERN = r"^([1-9][0-9]{0,9}(\.[0-9]{1,2})?|0\.[1-9][0-9]?|0\.0[1-9])$"
# Room in a message for the link or the code put into it.
DELIVERY_BODY_MAX = MAX_BODY - links.DESTINATION_MAX - 100


class DeliveryNone(Input):
    """Only made: it shows in the sidebar, and mass emails can use it."""

    channel: Literal["none"]


class DeliveryInapp(Input):
    """An in-app message; `{link}` or `{code}` in `body` is replaced by the value (added at
    the end when missing)."""

    channel: Literal["inapp"]
    body: Annotated[str, text(DELIVERY_BODY_MAX)] = ""


class DeliveryEmail(Input):
    """An email through the outbox from `mailbox_id` (no portal account needed). A creator
    without an email address, or whose address bounced, is a 409."""

    channel: Literal["email"]
    mailbox_id: Id = Field(..., description="A connected mailbox of the workspace.")
    subject: Annotated[str, StringConstraints(max_length=MAX_SUBJECT, pattern=ONE_LINE)] = ""
    body: Annotated[str, text(DELIVERY_BODY_MAX)] = ""


DeliveryIn = Annotated[DeliveryNone | DeliveryInapp | DeliveryEmail, Field(discriminator="channel")]


# --- Tracking links ------------------------------------------------------------------------


class LinkIn(Input):
    creator_id: Id
    destination: Destination = Field(
        ...,
        description="The http(s) address the link leads to (anything else is a 422). A "
        "creator has one link per destination: asking again returns it (200).",
    )
    send: DeliveryIn | None = None


class LinkDayOut(Schema):
    day: date
    clicks: int
    unique: int


class LinkOut(Schema):
    id: int
    campaign_id: int
    creator_id: int
    code: str
    url: str = Field(..., description="The short link, `PARLEY_PUBLIC_URL/l/<code>`.")
    destination: str
    created_at: datetime
    clicks: int = Field(
        ..., description="Clicks by browsers (HEAD requests and bots are not counted)."
    )
    unique: int = Field(..., description="The sum over days of each day's unique visitors.")
    last_click_at: datetime | None

    @staticmethod
    def resolve_url(link: Any) -> str:
        return links.link_url(link)

    @staticmethod
    def resolve_clicks(link: Any) -> int:
        return int(getattr(link, "click_count", 0) or 0)

    @staticmethod
    def resolve_unique(link: Any) -> int:
        return int(getattr(link, "unique_count", 0) or 0)

    @staticmethod
    def resolve_last_click_at(link: Any) -> datetime | None:
        return getattr(link, "last_click_at", None)


class LinkDetailOut(LinkOut):
    days: list[LinkDayOut] = Field(..., description="The latest 90 days with clicks, newest first.")


# --- Coupon codes --------------------------------------------------------------------------


class CouponCodesIn(Input):
    """Codes to add to the pool (those already in it are left out)."""

    codes: list[CouponCodeText] = Field(
        ...,
        min_length=1,
        max_length=10_000,
        description="1 to 64 printable ASCII characters each, no spaces.",
    )


# A pattern with at least four `#` (a digit) or `?` (a letter or digit).
GENERATE_PATTERN = r"^([\x21-\x7e]*[#?]){4}[\x21-\x7e]*$"


class CouponGenerateIn(Input):
    """Codes drawn with `secrets` from a pattern (`SPRING-####`). A pattern that makes fewer
    than twice `count` codes, or whose codes the pool mostly has, is a 409."""

    pattern: Annotated[
        str, StringConstraints(max_length=coupons.PATTERN_MAX, pattern=GENERATE_PATTERN)
    ]
    count: Count


CouponsIn = CouponCodesIn | CouponGenerateIn


class PoolAddedOut(Schema):
    added: int
    duplicates: int
    total: int
    free: int


class CouponAssignIn(Input):
    creator_id: Id
    send: DeliveryIn | None = None


class CouponOut(Schema):
    id: int
    campaign_id: int
    code: str
    creator_id: int | None
    assigned_at: datetime | None


class CouponPageOut(Schema):
    items: list[CouponOut]
    total: int
    free: int
    next_after: int | None = Field(None, description="Pass as `after` for the next page.")


class CouponQuery(Schema):
    assigned: bool | None = Field(None, description="Only codes given out (true) or free (false).")
    after: Annotated[int, Field(ge=0, le=2**63 - 1)] = 0
    limit: Annotated[int, Field(ge=1, le=500)] = 100


# --- Payments ------------------------------------------------------------------------------


class PaymentIn(Input):
    creator_id: Id
    amount: Annotated[str, StringConstraints(pattern=AMOUNT_PATTERN)] = Field(
        ..., description='Above zero, at most two decimals, as text: "250.00".'
    )
    currency: CurrencyCode = Field(..., description="An ISO 4217 code (pycountry's list).")
    due_on: DateText | None = None
    note: Annotated[str, text(payments.NOTE_MAX)] = ""


class PaymentPatch(Input):
    status: PaymentStatus | None = Field(
        None,
        description="pending → paid or cancelled; paid and cancelled are final (409).",
    )
    due_on: DateText | None = None
    note: Annotated[str, text(payments.NOTE_MAX)] | None = None


class PaymentChangeOut(Schema):
    status: str
    by_member_id: int | None
    at: datetime

    @staticmethod
    def resolve_by_member_id(change: Any) -> int | None:
        return change.by_id


class PaymentOut(Schema):
    id: int
    campaign_id: int
    creator_id: int
    amount: Decimal
    currency: str
    due_on: date | None
    note: str
    status: PaymentStatus
    created_at: datetime


class PaymentDetailOut(PaymentOut):
    history: list[PaymentChangeOut]


# --- Agreements ----------------------------------------------------------------------------


class AgreementIn(Input):
    creator_id: Id


class AgreementOut(Schema):
    id: int
    campaign_id: int
    creator_id: int
    status: str = Field(..., description=", ".join(Agreement.Status.values))
    sent_at: datetime
    signer_name: str
    signed_at: datetime | None


class AgreementDetailOut(AgreementOut):
    body: str = Field(..., description="The text as sent (frozen).")


# --- Products and gifts --------------------------------------------------------------------

ProductName = Annotated[str, nonblank(gifts.NAME_MAX)]
OptionText = Annotated[
    str, StringConstraints(min_length=1, max_length=gifts.OPTION_MAX, pattern=NON_BLANK)
]


class ProductIn(Input):
    name: ProductName
    options: list[OptionText] = Field(default_factory=list, max_length=gifts.OPTIONS_MAX)
    stock: StockCount | None = Field(None, description="Empty: no stock kept.")
    per_creator_limit: UpTo50 = 1


class ProductPatch(Input):
    name: ProductName | None = None
    options: list[OptionText] | None = Field(None, max_length=gifts.OPTIONS_MAX)
    stock: StockCount | None = None
    per_creator_limit: UpTo50 | None = None


class ProductOut(Schema):
    id: int
    campaign_id: int
    name: str
    options: list[str]
    stock: int | None
    per_creator_limit: int
    has_image: bool

    @staticmethod
    def resolve_has_image(product: Any) -> bool:
        return bool(product.image)


class GiftIn(Input):
    creator_id: Id
    limit: UpTo50 = Field(
        1, description="How many items of the catalogue the creator may pick in all."
    )


class GiftLineIn(Input):
    product_id: Id
    option: Annotated[str, text(gifts.OPTION_MAX)] = ""
    quantity: UpTo50 = 1


class GiftSelectionIn(Input):
    """What the creator picked, and where to ship it. What the catalogue refuses (an option
    it does not have, more than the offer or a product allows) is a 422 on `selection`;
    a product out of stock, or an offer answered already, a 409."""

    selection: list[GiftLineIn] = Field(..., min_length=1, max_length=gifts.LIMIT_MAX)
    shipping_address: Annotated[str, nonblank(gifts.ADDRESS_MAX)]


class GiftShipIn(Input):
    tracking_number: Annotated[str, nonblank(gifts.TRACKING_MAX)]


class GiftLineOut(Schema):
    product_id: int | None = None
    name: str = ""
    option: str = ""
    quantity: int = 1


class GiftOut(Schema):
    id: int
    campaign_id: int
    creator_id: int
    limit: int
    status: str = Field(..., description=", ".join(GiftOffer.Status.values))
    selection: list[GiftLineOut]
    shipping_address: str
    tracking_number: str
    updated_at: datetime


# --- A creator's assets --------------------------------------------------------------------


class CampaignAssetsOut(Schema):
    campaign_id: int
    campaign: str
    links: list[LinkOut]
    coupon_code: str | None
    payments: list[PaymentOut]
    agreements: list[AgreementOut]
    gift: GiftOut | None
