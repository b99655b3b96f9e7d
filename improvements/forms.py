"""Forms for the improvement pages. Every select offers only the current organisation's
objects: the querysets are narrowed in ``__init__``, so a posted id of another
organisation fails validation like any unknown value."""

from django import forms
from django.utils.translation import gettext_lazy as _

from improvements import selectors
from improvements.models import ActionStatus, PointStatus, Priority


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name or obj.email


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        # Indent by depth so the tree reads in a plain select.
        return "\u2002" * 2 * (obj.depth - 1) + obj.name


class PointChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.reference} {obj.title}"


class PointMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.reference} {obj.title}"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class BoardFilterForm(forms.Form):
    unit = UnitChoiceField(label=_("Unit"), queryset=None, required=False,
                           empty_label=_("All units"))
    theme = forms.ModelChoiceField(label=_("Theme"), queryset=None, required=False,
                                   empty_label=_("All themes"))
    owner = MemberChoiceField(label=_("Action owner"), queryset=None, required=False,
                              empty_label=_("Anyone"))
    route = forms.ModelChoiceField(label=_("Route"), queryset=None, required=False,
                                   empty_label=_("All routes"))
    q = forms.CharField(label=_("Search"), required=False, max_length=100,
                        widget=forms.TextInput(attrs={"type": "search"}))

    def __init__(self, *args, organisation, show_routes: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = selectors.units_for_select(organisation)
        self.fields["theme"].queryset = selectors.themes_for_select(organisation)
        self.fields["owner"].queryset = selectors.members_for_select(organisation)
        if show_routes:
            self.fields["route"].queryset = selectors.routes_for_select(organisation)
        else:
            del self.fields["route"]

    def filters(self) -> dict:
        """Return the valid filters as keyword arguments for ``point_board``."""
        if not self.is_valid():
            return {}
        return {name: value for name, value in self.cleaned_data.items() if value}


class PointForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 4}))
    theme = forms.ModelChoiceField(label=_("Theme"), queryset=None, required=False)
    new_theme = forms.CharField(
        label=_("Or a new theme"), max_length=80, required=False,
        help_text=_("Type a name to file the point under a theme that does not exist yet."),
    )
    unit = UnitChoiceField(label=_("Unit"), queryset=None, required=False)
    priority = forms.TypedChoiceField(label=_("Priority"), choices=Priority.choices, coerce=int,
                                      initial=Priority.MEDIUM)
    status = forms.ChoiceField(label=_("Status"), choices=PointStatus.choices,
                               initial=PointStatus.PROPOSED)
    raised_by = MemberChoiceField(label=_("Raised by"), queryset=None, required=False)
    raised_by_label = forms.CharField(
        label=_("Or raised by (group or customer)"), max_length=200, required=False,
        help_text=_("For points raised by a group or a customer rather than a colleague."),
    )

    def __init__(self, *args, organisation, with_status: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["theme"].queryset = selectors.themes_for_select(organisation)
        self.fields["unit"].queryset = selectors.units_for_select(organisation)
        self.fields["raised_by"].queryset = selectors.members_for_select(organisation)
        if not with_status:
            del self.fields["status"]

    def point_fields(self) -> dict:
        """Return the cleaned values the point services take (the theme is resolved apart)."""
        data = self.cleaned_data
        return {name: data[name] for name in ("title", "description", "unit", "priority",
                                               "raised_by", "raised_by_label")}


class PointStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=PointStatus.choices)


class ActionForm(forms.Form):
    title = forms.CharField(label=_("Action"), max_length=200)
    owner = MemberChoiceField(label=_("Owner"), queryset=None)
    due_date = forms.DateField(label=_("Due date"), required=False, widget=DateInput())

    def __init__(self, *args, organisation, prefix=None, **kwargs):
        super().__init__(*args, prefix=prefix, **kwargs)
        self.fields["owner"].queryset = selectors.members_for_select(organisation)


class ActionStatusForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), choices=ActionStatus.choices)


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Progress note"), max_length=4000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class EvidenceForm(forms.Form):
    label = forms.CharField(
        label=_("Source"), max_length=200,
        help_text=_("Where this comes from, e.g. “Survey spring 2026, comment 41”."),
    )
    quote = forms.CharField(label=_("Quote"), required=False,
                            widget=forms.Textarea(attrs={"rows": 3}))


class RouteForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    target = forms.CharField(label=_("Target"), required=False,
                             widget=forms.Textarea(attrs={"rows": 3}))
    vision = forms.CharField(label=_("Long-term vision"), required=False,
                             widget=forms.Textarea(attrs={"rows": 4}))
    points = PointMultipleChoiceField(
        label=_("Points"), queryset=None, required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("They are put on the route in number order; reorder them afterwards."),
    )

    def __init__(self, *args, organisation, with_points: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if with_points:
            self.fields["points"].queryset = selectors.points_for_select(organisation)
        else:
            del self.fields["points"]


class RoutePointAddForm(forms.Form):
    point = PointChoiceField(label=_("Add a point"), queryset=None)

    def __init__(self, *args, route, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["point"].queryset = selectors.points_not_in_route(route)


class RoutePointForm(forms.Form):
    """Pick a point that is on ``route`` (to remove it)."""

    point = PointChoiceField(label=_("Point"), queryset=None)

    def __init__(self, *args, route, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["point"].queryset = selectors.points_in_route(route)


class RoutePointMoveForm(RoutePointForm):
    direction = forms.ChoiceField(choices=[("up", _("Up")), ("down", _("Down"))])
