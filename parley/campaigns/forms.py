"""Forms of the Campaigns pages, rendered through the shared form template (core.forms).
They check form only (lengths, dates, choices); the services check everything else and
their errors land on these fields (core.views.apply_errors)."""

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from parley.accounts.models import Client
from parley.broadcasts.fields import MAX_TEMPLATE
from parley.campaigns.models import Campaign, CampaignEmailTemplate
from parley.campaigns.services import MAX_BRIEF, MAX_NAME, MAX_SUBJECT, MAX_TERMS

FIELDS_HELP = _(
    "Personal fields go in double braces: {{ first_name }}, {{ name }}, {{ handle }}, "
    "{{ email }}, {{ campaign }}, {{ custom.size }}."
)


class CampaignForm(forms.Form):
    """Create, and the Settings tab's "Campaign" card."""

    section = forms.CharField(widget=forms.HiddenInput, initial="details", required=False)
    name = forms.CharField(label=_("Name"), max_length=MAX_NAME)
    client = forms.TypedChoiceField(
        label=_("Client"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_("The brand this campaign is run for, when you are an agency."),
    )
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[
            (Campaign.Status.DRAFT, _("Draft: being prepared")),
            (Campaign.Status.ACTIVE, _("Active")),
        ],
        initial=Campaign.Status.ACTIVE,
        widget=forms.RadioSelect,
    )
    starts_on = forms.DateField(
        label=_("Starts"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    ends_on = forms.DateField(
        label=_("Ends"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    brief = forms.CharField(
        label=_("Brief"),
        required=False,
        max_length=MAX_BRIEF,
        widget=forms.Textarea(attrs={"rows": 8, "data-rich": "1"}),
        help_text=_(
            "What the campaign is about and what you ask of creators. "
            "Bold, italic, lists and links are kept."
        ),
    )
    payment_terms = forms.CharField(
        label=_("Payment terms"),
        required=False,
        max_length=MAX_TERMS,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("E.g. 250 EUR per post, paid within 30 days of the content going live."),
    )

    def __init__(self, *args: Any, clients: list[Client], archived: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["client"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", _("No client")), *((c.id, c.name) for c in clients)]
        # The editor's buttons (campaigns/editor.js), in the page's language.
        self.fields["brief"].widget.attrs.update(
            {
                "data-label-bold": _("Bold"),
                "data-label-italic": _("Italic"),
                "data-label-list": _("Bulleted list"),
                "data-label-numbered": _("Numbered list"),
                "data-label-link": _("Link"),
                "data-label-link-prompt": _("Link address (https://…)"),
            }
        )
        if archived:
            # An archived campaign is restored with its own button, not here.
            del self.fields["status"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("starts_on"), data.get("ends_on")
        if starts and ends and ends < starts:
            self.add_error("ends_on", _("The campaign cannot end before it starts."))
        return data


class AgreementForm(forms.Form):
    section = forms.CharField(widget=forms.HiddenInput, initial="agreement", required=False)
    agreement_template = forms.CharField(
        label=_("Agreement template"),
        required=False,
        max_length=MAX_TEMPLATE,
        widget=forms.Textarea(attrs={"rows": 10, "class": "mono"}),
        help_text=FIELDS_HELP,
    )


KIND_LABELS = dict(CampaignEmailTemplate.Kind.choices)


class EmailTemplatesForm(forms.Form):
    """The invitation, approval and rejection emails: a subject and a body each."""

    section = forms.CharField(widget=forms.HiddenInput, initial="emails", required=False)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for kind in CampaignEmailTemplate.Kind.values:
            label = KIND_LABELS[kind]
            self.fields[f"{kind}_subject"] = forms.CharField(
                label=_("%(kind)s: subject") % {"kind": label}, max_length=MAX_SUBJECT
            )
            self.fields[f"{kind}_body"] = forms.CharField(
                label=_("%(kind)s: message") % {"kind": label},
                max_length=MAX_TEMPLATE,
                widget=forms.Textarea(attrs={"rows": 6}),
                help_text=FIELDS_HELP if kind == CampaignEmailTemplate.Kind.INVITATION else "",
            )

    def templates(self) -> dict[str, tuple[str, str]]:
        data = self.cleaned_data
        return {
            kind: (data[f"{kind}_subject"], data[f"{kind}_body"])
            for kind in CampaignEmailTemplate.Kind.values
        }
