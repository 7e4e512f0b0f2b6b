"""The portal's forms, rendered through the shared form template (forms/card.html)."""

from typing import Any

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from parley.campaigns.models import Product
from parley.portal.content import NOTE_MAX, URL_MAX
from parley.portal.services import EMAIL_MAX, NAME_MAX, REPLY_MAX

ADDRESS_MAX = 1000
COMMENT_MAX = 5000


class SignInForm(forms.Form):
    email = forms.EmailField(
        label=gettext_lazy("Your email address"),
        max_length=EMAIL_MAX,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
    )


class ReplyForm(forms.Form):
    body = forms.CharField(
        label=gettext_lazy("Message"),
        max_length=REPLY_MAX,
        strip=True,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ApplyForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Your name"), max_length=NAME_MAX)
    email = forms.EmailField(label=gettext_lazy("Your email address"), max_length=EMAIL_MAX)
    note = forms.CharField(
        label=gettext_lazy("Why you (optional)"),
        max_length=NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class ApplySignedInForm(forms.Form):
    note = ApplyForm.base_fields["note"]


class SignForm(forms.Form):
    signer_name = forms.CharField(
        label=gettext_lazy("Your full name"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    consent = forms.BooleanField(
        label=gettext_lazy("I have read the agreement and sign it electronically."),
    )


class GiftForm(forms.Form):
    """How many of each product, which option, and where to ship."""

    shipping_address = forms.CharField(
        label=gettext_lazy("Shipping address"),
        max_length=ADDRESS_MAX,
        widget=forms.Textarea(attrs={"rows": 4, "autocomplete": "shipping street-address"}),
    )

    def __init__(self, *args: Any, products: list[Product], limit: int, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.products = products
        fields: dict[str, forms.Field] = {}
        for p in products:
            fields[f"qty_{p.id}"] = forms.IntegerField(
                label=p.name,
                min_value=0,
                max_value=min(p.per_creator_limit, limit),
                required=False,
                initial=0,
                help_text=_("Up to %(n)d") % {"n": min(p.per_creator_limit, limit)},
            )
            if p.options:
                fields[f"option_{p.id}"] = forms.ChoiceField(
                    label=_("%(product)s: option") % {"product": p.name},
                    choices=[(o, o) for o in p.options],
                    required=False,
                )
        self.fields = {**fields, **self.fields}

    def selection(self) -> list[dict[str, Any]]:
        data = self.cleaned_data
        return [
            {
                "product_id": p.id,
                "quantity": data[f"qty_{p.id}"],
                "option": data.get(f"option_{p.id}") or "",
            }
            for p in self.products
            if data.get(f"qty_{p.id}")
        ]


class ContentForm(forms.Form):
    url = forms.CharField(
        label=gettext_lazy("Link to the content"),
        max_length=URL_MAX,
        required=False,
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )
    file = forms.FileField(
        label=gettext_lazy("Or a file"), required=False, max_length=255, allow_empty_file=True
    )
    note = forms.CharField(
        label=gettext_lazy("Note (optional)"),
        max_length=NOTE_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        choices=[
            ("approve", gettext_lazy("Approve")),
            ("changes", gettext_lazy("Request changes")),
        ],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=gettext_lazy("Comment to the creator"),
        max_length=COMMENT_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=gettext_lazy("Required when asking for changes; sent to the creator in-app."),
    )
