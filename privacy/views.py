"""The privacy page for administrators: find a person, see what is held, export or erase."""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views import View

from accounts.permissions import Capability
from accounts.ratelimit import rate_limited
from accounts.tenancy import OrgRequiredMixin
from privacy import selectors, services
from privacy.forms import EraseForm, RetentionForm, SearchForm
from privacy.models import WaveRetention


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
    @rate_limited("export", by="user")
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
        services.person_export_record(organisation=self.organisation, data=data, fmt=fmt,
                                      actor=self.membership)
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


class RetentionView(PrivacyView):
    """The retention policy: months, on/off and per-wave exceptions, saved only after a preview
    of what the next run would strip with exactly those settings."""

    template_name = "privacy/retention.html"

    def form(self, data=None):
        from research.models import Wave

        waves = Wave.objects.for_organisation(self.organisation).order_by("-created_at")
        policy = selectors.retention_policy_for(self.organisation)
        return RetentionForm(data, waves=waves,
                             exceptions=selectors.retention_exceptions(self.organisation),
                             initial={"months": policy.months, "is_active": policy.is_active})

    def render(self, form, *, preview=None, status=200):
        policy = selectors.retention_policy_for(self.organisation)
        context = {"form": form, "policy": policy, "saved": policy.pk is not None,
                   "preview": preview, "can_save": preview is not None and form.is_bound}
        if preview is None:
            # What the saved policy would strip at its next run.
            kept = selectors.kept_wave_ids(selectors.retention_exceptions(self.organisation),
                                           timezone.localdate())
            context["current"] = (selectors.retention_preview(
                self.organisation, months=policy.months, now=timezone.now(), kept_waves=kept)
                if policy.pk and policy.is_active else None)
        if preview is not None:
            context["preview_total"] = sum(w.responses for w in preview)
        return render(self.request, self.template_name, context, status=status)

    def get(self, request, org):
        return self.render(self.form())

    def post(self, request, org):
        form = self.form(request.POST)
        if not form.is_valid():
            return self.render(form, status=400)
        digest = form.digest()
        if request.POST.get("action") == "save" and form.cleaned_data["previewed"] == digest:
            services.retention_policy_save(
                organisation=self.organisation, actor=self.membership,
                months=form.cleaned_data["months"], is_active=form.cleaned_data["is_active"],
                exceptions=form.exceptions())
            messages.success(request, _("The retention policy is saved."))
            return redirect(reverse("privacy:retention", kwargs={"org": org}))
        if request.POST.get("action") == "save":
            messages.info(request, _("The settings changed since the preview: check it, then save."))
        # The form's exceptions, unsaved, judged by the same rule as the saved ones.
        kept = selectors.kept_wave_ids(
            [WaveRetention(wave=e["wave"], keep_until=e["keep_until"]) for e in form.exceptions()],
            timezone.localdate())
        preview = (selectors.retention_preview(self.organisation, months=form.cleaned_data["months"],
                                               now=timezone.now(), kept_waves=kept)
                   if form.cleaned_data["is_active"] else [])
        data = request.POST.copy()
        data["previewed"] = digest
        form = self.form(data)
        form.is_valid()
        return self.render(form, preview=preview)
