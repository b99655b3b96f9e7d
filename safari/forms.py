"""Forms of the klantsafari: they parse input; the services decide."""

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Role
from improvements.models import Theme
from journeys.models import Touchpoint
from org.models import Contact, Customer
from safari import selectors
from safari.models import VisitReason

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class VisitorChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} ({obj.get_role_display()})"


class RoundForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    starts_on = forms.DateField(label=_("From"), widget=DATE)
    ends_on = forms.DateField(label=_("Until"), widget=DATE)
    visits_per_visitor = forms.IntegerField(label=_("Visits per visitor"), min_value=1, max_value=50,
                                            initial=3)
    visitors = VisitorChoiceField(label=_("Visitors"), queryset=None,
                                  widget=forms.CheckboxSelectMultiple)
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["visitors"].queryset = selectors.visitor_choices(organisation)

    def employees_chosen(self) -> bool:
        """Whether an employee is among the visitors checked (their list is folded away otherwise)."""
        pks = [str(getattr(value, "pk", value)) for value in self["visitors"].value() or []]
        pks = [pk for pk in pks if pk.isdigit()]
        return self.fields["visitors"].queryset.filter(pk__in=pks, role=Role.EMPLOYEE).exists()

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", _("The round ends before it starts."))
        return data


class AssignForm(forms.Form):
    """Assign a visit: from a suggestion (one click) or after a search."""

    visitor = forms.ModelChoiceField(label=_("Visitor"), queryset=None)
    customer = forms.ModelChoiceField(label=_("Customer"), queryset=None, widget=forms.HiddenInput)
    contact = forms.ModelChoiceField(label=_("Contact person"), queryset=None, required=False)
    planned_at = forms.DateTimeField(label=_("Date and time"), required=False, widget=DATETIME)
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    reason = forms.ChoiceField(choices=VisitReason.choices, required=False, widget=forms.HiddenInput)

    def __init__(self, *args, safari_round, **kwargs):
        super().__init__(*args, **kwargs)
        organisation = safari_round.organisation
        self.fields["visitor"].queryset = safari_round.visitors.select_related("user")
        self.fields["customer"].queryset = Customer.objects.for_organisation(organisation)
        self.fields["contact"].queryset = Contact.objects.filter(customer__organisation=organisation)


class VisitPlanForm(forms.Form):
    planned_at = forms.DateTimeField(label=_("Date and time"), required=False, widget=DATETIME)
    duration_minutes = forms.IntegerField(label=_("Duration (minutes)"), min_value=15, max_value=600,
                                          initial=90)
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    contact = forms.ModelChoiceField(label=_("Contact person"), queryset=None, required=False)

    def __init__(self, *args, visit, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact"].queryset = visit.customer.contacts.all()


class TouchpointChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.stage.name} · {obj.name}"


class ReportForm(forms.Form):
    went_well = forms.CharField(label=_("What went well"), required=False,
                                widget=forms.Textarea(attrs={"rows": 4}))
    went_wrong = forms.CharField(label=_("What went wrong"), required=False,
                                 widget=forms.Textarea(attrs={"rows": 4}))
    advice = forms.CharField(label=_("Concrete advice"), required=False,
                             help_text=_("One piece of advice per line: each can become an improvement "
                                         "point."),
                             widget=forms.Textarea(attrs={"rows": 3}))
    quotes = forms.CharField(label=_("Quotes"), required=False,
                             help_text=_("One per line, in the customer's words."),
                             widget=forms.Textarea(attrs={"rows": 3}))
    themes = forms.ModelMultipleChoiceField(label=_("Themes"), queryset=None, required=False,
                                            widget=forms.CheckboxSelectMultiple)
    touchpoints = TouchpointChoiceField(label=_("Touchpoints concerned"), queryset=None, required=False,
                                        widget=forms.CheckboxSelectMultiple)
    photo = forms.FileField(label=_("Photo"), required=False,
                            help_text=_("Optional. JPEG, PNG or WebP, at most 8 MB."),
                            widget=forms.ClearableFileInput(attrs={"accept": "image/*"}))
    remove_photo = forms.BooleanField(label=_("Remove the photo"), required=False)

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["themes"].queryset = Theme.objects.filter(organisation=organisation).order_by("name")
        self.fields["touchpoints"].queryset = (Touchpoint.objects.for_organisation(organisation)
                                               .select_related("stage__journey"))

    def touchpoint_groups(self):
        """The touchpoint checkboxes grouped by journey, for the template."""
        by_pk = {str(tp.pk): tp for tp in self.fields["touchpoints"].queryset}
        groups: dict[str, list] = {}
        for widget in self["touchpoints"]:
            touchpoint = by_pk.get(str(widget.data["value"]))
            if touchpoint is not None:
                groups.setdefault(touchpoint.stage.journey.name, []).append(widget)
        return list(groups.items())


class AdviceForm(forms.Form):
    advice = forms.CharField(max_length=4000)
    title = forms.CharField(label=_("Title of the point"), max_length=200, required=False)


class LessonsFilterForm(forms.Form):
    round = forms.ModelChoiceField(label=_("Round"), queryset=None, required=False,
                                   empty_label=_("All rounds"))

    def __init__(self, *args, organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["round"].queryset = selectors.round_list(organisation)
