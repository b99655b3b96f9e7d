"""The privacy page for administrators: find a person, see what is held, export or erase."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views import View

from accounts.permissions import Capability
from accounts.tenancy import OrgRequiredMixin
from privacy import selectors, services
from privacy.forms import EraseForm, SearchForm


class PrivacyView(OrgRequiredMixin, View):
    capability = Capability.MANAGE_PERSONAL_DATA


class PersonView(PrivacyView):
    def get(self, request, org):
        form = SearchForm(request.GET or None)
        context = {"form": form, "data": None, "summary": None, "erase_form": None}
        if form.is_valid():
            email = form.cleaned_data["email"]
            try:
                data = selectors.person_data(self.organisation, email)
            except selectors.PersonNotFound:
                context["not_found"] = True
            else:
                context.update(data=data, summary=selectors.person_summary(data), email=email,
                               erase_form=EraseForm(initial={"email": email}),
                               query=urlencode({"email": email}))
        return render(request, "privacy/person.html", context)


class ExportView(PrivacyView):
    def get(self, request, org, fmt):
        form = SearchForm(request.GET)
        if fmt not in ("json", "zip") or not form.is_valid():
            raise Http404
        try:
            data = selectors.person_data(self.organisation, form.cleaned_data["email"])
        except selectors.PersonNotFound as exc:
            raise Http404 from exc
        name = f"persoonsgegevens-{slugify(form.cleaned_data['email'])}"
        if fmt == "json":
            response = HttpResponse(selectors.export_json(data), content_type="application/json")
            response["Content-Disposition"] = f'attachment; filename="{name}.json"'
        else:
            response = HttpResponse(selectors.export_zip(data), content_type="application/zip")
            response["Content-Disposition"] = f'attachment; filename="{name}.zip"'
        return response


class EraseView(PrivacyView):
    def post(self, request, org):
        form = EraseForm(request.POST)
        back = reverse("privacy:person", kwargs={"org": org})
        if not form.is_valid():
            messages.error(request, _("The confirmation does not match the e-mail address."))
            email = request.POST.get("email", "")
            return redirect(f"{back}?{urlencode({'email': email})}" if email else back)
        try:
            placeholder = services.person_erase(organisation=self.organisation,
                                                email=form.cleaned_data["email"], actor=self.membership)
        except selectors.PersonNotFound as exc:
            raise Http404 from exc
        except ValueError:
            messages.error(request, _("You cannot erase yourself; ask another administrator."))
            return redirect(f"{back}?{urlencode({'email': form.cleaned_data['email']})}")
        messages.success(request, _("The person's data is erased; they are now shown as “%(name)s”.")
                         % {"name": placeholder})
        return redirect(back)
