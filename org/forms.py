from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import Membership, Organisation, Role
from org import selectors
from org.importers import MAX_FILE_BYTES
from org.models import Contact, Customer, Level, Unit, UnitKind
from outsidein.uploads import TEXT, upload_check


class UnitChoiceField(forms.ModelChoiceField):
    """A unit select that shows the tree by indenting names."""

    def label_from_instance(self, obj: Unit) -> str:
        return selectors.unit_label(obj)


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Membership) -> str:
        return f"{obj.user.name} ({obj.user.email})"


class UnitForm(forms.Form):
    parent = UnitChoiceField(label=_("Part of"), queryset=Unit.objects.none())
    name = forms.CharField(label=_("Name"), max_length=150)
    kind = forms.ChoiceField(label=_("Kind"), choices=UnitKind.choices, initial=UnitKind.TEAM)
    level = forms.ChoiceField(label=_("Level"), choices=Level.choices,
                              initial=Level.OPERATIONAL)
    code = forms.CharField(label=_("Code"), max_length=40, required=False,
                           help_text=_("A short code used in imports, e.g. PAR-KS-N."))

    def __init__(self, *args, organisation: Organisation, unit: Unit | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation, self.unit = organisation, unit
        units = selectors.unit_choices(organisation)
        if unit is not None:
            # A unit cannot move under itself or its own units; the root cannot move.
            units = units.exclude(path__startswith=unit.path)
            if unit.is_root():
                del self.fields["parent"]
        if "parent" in self.fields:
            self.fields["parent"].queryset = units

    def clean_code(self):
        code = self.cleaned_data["code"].strip()
        if code:
            taken = Unit.objects.for_organisation(self.organisation).filter(code__iexact=code)
            if self.unit is not None:
                taken = taken.exclude(pk=self.unit.pk)
            if taken.exists():
                raise forms.ValidationError(_("Another unit already has this code."))
        return code


class PersonForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    email = forms.EmailField(label=_("E-mail address"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.EMPLOYEE)
    unit = UnitChoiceField(label=_("Unit"), queryset=Unit.objects.none(), required=False)
    job_title = forms.CharField(label=_("Job title"), max_length=120, required=False)
    is_active = forms.BooleanField(
        label=_("Active"), required=False, initial=True,
        help_text=_("Inactive people cannot log in to this organisation."),
    )

    def __init__(self, *args, organisation: Organisation, person: Membership | None = None,
                 is_self: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation, self.person = organisation, person
        self.fields["unit"].queryset = selectors.unit_choices(organisation)
        if person is None:
            del self.fields["is_active"]
        else:
            # The address is the person's login, shared across organisations.
            del self.fields["email"]
        if is_self:
            # Nobody locks themselves out by changing their own role or deactivating.
            self.fields["role"].disabled = True
            self.fields["is_active"].disabled = True

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        if Membership.objects.filter(organisation=self.organisation,
                                     user__email__iexact=email).exists():
            raise forms.ValidationError(_("This person is already in the organisation."))
        return email


class CustomerForm(forms.ModelForm):
    unit = UnitChoiceField(label=_("Unit"), queryset=Unit.objects.none(), required=False)
    account_owner = PersonChoiceField(label=_("Account owner"),
                                      queryset=Membership.objects.none(), required=False)

    class Meta:
        model = Customer
        fields = ["name", "kind", "customer_number", "email", "segment", "unit", "account_owner"]

    def __init__(self, *args, organisation: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        self.fields["unit"].queryset = selectors.unit_choices(organisation)
        owners = selectors.active_people(organisation)
        if self.instance.account_owner_id:
            # Keep a deactivated owner selectable so saving does not silently drop them.
            owners = (owners | Membership.objects.filter(pk=self.instance.account_owner_id,
                                                         organisation=organisation))
        self.fields["account_owner"].queryset = owners.distinct()

    def clean(self):
        cleaned = super().clean()
        number = (cleaned.get("customer_number") or "").strip()
        email = (cleaned.get("email") or "").strip()
        if not number and not email and not self.errors.get("email"):
            raise forms.ValidationError(
                _("Give a customer number or an e-mail address (or both).")
            )
        if number:
            taken = Customer.objects.for_organisation(self.organisation).filter(
                customer_number=number
            )
            if self.instance.pk:
                taken = taken.exclude(pk=self.instance.pk)
            if taken.exists():
                self.add_error("customer_number",
                               _("Another customer already has this customer number."))
        return cleaned

    def _post_clean(self):
        # Validation is above; the model instance is written by the service, not the form.
        pass


class ContactForm(forms.ModelForm):
    class Meta:
        model = Contact
        fields = ["name", "email", "phone", "job_title", "is_primary"]

    def _post_clean(self):
        pass


class CustomerFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False,
                        widget=forms.TextInput(attrs={"type": "search"}))
    unit = UnitChoiceField(label=_("Unit"), queryset=Unit.objects.none(), required=False,
                           empty_label=_("All units"))
    segment = forms.ChoiceField(label=_("Segment"), required=False)
    owner = PersonChoiceField(label=_("Account owner"), queryset=Membership.objects.none(),
                              required=False, empty_label=_("Anyone"))

    def __init__(self, *args, organisation: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = selectors.unit_choices(organisation)
        self.fields["owner"].queryset = selectors.active_people(organisation)
        self.fields["segment"].choices = [("", _("All segments"))] + [
            (s, s) for s in selectors.customer_segments(organisation)
        ]


class PersonFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False,
                        widget=forms.TextInput(attrs={"type": "search"}))
    unit = UnitChoiceField(label=_("Unit"), queryset=Unit.objects.none(), required=False,
                           empty_label=_("All units"))
    role = forms.ChoiceField(label=_("Role"), required=False,
                             choices=[("", _("All roles")), *Role.choices])

    def __init__(self, *args, organisation: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = selectors.unit_choices(organisation)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("CSV file"),
                           help_text=_("Comma-, semicolon- or tab-separated; at most 10 MB."))
    dry_run = forms.BooleanField(label=_("Check only (dry run): write nothing"), required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(
                _("The file is larger than 10 MB. Split it into smaller files.")
            )
        upload_check(upload, allowed=(TEXT,))  # by content: a program renamed .csv is refused
        return upload

