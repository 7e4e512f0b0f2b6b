from django import forms
from django.utils.translation import gettext_lazy as _

from parley.channels.sms.services import MAX_RATE, MIN_RATE


class ConnectForm(forms.Form):
    account_sid = forms.CharField(
        label=_("Account SID"),
        max_length=34,
        help_text=_("Twilio Console → Account Info: AC followed by 32 letters and digits."),
    )
    auth_token = forms.CharField(
        label=_("Auth token"),
        max_length=128,
        required=False,
        strip=True,
        widget=forms.PasswordInput,
        help_text=_(
            "Twilio signs its webhooks with it, so Parley needs it to receive SMS and "
            "delivery reports. With an API key below, it is used for nothing else."
        ),
    )
    api_key_sid = forms.CharField(
        label=_("API key SID (optional)"),
        max_length=34,
        required=False,
        help_text=_("To send with an API key instead of the auth token: SK…"),
    )
    api_key_secret = forms.CharField(
        label=_("API key secret"), max_length=128, required=False, widget=forms.PasswordInput
    )


class RateForm(forms.Form):
    per_second = forms.FloatField(
        label=_("Messages a second"),
        min_value=MIN_RATE,
        max_value=MAX_RATE,
        help_text=_(
            "Twilio's throughput for this sender: 1 for a US or Canadian long code, 3 for a "
            "toll-free number, up to 100 for a short code. Parley never sends faster; what "
            "is queued goes out at this pace."
        ),
    )


class PickForm(forms.Form):
    senders = forms.MultipleChoiceField(
        label=_("Send from"), widget=forms.CheckboxSelectMultiple, required=True
    )
    set_webhooks = forms.BooleanField(
        label=_("Set the webhooks in Twilio for me"),
        required=False,
        initial=True,
        help_text=_(
            "Parley points each number's incoming-message webhook at itself through "
            "Twilio's API. Without this, or when the key may not, paste the URLs by hand."
        ),
    )

    def __init__(self, *args, choices: list[tuple[str, str]], **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        field = self.fields["senders"]
        assert isinstance(field, forms.MultipleChoiceField)
        field.choices = choices
