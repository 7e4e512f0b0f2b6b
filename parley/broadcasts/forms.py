from django import forms
from django.utils.translation import gettext_lazy as _

from parley.broadcasts.fields import MAX_TEMPLATE
from parley.broadcasts.models import Broadcast
from parley.channels.email.models import Mailbox


class BroadcastForm(forms.Form):
    channel = forms.ChoiceField(
        label=_("Send as"), choices=Broadcast.Channel.choices, widget=forms.RadioSelect
    )
    mailbox = forms.TypedChoiceField(
        label=_("From"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_(
            "Each recipient gets their own email from this address, within its daily limit."
        ),
    )
    subject = forms.CharField(label=_("Subject"), max_length=900, required=False)
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

    def __init__(self, *args, mailboxes: list[Mailbox], **kwargs):  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        field = self.fields["mailbox"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [(m.id, m.address) for m in mailboxes]
        if not mailboxes:
            field.help_text = _("No mailbox is connected: connect one under Settings → Email.")
