"""What kind of input a form field is, so the shared field template can place its label."""

from django import forms, template
from django.forms import BoundField
from django.utils.translation import gettext_lazy as _

register = template.Library()


@register.filter
def widget_kind(field: BoundField) -> str:
    widget = field.field.widget
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, forms.RadioSelect | forms.CheckboxSelectMultiple):
        return "choices"
    if isinstance(widget, forms.Textarea):
        return "textarea"
    return "input"


# Errors from services are keyed by field name; a page shows them with the field's label,
# never the raw name. A name without a label here shows its message alone (each message is
# a sentence on its own).
ERROR_LABELS = {
    "q": _("Search"),
    "body": _("Message"),
    "subject": _("Subject"),
    "mailbox": _("From"),
    "sms_number": _("From number"),
    "channel": _("Channel"),
    "campaign": _("Campaign"),
    "bulk_campaign": _("Campaign"),
    "bulk_tag": _("Tag"),
    "send_at": _("Send later"),
    "attachments": _("Attachments"),
    "name": _("Name"),
    "email": _("Email"),
    "note": _("Note"),
    "status": _("Status"),
    "assignee": _("Assignee"),
    "file": _("File"),
    "url": _("Link"),
    "amount": _("Amount"),
    "custom_fields": _("Custom fields"),
    "preferred_channel": _("Preferred channel"),
}


@register.filter
def error_label(field: str) -> str:
    """The label an error for `field` is shown under, or "" (no label, not the name)."""
    return str(ERROR_LABELS.get(field, ""))
