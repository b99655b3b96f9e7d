from django import forms
from django.utils.translation import gettext_lazy as _


class SearchForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address"))


class EraseForm(forms.Form):
    email = forms.EmailField(widget=forms.HiddenInput)
    confirm = forms.CharField(label=_("Type the e-mail address again to confirm"))

    def clean(self):
        data = super().clean()
        if (data.get("confirm") or "").strip().lower() != (data.get("email") or "").strip().lower():
            raise forms.ValidationError(_("The confirmation does not match the e-mail address."))
        return data
