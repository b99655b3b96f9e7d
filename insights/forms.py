"""Forms of the insights pages: the verbatim filters, the segment filter and the taxonomy
editor."""

from __future__ import annotations

from django import forms
from django.core.validators import RegexValidator
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from org.selectors import unit_choices, unit_label

SENTIMENTS = [("", _("Any sentiment")), ("positive", _("Positive")),
              ("neutral", _("Neutral")), ("negative", _("Negative"))]
NPS_GROUPS = [("", _("Everyone")), ("promoter", _("Promoters")),
              ("passive", _("Passives")), ("detractor", _("Detractors"))]
LANGUAGES = [("", _("Any language")), ("nl", _("Dutch")), ("en", _("English")),
             ("other", _("Other"))]


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return unit_label(obj)


class VerbatimFilterForm(forms.Form):
    """Filters of the verbatim browser; every field is optional."""

    unit = UnitChoiceField(label=_("Unit"), queryset=None, required=False,
                           empty_label=_("Whole organisation"))
    theme = forms.ChoiceField(label=_("Theme"), required=False)
    sentiment = forms.ChoiceField(label=_("Sentiment"), choices=SENTIMENTS, required=False)
    group = forms.ChoiceField(label=_("Score"), choices=NPS_GROUPS, required=False)
    language = forms.ChoiceField(label=_("Language"), choices=LANGUAGES, required=False)
    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    voice = forms.BooleanField(label=_("Only voice of the customer"), required=False)

    def __init__(self, *args, organisation, themes: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = unit_choices(organisation)
        self.fields["theme"].choices = [("", _("Any theme"))] + list(themes)
        self.fields["q"].widget.attrs["type"] = "search"

    def filters(self) -> dict:
        """Return the valid, non-empty filters as keyword arguments for the selector."""
        if not self.is_bound or not self.is_valid():
            return {}
        data = self.cleaned_data
        found = {key: data[key] for key in ("unit", "theme", "sentiment", "group", "language")
                 if data.get(key)}
        if data.get("q", "").strip():
            found["q"] = data["q"].strip()
        if data.get("voice"):
            found["voice"] = True
        return found


def _lines(text: str) -> list[str]:
    seen: dict[str, None] = {}
    for line in text.splitlines():
        line = " ".join(line.split()).lower()
        if line:
            seen.setdefault(line, None)
    return list(seen)


key_validator = RegexValidator(r"^[a-z0-9_-]+$", _("Use lower-case letters, digits, - and _."))


class ThemeForm(forms.Form):
    """One theme of the taxonomy; terms and phrases are edited one per line."""

    key = forms.CharField(label=_("Key"), max_length=80, required=False,
                          validators=[key_validator],
                          help_text=_("Stays the same when you rename the theme; made from "
                                      "the name when empty."))
    name = forms.CharField(label=_("Name (Dutch)"), max_length=80)
    name_en = forms.CharField(label=_("Name (English)"), max_length=80, required=False)
    terms = forms.CharField(
        label=_("Terms"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One per line. “wacht*” matches every word that starts with “wacht”, "
                    "“*service” every word that ends with “service”."))
    phrases = forms.CharField(
        label=_("Phrases"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line: words in this order, at most two other words in between."))

    def clean(self):
        data = super().clean()
        if not data.get("key") and data.get("name"):
            data["key"] = slugify(data["name"])[:80]
        if self.has_changed() and not _lines(data.get("terms", "")) and \
                not _lines(data.get("phrases", "")) and not data.get("DELETE"):
            raise forms.ValidationError(_("Give at least one term or phrase."))
        return data

    def theme(self) -> dict:
        data = self.cleaned_data
        theme = {"key": data["key"], "name": data["name"]}
        if data.get("name_en"):
            theme["name_en"] = data["name_en"]
        theme["terms"] = _lines(data.get("terms", ""))
        theme["phrases"] = _lines(data.get("phrases", ""))
        return theme


class BaseThemeFormSet(forms.BaseFormSet):
    def clean(self):
        if any(self.errors):
            return
        keys = set()
        for form in self.forms:
            if not form.has_changed() and not form.initial:
                continue
            if self.can_delete and self._should_delete_form(form):
                continue
            key = form.cleaned_data.get("key")
            if key in keys:
                form.add_error("key", _("Another theme already uses this key."))
            keys.add(key)

    def document(self, base: dict) -> dict:
        """Return ``base`` (the stored taxonomy) with its themes replaced by the forms'."""
        themes = []
        for form in self.forms:
            if not form.has_changed() and not form.initial:
                continue  # the empty extra row
            if self.can_delete and self._should_delete_form(form):
                continue
            themes.append(form.theme())
        return {**{k: v for k, v in base.items() if k != "themes"}, "themes": themes}


ThemeFormSet = forms.formset_factory(ThemeForm, formset=BaseThemeFormSet, extra=1,
                                     can_delete=True)


def theme_initial(theme: dict) -> dict:
    return {"key": theme.get("key", ""), "name": theme.get("name", theme.get("key", "")),
            "name_en": theme.get("name_en", ""),
            "terms": "\n".join(theme.get("terms", [])),
            "phrases": "\n".join(theme.get("phrases", []))}


class SuggestionAddForm(forms.Form):
    """Add a suggested theme (from ``suggest_themes``) to the taxonomy."""

    name = forms.CharField(max_length=80)
    terms = forms.CharField(max_length=2000)

    def theme(self, existing_keys: set[str]) -> dict:
        name = self.cleaned_data["name"].strip()
        base = slugify(name)[:70] or "thema"
        key, number = base, 2
        while key in existing_keys:
            key = f"{base}-{number}"
            number += 1
        terms = _lines(self.cleaned_data["terms"].replace("|", "\n"))
        # Single words are terms; the discovered pairs ("a b") are phrases.
        return {"key": key, "name": name, "terms": [t for t in terms if " " not in t],
                "phrases": [t for t in terms if " " in t]}


class SegmentFilterForm(forms.Form):
    """The ad-hoc filter of the strategic and unit pages: one segment of the wave."""

    segment = forms.ChoiceField(label=_("Segment"), required=False)

    def __init__(self, *args, segments: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["segment"].choices = [("", _("All customers"))] + [(s, s) for s in segments]

    def chosen(self) -> str | None:
        """Return the chosen segment, or None for all customers (or an unknown value)."""
        if not self.is_bound or not self.is_valid():
            return None
        return self.cleaned_data.get("segment") or None
