"""Forms for the 1-2-3 sessions; every select offers only the current organisation's objects."""

from django import forms
from django.utils.translation import gettext_lazy as _

from arena.forms import DateTimeInput
from improvements.forms import MemberChoiceField, UnitChoiceField
from improvements.selectors import members_for_select, routes_for_select, units_for_select


class MembersField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.name or obj.email


class CascadeCreateForm(forms.Form):
    wave = forms.ModelChoiceField(label=_("Research wave"), queryset=None)

    def __init__(self, *args, organisation, **kwargs):
        from research.models import Wave

        super().__init__(*args, **kwargs)
        self.fields["wave"].queryset = (Wave.objects.filter(organisation=organisation, cascades__isnull=True)
                                        .order_by("-period_end"))


class SessionPlanForm(forms.Form):
    scheduled_at = forms.DateTimeField(label=_("Date and time"), required=False, widget=DateTimeInput,
                                       input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    facilitator = MemberChoiceField(label=_("Facilitator"), queryset=None, required=False)
    participants = MembersField(label=_("Participants"), queryset=None, required=False,
                                widget=forms.SelectMultiple(attrs={"size": 8}))

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["facilitator"].queryset = members_for_select(organisation)
        self.fields["participants"].queryset = members_for_select(organisation)


class SessionStartForm(forms.Form):
    override_reason = forms.CharField(label=_("Reason to start before the session one level up"),
                                      required=False, widget=forms.Textarea(attrs={"rows": 2}))


class SessionRouteForm(forms.Form):
    route = forms.ModelChoiceField(label=_("Improvement route"), queryset=None)

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["route"].queryset = routes_for_select(organisation)


class SessionFinishForm(forms.Form):
    notes = forms.CharField(label=_("Outcome"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
                            help_text=_("What was chosen and agreed. A tactical session's outcome is its "
                                        "report to the MT, in the progress review."))
    coaching_notes = forms.CharField(
        label=_("Coaching notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For the facilitator and the unit's managers: what to coach on. Not in the MT review."))


class ConversationForm(forms.Form):
    from cascade.models import ConversationStatus

    status = forms.ChoiceField(label=_("Status"), choices=ConversationStatus.choices)
    outcome = forms.CharField(label=_("What came of it"), required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))
    follow_up = forms.CharField(label=_("Follow-up action"), required=False, max_length=300)
    follow_up_due = forms.DateField(label=_("Follow-up by"), required=False,
                                    widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


class TargetForm(forms.Form):
    unit = UnitChoiceField(label=_("Unit"), queryset=None)
    nps = forms.IntegerField(label=_("Target NPS for the next wave"), min_value=-100, max_value=100,
                             required=False, help_text=_("Leave empty to remove the target."))

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = units_for_select(organisation)


class ReviewForm(forms.Form):
    date = forms.DateField(label=_("Date of the MT meeting"),
                           widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    notes = forms.CharField(label=_("Notes"), required=False, max_length=2000)
