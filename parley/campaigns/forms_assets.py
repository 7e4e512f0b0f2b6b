"""Forms of the campaign actions, rendered through the shared form template (core.forms):
`{{ form }}` inside the action panel, the campaign settings and the bulk bar."""

from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from parley.campaigns.assets import coupons, gifts, links, payments
from parley.campaigns.assets.currencies import currency_codes, currency_names
from parley.campaigns.assets.delivery import NONE
from parley.campaigns.models import Product
from parley.channels.email.models import Mailbox
from parley.inbox.models import Channel

MESSAGE_MAX = 50_000
SUBJECT_MAX = 900


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented recipe)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data]
        return [single(data, initial)] if data else []


def _mailbox_choices(mailboxes: list[Mailbox]) -> list[tuple[str, str]]:
    return [("", "—")] + [(str(m.id), m.address) for m in mailboxes]


class AssetForm(forms.Form):
    """A campaign action's form. Its inputs' ids begin with the form's name: these forms
    share pages with others (the Settings tab's campaign details, the thread's message box),
    and a label must point at its own input."""

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("auto_id", f"{type(self).__name__.lower()}_%s")
        super().__init__(*args, **kwargs)


class _Delivery(AssetForm):
    """How the value reaches the creator: only made, by email (no portal account needed),
    or in-app; the message's text with the placeholder."""

    placeholder = ""
    channel = forms.ChoiceField(label=gettext_lazy("Send"), widget=forms.RadioSelect)
    mailbox = forms.ChoiceField(label=gettext_lazy("From"), required=False)
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=SUBJECT_MAX, required=False)
    body = forms.CharField(
        label=gettext_lazy("Message"),
        max_length=MESSAGE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args: Any, mailboxes: list[Mailbox], campaign_name: str, **kwargs: Any):
        default = next((m for m in mailboxes if m.is_default), mailboxes[0] if mailboxes else None)
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("channel", Channel.EMAIL if mailboxes else NONE)
        kwargs["initial"].setdefault("mailbox", str(default.id) if default else "")
        kwargs["initial"].setdefault("subject", campaign_name)
        super().__init__(*args, **kwargs)
        choices = [
            (NONE, _("Only make it (show it here, use it in a mass message)")),
            (Channel.EMAIL.value, _("By email")),
            (Channel.INAPP.value, _("In-app")),
        ]
        if not mailboxes:
            choices[1] = (Channel.EMAIL.value, _("By email (connect a mailbox first)"))
        cast(forms.ChoiceField, self.fields["channel"]).choices = choices
        cast(forms.ChoiceField, self.fields["mailbox"]).choices = _mailbox_choices(mailboxes)
        self.fields["body"].help_text = _("%(placeholder)s is replaced by the value.") % {
            "placeholder": self.placeholder
        }
        self.mailboxes = {m.id: m for m in mailboxes}

    def mailbox_obj(self) -> Mailbox | None:
        raw = self.cleaned_data.get("mailbox") or ""
        return self.mailboxes.get(int(raw)) if raw.isdigit() else None


class LinkForm(_Delivery):
    placeholder = "{link}"
    destination = forms.CharField(
        label=gettext_lazy("Leads to"),
        max_length=links.DESTINATION_MAX,
        help_text=gettext_lazy("An http:// or https:// address, e.g. https://shop.example/spring."),
        widget=forms.TextInput(attrs={"placeholder": "https://"}),
    )
    field_order = ["destination", "channel", "mailbox", "subject", "body"]

    def __init__(self, *args: Any, first_name: str = "", **kwargs: Any):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault(
            "body",
            _("Hi %(name)s, here is your personal link: {link}") % {"name": first_name},
        )
        super().__init__(*args, **kwargs)


class CouponForm(_Delivery):
    placeholder = "{code}"

    def __init__(self, *args: Any, first_name: str = "", **kwargs: Any):
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault(
            "body", _("Hi %(name)s, here is your coupon code: {code}") % {"name": first_name}
        )
        super().__init__(*args, **kwargs)


class FileForm(AssetForm):
    attachments = MultipleFileField(label=gettext_lazy("Files"))
    channel = forms.ChoiceField(label=gettext_lazy("Send"), widget=forms.RadioSelect)
    mailbox = forms.ChoiceField(label=gettext_lazy("From"), required=False)
    subject = forms.CharField(label=gettext_lazy("Subject"), max_length=SUBJECT_MAX, required=False)
    body = forms.CharField(
        label=gettext_lazy("Message"),
        max_length=MESSAGE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, mailboxes: list[Mailbox], campaign_name: str, **kwargs: Any):
        default = next((m for m in mailboxes if m.is_default), mailboxes[0] if mailboxes else None)
        kwargs.setdefault("initial", {})
        kwargs["initial"].setdefault("channel", Channel.EMAIL if mailboxes else Channel.INAPP)
        kwargs["initial"].setdefault("mailbox", str(default.id) if default else "")
        kwargs["initial"].setdefault("subject", campaign_name)
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["channel"]).choices = [
            (Channel.EMAIL.value, _("By email")),
            (Channel.INAPP.value, _("In-app")),
        ]
        cast(forms.ChoiceField, self.fields["mailbox"]).choices = _mailbox_choices(mailboxes)
        self.fields["attachments"].help_text = _("Up to 10 files, each at most %(size)s.") % {
            "size": _size(),
        }
        self.mailboxes = {m.id: m for m in mailboxes}

    mailbox_obj = _Delivery.mailbox_obj


def _size() -> str:
    from django.template.defaultfilters import filesizeformat

    from parley.campaigns.assets.files import file_max_bytes

    return str(filesizeformat(file_max_bytes()))


class PaymentForm(AssetForm):
    amount = forms.CharField(
        label=gettext_lazy("Amount"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "decimal", "placeholder": "250.00"}),
    )
    currency = forms.ChoiceField(label=gettext_lazy("Currency"))
    due_on = forms.DateField(
        label=gettext_lazy("Due"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=payments.NOTE_MAX, required=False)

    def __init__(self, *args: Any, **kwargs: Any):
        kwargs.setdefault("initial", {}).setdefault("currency", "EUR")
        super().__init__(*args, **kwargs)
        names = currency_names()
        cast(forms.ChoiceField, self.fields["currency"]).choices = [
            (c, f"{c} · {names[c]}") for c in currency_codes()
        ]

    def clean_amount(self) -> Any:
        from parley.core.errors import ValidationFailed

        try:
            return payments.amount_clean(self.cleaned_data["amount"])
        except ValidationFailed as exc:
            raise ValidationError(exc.errors["amount"]) from exc


class AgreementForm(AssetForm):
    """Nothing to fill in: the agreement is the campaign's template, shown above."""


class GiftOfferForm(AssetForm):
    limit = forms.IntegerField(
        label=gettext_lazy("Items to pick"),
        min_value=1,
        max_value=gifts.LIMIT_MAX,
        initial=1,
        help_text=gettext_lazy("How many items of the catalogue the creator may pick in all."),
    )


class GiftShipForm(AssetForm):
    tracking_number = forms.CharField(
        label=gettext_lazy("Tracking number"), max_length=gifts.TRACKING_MAX
    )


class GiftSelectionForm(AssetForm):
    """What the creator picked, as they told the team: a quantity (and option) per product,
    and the shipping address."""

    shipping_address = forms.CharField(
        label=gettext_lazy("Ship to"),
        max_length=gifts.ADDRESS_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, products: list[Product], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.products = products
        for product in products:
            self.fields[f"quantity_{product.id}"] = forms.IntegerField(
                label=product.name,
                min_value=0,
                max_value=gifts.LIMIT_MAX,
                required=False,
                initial=0,
            )
            if product.options:
                self.fields[f"option_{product.id}"] = forms.ChoiceField(
                    label=_("%(product)s: option") % {"product": product.name},
                    choices=[("", "—")] + [(o, o) for o in product.options],
                    required=False,
                )
        self.order_fields(
            [*(f for f in self.fields if f != "shipping_address"), "shipping_address"]
        )

    def selection(self) -> list[dict[str, Any]]:
        data = self.cleaned_data
        return [
            {
                "product_id": p.id,
                "quantity": data.get(f"quantity_{p.id}") or 0,
                "option": data.get(f"option_{p.id}") or "",
            }
            for p in self.products
            if data.get(f"quantity_{p.id}")
        ]


# --- Campaign settings: catalogue and coupon pool -------------------------------------------


class ProductForm(AssetForm):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=gifts.NAME_MAX)
    image = forms.FileField(
        label=gettext_lazy("Image"),
        required=False,
        help_text=gettext_lazy("PNG, JPEG, GIF or WebP."),
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}
        ),
    )
    options = forms.CharField(
        label=gettext_lazy("Options"),
        max_length=4000,
        required=False,
        help_text=gettext_lazy("Sizes or colours, separated by commas: S, M, L."),
    )
    stock = forms.IntegerField(
        label=gettext_lazy("Stock"),
        min_value=0,
        max_value=1_000_000,
        required=False,
        help_text=gettext_lazy("Empty: no stock kept."),
    )
    per_creator_limit = forms.IntegerField(
        label=gettext_lazy("Per creator"),
        min_value=1,
        max_value=gifts.LIMIT_MAX,
        initial=1,
        help_text=gettext_lazy("How many of it one creator may pick."),
    )

    def option_list(self) -> list[str]:
        return [o.strip() for o in (self.cleaned_data.get("options") or "").split(",") if o.strip()]


class CouponPasteForm(AssetForm):
    codes = forms.CharField(
        label=gettext_lazy("Codes"),
        max_length=1_000_000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=gettext_lazy("One code a line."),
    )


class CouponCsvForm(AssetForm):
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=gettext_lazy("The column headed “code”, or the first column."),
    )


class CouponGenerateForm(AssetForm):
    pattern = forms.CharField(
        label=gettext_lazy("Pattern"),
        max_length=coupons.PATTERN_MAX,
        initial="SPRING-####",
        help_text=gettext_lazy("# is a random digit, ? a random letter or digit."),
    )
    count = forms.IntegerField(
        label=gettext_lazy("How many"), min_value=1, max_value=10_000, initial=100
    )


class BulkAssetForm(AssetForm):
    """A campaign action for many creators at once (the members tab, the inbox bulk bar)."""

    asset = forms.ChoiceField(label=gettext_lazy("Action"))
    destination = forms.CharField(
        label=gettext_lazy("Link leads to"),
        max_length=links.DESTINATION_MAX,
        required=False,
        # Shown only with its action (app.js: data-shown-with).
        widget=forms.TextInput(attrs={"placeholder": "https://", "data-shown-with": "asset=link"}),
    )
    limit = forms.IntegerField(
        label=gettext_lazy("Items to pick"),
        min_value=1,
        max_value=gifts.LIMIT_MAX,
        required=False,
        widget=forms.NumberInput(attrs={"data-shown-with": "asset=gift"}),
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["asset"]).choices = [
            ("link", _("Create tracking links")),
            ("code", _("Give coupon codes")),
            ("gift", _("Offer gifts")),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("asset") == "link" and not data.get("destination"):
            raise ValidationError({"destination": _("Enter the web address the links lead to.")})
        if data.get("asset") == "gift" and not data.get("limit"):
            raise ValidationError({"limit": _("How many items may each creator pick?")})
        return data
