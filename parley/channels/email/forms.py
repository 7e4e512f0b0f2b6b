from django import forms
from django.utils.translation import gettext_lazy as _

from parley.channels.email.models import Mailbox


class ImapConnectForm(forms.Form):
    address = forms.EmailField(label=_("Email address"), max_length=254)  # the column's size
    display_name = forms.CharField(label=_("Sender name"), max_length=120, required=False)
    access = forms.ChoiceField(
        label=_("Access"),
        choices=Mailbox.Access.choices,
        initial=Mailbox.Access.FULL,
        widget=forms.RadioSelect,
        help_text=_(
            "Full access: send, and read the replies to emails sent from Parley. "
            "Send only: Parley sends; replies stay private in your mailbox."
        ),
    )
    username = forms.CharField(
        label=_("User name"),
        max_length=255,
        required=False,
        help_text=_("Usually the email address."),
    )
    password = forms.CharField(
        label=_("Password or app password"),
        widget=forms.PasswordInput,
        strip=False,
        max_length=1024,
    )
    smtp_host = forms.CharField(label=_("SMTP server"), max_length=255)
    smtp_port = forms.IntegerField(label=_("SMTP port"), initial=587, min_value=1, max_value=65535)
    smtp_tls = forms.ChoiceField(
        label=_("SMTP security"), choices=Mailbox.Tls.choices, initial=Mailbox.Tls.STARTTLS
    )
    imap_host = forms.CharField(label=_("IMAP server"), max_length=255, required=False)
    imap_port = forms.IntegerField(label=_("IMAP port"), initial=993, min_value=1, max_value=65535)
    imap_tls = forms.ChoiceField(
        label=_("IMAP security"), choices=Mailbox.Tls.choices, initial=Mailbox.Tls.SSL
    )


class OAuthStartForm(forms.Form):
    access = forms.ChoiceField(choices=Mailbox.Access.choices, initial=Mailbox.Access.FULL)


class DailyLimitForm(forms.Form):
    daily_limit = forms.IntegerField(
        label=_("Daily limit"),
        min_value=1,
        max_value=10_000,
        help_text=_(
            "How many emails this address sends a day, counted in the workspace's time "
            "zone. What is over it waits for the next day. Most providers allow a few "
            "hundred; 300 is a safe start."
        ),
    )
