"""Payments to a creator in a campaign: amount (a Decimal above zero, at most two decimals),
an ISO 4217 currency, a due date and a note; status pending → paid or cancelled (both
final), every change kept with who made it and when. A payment needs the creator to have a
portal account (they follow it there)."""

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from parley.accounts.models import Member
from parley.campaigns.assets import portal
from parley.campaigns.assets.common import event_post, membership_get
from parley.campaigns.assets.currencies import is_currency
from parley.campaigns.models import Campaign, Payment, PaymentChange
from parley.core.errors import Conflict, ValidationFailed
from parley.creators.models import Creator
from parley.inbox.events import said, said_lower

AMOUNT_MAX = Decimal("9999999999.99")  # the column: 12 digits, 2 of them decimals
NOTE_MAX = 500
CENT = Decimal("0.01")

# From a status, the ones it may change to.
TRANSITIONS: dict[str, set[str]] = {
    Payment.Status.PENDING: {Payment.Status.PAID, Payment.Status.CANCELLED},
    Payment.Status.PAID: set(),
    Payment.Status.CANCELLED: set(),
}


def amount_clean(value: Any) -> Decimal:
    """A payment amount: above zero, at most two decimals, at most 9,999,999,999.99."""
    error = ValidationFailed(
        {"amount": [_("Enter an amount above zero with at most two decimals, e.g. 250.00.")]}
    )
    if isinstance(value, bool | float):
        raise error
    try:
        amount = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError) as exc:
        raise error from exc
    if (
        not amount.is_finite()
        or amount <= 0
        or amount != amount.quantize(CENT, rounding="ROUND_DOWN")
    ):
        raise error
    if amount > AMOUNT_MAX:
        raise ValidationFailed({"amount": [_("An amount is at most 9,999,999,999.99.")]})
    return amount.quantize(CENT)


def currency_clean(value: str) -> str:
    code = (value or "").strip().upper()
    if not is_currency(code):
        raise ValidationFailed(
            {"currency": [_("Enter a currency's ISO 4217 code, e.g. EUR, USD or SEK.")]}
        )
    return code


def note_clean(value: str) -> str:
    note = " ".join((value or "").replace("\x00", "").split())
    if len(note) > NOTE_MAX:
        raise ValidationFailed({"note": [_("A note is at most 500 characters.")]})
    return note


def _needs_portal(creator: Creator) -> None:
    if not portal.creator_has_portal(creator=creator):
        raise Conflict(
            {"creator": [portal.portal_required_message(creator=creator, what=_("payments"))]}
        )


def payment_text(payment: Payment) -> str:
    return f"{payment.amount} {payment.currency}"


def payment_create(
    *,
    actor: Member | None,
    campaign: Campaign,
    creator: Creator,
    amount: Any,
    currency: str,
    due_on: date | None = None,
    note: str = "",
) -> Payment:
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    for name, clean, raw in (
        ("amount", amount_clean, amount),
        ("currency", currency_clean, currency),
        ("note", note_clean, note),
    ):
        try:
            values[name] = clean(raw)
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    membership_get(campaign=campaign, creator=creator)
    _needs_portal(creator)
    with transaction.atomic():
        payment = Payment.objects.create(
            workspace_id=campaign.workspace_id,
            campaign=campaign,
            creator=creator,
            amount=values["amount"],
            currency=values["currency"],
            due_on=due_on,
            note=values["note"],
            created_by=actor,
        )
        PaymentChange.objects.create(
            payment=payment, status=payment.status, by=actor, at=timezone.now()
        )
        event_post(
            campaign=campaign,
            creator=creator,
            actor=actor,
            text=(
                said(
                    gettext_noop("payment of %(amount)s due %(due)s"),
                    amount=payment_text(payment),
                    due=due_on.isoformat(),
                )
                if due_on
                else said(gettext_noop("payment of %(amount)s"), amount=payment_text(payment))
            ),
        )
    return payment


def payment_update(*, payment: Payment, due_on: Any = ..., note: str | None = None) -> Payment:
    """Change the due date or the note of a pending payment."""
    fields = []
    if note is not None:
        payment.note = note_clean(note)
        fields.append("note")
    if due_on is not ...:
        payment.due_on = due_on
        fields.append("due_on")
    if fields and payment.status != Payment.Status.PENDING:
        raise Conflict(
            {
                "status": [
                    _("Only a pending payment can be changed; this one is %(status)s.")
                    % {"status": payment.get_status_display().lower()}
                ]
            }
        )
    if fields:
        payment.save(update_fields=fields)
    return payment


def payment_set_status(*, actor: Member | None, payment: Payment, status: str) -> Payment:
    """Pending → paid or cancelled; anything else is refused with a clear message."""
    if status not in Payment.Status.values:
        raise ValidationFailed({"status": [_("Choose pending, paid or cancelled.")]})
    with transaction.atomic():
        locked = (
            Payment.objects.select_for_update()
            .select_related("campaign", "creator")
            .get(id=payment.id)
        )
        if status not in TRANSITIONS[locked.status]:
            raise Conflict(
                {
                    "status": [
                        _("A %(now)s payment cannot be marked %(new)s.")
                        % {
                            "now": locked.get_status_display().lower(),
                            "new": Payment.Status(status).label.lower(),
                        }
                    ]
                }
            )
        locked.status = status
        locked.save(update_fields=["status"])
        PaymentChange.objects.create(payment=locked, status=status, by=actor, at=timezone.now())
        event_post(
            campaign=locked.campaign,
            creator=locked.creator,
            actor=actor,
            text=said(
                gettext_noop("payment of %(amount)s marked %(status)s"),
                amount=payment_text(locked),
                status=said_lower(Payment.Status(status).label),
            ),
        )
    payment.status = status
    return locked
