"""One way every form looks: Django renders `{{ form }}` through Parley's templates
(templates/forms/): labels beside their inputs, help and errors under the input in plain
words, radios and checkboxes next to their labels. Pages include forms/card.html around it."""

from django.forms.renderers import TemplatesSetting


class FormRenderer(TemplatesSetting):
    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"
