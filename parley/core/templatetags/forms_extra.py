"""What kind of input a form field is, so the shared field template can place its label."""

from django import forms, template
from django.forms import BoundField

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
