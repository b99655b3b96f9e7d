"""Pages for research waves, their questionnaires, the organisation's survey settings,
the import wizard and the responses of a wave.

Each view checks a capability (``OrgRequiredMixin``), resolves its object through an
``access_*_by_id`` selector, parses a form, calls one service and renders.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View

from accounts.permissions import Capability
from accounts.ratelimit import rate_limited
from accounts.tenancy import OrgRequiredMixin
from research import importing, selectors, services, services_settings
from research.forms import (
    CompetitorForm,
    CoreValueForm,
    DriverForm,
    ImportUploadForm,
    MappingForm,
    QuestionFormSet,
    QuestionnaireCopyForm,
    QuestionnaireImportForm,
    ResponseFilterForm,
    WaveCreateForm,
    WaveForm,
    WaveStatusForm,
    question_initial,
)
from research.models import JobStatus, WaveStatus

PAGE_SIZE = 50

# Which status a wave may move to from each status: open, close, and reopen.
NEXT_STATUSES = {
    WaveStatus.DRAFT: (WaveStatus.OPEN,),
    WaveStatus.OPEN: (WaveStatus.CLOSED,),
    WaveStatus.CLOSED: (WaveStatus.OPEN,),
}


class ResearchView(OrgRequiredMixin, View):
    """Shared helpers for the research pages."""

    def url(self, name: str, **kwargs) -> str:
        return reverse(f"research:{name}", kwargs={"org": self.organisation.slug, **kwargs})

    def wave(self, pk):
        return selectors.access_wave_by_id(self.organisation, pk)


# --- Waves --------------------------------------------------------------------------------


class WaveListView(ResearchView):
    capability = Capability.VIEW_WAVES

    def get(self, request, org):
        return render(request, "research/wave_list.html",
                      {"waves": selectors.wave_list(self.organisation)})


class WaveCreateView(ResearchView):
    capability = Capability.MANAGE_WAVES

    def form(self, data=None):
        return WaveCreateForm(data, organisation=self.organisation)

    def get(self, request, org):
        return render(request, "research/wave_form.html", {"form": self.form()})

    def post(self, request, org):
        form = self.form(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                wave = services.wave_create(
                    organisation=self.organisation, actor=self.membership, name=data["name"],
                    period_start=data["period_start"], period_end=data["period_end"],
                    is_anonymous=data["is_anonymous"], **form.copy_arguments())
            except ValueError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("Wave “%(name)s” has been created. Check its "
                                            "questionnaire before you open it.")
                                 % {"name": wave.name})
                return redirect(wave.get_absolute_url())
        return render(request, "research/wave_form.html", {"form": form})


class WaveDetailView(ResearchView):
    capability = Capability.VIEW_WAVES

    def get(self, request, org, pk):
        wave = self.wave(pk)
        counts = selectors.wave_response_counts(wave)
        return render(request, "research/wave_detail.html", {
            "wave": wave,
            "counts": counts,
            "questions": selectors.wave_questions(wave),
            "jobs": (selectors.wave_import_jobs(wave)
                     if self.can(Capability.IMPORT_RESPONSES) else []),
            "next_statuses": [(s, WaveStatus(s).label) for s in NEXT_STATUSES[wave.status]],
            "locked": counts.total > 0,
        })


class WaveUpdateView(ResearchView):
    capability = Capability.MANAGE_WAVES

    def form(self, wave, data=None):
        initial = {"name": wave.name, "period_start": wave.period_start,
                   "period_end": wave.period_end, "is_anonymous": wave.is_anonymous}
        return WaveForm(data, organisation=self.organisation, wave=wave, initial=initial,
                        anonymity_locked=selectors.wave_has_responses(wave))

    def get(self, request, org, pk):
        wave = self.wave(pk)
        return render(request, "research/wave_form.html", {"form": self.form(wave), "wave": wave})

    def post(self, request, org, pk):
        wave = self.wave(pk)
        form = self.form(wave, request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services_settings.wave_update(
                    wave=wave, name=data["name"], period_start=data["period_start"],
                    period_end=data["period_end"], is_anonymous=data["is_anonymous"])
            except ValueError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("The wave has been saved."))
                return redirect(wave.get_absolute_url())
        return render(request, "research/wave_form.html", {"form": form, "wave": wave})


class WaveStatusView(ResearchView):
    """Open, close or reopen a wave."""

    capability = Capability.MANAGE_WAVES

    def post(self, request, org, pk):
        wave = self.wave(pk)
        form = WaveStatusForm(request.POST)
        if form.is_valid() and form.cleaned_data["status"] in NEXT_STATUSES[wave.status]:
            services.wave_set_status(wave=wave, status=form.cleaned_data["status"])
            messages.success(request, _("The wave is now %(status)s.")
                             % {"status": wave.get_status_display().lower()})
        else:
            messages.error(request, _("The wave cannot move to that status."))
        return redirect(wave.get_absolute_url())


# --- Questionnaires -----------------------------------------------------------------------


class QuestionnaireEditView(ResearchView):
    """Edit the questions of a wave: only while it has no responses."""

    capability = Capability.MANAGE_WAVES
    template_name = "research/questionnaire_edit.html"

    def context(self, wave, formset, **extra) -> dict:
        locked = selectors.wave_has_responses(wave)
        return {"wave": wave, "formset": formset, "locked": locked,
                "questions": selectors.wave_questions(wave) if locked else [],
                "copy_form": QuestionnaireCopyForm(organisation=self.organisation, wave=wave),
                "import_form": QuestionnaireImportForm(), **extra}

    def get(self, request, org, pk):
        wave = self.wave(pk)
        formset = QuestionFormSet(initial=question_initial(selectors.wave_questions(wave)),
                                  prefix="q")
        return render(request, self.template_name, self.context(wave, formset))

    def post(self, request, org, pk):
        wave = self.wave(pk)
        if selectors.wave_has_responses(wave):
            messages.error(request, _("This wave already has responses; its questions are "
                                      "fixed."))
            return redirect(self.url("questionnaire_edit", pk=wave.pk))
        if "add" in request.POST:
            # One more empty question without saving: re-render with an extra form.
            data = request.POST.copy()
            total = int(data.get("q-TOTAL_FORMS", "0") or 0)
            data["q-TOTAL_FORMS"] = str(min(total + 1, 200))
            formset = QuestionFormSet(data, prefix="q")
            formset.is_valid()  # show what is wrong so far, but keep it unsaved
            return render(request, self.template_name,
                          self.context(wave, formset, adding=True))
        formset = QuestionFormSet(request.POST, prefix="q")
        if formset.is_valid():
            try:
                services.questionnaire_import(
                    wave=wave, document=formset.document(services.QUESTIONNAIRE_FORMAT))
            except services.QuestionnaireInvalid as error:
                return render(request, self.template_name,
                              self.context(wave, formset, service_error=str(error)))
            messages.success(request, _("The questionnaire has been saved."))
            return redirect(self.url("questionnaire_edit", pk=wave.pk))
        return render(request, self.template_name, self.context(wave, formset))


class QuestionnaireExportView(ResearchView):
    capability = Capability.MANAGE_WAVES

    def get(self, request, org, pk):
        wave = self.wave(pk)
        document = services.questionnaire_export(wave=wave)
        response = HttpResponse(json.dumps(document, ensure_ascii=False, indent=2),
                                content_type="application/json; charset=utf-8")
        filename = f"{slugify(wave.name) or 'wave'}-questionnaire.json"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


class QuestionnaireImportView(ResearchView):
    capability = Capability.MANAGE_WAVES

    def get(self, request, org, pk):
        wave = self.wave(pk)
        return render(request, "research/questionnaire_import.html",
                      {"wave": wave, "form": QuestionnaireImportForm(),
                       "locked": selectors.wave_has_responses(wave)})

    def post(self, request, org, pk):
        wave = self.wave(pk)
        form = QuestionnaireImportForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                questions = services.questionnaire_import(wave=wave,
                                                          document=form.cleaned_data["file"])
            except services.QuestionnaireInvalid as error:
                form.add_error("file", _("This questionnaire cannot be used: %(reason)s.")
                               % {"reason": error})
            else:
                messages.success(request, _("The questionnaire has been replaced by the %(n)s "
                                            "questions of the file.") % {"n": len(questions)})
                return redirect(self.url("questionnaire_edit", pk=wave.pk))
        return render(request, "research/questionnaire_import.html",
                      {"wave": wave, "form": form,
                       "locked": selectors.wave_has_responses(wave)}, status=400)


class QuestionnaireCopyView(ResearchView):
    capability = Capability.MANAGE_WAVES

    def post(self, request, org, pk):
        wave = self.wave(pk)
        form = QuestionnaireCopyForm(request.POST, organisation=self.organisation, wave=wave)
        if not form.is_valid():
            messages.error(request, _("Choose a wave of this organisation to copy from."))
            return redirect(self.url("questionnaire_edit", pk=wave.pk))
        source = form.cleaned_data["source"]
        try:
            services.questionnaire_import(wave=wave,
                                          document=services.questionnaire_export(wave=source))
        except services.QuestionnaireInvalid as error:
            messages.error(request, _("The questionnaire could not be copied: %(reason)s.")
                           % {"reason": error})
        else:
            messages.success(request, _("The questionnaire of “%(name)s” has been copied.")
                             % {"name": source.name})
        return redirect(self.url("questionnaire_edit", pk=wave.pk))


# --- Organisation survey settings ---------------------------------------------------------


class SurveySettingsView(ResearchView):
    capability = Capability.MANAGE_WAVES

    def get(self, request, org):
        return self.page(request)

    def page(self, request, status=200, **forms):
        data = selectors.survey_settings(self.organisation)
        for driver in data["drivers"]:
            driver.form = forms.pop(f"driver_{driver.pk}", None) or DriverForm(
                prefix=f"d{driver.pk}",
                initial={"name_nl": driver.name_nl, "name_en": driver.name_en,
                         "is_active": driver.is_active, "position": driver.position})
        context = {
            **data,
            "driver_form": forms.get("driver_form") or DriverForm(prefix="driver"),
            "core_value_form": forms.get("core_value_form") or CoreValueForm(prefix="value"),
            "competitor_form": forms.get("competitor_form") or CompetitorForm(prefix="competitor"),
        }
        return render(request, "research/settings.html", context, status=status)


class SettingsWriteView(SurveySettingsView):
    """A POST from the settings page: run one service, then back to the page."""

    http_method_names = ["post"]

    def done(self, message: str):
        messages.success(self.request, message)
        return redirect(self.url("survey_settings"))


class DriverCreateView(SettingsWriteView):
    def post(self, request, org):
        form = DriverForm(request.POST, prefix="driver")
        if form.is_valid():
            data = form.cleaned_data
            try:
                services_settings.driver_create(organisation=self.organisation,
                                                name_nl=data["name_nl"], name_en=data["name_en"],
                                                is_active=data["is_active"])
            except services_settings.SettingInvalid as error:
                form.add_error(None, str(error))
            else:
                return self.done(_("The driver has been added."))
        return self.page(request, status=400, driver_form=form)


class DriverUpdateView(SettingsWriteView):
    def post(self, request, org, pk):
        driver = selectors.access_driver_by_id(self.organisation, pk)
        form = DriverForm(request.POST, prefix=f"d{driver.pk}")
        if form.is_valid():
            data = form.cleaned_data
            services_settings.driver_update(driver=driver, name_nl=data["name_nl"],
                                            name_en=data["name_en"],
                                            is_active=data["is_active"],
                                            position=data["position"])
            return self.done(_("The driver has been saved."))
        return self.page(request, status=400, **{f"driver_{driver.pk}": form})


class NamedSettingCreateView(SettingsWriteView):
    """Add one named setting (a core value, a competitor) from the settings page."""

    form_class: type
    prefix: str
    context_name: str
    message: str

    def create(self, name: str) -> None:
        raise NotImplementedError

    def post(self, request, org):
        form = self.form_class(request.POST, prefix=self.prefix)
        if form.is_valid():
            try:
                self.create(form.cleaned_data["name"])
            except services_settings.SettingInvalid as error:
                form.add_error("name", str(error))
            else:
                return self.done(self.message)
        return self.page(request, status=400, **{self.context_name: form})


class CoreValueCreateView(NamedSettingCreateView):
    form_class, prefix, context_name = CoreValueForm, "value", "core_value_form"
    message = gettext_lazy("The core value has been added.")

    def create(self, name: str) -> None:
        services_settings.core_value_create(organisation=self.organisation, name=name)


class CoreValueDeleteView(SettingsWriteView):
    def post(self, request, org, pk):
        value = selectors.access_core_value_by_id(self.organisation, pk)
        services_settings.core_value_delete(core_value=value)
        return self.done(_("The core value has been removed."))


class CompetitorCreateView(NamedSettingCreateView):
    form_class, prefix, context_name = CompetitorForm, "competitor", "competitor_form"
    message = gettext_lazy("The competitor has been added.")

    def create(self, name: str) -> None:
        services_settings.competitor_create(organisation=self.organisation, name=name)


class CompetitorDeleteView(SettingsWriteView):
    def post(self, request, org, pk):
        competitor = selectors.access_competitor_by_id(self.organisation, pk)
        services_settings.competitor_delete(competitor=competitor)
        return self.done(_("The competitor has been removed."))


# --- Responses ----------------------------------------------------------------------------


class ResponseListView(ResearchView):
    capability = Capability.VIEW_WAVES

    def get(self, request, org, pk):
        wave = self.wave(pk)
        form = ResponseFilterForm(request.GET or None, organisation=self.organisation)
        responses = selectors.response_list(wave, **form.filters())
        page = Paginator(responses, PAGE_SIZE).get_page(request.GET.get("page"))
        query = request.GET.copy()
        query.pop("page", None)
        return render(request, "research/response_list.html", {
            "wave": wave, "form": form, "page": page, "query": query.urlencode(),
            "filtered": bool(form.filters()),
        })


# --- Imports ------------------------------------------------------------------------------

ERRORS_SHOWN = 200
LAYOUT_LABELS = {
    "qualtrics": "Qualtrics", "surveymonkey": "SurveyMonkey", "limesurvey": "LimeSurvey",
    "typeform": "Typeform", "google_forms": "Google Forms",
    "plain": gettext_lazy("a table with one header row"),
}
DELIMITER_LABELS = {
    ",": gettext_lazy("commas"), ";": gettext_lazy("semicolons"), "\t": gettext_lazy("tabs"),
    "|": gettext_lazy("vertical bars"),
}


class ImportView(ResearchView):
    capability = Capability.IMPORT_RESPONSES

    def job(self, pk):
        return selectors.access_importjob_by_id(self.organisation, pk)


class ImportUploadView(ImportView):
    """Step 1: upload a survey export for a wave."""

    def get(self, request, org, pk):
        wave = self.wave(pk)
        return render(request, "research/import_upload.html",
                      {"wave": wave, "form": ImportUploadForm()})

    def post(self, request, org, pk):
        wave = self.wave(pk)
        form = ImportUploadForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                job = importing.import_prepare(organisation=self.organisation, wave=wave,
                                               actor=self.membership, upload=upload,
                                               original_name=upload.name)
            except importing.ImportFileError as error:
                form.add_error("file", error.message)
            else:
                return redirect(self.url("import_mapping", pk=job.pk))
        return render(request, "research/import_upload.html", {"wave": wave, "form": form},
                      status=400)


class ImportMappingView(ImportView):
    """Step 2: check the detected layout and the proposed columns, choose the options."""

    template_name = "research/import_mapping.html"

    def setup_mapping(self, job):
        """Return (table, spec, proposal) for the job's file, or raise ImportFileError.

        ``import_prepare`` stored a proposal (from a saved mapping of this layout, else a
        guess); after a run it holds the user's own choice, which is offered again.
        """
        table = importing.read_table(job.stored_path)
        spec = services.questionnaire_spec(job.wave)
        proposal = importing.propose_mapping(table, spec, saved=job.mapping or None)
        return table, spec, proposal

    def context(self, job, table, form, **extra) -> dict:
        return {"job": job, "wave": job.wave, "table": table, "form": form,
                "preview": table.preview(10),
                "layout_label": LAYOUT_LABELS.get(table.layout, table.layout),
                "delimiter_label": DELIMITER_LABELS.get(table.delimiter, table.delimiter),
                # The first run defaults to a dry run; after one, to the real import.
                "first_run": not (job.dry_run and job.result), **extra}

    def unreadable(self, request, job, error):
        return render(request, "research/import_unreadable.html",
                      {"job": job, "wave": job.wave, "message": error.message}, status=400)

    def get(self, request, org, pk):
        job = self.job(pk)
        if job.status in (JobStatus.QUEUED, JobStatus.RUNNING) or self.finished_import(job):
            return redirect(self.url("import_detail", pk=job.pk))
        try:
            table, spec, proposal = self.setup_mapping(job)
        except importing.ImportFileError as error:
            return self.unreadable(request, job, error)
        options = job.options or {}
        form = MappingForm(table=table, spec=spec, proposal=proposal, initial={
            "skip_invalid": options.get("skip_invalid", False),
            "create_units": options.get("create_units", False)})
        return render(request, self.template_name, self.context(job, table, form))

    @staticmethod
    def finished_import(job) -> bool:
        """A real import that succeeded cannot run again (upload the file again)."""
        return job.status == JobStatus.SUCCEEDED and not job.dry_run

    def post(self, request, org, pk):
        job = self.job(pk)
        if job.status in (JobStatus.QUEUED, JobStatus.RUNNING) or self.finished_import(job):
            return redirect(self.url("import_detail", pk=job.pk))
        try:
            table, spec, proposal = self.setup_mapping(job)
        except importing.ImportFileError as error:
            return self.unreadable(request, job, error)
        form = MappingForm(request.POST, table=table, spec=spec, proposal=proposal)
        if form.is_valid():
            data = form.cleaned_data
            mapping = importing.Mapping.from_json(form.mapping_json())
            options = importing.ImportOptions(
                skip_invalid=data["skip_invalid"], create_units=data["create_units"],
                dry_run=request.POST.get("run") != MappingForm.IMPORT)
            try:
                job = importing.import_start(job=job, mapping=mapping, options=options,
                                             save_mapping_as=data["save_as"].strip() or None,
                                             actor=self.membership)
            except importing.MappingInvalid as error:
                for message in error.errors:
                    form.add_error(None, message)
            except importing.ImportFileError as error:
                form.add_error(None, error.message)
            except ValueError as error:
                form.add_error(None, str(error))
            else:
                return redirect(self.url("import_detail", pk=job.pk))
        return render(request, self.template_name, self.context(job, table, form), status=400)


class ImportRunView(ImportView):
    """After a dry run: run the real import of the same file with the same mapping."""

    def post(self, request, org, pk):
        job = self.job(pk)
        if not (job.dry_run and job.status == JobStatus.SUCCEEDED):
            messages.error(request, _("Only a finished dry run can be imported this way."))
            return redirect(self.url("import_detail", pk=job.pk))
        options = importing.ImportOptions.from_json(job.options)
        options = importing.ImportOptions(
            skip_invalid=options.skip_invalid or bool(request.POST.get("skip_invalid")),
            create_units=options.create_units, dry_run=False)
        try:
            job = importing.import_start(job=job, mapping=importing.Mapping.from_json(job.mapping),
                                         options=options, actor=self.membership)
        except importing.MappingInvalid as error:
            messages.error(request, " ".join(error.errors))
            return redirect(self.url("import_mapping", pk=job.pk))
        except importing.ImportFileError as error:
            messages.error(request, error.message)
        except ValueError as error:
            messages.error(request, str(error))
        return redirect(self.url("import_detail", pk=job.pk))


def import_summary(job) -> dict:
    """Return what the status partial shows about a job: progress and, once finished,
    counts, errors (the first ERRORS_SHOWN) and unmatched customers."""
    rows_done, rows_total, status = importing.import_progress(job)
    result = job.result or {}
    errors = result.get("errors") or []
    if rows_total:
        percent = min(100, round(100 * rows_done / rows_total))
    else:
        percent = 100 if status in (JobStatus.SUCCEEDED, JobStatus.FAILED) else 0
    unmatched = result.get("unmatched_customers") or {}
    return {
        "rows_done": rows_done, "rows_total": rows_total, "status": status,
        "status_label": JobStatus(status).label, "percent": percent,
        "running": status in (JobStatus.QUEUED, JobStatus.RUNNING),
        "finished": status in (JobStatus.SUCCEEDED, JobStatus.FAILED),
        "result": result,
        "errors": errors[:ERRORS_SHOWN],
        "error_count": result.get("error_count", len(errors)),
        "errors_cut": max(0, result.get("error_count", len(errors)) - ERRORS_SHOWN),
        "unmatched_count": unmatched.get("count", 0),
        "unmatched_lines": unmatched.get("lines", []),
        "has_rejected": selectors.import_rejected_file(job) is not None,
        "can_import": (job.dry_run and status == JobStatus.SUCCEEDED),
    }


class ImportDetailView(ImportView):
    """Step 3: the progress bar and, once done, what happened."""

    def get(self, request, org, pk):
        job = self.job(pk)
        if job.status == JobStatus.UPLOADED:
            return redirect(self.url("import_mapping", pk=job.pk))
        return render(request, "research/import_detail.html",
                      {"job": job, "wave": job.wave, **import_summary(job)})


class ImportProgressView(ImportView):
    """The progress partial that the detail page polls every second while the job runs."""

    def get(self, request, org, pk):
        job = self.job(pk)
        response = render(request, "research/_import_status.html",
                          {"job": job, "wave": job.wave, **import_summary(job)})
        response["Cache-Control"] = "no-store"
        return response


class ImportRejectedView(ImportView):
    """Download the rows an import refused, each with the reason."""

    @rate_limited("export", by="user")
    def get(self, request, org, pk):
        job = self.job(pk)
        path = selectors.import_rejected_file(job)
        if path is None:
            raise Http404
        name = f"{Path(job.original_name).stem}-rejected{path.suffix}"
        from audit.models import AuditAction
        from audit.services import audit_record

        # The refused rows are respondents' answers: downloading them is an export.
        audit_record(action=AuditAction.EXPORT_RESPONSES, organisation=self.organisation,
                     actor=self.membership, target=("wave", job.wave_id),
                     details={"job": job.pk, "rejected_rows": True, "format": "csv"})
        return FileResponse(path.open("rb"), as_attachment=True, filename=name)


class ResponseExportView(ImportView):
    """Download all responses of a wave as CSV or Excel."""

    FORMATS = {"csv": "text/csv; charset=utf-8",
               "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}

    @rate_limited("export", by="user")
    def get(self, request, org, pk):
        wave = self.wave(pk)
        fmt = request.GET.get("format", "csv")
        if fmt not in self.FORMATS:
            fmt = "csv"
        handle = tempfile.NamedTemporaryFile(suffix=f".{fmt}", delete=False)
        handle.close()
        path = Path(handle.name)
        try:
            importing.responses_export(wave=wave, path=path, fmt=fmt, actor=self.membership)
            stream = path.open("rb")
        finally:
            # Unlinked now, the open file still streams; nothing is left behind.
            path.unlink(missing_ok=True)
        filename = f"{slugify(wave.name) or 'wave'}-responses.{fmt}"
        return FileResponse(stream, as_attachment=True, filename=filename,
                            content_type=self.FORMATS[fmt])
