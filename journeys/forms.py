"""Forms of the journey map editor; every select offers only the organisation's objects."""

from django import forms
from django.utils.translation import gettext_lazy as _

from improvements.forms import UnitChoiceField
from improvements.models import Priority
from improvements.selectors import units_for_select
from journeys import selectors
from journeys.models import Channel


class JourneyForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))


class JourneyCreateForm(JourneyForm):
    stages = forms.CharField(
        label=_("Stages"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One stage per line, in order (you can add and change them later)."))

    def stage_names(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data.get("stages", "").splitlines()
                if line.strip()]


class StageForm(forms.Form):
    name = forms.CharField(label=_("Stage name"), max_length=120)


class MoveForm(forms.Form):
    direction = forms.TypedChoiceField(choices=[("-1", "-1"), ("1", "1")], coerce=int)


class TouchpointAddForm(forms.Form):
    """The short form on the map: a name and a channel; the rest on the edit page."""

    name = forms.CharField(label=_("Touchpoint"), max_length=160)
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.OTHER)


class TouchpointForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=160)
    description = forms.CharField(label=_("Description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    stage = forms.ModelChoiceField(label=_("Stage"), queryset=None, empty_label=None)
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    unit = UnitChoiceField(label=_("Owning unit"), queryset=None, required=False)
    moment_of_truth = forms.BooleanField(
        label=_("Moment of truth"), required=False,
        help_text=_("A moment that makes or breaks the customer's experience."))
    themes = forms.MultipleChoiceField(
        label=_("Survey themes"), required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("Survey comments on these themes are laid on the touchpoint."))

    def __init__(self, *args, organisation, journey, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["stage"].queryset = journey.stages.order_by("position", "pk")
        self.fields["unit"].queryset = units_for_select(organisation)
        self.fields["themes"].choices = [(key, theme.name) for key, theme
                                         in selectors.taxonomy_themes(organisation).items()]


class PointFromTouchpointForm(forms.Form):
    title = forms.CharField(label=_("Title of the improvement point"), max_length=200)
    priority = forms.TypedChoiceField(label=_("Priority"), choices=Priority.choices, coerce=int,
                                      initial=Priority.MEDIUM)
