"""Forms of the Creators pages, rendered through the shared form template (core.forms)."""

from typing import Any

import phonenumbers
from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from parley.core.bidi import bidi_strip
from parley.core.errors import ValidationFailed
from parley.creators import csvio
from parley.creators.models import Creator, Identity
from parley.creators.normalize import MAX_VALUE, identity_normalize, phone_e164
from parley.creators.services import (
    MAX_CUSTOM_FIELDS,
    MAX_FIELD_NAME,
    MAX_FIELD_VALUE,
    MAX_FIRST_NAME,
    MAX_IDENTITIES,
    MAX_NAME,
    MAX_TAG,
)

_SEVERAL = gettext_lazy("Separate several with commas.")


def region_choices() -> list[tuple[str, str]]:
    """Countries for numbers written without +country code, by calling code."""
    choices = [
        (region, f"{region} (+{phonenumbers.country_code_for_region(region)})")
        for region in sorted(phonenumbers.SUPPORTED_REGIONS)
    ]
    return [("", _("None: numbers have +country code")), *choices]


def _shown(value: str) -> str:
    """A value as an error message quotes it: at most its first 60 characters."""
    value = value.strip()
    return value if len(value) <= 60 else value[:60] + "…"


# The fields that hold emails, phones and handles, and the kind of identity each holds.
IDENTITY_FIELDS: list[tuple[str, str]] = [
    ("emails", Identity.Kind.EMAIL),
    ("phones", Identity.Kind.PHONE),
    *[(kind, kind) for kind in csvio.PLATFORMS],
]


def _identity(kind: str, value: str) -> tuple[str, str]:
    """(value as stored, normalized) of one email, phone or handle; ValidationFailed says
    what is wrong with it (creator_add checks the same)."""
    if kind == Identity.Kind.PHONE:
        value = phone_e164(value)
    elif kind == Identity.Kind.EMAIL:
        if len(bidi_strip(value).strip()) > MAX_VALUE:
            message = _("An email address is at most %(n)d characters.") % {"n": MAX_VALUE}
            raise ValidationFailed({"value": [message]})
    else:
        value = csvio.handle_from(kind, value)
    return value, identity_normalize(kind, value)


class CreatorForm(forms.Form):
    """Add a creator by hand. One submit reports every problem, each on its field ("get
    every problem at once"): the limits of creator_add (a name of 160 characters, 20
    emails, phones and handles, tags of 60, ...) are checked here too, since the view
    calls it only once the form is valid, and the identities are checked even when
    another field has an error. No input has a maxlength: a browser cuts a longer paste
    to it without a word (a 5,000-character name was saved as its first 160); the server
    refuses it and says why instead. `cleaned_data["identities"]` holds (kind, value,
    normalized) of each valid email, phone and handle, once each; the view points out
    the ones another creator has."""

    name = forms.CharField(label=gettext_lazy("Name"))
    first_name = forms.CharField(
        label=gettext_lazy("First name"),
        required=False,
        help_text=gettext_lazy("For personal fields in messages; the name's first word if empty."),
    )
    emails = forms.CharField(label=gettext_lazy("Emails"), required=False, help_text=_SEVERAL)
    phones = forms.CharField(
        label=gettext_lazy("Phones"),
        required=False,
        help_text=gettext_lazy("In international form, e.g. +358 40 123 4567."),
    )
    instagram = forms.CharField(label="Instagram", required=False)
    tiktok = forms.CharField(label="TikTok", required=False)
    youtube = forms.CharField(label="YouTube", required=False)
    twitter = forms.CharField(label="X / Twitter", required=False)
    followers = forms.IntegerField(
        label=gettext_lazy("Followers"), required=False, min_value=0, max_value=csvio.MAX_FOLLOWERS
    )
    tags = forms.CharField(label=gettext_lazy("Tags"), required=False, help_text=_SEVERAL)
    custom_fields = forms.CharField(
        label=gettext_lazy("Custom fields"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("One per line: name: value (e.g. Size: M)."),
    )
    preferred_channel = forms.ChoiceField(
        label=gettext_lazy("Preferred channel"),
        choices=Creator.Channel.choices,
        initial=Creator.Channel.EMAIL,
    )

    def clean_name(self) -> str:
        # As creator_create takes it: without bidirectional controls (core.bidi).
        name = bidi_strip(self.cleaned_data["name"]).strip()
        if not name:
            raise forms.ValidationError(self.fields["name"].error_messages["required"])
        if len(name) > MAX_NAME:
            raise forms.ValidationError(_("A name is at most %(n)d characters.") % {"n": MAX_NAME})
        return name

    def clean_first_name(self) -> str:
        first_name: str = self.cleaned_data["first_name"]
        if len(first_name) > MAX_FIRST_NAME:
            raise forms.ValidationError(
                _("A first name is at most %(n)d characters.") % {"n": MAX_FIRST_NAME}
            )
        return first_name

    def clean_tags(self) -> list[str]:
        # As tag_get_or_create takes them: without bidirectional controls, once each.
        tags = csvio.split_tight(bidi_strip(self.cleaned_data["tags"]))
        tags = list(dict.fromkeys(t.strip() for t in tags if t.strip()))
        limit = csvio.MAX_TAGS_PER_ROW
        errors = [
            f"{_shown(tag)}: " + _("A tag is at most %(n)d characters.") % {"n": MAX_TAG}
            for tag in tags[:limit]
            if len(tag) > MAX_TAG
        ]
        if len(tags) > limit:
            errors.append(_("At most %(n)d tags at once.") % {"n": limit})
        if errors:
            raise forms.ValidationError(errors)
        return tags

    def clean_custom_fields(self) -> dict[str, str]:
        fields: dict[str, str] = {}
        errors: list[str] = []  # one a bad line
        for number, line in enumerate(self.cleaned_data["custom_fields"].splitlines(), 1):
            if not line.strip():
                continue
            key, sep, value = line.partition(":")
            if not sep or not key.strip():
                error = _("Write each field as name: value.")
            elif len(key.strip()) > MAX_FIELD_NAME or len(value.strip()) > MAX_FIELD_VALUE:
                error = _("Field names are 1 to 60 characters, values at most 1,000.")
            else:
                fields[key.strip()] = value.strip()
                continue
            errors.append(_("Line %(line)d: %(error)s") % {"line": number, "error": error})
        # A paste of many bad lines is told about its first ones.
        errors = errors[:MAX_CUSTOM_FIELDS]
        # An empty value adds no field (creator_create leaves it out).
        if sum(1 for value in fields.values() if value) > MAX_CUSTOM_FIELDS:
            errors.append(_("At most 50 custom fields."))
        if errors:
            raise forms.ValidationError(errors)
        return fields

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        found: dict[tuple[str, str], tuple[str, str, str]] = {}
        entered = 0  # distinct values, valid or not: what creator_add would be given
        for name, kind in IDENTITY_FIELDS:
            raw = data.get(name) or ""
            split = csvio.split_tight if kind == Identity.Kind.PHONE else csvio.split_loose
            values = list(dict.fromkeys(split(raw)))
            # Past the limit the count is the problem: the values after it are not checked.
            entered += max(0, len(values) - MAX_IDENTITIES)
            for value in values[:MAX_IDENTITIES]:
                try:
                    stored, normalized = _identity(kind, value)
                except ValidationFailed as exc:
                    entered += 1
                    for messages in exc.errors.values():
                        for message in messages:
                            self.add_error(name, f"{_shown(value)}: {message}")
                else:
                    entered += (kind, normalized) not in found
                    found.setdefault((kind, normalized), (kind, stored, normalized))
        if entered > MAX_IDENTITIES:
            self.add_error(
                None,
                _("At most %(n)d emails, phones and handles at once.") % {"n": MAX_IDENTITIES},
            )
        data["identities"] = list(found.values())
        return data


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
                forms.TextInput(attrs={"placeholder": _("Field name")}),
            ],
            attrs,
        )

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        # The name is asked for only when the column goes to a custom field (app.js).
        context["widget"]["subwidgets"][1]["attrs"]["data-shown-with"] = f"{name}_0=custom"
        return context

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
