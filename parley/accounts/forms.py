from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from parley.accounts.models import Member, SearchLanguage, Workspace
from parley.accounts.services import MAX_TOKEN_NAME, MAX_WORKSPACE_NAME, time_zone_names
from parley.core.forms import LongSelect


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
        widget=LongSelect,
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

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        current = str(self.initial.get("time_zone") or "")
        field = self.fields["time_zone"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(z, z.replace("_", " ")) for z in time_zone_names(current)]


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


class MemberInviteForm(forms.Form):
    """Invite a teammate. The address and the name are checked by member_invite (every
    problem at once, in words); no input has a maxlength, which a browser would cut a long
    paste to without a word."""

    email = forms.CharField(
        label=_("Email"),
        strip=False,
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
        help_text=_(
            "Someone with a Parley login is added at once; anyone else gets a link to choose "
            "a password."
        ),
    )
    name = forms.CharField(
        label=_("Name"),
        required=False,
        strip=False,
        help_text=_("Optional: how teammates see them. Left as is for an existing login."),
    )
    role = forms.ChoiceField(
        label=_("Role"),
        initial=Member.Role.MEMBER,
        help_text=_(
            "Admins invite and remove teammates and change the workspace's settings; owners "
            "can also make owners."
        ),
    )

    def __init__(self, *args: Any, roles: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = roles  # type: ignore[attr-defined]
