from django import forms
from django.utils.translation import gettext_lazy as _

from parley.accounts.models import Workspace
from parley.accounts.services import MAX_WORKSPACE_NAME, time_zone_names


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
