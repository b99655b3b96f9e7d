from django import forms


class PreferenceForm(forms.Form):
    """The portal's e-mail toggle: one button that posts the new choice."""

    notify = forms.TypedChoiceField(choices=[("1", "1"), ("0", "0")], coerce=lambda v: v == "1")
