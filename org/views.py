"""Pages for the unit tree, people, customers, contacts and CSV imports."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View
from django.views.generic import FormView, TemplateView

from accounts.models import MagicLink, MagicLinkPurpose
from accounts.permissions import Capability
from accounts.services import magic_links_revoke_for_contact, membership_create, membership_update
from accounts.tenancy import OrgRequiredMixin
from improvements import selectors as improvement_selectors
from org import importers, selectors, services
from org.forms import (
    ContactForm,
    CustomerFilterForm,
    CustomerForm,
    ImportForm,
    PersonFilterForm,
    PersonForm,
    UnitForm,
)
from org.models import Unit

PAGE_SIZE = 50


class OrgFormView(OrgRequiredMixin, FormView):
    """A form page whose form is built for the current organisation."""

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "organisation": self.organisation}

    def fail(self, form, error: ValueError):
        form.add_error(None, str(error))
        return self.form_invalid(form)


def _url(name: str, view, **kwargs) -> str:
    return reverse(f"org:{name}", kwargs={"org": view.organisation.slug, **kwargs})


# ---------------------------------------------------------------------------
# Overview


class DashboardView(OrgRequiredMixin, TemplateView):
    capability = Capability.VIEW_STRUCTURE
    template_name = "org/dashboard.html"

    def get_context_data(self, **kwargs):
        units = selectors.unit_tree_with_rollups(self.organisation, max_depth=2)
        return super().get_context_data(
            counts=selectors.organisation_counts(self.organisation),
            tree=selectors.nest_units(units),
            my_actions=improvement_selectors.action_summary(self.membership),
            point_statuses=improvement_selectors.point_status_counts(self.organisation),
            recent_changes=improvement_selectors.recent_changes(self.organisation),
            **kwargs,
        )


# ---------------------------------------------------------------------------
# Units


class UnitListView(OrgRequiredMixin, TemplateView):
    capability = Capability.VIEW_STRUCTURE
    template_name = "org/unit_list.html"

    def get_context_data(self, **kwargs):
        units = selectors.unit_tree_with_rollups(self.organisation)
        return super().get_context_data(tree=selectors.nest_units(units), **kwargs)


class UnitDetailView(OrgRequiredMixin, TemplateView):
    capability = Capability.VIEW_STRUCTURE
    template_name = "org/unit_detail.html"

    def get_context_data(self, **kwargs):
        unit = selectors.access_unit_by_id(self.organisation, self.kwargs["pk"])
        rows = selectors.unit_tree_with_rollups(self.organisation, root=unit,
                                                max_depth=unit.depth + 1)
        context = {
            "unit": rows[0],
            "children": rows[1:],
            "ancestors": list(Unit.objects.get_ancestors(unit)),
        }
        if self.can(Capability.VIEW_PEOPLE):
            context["members"] = list(
                selectors.person_list(self.organisation, active=True).filter(unit=unit)
            )
        return super().get_context_data(**context, **kwargs)


class UnitCreateView(OrgFormView):
    capability = Capability.MANAGE_STRUCTURE
    template_name = "org/unit_form.html"
    form_class = UnitForm

    def get_initial(self):
        parent = self.request.GET.get("parent")
        if parent and parent.isdigit():
            return {"parent": selectors.access_unit_by_id(self.organisation, parent)}
        return {"parent": selectors.unit_choices(self.organisation).first()}

    def form_valid(self, form):
        try:
            unit = services.unit_create(organisation=self.organisation, **form.cleaned_data)
        except ValueError as error:
            return self.fail(form, error)
        messages.success(self.request, _("Unit %(name)s created.") % {"name": unit.name})
        return redirect(_url("unit_detail", self, pk=unit.pk))


class UnitUpdateView(OrgFormView):
    capability = Capability.MANAGE_STRUCTURE
    template_name = "org/unit_form.html"
    form_class = UnitForm

    def get_unit(self):
        if not hasattr(self, "_unit"):
            self._unit = selectors.access_unit_by_id(self.organisation, self.kwargs["pk"])
        return self._unit

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "unit": self.get_unit()}

    def get_initial(self):
        unit = self.get_unit()
        initial = {"name": unit.name, "kind": unit.kind, "level": unit.level, "code": unit.code}
        if not unit.is_root():
            initial["parent"] = Unit.objects.get_parent(unit)
        return initial

    def get_context_data(self, **kwargs):
        return super().get_context_data(unit=self.get_unit(), **kwargs)

    def form_valid(self, form):
        try:
            unit = services.unit_update(unit=self.get_unit(), **form.cleaned_data)
        except ValueError as error:
            return self.fail(form, error)
        messages.success(self.request, _("Unit %(name)s saved.") % {"name": unit.name})
        return redirect(_url("unit_detail", self, pk=unit.pk))


class UnitDeleteView(OrgRequiredMixin, TemplateView):
    capability = Capability.MANAGE_STRUCTURE
    template_name = "org/unit_confirm_delete.html"

    def get_context_data(self, **kwargs):
        unit = selectors.access_unit_by_id(self.organisation, self.kwargs["pk"])
        rows = selectors.unit_tree_with_rollups(self.organisation, root=unit,
                                                max_depth=unit.depth)
        return super().get_context_data(unit=rows[0], **kwargs)

    def post(self, request, *args, **kwargs):
        unit = selectors.access_unit_by_id(self.organisation, self.kwargs["pk"])
        try:
            services.unit_delete(unit=unit)
        except ValueError as error:
            messages.error(request, str(error))
            return redirect(_url("unit_detail", self, pk=unit.pk))
        messages.success(request, _("Unit %(name)s deleted.") % {"name": unit.name})
        return redirect(_url("unit_list", self))


# ---------------------------------------------------------------------------
# People


class PersonListView(OrgRequiredMixin, TemplateView):
    capability = Capability.VIEW_PEOPLE
    template_name = "org/person_list.html"

    def get_context_data(self, **kwargs):
        form = PersonFilterForm(self.request.GET or None, organisation=self.organisation)
        filters = form.cleaned_data if form.is_valid() else {}
        people = selectors.person_list(
            self.organisation, q=filters.get("q"), unit=filters.get("unit"),
            role=filters.get("role"),
        )
        page = Paginator(people, PAGE_SIZE).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        return super().get_context_data(filter_form=form, page=page, query=query.urlencode(),
                                        **kwargs)


class PersonCreateView(OrgFormView):
    capability = Capability.MANAGE_PEOPLE
    template_name = "org/person_form.html"
    form_class = PersonForm

    def form_valid(self, form):
        try:
            person = membership_create(organisation=self.organisation, actor=self.membership,
                                       **form.cleaned_data)
        except ValueError as error:
            return self.fail(form, error)
        messages.success(self.request, _("%(name)s added.") % {"name": person.user.name})
        return redirect(_url("person_list", self))


class PersonUpdateView(OrgFormView):
    capability = Capability.MANAGE_PEOPLE
    template_name = "org/person_form.html"
    form_class = PersonForm

    def get_person(self):
        if not hasattr(self, "_person"):
            self._person = selectors.access_person_by_id(self.organisation, self.kwargs["pk"])
        return self._person

    def get_form_kwargs(self):
        person = self.get_person()
        return {**super().get_form_kwargs(), "person": person,
                "is_self": person.pk == self.membership.pk}

    def get_initial(self):
        person = self.get_person()
        return {"name": person.user.name, "role": person.role, "unit": person.unit,
                "job_title": person.job_title, "is_active": person.is_active}

    def get_context_data(self, **kwargs):
        return super().get_context_data(person=self.get_person(), **kwargs)

    def form_valid(self, form):
        person = membership_update(membership=self.get_person(), actor=self.membership,
                                   **form.cleaned_data)
        messages.success(self.request, _("%(name)s saved.") % {"name": person.user.name})
        return redirect(_url("person_list", self))


# ---------------------------------------------------------------------------
# Customers and contacts


class CustomerListView(OrgRequiredMixin, TemplateView):
    capability = Capability.VIEW_CUSTOMERS
    template_name = "org/customer_list.html"

    def get_template_names(self):
        if self.request.htmx and not self.request.htmx.boosted:
            return ["org/_customer_results.html"]
        return [self.template_name]

    def get_context_data(self, **kwargs):
        form = CustomerFilterForm(self.request.GET or None, organisation=self.organisation)
        filters = form.cleaned_data if form.is_valid() else {}
        customers = selectors.customer_list(
            self.organisation, q=filters.get("q"), unit=filters.get("unit"),
            segment=filters.get("segment"), owner=filters.get("owner"),
        )
        page = Paginator(customers, PAGE_SIZE).get_page(self.request.GET.get("page"))
        query = self.request.GET.copy()
        query.pop("page", None)
        return super().get_context_data(filter_form=form, page=page, query=query.urlencode(),
                                        **kwargs)


class CustomerDetailView(OrgRequiredMixin, TemplateView):
    capability = Capability.VIEW_CUSTOMERS
    template_name = "org/customer_detail.html"

    def get_context_data(self, **kwargs):
        customer = selectors.access_customer_by_id(self.organisation, self.kwargs["pk"])
        contacts = list(customer.contacts.annotate(open_links=Count(
            "magic_links", filter=Q(magic_links__in=MagicLink.objects.usable()))))
        return super().get_context_data(customer=customer, contacts=contacts,
                                        purposes=MagicLinkPurpose.choices, **kwargs)


class CustomerCreateView(OrgFormView):
    capability = Capability.MANAGE_CUSTOMERS
    template_name = "org/customer_form.html"
    form_class = CustomerForm

    def form_valid(self, form):
        try:
            customer = services.customer_create(organisation=self.organisation,
                                                **form.cleaned_data)
        except ValueError as error:
            return self.fail(form, error)
        messages.success(self.request, _("Customer %(name)s created.") % {"name": customer.name})
        return redirect(_url("customer_detail", self, pk=customer.pk))


class CustomerUpdateView(OrgFormView):
    capability = Capability.MANAGE_CUSTOMERS
    template_name = "org/customer_form.html"
    form_class = CustomerForm

    def get_customer(self):
        if not hasattr(self, "_customer"):
            self._customer = selectors.access_customer_by_id(self.organisation,
                                                             self.kwargs["pk"])
        return self._customer

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.get_customer()}

    def get_context_data(self, **kwargs):
        return super().get_context_data(customer=self.get_customer(), **kwargs)

    def form_valid(self, form):
        try:
            customer = services.customer_update(customer=self.get_customer(),
                                                **form.cleaned_data)
        except ValueError as error:
            return self.fail(form, error)
        messages.success(self.request, _("Customer %(name)s saved.") % {"name": customer.name})
        return redirect(_url("customer_detail", self, pk=customer.pk))


class CustomerDeleteView(OrgRequiredMixin, TemplateView):
    capability = Capability.MANAGE_CUSTOMERS
    template_name = "org/customer_confirm_delete.html"

    def get_context_data(self, **kwargs):
        customer = selectors.access_customer_by_id(self.organisation, self.kwargs["pk"])
        return super().get_context_data(customer=customer, **kwargs)

    def post(self, request, *args, **kwargs):
        customer = selectors.access_customer_by_id(self.organisation, self.kwargs["pk"])
        services.customer_delete(customer=customer)
        messages.success(request, _("Customer %(name)s deleted.") % {"name": customer.name})
        return redirect(_url("customer_list", self))


class ContactFormView(OrgRequiredMixin, FormView):
    capability = Capability.MANAGE_CUSTOMERS
    template_name = "org/contact_form.html"
    form_class = ContactForm


class ContactCreateView(ContactFormView):
    def get_customer(self):
        if not hasattr(self, "_customer"):
            self._customer = selectors.access_customer_by_id(self.organisation,
                                                             self.kwargs["pk"])
        return self._customer

    def get_context_data(self, **kwargs):
        return super().get_context_data(customer=self.get_customer(), **kwargs)

    def form_valid(self, form):
        customer = self.get_customer()
        contact = services.contact_create(customer=customer, **form.cleaned_data)
        messages.success(self.request, _("Contact %(name)s added.") % {"name": contact.name})
        return redirect(_url("customer_detail", self, pk=customer.pk))


class ContactUpdateView(ContactFormView):
    def get_contact(self):
        if not hasattr(self, "_contact"):
            self._contact = selectors.access_contact_by_id(self.organisation, self.kwargs["pk"])
        return self._contact

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "instance": self.get_contact()}

    def get_context_data(self, **kwargs):
        contact = self.get_contact()
        return super().get_context_data(customer=contact.customer, contact=contact, **kwargs)

    def form_valid(self, form):
        contact = services.contact_update(contact=self.get_contact(), **form.cleaned_data)
        messages.success(self.request, _("Contact %(name)s saved.") % {"name": contact.name})
        return redirect(_url("customer_detail", self, pk=contact.customer_id))


class ContactDeleteView(OrgRequiredMixin, TemplateView):
    capability = Capability.MANAGE_CUSTOMERS
    template_name = "org/contact_confirm_delete.html"

    def get_context_data(self, **kwargs):
        contact = selectors.access_contact_by_id(self.organisation, self.kwargs["pk"])
        return super().get_context_data(contact=contact, customer=contact.customer, **kwargs)

    def post(self, request, *args, **kwargs):
        contact = selectors.access_contact_by_id(self.organisation, self.kwargs["pk"])
        services.contact_delete(contact=contact)
        messages.success(request, _("Contact %(name)s deleted.") % {"name": contact.name})
        return redirect(_url("customer_detail", self, pk=contact.customer_id))


class ContactMagicLinkView(OrgRequiredMixin, View):
    """E-mail a contact a personal one-time link (POST only)."""

    capability = Capability.SEND_MAGIC_LINKS

    def post(self, request, *args, **kwargs):
        contact = selectors.access_contact_by_id(self.organisation, self.kwargs["pk"])
        purpose = request.POST.get("purpose") or MagicLinkPurpose.PORTAL
        back = redirect(_url("customer_detail", self, pk=contact.customer_id))
        if purpose not in MagicLinkPurpose.values:
            messages.error(request, _("Choose what the link is for."))
            return back
        try:
            services.contact_send_magic_link(contact=contact, purpose=purpose,
                                             sent_by=request.user,
                                             base_url=request.build_absolute_uri("/"))
        except ValueError as error:
            messages.error(request, str(error))
            return back
        messages.success(request, _("A personal link was sent to %(email)s.")
                         % {"email": contact.email})
        return back


class ContactMagicLinksRevokeView(OrgRequiredMixin, View):
    """Revoke every personal link of a contact that still works (POST only)."""

    capability = Capability.SEND_MAGIC_LINKS

    def post(self, request, *args, **kwargs):
        contact = selectors.access_contact_by_id(self.organisation, self.kwargs["pk"])
        count = magic_links_revoke_for_contact(contact=contact)
        messages.success(request, ngettext("%(count)d personal link of %(name)s no longer works.",
                                           "%(count)d personal links of %(name)s no longer work.",
                                           count) % {"count": count, "name": contact.name})
        return redirect(_url("customer_detail", self, pk=contact.customer_id))


# ---------------------------------------------------------------------------
# Imports


class ImportView(OrgRequiredMixin, FormView):
    """Upload a CSV file, run the importer (or a dry run) and show counts or every error."""

    capability = Capability.IMPORT_DATA
    template_name = "org/import.html"
    form_class = ImportForm
    importer = None
    title = ""
    columns: tuple[str, ...] = ()

    def get_context_data(self, **kwargs):
        return super().get_context_data(title=self.title, columns=self.columns, **kwargs)

    def form_valid(self, form):
        data = form.cleaned_data["file"].read()
        result = type(self).importer(organisation=self.organisation, data=data,
                                     dry_run=form.cleaned_data["dry_run"], actor=self.membership)
        return self.render_to_response(self.get_context_data(form=ImportForm(), result=result))


class ImportCustomersView(ImportView):
    importer = importers.import_customers
    title = gettext_lazy("Import customers")
    columns = importers.CUSTOMER_COLUMNS


class ImportPeopleView(ImportView):
    importer = importers.import_people
    title = gettext_lazy("Import people")
    columns = importers.PEOPLE_COLUMNS
