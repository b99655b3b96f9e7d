"""Forms for co-creation; every select offers only the current organisation's (or group's) objects."""

from django import forms
from django.utils.translation import gettext_lazy as _

from arena.forms import DateTimeInput
from cocreation import selectors
from cocreation.models import CommentKind, GroupKind
from improvements.forms import DateInput, MemberChoiceField


class PointsField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.reference} {obj.title}"


class PointChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.reference} {obj.title}"


class GroupForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=GroupKind.choices, initial=GroupKind.IMPROVEMENT)
    name = forms.CharField(label=_("Name"), max_length=200)
    purpose = forms.CharField(label=_("Purpose"), required=False,
                              widget=forms.Textarea(attrs={"rows": 3}))
    points = PointsField(label=_("Improvement points"), queryset=None, required=False,
                         widget=forms.SelectMultiple(attrs={"size": 8}),
                         help_text=_("The points the group works on."))

    def __init__(self, *args, organisation, editing=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["points"].queryset = selectors.organisation_points(organisation)
        if editing:
            del self.fields["kind"]


class MemberAddForm(forms.Form):
    membership = MemberChoiceField(label=_("Employee"), queryset=None)
    is_chair = forms.BooleanField(label=_("Chairs the group"), required=False)

    def __init__(self, *args, group, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["membership"].queryset = selectors.candidate_members(group)


class DelegateAddForm(forms.Form):
    email = forms.EmailField(label=_("E-mail address of the customer contact"),
                             help_text=_("The contact must already be known under Customers."))

    def __init__(self, *args, organisation, **kwargs):
        self.organisation = organisation
        super().__init__(*args, **kwargs)

    def clean_email(self):
        from org.models import Contact

        email = self.cleaned_data["email"]
        contact = (Contact.objects.select_related("customer")
                   .filter(customer__organisation=self.organisation, email__iexact=email).first())
        if contact is None:
            raise forms.ValidationError(_("No customer contact with this e-mail address."))
        self.cleaned_data["contact"] = contact
        return email


def _group_point_field(group, required=False, label=None):
    return PointChoiceField(label=label or _("About point"), queryset=group.points.order_by("number"),
                            required=required)


class CommentForm(forms.Form):
    text = forms.CharField(label=_("Your message"), max_length=4000,
                           widget=forms.Textarea(attrs={"rows": 3}))
    kind = forms.ChoiceField(label=_("Kind"), choices=CommentKind.choices, initial=CommentKind.COMMENT,
                             widget=forms.RadioSelect)

    def __init__(self, *args, group, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["point"] = _group_point_field(group)


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, group, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["point"] = _group_point_field(group)


class DecisionForm(forms.Form):
    text = forms.CharField(label=_("Decision"), max_length=4000, widget=forms.Textarea(attrs={"rows": 2}))
    decided_on = forms.DateField(label=_("Date"), widget=DateInput)

    def __init__(self, *args, group, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["point"] = _group_point_field(group)


class ActionForm(forms.Form):
    title = forms.CharField(label=_("Action"), max_length=200)
    owner = MemberChoiceField(label=_("Owner"), queryset=None)
    due_date = forms.DateField(label=_("Due date"), required=False, widget=DateInput)

    def __init__(self, *args, group, **kwargs):
        from accounts.models import Membership

        super().__init__(*args, **kwargs)
        self.fields["point"] = _group_point_field(group, required=True, label=_("Improvement point"))
        self.fields["owner"].queryset = (Membership.objects.active()
                                         .filter(cocreation_memberships__group=group)
                                         .select_related("user").order_by("user__name"))
        self.order_fields(["point", "title", "owner", "due_date"])


class MeetingForm(forms.Form):
    starts_at = forms.DateTimeField(label=_("Date and time"), widget=DateTimeInput,
                                    input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    agenda = forms.CharField(label=_("Agenda"), required=False, widget=forms.Textarea(attrs={"rows": 4}))


class MinutesForm(forms.Form):
    agenda = forms.CharField(label=_("Agenda"), required=False, widget=forms.Textarea(attrs={"rows": 4}))
    minutes = forms.CharField(label=_("Minutes of the meeting"), required=False,
                              widget=forms.Textarea(attrs={"rows": 10}))


class AdoptForm(forms.Form):
    title = forms.CharField(label=_("Title of the improvement point"), max_length=200, required=False)
