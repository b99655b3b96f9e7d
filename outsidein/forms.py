from django.forms.renderers import TemplatesSetting


class FormRenderer(TemplatesSetting):
    """Render every field with our own field template: label without a colon, a marked
    required field, help text and errors above the input where screen readers find them."""

    field_template_name = "forms/field.html"
