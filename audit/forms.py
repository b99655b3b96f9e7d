from django import forms
from django.utils.translation import gettext_lazy as _

from audit.models import AuditAction


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label=_("Event"), required=False,
                               choices=[("", _("All events")), *AuditAction.choices])
    since = forms.DateField(label=_("From"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("Until"), required=False,
                            widget=forms.DateInput(attrs={"type": "date"}))
    email = forms.EmailField(label=_("Failed logins of e-mail address"), required=False,
                             widget=forms.EmailInput(attrs={"autocomplete": "off"}))

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end date is before the start date."))
        return data
