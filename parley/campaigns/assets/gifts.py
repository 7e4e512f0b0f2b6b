"""The campaign's product catalogue and gift offers.

A product has a name, an image (PNG, JPEG, GIF or WebP, checked by decoding it; at most
PARLEY_PRODUCT_IMAGE_MAX_BYTES), options (sizes, colours), stock (none kept when empty) and
how many of it one creator may pick. A gift offer lets a creator pick up to `limit` items
of the catalogue: offered → selected (what, which option, how many, and where to ship;
the stock goes down) → shipped (with a tracking number). The creator picks in the portal;
until it exists, the team records the pick they were told.
"""

from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import F
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from parley.accounts.models import Member
from parley.campaigns.assets.common import event_post, events_post_many, member_ids, membership_get
from parley.campaigns.models import Campaign, GiftOffer, Product
from parley.core.bidi import bidi_strip
from parley.core.errors import Conflict, ValidationFailed
from parley.core.files import filename_safe
from parley.creators.models import Creator
from parley.inbox.events import said

NAME_MAX = 200
OPTION_MAX = 60
OPTIONS_MAX = 50
LIMIT_MAX = 50
ADDRESS_MAX = 1000
TRACKING_MAX = 100
IMAGE_FORMATS = {"PNG": "png", "JPEG": "jpg", "GIF": "gif", "WEBP": "webp"}

TRANSITIONS: dict[str, set[str]] = {
    GiftOffer.Status.OFFERED: {GiftOffer.Status.SELECTED},
    GiftOffer.Status.SELECTED: {GiftOffer.Status.SHIPPED},
    GiftOffer.Status.SHIPPED: set(),
}


def image_max_bytes() -> int:
    return int(settings.PARLEY_PRODUCT_IMAGE_MAX_BYTES)


def image_check(upload: UploadedFile) -> str:
    """The image's file extension, or ValidationFailed saying what is wrong with it."""
    from PIL import Image, UnidentifiedImageError

    size = int(upload.size or 0)
    if size > image_max_bytes():
        raise ValidationFailed(
            {
                "image": [
                    _("The image is %(size)s; an image may be at most %(limit)s.")
                    % {"size": filesizeformat(size), "limit": filesizeformat(image_max_bytes())}
                ]
            }
        )
    if size == 0:
        raise ValidationFailed({"image": [_("The image file is empty.")]})
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            kind = image.format or ""
            image.verify()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as exc:
        raise ValidationFailed(
            {"image": [_("The file is not an image Parley can show (PNG, JPEG, GIF or WebP).")]}
        ) from exc
    finally:
        upload.seek(0)
    if kind not in IMAGE_FORMATS:
        raise ValidationFailed(
            {
                "image": [
                    _("Upload a PNG, JPEG, GIF or WebP image (this one is %(kind)s).")
                    % {"kind": kind or "?"}
                ]
            }
        )
    return IMAGE_FORMATS[kind]


def _clean_product(
    *, name: Any, options: Any, stock: Any, per_creator_limit: Any
) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}
    if name is not None:
        clean = " ".join(bidi_strip(str(name)).replace("\x00", "").split())
        if not clean or len(clean) > NAME_MAX:
            errors["name"] = [_("A product needs a name of at most 200 characters.")]
        out["name"] = clean
    if options is not None:
        if not isinstance(options, list | tuple) or not all(isinstance(o, str) for o in options):
            errors["options"] = [_("Options are a list of texts, e.g. S, M, L.")]
        else:
            cleaned = [" ".join(bidi_strip(o).replace("\x00", "").split()) for o in options]
            cleaned = list(dict.fromkeys(o for o in cleaned if o))
            if len(cleaned) > OPTIONS_MAX or any(len(o) > OPTION_MAX for o in cleaned):
                errors["options"] = [_("At most 50 options of at most 60 characters each.")]
            out["options"] = cleaned
    if stock is not ...:
        if stock is not None and (
            not isinstance(stock, int) or isinstance(stock, bool) or not 0 <= stock <= 1_000_000
        ):
            errors["stock"] = [_("Stock is a whole number from 0 to 1,000,000, or empty.")]
        out["stock"] = stock
    if per_creator_limit is not None:
        if (
            not isinstance(per_creator_limit, int)
            or isinstance(per_creator_limit, bool)
            or not 1 <= per_creator_limit <= LIMIT_MAX
        ):
            errors["per_creator_limit"] = [_("A creator may pick 1 to 50 of a product.")]
        out["per_creator_limit"] = per_creator_limit
    if errors:
        raise ValidationFailed(errors)
    return out


def product_create(
    *,
    campaign: Campaign,
    name: str,
    image: UploadedFile | None = None,
    options: Sequence[str] = (),
    stock: int | None = None,
    per_creator_limit: int = 1,
) -> Product:
    values = _clean_product(
        name=name, options=list(options), stock=stock, per_creator_limit=per_creator_limit
    )
    extension = image_check(image) if image is not None else ""
    product = Product(workspace_id=campaign.workspace_id, campaign=campaign, **values)
    if image is not None:
        stem = filename_safe(image.name or "product").rsplit(".", 1)[0]
        product.image.save(f"{stem}.{extension}", image, save=False)
    product.save()
    return product


def product_update(
    *,
    product: Product,
    name: str | None = None,
    image: UploadedFile | None = None,
    options: Sequence[str] | None = None,
    stock: Any = ...,
    per_creator_limit: int | None = None,
) -> Product:
    """Change what is given (stock: ... leaves it, None keeps no stock)."""
    values = _clean_product(
        name=name,
        options=list(options) if options is not None else None,
        stock=stock,
        per_creator_limit=per_creator_limit,
    )
    extension = image_check(image) if image is not None else ""
    for key, value in values.items():
        setattr(product, key, value)
    if image is not None:
        stem = filename_safe(image.name or "product").rsplit(".", 1)[0]
        product.image.save(f"{stem}.{extension}", image, save=False)
    product.save()
    return product


def product_delete(*, product: Product) -> None:
    """A product leaves the catalogue; gifts already picked keep their line (by name)."""
    product.delete()


# --- Offers --------------------------------------------------------------------------------


def _limit_clean(limit: Any) -> int:
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= LIMIT_MAX:
        raise ValidationFailed({"limit": [_("A creator may pick 1 to 50 items.")]})
    return limit


def _catalogue_check(campaign: Campaign) -> None:
    if not Product.objects.filter(campaign=campaign).exists():
        raise Conflict(
            {
                "products": [
                    _(
                        "%(campaign)s has no products to offer: add them to its catalogue in "
                        "the campaign's settings first."
                    )
                    % {"campaign": campaign.name}
                ]
            }
        )


def gift_offer(
    *, actor: Member | None, campaign: Campaign, creator: Creator, limit: int = 1
) -> GiftOffer:
    """Offer the catalogue to the creator, up to `limit` items. An offer the creator has not
    answered yet takes the new limit; one they have answered cannot be made again."""
    limit = _limit_clean(limit)
    membership_get(campaign=campaign, creator=creator)
    _catalogue_check(campaign)
    with transaction.atomic():
        offer, created = GiftOffer.objects.select_for_update().get_or_create(
            campaign=campaign,
            creator=creator,
            defaults={"workspace_id": campaign.workspace_id, "limit": limit},
        )
        if not created:
            if offer.status != GiftOffer.Status.OFFERED:
                raise Conflict(
                    {
                        "creator": [
                            _("%(name)s has %(status)s their gifts already.")
                            % {"name": creator.name, "status": offer.get_status_display().lower()}
                        ]
                    }
                )
            offer.limit = limit
            offer.save(update_fields=["limit", "updated_at"])
        event_post(
            campaign=campaign,
            creator=creator,
            actor=actor,
            text=said(gettext_noop("gifts offered: pick up to %(n)d"), n=limit),
        )
    return offer


def gift_offer_many(
    *, actor: Member | None, campaign: Campaign, creator_ids: Sequence[int], limit: int = 1
) -> int:
    """Offer the catalogue to many creators (the members tab); those with an offer already
    keep it. How many offers were made."""
    limit = _limit_clean(limit)
    _catalogue_check(campaign)
    ids = member_ids(campaign=campaign, creator_ids=creator_ids)
    with transaction.atomic():
        have = set(
            GiftOffer.objects.filter(campaign=campaign, creator_id__in=ids).values_list(
                "creator_id", flat=True
            )
        )
        new = [i for i in ids if i not in have]
        GiftOffer.objects.bulk_create(
            [
                GiftOffer(
                    workspace_id=campaign.workspace_id,
                    campaign=campaign,
                    creator_id=creator_id,
                    limit=limit,
                )
                for creator_id in new
            ],
            ignore_conflicts=True,
            batch_size=1000,
        )
        text = said(gettext_noop("gifts offered: pick up to %(n)d"), n=limit)
        events_post_many(campaign=campaign, texts=dict.fromkeys(new, text), actor=actor)
    return len(new)


def _wrong_transition(offer: GiftOffer, status: str) -> Conflict:
    if status == GiftOffer.Status.SHIPPED and offer.status == GiftOffer.Status.OFFERED:
        message = _("Nothing to ship yet: %(name)s has not picked their gifts.") % {
            "name": offer.creator.name
        }
    else:
        message = _("Gifts that are %(now)s cannot become %(new)s.") % {
            "now": offer.get_status_display().lower(),
            "new": GiftOffer.Status(status).label.lower(),
        }
    return Conflict({"status": [message]})


def gift_select(
    *,
    actor: Member | None,
    offer: GiftOffer,
    selection: Sequence[dict[str, Any]],
    shipping_address: str,
) -> GiftOffer:
    """What the creator picked: [{"product_id", "option", "quantity"}] within the offer's
    limit, each product's per-creator limit, its options and its stock (taken now), and
    where to ship. By the creator in the portal (actor None) or by the team for them."""
    address = "\n".join(
        " ".join(line.split()) for line in (shipping_address or "").replace("\x00", "").splitlines()
    ).strip()
    errors: dict[str, list[str]] = {}
    if not address or len(address) > ADDRESS_MAX:
        errors["shipping_address"] = [_("Enter the address to ship to (at most 1,000 characters).")]
    if not selection:
        errors["selection"] = [_("Pick at least one product.")]
    with transaction.atomic():
        locked = (
            GiftOffer.objects.select_for_update()
            .select_related("campaign", "creator")
            .get(id=offer.id)
        )
        if locked.status != GiftOffer.Status.OFFERED:
            raise _wrong_transition(locked, GiftOffer.Status.SELECTED)
        products = {p.id: p for p in Product.objects.filter(campaign_id=locked.campaign_id)}
        lines: list[dict[str, Any]] = []
        per_product: dict[int, int] = {}
        for i, item in enumerate(selection):
            product = products.get(item.get("product_id"))  # type: ignore[arg-type]
            quantity = item.get("quantity", 1)
            option = str(item.get("option") or "")
            if product is None:
                errors.setdefault("selection", []).append(
                    _("Item %(n)d: not a product of this campaign.") % {"n": i + 1}
                )
                continue
            if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
                errors.setdefault("selection", []).append(
                    _("Item %(n)d: the quantity is a whole number from 1.") % {"n": i + 1}
                )
                continue
            if product.options and option not in product.options:
                errors.setdefault("selection", []).append(
                    _("%(product)s: choose one of %(options)s.")
                    % {"product": product.name, "options": ", ".join(product.options)}
                )
                continue
            if not product.options:
                option = ""
            per_product[product.id] = per_product.get(product.id, 0) + quantity
            lines.append(
                {
                    "product_id": product.id,
                    "name": product.name,
                    "option": option,
                    "quantity": quantity,
                }
            )
        total = sum(line["quantity"] for line in lines)
        if total > locked.limit:
            errors.setdefault("selection", []).append(
                _("%(n)d items picked; the offer is for at most %(limit)d.")
                % {"n": total, "limit": locked.limit}
            )
        for product_id, n in per_product.items():
            product = products[product_id]
            if n > product.per_creator_limit:
                errors.setdefault("selection", []).append(
                    _("%(product)s: at most %(limit)d per creator.")
                    % {"product": product.name, "limit": product.per_creator_limit}
                )
        if errors:
            raise ValidationFailed(errors)
        for product_id, n in per_product.items():
            if products[product_id].stock is None:
                continue
            taken = Product.objects.filter(id=product_id, stock__gte=n).update(stock=F("stock") - n)
            if not taken:
                raise Conflict(
                    {
                        "selection": [
                            _("%(product)s is out of stock.")
                            % {"product": products[product_id].name}
                        ]
                    }
                )
        locked.selection = lines
        locked.shipping_address = address
        locked.status = GiftOffer.Status.SELECTED
        locked.save(update_fields=["selection", "shipping_address", "status", "updated_at"])
        event_post(
            campaign=locked.campaign,
            creator=locked.creator,
            actor=actor,
            text=said(gettext_noop("products selected: %(items)s"), items=selection_text(lines)),
        )
    return locked


def selection_text(lines: Sequence[dict[str, Any]]) -> str:
    return ", ".join(
        f"{line.get('name', '?')}{' (' + line['option'] + ')' if line.get('option') else ''}"
        f" x {line.get('quantity', 1)}"
        for line in lines
    )


def gift_ship(*, actor: Member | None, offer: GiftOffer, tracking_number: str) -> GiftOffer:
    """Selected → shipped, with the parcel's tracking number."""
    number = " ".join((tracking_number or "").replace("\x00", "").split())
    if not number or len(number) > TRACKING_MAX:
        raise ValidationFailed(
            {"tracking_number": [_("Enter the parcel's tracking number (at most 100 characters).")]}
        )
    with transaction.atomic():
        locked = (
            GiftOffer.objects.select_for_update()
            .select_related("campaign", "creator")
            .get(id=offer.id)
        )
        if GiftOffer.Status.SHIPPED not in TRANSITIONS[locked.status]:
            raise _wrong_transition(locked, GiftOffer.Status.SHIPPED)
        locked.status = GiftOffer.Status.SHIPPED
        locked.tracking_number = number
        locked.save(update_fields=["status", "tracking_number", "updated_at"])
        event_post(
            campaign=locked.campaign,
            creator=locked.creator,
            actor=actor,
            text=said(gettext_noop("gifts shipped, tracking number %(number)s"), number=number),
        )
    return locked
