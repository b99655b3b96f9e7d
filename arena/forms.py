"""Forms for planning an arena. Every select offers only the current organisation's objects."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from improvements.forms import MemberChoiceField
from improvements.selectors import members_for_select, units_for_select
from live.formats import RoomRole


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class UnitsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return "\u2002" * 2 * (obj.depth - 1) + obj.name


class ArenaForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    starts_at = forms.DateTimeField(label=_("Date and time"), widget=DateTimeInput,
                                    input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    topic = forms.CharField(label=_("Topic"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    moderator = MemberChoiceField(label=_("Moderator"), queryset=None)
    units = UnitsField(label=_("Units concerned"), queryset=None, required=False,
                       help_text=_("Customers of these units are suggested."))
    wave = forms.ModelChoiceField(label=_("Research wave for suggestions"), queryset=None,
                                  required=False, empty_label=_("The latest wave"))

    def __init__(self, *args, organisation, **kwargs):
        from research.models import Wave

        super().__init__(*args, **kwargs)
        self.fields["moderator"].queryset = members_for_select(organisation)
        self.fields["units"].queryset = units_for_select(organisation)
        self.fields["wave"].queryset = Wave.objects.filter(organisation=organisation)

    def clean_starts_at(self):
        value = self.cleaned_data["starts_at"]
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value


class ScriptForm(forms.Form):
    round_1 = forms.CharField(label=_("Round 1: customers speak"), required=False,
                              widget=forms.Textarea(attrs={"rows": 5}),
                              help_text=_("One question per line."))
    round_2 = forms.CharField(label=_("Round 2: employees ask"), required=False,
                              widget=forms.Textarea(attrs={"rows": 4}))
    round_3 = forms.CharField(label=_("Round 3: employees evaluate and commit"), required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))


class EmployeeForm(forms.Form):
    ROLE_CHOICES = [(RoomRole.EMPLOYEE, _("Outer ring")), (RoomRole.SCRIBE, _("Scribe")),
                    (RoomRole.OBSERVER, _("Observer"))]

    member = MemberChoiceField(label=_("Person"), queryset=None)
    role = forms.ChoiceField(label=_("Place"), choices=ROLE_CHOICES, initial=RoomRole.EMPLOYEE)

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["member"].queryset = members_for_select(organisation)


class CustomerSearchForm(forms.Form):
    q = forms.CharField(label=_("Find a customer contact"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"type": "search"}))


class RsvpForm(forms.Form):
    answer = forms.ChoiceField(choices=[("yes", _("I will come")), ("no", _("I cannot come"))])
