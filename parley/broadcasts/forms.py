from django import forms
from django.utils.translation import gettext_lazy as _

from parley.broadcasts.fields import MAX_TEMPLATE
from parley.broadcasts.models import Broadcast
from parley.channels.email.models import Mailbox
from parley.channels.sms.models import SmsNumber


class BroadcastForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("Send as"), choices=Broadcast.Channel.choices, widget=forms.RadioSelect
    )
    # The sender and subject rows show only with their channel (app.js: data-shown-with).
    mailbox = forms.TypedChoiceField(
        label=_("From"),
        coerce=int,
        required=False,
        empty_value=None,
        widget=forms.Select(attrs={"data-shown-with": "channel=email"}),
        help_text=_(
            "Each recipient gets their own email from this address, within its daily limit."
        ),
    )
    sms_number = forms.TypedChoiceField(
        label=_("From number"),
        coerce=int,
        required=False,
        empty_value=None,
        widget=forms.Select(attrs={"data-shown-with": "channel=sms"}),
        help_text=_(
            "SMS: each recipient gets their own text from this number, at its rate. "
            "Creators without a phone, or who opted out, are skipped and listed."
        ),
    )
    subject = forms.CharField(
        label=_("Subject"),
        max_length=900,
        required=False,
        widget=forms.TextInput(attrs={"data-shown-with": "channel=email"}),
    )
    body = forms.CharField(
        label=_("Message"),
        max_length=MAX_TEMPLATE,
        widget=forms.Textarea(attrs={"rows": 12}),
        required=False,
        help_text=_("Personal fields go in double braces, e.g. Hi {{ first_name }}!"),
    )
    send_at = forms.DateTimeField(
        label=_("Send later"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("Leave empty to send now. Times are in the workspace's time zone."),
    )

    def __init__(  # type: ignore[no-untyped-def]
        self, *args, mailboxes: list[Mailbox], sms_numbers: list[SmsNumber] | None = None, **kwargs
    ):
        super().__init__(*args, **kwargs)
        field = self.fields["mailbox"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(m.id, m.address) for m in mailboxes]
        if not mailboxes:
            field.help_text = _("No mailbox is connected: connect one under Settings → Email.")
        numbers = self.fields["sms_number"]
        assert isinstance(numbers, forms.TypedChoiceField)
        numbers.choices = [(n.id, n.label) for n in sms_numbers or []]
        if not sms_numbers:  # SMS is not offered until a number is connected
            del self.fields["sms_number"]
            channel = self.fields["channel"]
            assert isinstance(channel, forms.ChoiceField)
            channel.choices = [
                c for c in Broadcast.Channel.choices if c[0] != Broadcast.Channel.SMS
            ]
