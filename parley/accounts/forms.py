from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from parley.accounts.models import SearchLanguage, Workspace
from parley.accounts.services import MAX_TOKEN_NAME, MAX_WORKSPACE_NAME, time_zone_names


class WorkspaceForm(forms.Form):
    name = forms.CharField(label=_("Workspace name"), max_length=MAX_WORKSPACE_NAME)
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=Workspace.Kind.choices,
        widget=forms.RadioSelect,
        help_text=_("An agency runs campaigns for several clients."),
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=lambda: [(z, z) for z in time_zone_names()],
        help_text=_(
            "Days begin and end in this time zone: daily sending limits count per calendar "
            "day here."
        ),
    )
    search_language = forms.ChoiceField(
        label=_("Search language"),
        choices=SearchLanguage.choices,
        help_text=_(
            "The language most messages are written in: message search then finds a word's "
            "other forms too (Verträge for Vertrag). Any language takes words as written."
        ),
    )


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Token name"),
        max_length=MAX_TOKEN_NAME,
        required=False,
        help_text=_("What uses it, e.g. “Zapier” or “CRM sync”: to know which to revoke."),
    )


class NotificationPreferencesForm(forms.Form):
    """Which kinds of notification a member gets in the app and which by email."""

    in_app = forms.MultipleChoiceField(
        label=_("In Parley"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Shown under the message icon in the header."),
    )
    email = forms.MultipleChoiceField(
        label=_("By email"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Sent to your login address as it happens."),
    )

    def __init__(self, *args: Any, kinds: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("in_app", "email"):
            self.fields[name].choices = kinds  # type: ignore[attr-defined]
