from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("E-mail address"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )
    error_messages = {
        "invalid_login": _("That e-mail address and password do not match. Try again."),
        "inactive": _("This account has been deactivated."),
    }

    def clean_username(self):
        return self.cleaned_data["username"].strip().lower()


class AdminLoginRefusedForm(AuthenticationForm):
    """Django admin's own login form, which would skip the second step: it logs nobody in.

    Site administrators log in on the regular login page (with their second factor) and
    then open the admin."""

    def clean(self):
        raise forms.ValidationError(
            _("Log in on the regular login page first (with your second step), then open this page again."),
            code="use_main_login")
