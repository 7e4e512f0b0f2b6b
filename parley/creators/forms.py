"""Forms of the Creators pages, rendered through the shared form template (core.forms)."""

from typing import Any

import phonenumbers
from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from parley.creators import csvio
from parley.creators.models import Creator
from parley.creators.services import MAX_FIELD_NAME, MAX_FIELD_VALUE, MAX_FIRST_NAME, MAX_NAME

_SEVERAL = gettext_lazy("Separate several with commas.")


def region_choices() -> list[tuple[str, str]]:
    """Countries for numbers written without +country code, by calling code."""
    choices = [
        (region, f"{region} (+{phonenumbers.country_code_for_region(region)})")
        for region in sorted(phonenumbers.SUPPORTED_REGIONS)
    ]
    return [("", _("None: numbers have +country code")), *choices]


class CreatorForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=MAX_NAME)
    first_name = forms.CharField(
        label=gettext_lazy("First name"),
        max_length=MAX_FIRST_NAME,
        required=False,
        help_text=gettext_lazy("For personal fields in messages; the name's first word if empty."),
    )
    emails = forms.CharField(
        label=gettext_lazy("Emails"), required=False, max_length=2000, help_text=_SEVERAL
    )
    phones = forms.CharField(
        label=gettext_lazy("Phones"),
        required=False,
        max_length=500,
        help_text=gettext_lazy("In international form, e.g. +358 40 123 4567."),
    )
    instagram = forms.CharField(label="Instagram", required=False, max_length=500)
    tiktok = forms.CharField(label="TikTok", required=False, max_length=500)
    youtube = forms.CharField(label="YouTube", required=False, max_length=500)
    twitter = forms.CharField(label="X / Twitter", required=False, max_length=500)
    followers = forms.IntegerField(
        label=gettext_lazy("Followers"), required=False, min_value=0, max_value=csvio.MAX_FOLLOWERS
    )
    tags = forms.CharField(
        label=gettext_lazy("Tags"), required=False, max_length=2000, help_text=_SEVERAL
    )
    custom_fields = forms.CharField(
        label=gettext_lazy("Custom fields"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("One per line: name: value (e.g. Size: M)."),
    )
    preferred_channel = forms.ChoiceField(
        label=gettext_lazy("Preferred channel"),
        choices=Creator.Channel.choices,
        initial=Creator.Channel.EMAIL,
    )

    def clean_custom_fields(self) -> dict[str, str]:
        fields: dict[str, str] = {}
        for line in self.cleaned_data["custom_fields"].splitlines():
            if not line.strip():
                continue
            key, sep, value = line.partition(":")
            if not sep or not key.strip():
                raise forms.ValidationError(_("Write each field as name: value."))
            if len(key.strip()) > MAX_FIELD_NAME or len(value.strip()) > MAX_FIELD_VALUE:
                raise forms.ValidationError(
                    _("Field names are 1 to 60 characters, values at most 1,000.")
                )
            fields[key.strip()] = value.strip()
        return fields


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("CSV file"),
        help_text=gettext_lazy(
            "UTF-8, with a header line; columns separated by commas or semicolons."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    phone_region = forms.ChoiceField(
        label=gettext_lazy("Country of phone numbers"),
        required=False,
        choices=region_choices,
        help_text=gettext_lazy("For numbers written without +country code."),
    )


class ColumnWidget(forms.MultiWidget):
    """A column's target (a select) and, for a custom field, its name (a text input)."""

    def __init__(self, attrs: dict[str, Any] | None = None):
        super().__init__(
            [
                forms.Select(choices=csvio.target_choices()),
                forms.TextInput(attrs={"placeholder": _("Field name"), "maxlength": 60}),
            ],
            attrs,
        )

    def decompress(self, value: str | None) -> list[str]:
        value = value or ""
        if value.startswith(csvio.CUSTOM_PREFIX):
            return ["custom", value[len(csvio.CUSTOM_PREFIX) :]]
        return [value, ""]


class ColumnField(forms.MultiValueField):
    widget = ColumnWidget

    def __init__(self, **kwargs: Any):
        fields = (
            forms.ChoiceField(choices=csvio.target_choices(), required=False),
            forms.CharField(required=False, max_length=MAX_FIELD_NAME),
        )
        super().__init__(fields, require_all_fields=False, required=False, **kwargs)

    def compress(self, data_list: list[str]) -> str:
        if not data_list:
            return ""
        target, name = data_list[0] or "", (data_list[1] or "").strip()
        if target == "custom":
            return csvio.CUSTOM_PREFIX + name
        return target


class MappingForm(forms.Form):
    """One row per column of the file: what it becomes, its first values as help."""

    phone_region = forms.ChoiceField(
        label=gettext_lazy("Country of phone numbers"),
        required=False,
        choices=region_choices,
        help_text=gettext_lazy("For numbers written without +country code."),
    )

    def __init__(self, *args: Any, headers: list[str], samples: list[list[str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        for index, header in enumerate(headers):
            values = [row[index] for row in samples if index < len(row) and row[index].strip()]
            example = ", ".join(v[:40] for v in values[:3])
            self.fields[f"col_{index}"] = ColumnField(
                label=header or _("Column %(n)d") % {"n": index + 1},
                help_text=_("e.g. %(values)s") % {"values": example} if example else "",
            )
        self.fields["phone_region"] = self.fields.pop("phone_region")

    def mapping(self) -> dict[str, str]:
        return {
            name.removeprefix("col_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("col_")
        }
