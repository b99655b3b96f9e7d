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


KEEP_POLICY, KEEP_UNTIL, KEEP_ALWAYS = "policy", "until", "always"


class RetentionForm(forms.Form):
    """The policy (months, on/off) and, per wave, an exception: none, until a date, or never.

    The wave fields are made per wave: ``wave_<id>_keep``, ``wave_<id>_until`` and
    ``wave_<id>_reason``; ``wave_rows()`` yields them per wave for the template.
    """

    is_active = forms.BooleanField(label=_("Strip personal data automatically"), required=False)
    months = forms.IntegerField(
        label=_("After how many months"), min_value=1, max_value=240,
        help_text=_("Counted from the day the response was given."))
    previewed = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, waves, exceptions, **kwargs):
        super().__init__(*args, **kwargs)
        self.waves = list(waves)
        by_wave = {e.wave_id: e for e in exceptions}
        choices = [(KEEP_POLICY, _("Follow the policy")), (KEEP_UNTIL, _("Keep until a date")),
                   (KEEP_ALWAYS, _("Never strip automatically"))]
        for wave in self.waves:
            exception = by_wave.get(wave.pk)
            keep = (KEEP_POLICY if exception is None
                    else KEEP_ALWAYS if exception.keep_until is None else KEEP_UNTIL)
            self.fields[f"wave_{wave.pk}_keep"] = forms.ChoiceField(
                label=_("Exception"), choices=choices, initial=keep)
            self.fields[f"wave_{wave.pk}_until"] = forms.DateField(
                label=_("Keep until"), required=False,
                initial=exception.keep_until if exception else None,
                widget=forms.DateInput(attrs={"type": "date"}))
            self.fields[f"wave_{wave.pk}_reason"] = forms.CharField(
                label=_("Reason"), required=False, max_length=300,
                initial=exception.reason if exception else "")

    def wave_rows(self):
        for wave in self.waves:
            yield wave, (self[f"wave_{wave.pk}_keep"], self[f"wave_{wave.pk}_until"],
                         self[f"wave_{wave.pk}_reason"])

    def clean(self):
        data = super().clean()
        for wave in self.waves:
            keep = data.get(f"wave_{wave.pk}_keep")
            if keep == KEEP_UNTIL and not data.get(f"wave_{wave.pk}_until"):
                self.add_error(f"wave_{wave.pk}_until", _("Give the date until which to keep it."))
            if keep in (KEEP_UNTIL, KEEP_ALWAYS) and not (data.get(f"wave_{wave.pk}_reason") or "").strip():
                self.add_error(f"wave_{wave.pk}_reason", _("Give the reason for the exception."))
        return data

    def exceptions(self) -> list[dict]:
        """The exceptions as ``retention_policy_save`` takes them (valid form only)."""
        found = []
        for wave in self.waves:
            keep = self.cleaned_data[f"wave_{wave.pk}_keep"]
            if keep == KEEP_POLICY:
                continue
            found.append({"wave": wave, "reason": self.cleaned_data[f"wave_{wave.pk}_reason"],
                          "keep_until": (self.cleaned_data[f"wave_{wave.pk}_until"]
                                         if keep == KEEP_UNTIL else None)})
        return found

    def digest(self) -> str:
        """A fingerprint of the settings, so that only what was previewed can be saved."""
        import json

        from django.utils.crypto import salted_hmac

        values = {"active": self.cleaned_data["is_active"], "months": self.cleaned_data["months"],
                  "exceptions": sorted((e["wave"].pk, str(e["keep_until"]), e["reason"].strip())
                                       for e in self.exceptions())}
        return salted_hmac("privacy.retention", json.dumps(values, sort_keys=True)).hexdigest()[:32]
