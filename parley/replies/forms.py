from django import forms
from django.utils.translation import gettext_lazy as _

from parley.outbox.services import MAX_BODY, MAX_SUBJECT
from parley.replies.services import MAX_NAME


class SavedReplyForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=MAX_NAME,
        help_text=_("Type / and the start of this name in the message box to insert it."),
    )
    subject = forms.CharField(
        label=_("Email subject"),
        max_length=MAX_SUBJECT,
        required=False,
        help_text=_("Filled in when the reply goes by email and the subject is empty."),
    )
    body = forms.CharField(
        label=_("Text"),
        max_length=MAX_BODY,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Personal fields go in double braces, e.g. Hi {{ first_name }}!"),
    )
