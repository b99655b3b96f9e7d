"""Forms for the research pages. Every select offers only the current organisation's
objects: querysets are narrowed in ``__init__``, so a posted id of another organisation
fails validation like any unknown value."""

from __future__ import annotations

import json

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from org.selectors import unit_choices
from outsidein.uploads import upload_check_name
from research import selectors
from research.models import QuestionKind, WaveStatus

QUESTIONNAIRE_MAX_BYTES = 1024 * 1024


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        # Indent by depth so the tree reads in a plain select.
        return "\u2002" * 2 * (obj.depth - 1) + obj.name


class WaveChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


# --- Waves --------------------------------------------------------------------------------


class WaveForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    period_start = forms.DateField(label=_("Start of period"), required=False,
                                   widget=DateInput())
    period_end = forms.DateField(label=_("End of period"), required=False, widget=DateInput())
    is_anonymous = forms.BooleanField(
        label=_("Anonymous"), required=False,
        help_text=_("Responses are not linked to customers and no IP address is stored."),
    )

    def __init__(self, *args, organisation, wave=None, anonymity_locked: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation, self.wave = organisation, wave
        if anonymity_locked:
            field = self.fields["is_anonymous"]
            field.disabled = True
            field.help_text = _("Fixed: the wave already has responses.")

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        others = selectors.waves_for_select(self.organisation, exclude=self.wave)
        if others.filter(name=name).exists():
            raise forms.ValidationError(_("Another wave already has this name."))
        return name

    def clean(self):
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", _("The period ends before it starts."))
        return data


class WaveCreateForm(WaveForm):
    PREVIOUS, WAVE, DEFAULTS = "previous", "wave", "defaults"
    questionnaire = forms.ChoiceField(
        label=_("Questionnaire"), widget=forms.RadioSelect, initial=PREVIOUS,
        choices=[
            (PREVIOUS, _("Copy from the previous wave")),
            (WAVE, _("Copy from the wave chosen below")),
            (DEFAULTS, _("Start from the default questions (our drivers, core values and "
                         "competitors)")),
        ],
    )
    copy_from = WaveChoiceField(label=_("Wave to copy from"), queryset=None, required=False,
                                empty_label=_("Choose a wave"))

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, organisation=organisation, **kwargs)
        self.fields["copy_from"].queryset = selectors.waves_for_select(organisation)

    def clean(self):
        data = super().clean()
        if data.get("questionnaire") == self.WAVE and not data.get("copy_from"):
            self.add_error("copy_from", _("Choose the wave to copy the questionnaire from."))
        return data

    def copy_arguments(self) -> dict:
        """Return ``copy_from`` and ``copy_previous`` for ``wave_create``."""
        choice, data = self.cleaned_data["questionnaire"], self.cleaned_data
        if choice == self.WAVE:
            source = data["copy_from"]
        elif choice == self.PREVIOUS:
            source = selectors.wave_to_copy(self.organisation, period_start=data["period_start"])
        else:
            source = None
        return {"copy_from": source, "copy_previous": False}


class WaveStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=WaveStatus.choices)


# --- Questionnaires -----------------------------------------------------------------------


class QuestionForm(forms.Form):
    key = forms.SlugField(
        label=_("Key"), max_length=60,
        help_text=_("Stable from wave to wave, so results compare: letters, digits, - or _."))
    kind = forms.ChoiceField(label=_("Kind"), choices=QuestionKind.choices)
    text_nl = forms.CharField(label=_("Question (Dutch)"), max_length=300)
    text_en = forms.CharField(label=_("Question (English)"), max_length=300, required=False)
    subject = forms.CharField(
        label=_("Subject"), max_length=120, required=False,
        help_text=_("The driver, core value, competitor or attribute this is about."))
    scale_max = forms.IntegerField(
        label=_("Highest score"), min_value=0, max_value=10, required=False,
        help_text=_("Ratings run from 1 (or 0 for NPS) to this; 0 for questions without a "
                    "score. Empty: 10 for ratings, 0 otherwise."))
    options = forms.CharField(
        label=_("Options"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One per line, for questions with fixed answers."))
    is_required = forms.BooleanField(label=_("Required"), required=False)

    def clean_options(self) -> list[str]:
        lines = self.cleaned_data["options"].replace(",", "\n").splitlines()
        return [line.strip() for line in lines if line.strip()]


class BaseQuestionFormSet(forms.BaseFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        keys = [form.cleaned_data["key"] for form in self.kept_forms()]
        if len(set(keys)) != len(keys):
            raise forms.ValidationError(_("Two questions have the same key."))
        if not keys:
            raise forms.ValidationError(_("A questionnaire needs at least one question."))
        kinds = [form.cleaned_data["kind"] for form in self.kept_forms()]
        if kinds.count(QuestionKind.NPS) > 1:
            raise forms.ValidationError(_("A questionnaire has at most one NPS question."))

    def kept_forms(self) -> list[forms.Form]:
        """Return the filled-in forms not marked for deletion, in the chosen order."""
        kept = [form for form in self.ordered_forms
                if form.cleaned_data and not self._should_delete_form(form)]
        unordered = [form for form in self.forms
                     if form.cleaned_data and not self._should_delete_form(form)
                     and form not in kept]
        return kept + unordered

    def document(self, format_: str) -> dict:
        """Return the questionnaire as the JSON document ``questionnaire_import`` takes."""
        questions = []
        for form in self.kept_forms():
            question = {name: form.cleaned_data[name] for name in
                        ("key", "kind", "text_nl", "text_en", "subject", "scale_max", "options",
                         "is_required")}
            if question["scale_max"] is None:
                del question["scale_max"]  # the service's default for the kind
            questions.append(question)
        return {"format": format_, "questions": questions}


QuestionFormSet = forms.formset_factory(QuestionForm, formset=BaseQuestionFormSet, extra=1,
                                        can_order=True, can_delete=True, max_num=200,
                                        validate_max=True)


def question_initial(questions) -> list[dict]:
    return [{"key": q.key, "kind": q.kind, "text_nl": q.text_nl, "text_en": q.text_en,
             "subject": q.subject, "scale_max": q.scale_max, "options": "\n".join(q.options),
             "is_required": q.is_required}
            for q in questions]


class QuestionnaireImportForm(forms.Form):
    file = forms.FileField(
        label=_("Questionnaire file (JSON)"),
        widget=forms.ClearableFileInput(attrs={"accept": ".json,application/json"}),
        help_text=_("A file exported from a wave with “Export as JSON”."),
    )

    def clean_file(self) -> dict:
        upload = self.cleaned_data["file"]
        if upload.size > QUESTIONNAIRE_MAX_BYTES:
            raise forms.ValidationError(_("This file is too large for a questionnaire."))
        try:
            document = json.loads(upload.read().decode("utf-8-sig"))
        except (UnicodeDecodeError, ValueError):
            raise forms.ValidationError(
                _("This is not a JSON file. Export a questionnaire from a wave and upload "
                  "that file.")) from None
        if not isinstance(document, dict):
            raise forms.ValidationError(_("This JSON file is not a questionnaire."))
        return document


class QuestionnaireCopyForm(forms.Form):
    source = WaveChoiceField(label=_("Copy the questionnaire of"), queryset=None,
                             empty_label=_("Choose a wave"))

    def __init__(self, *args, organisation, wave, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = selectors.waves_for_select(organisation, exclude=wave)


# --- Organisation survey settings ---------------------------------------------------------


class DriverForm(forms.Form):
    name_nl = forms.CharField(label=_("Name (Dutch)"), max_length=120)
    name_en = forms.CharField(label=_("Name (English)"), max_length=120, required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    position = forms.IntegerField(label=_("Order"), min_value=0, max_value=999, required=False)


class CoreValueForm(forms.Form):
    name = forms.CharField(label=_("Core value"), max_length=120)


class CompetitorForm(forms.Form):
    name = forms.CharField(label=_("Competitor"), max_length=120)


# --- Imports ------------------------------------------------------------------------------


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Survey export (CSV or Excel)"),
        widget=forms.ClearableFileInput(attrs={
            "accept": ".csv,.txt,.tsv,.xlsx,text/csv,"
                      "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "Exports of Qualtrics, SurveyMonkey, LimeSurvey, Typeform, Google Forms or any "
            "file with one header row. At most %(size)s."
        ) % {"size": filesizeformat(settings.IMPORT_MAX_BYTES)}

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                _("This file is %(size)s; the limit is %(limit)s.")
                % {"size": filesizeformat(upload.size),
                   "limit": filesizeformat(settings.IMPORT_MAX_BYTES)})
        # By content: a CSV named .xlsx, or a program named .csv, is refused here; what the
        # content is (CSV, XLSX, or neither) the reader decides (research.importing.reading).
        upload_check_name(upload)
        return upload


# --- Responses ----------------------------------------------------------------------------


class ResponseFilterForm(forms.Form):
    GROUPS = [("", _("Everyone")), ("promoter", _("Promoters (9–10)")),
              ("passive", _("Passives (7–8)")), ("detractor", _("Detractors (0–6)"))]
    unit = UnitChoiceField(label=_("Unit"), queryset=None, required=False,
                           empty_label=_("All units"))
    group = forms.ChoiceField(label=_("NPS group"), choices=GROUPS, required=False)
    has_comment = forms.BooleanField(label=_("With a comment"), required=False)
    q = forms.CharField(label=_("Search the comments"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"type": "search"}))

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = unit_choices(organisation)

    def filters(self) -> dict:
        """Return the valid filters as keyword arguments for ``response_list``."""
        if not self.is_valid():
            return {}
        return {name: value for name, value in self.cleaned_data.items() if value}


# --- The import mapping screen ------------------------------------------------------------

# Single response fields in the order the mapping screen shows them.
SINGLE_TARGETS = (
    ("nps", _("Recommendation score (NPS, 0–10)")),
    ("comment", _("Why this score? (comment)")),
    ("improvement", _("What one thing should we improve?")),
    ("customer", _("Customer (customer number or e-mail address)")),
    ("unit", _("Unit (name or code)")),
    ("response_id", _("Response id")),
    ("contact_me", _("Contact me")),
    ("submitted_at", _("Submitted at")),
    ("language", _("Language")),
)
KIND_LABELS = {
    QuestionKind.DRIVER: _("Driver: %(subject)s"),
    QuestionKind.CORE_VALUE: _("Core value: %(subject)s"),
    QuestionKind.COMPETITOR: _("Competitor: %(subject)s"),
    QuestionKind.ATTRIBUTE: _("Attribute: %(subject)s"),
}


def column_label(column) -> str:
    """Return how a source column reads in a select: its name and, if different, its label."""
    label = " ".join(column.label.split())
    if label and label != column.name:
        if len(label) > 90:
            label = label[:89] + "…"
        return f"{column.name} — {label}"
    return column.name


class MappingForm(forms.Form):
    """One select of the file's columns per response field and per question of the wave,
    plus the import options. Field names: the single field's name, or ``driver__<key>``,
    ``competitor__<n>`` and ``attribute__<key>`` for the wave's questions."""

    CHECK, IMPORT = "check", "import"

    skip_invalid = forms.BooleanField(
        label=_("Import the valid rows and give me the rejected ones back"), required=False,
        help_text=_("Without this, the import is all or nothing: one bad row and nothing is "
                    "written."))
    create_units = forms.BooleanField(
        label=_("Create units that do not exist yet"), required=False,
        help_text=_("Units named in the unit column are created under the organisation."))
    save_as = forms.CharField(
        label=_("Save this mapping as"), max_length=150, required=False,
        help_text=_("Give it a name to have it proposed again for the next file of this "
                    "layout."))

    def __init__(self, *args, table, spec, proposal, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("— not in the file —"))] + [
            (column.name, column_label(column)) for column in table.columns]
        self.targets: list[tuple[str, str, str | None]] = []  # (field, kind, name)
        fields: dict[str, forms.Field] = {}

        def add(name, label, initial, kind, target):
            fields[name] = forms.ChoiceField(label=label, choices=choices, required=False,
                                             initial=initial or "")
            self.targets.append((name, kind, target))

        for name, label in SINGLE_TARGETS:
            add(name, label, getattr(proposal, name), "single", name)
        for question in spec.by_kind(QuestionKind.DRIVER, QuestionKind.CORE_VALUE):
            add(f"driver__{question.key}",
                KIND_LABELS[question.kind] % {"subject": question.subject or question.key},
                proposal.drivers.get(question.key), "driver", question.key)
        for n, question in enumerate(spec.by_kind(QuestionKind.COMPETITOR)):
            add(f"competitor__{n}", KIND_LABELS[question.kind] % {"subject": question.subject},
                proposal.competitors.get(question.subject), "competitor", question.subject)
        for question in spec.by_kind(QuestionKind.ATTRIBUTE):
            add(f"attribute__{question.key}",
                KIND_LABELS[question.kind] % {"subject": question.subject or question.key},
                proposal.attributes.get(question.key), "attribute", question.key)
        # The column selects first, then the options.
        self.fields = {**fields, **self.fields}

    def column_fields(self):
        return [self[name] for name, _kind, _target in self.targets]

    def option_fields(self):
        return [self[name] for name in ("skip_invalid", "create_units", "save_as")]

    def mapping_json(self) -> dict:
        """Return the chosen columns in ``Mapping``'s JSON form."""
        data = {"drivers": {}, "competitors": {}, "attributes": {}}
        for name, kind, target in self.targets:
            column = self.cleaned_data.get(name) or None
            if kind == "single":
                data[target] = column
            elif column:
                data[{"driver": "drivers", "competitor": "competitors",
                      "attribute": "attributes"}[kind]][target] = column
        return data
