"""Pages of customer journeys: the list, the map editor, a touchpoint's evidence, the
step to an improvement point, and the PDF and PNG exports.

Reading needs ``view_journeys`` (all staff); every change needs ``edit_journeys``.
Which quotes a reader sees depends on their role (``selectors.Visibility``).
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views import View

from accounts.permissions import Capability
from accounts.tenancy import OrgRequiredMixin
from journeys import export, selectors, services
from journeys.forms import (
    JourneyCreateForm,
    JourneyForm,
    MoveForm,
    PointFromTouchpointForm,
    StageForm,
    TouchpointAddForm,
    TouchpointForm,
)


class JourneyView(OrgRequiredMixin, View):
    capability = Capability.VIEW_JOURNEYS

    def visibility(self) -> selectors.Visibility:
        return selectors.Visibility.of_role(self.membership.role)

    def to_map(self, journey, anchor: str = ""):
        url = reverse("journeys:detail", kwargs={"org": self.organisation.slug, "pk": journey.pk})
        return redirect(url + (f"#{anchor}" if anchor else ""))

    def failed(self, form_or_error) -> None:
        if isinstance(form_or_error, Exception):
            messages.error(self.request, str(form_or_error))
        else:
            messages.error(self.request, _("Check the form: %(errors)s")
                           % {"errors": form_or_error.errors.as_text()})


class EditView(JourneyView):
    capability = Capability.EDIT_JOURNEYS


class JourneyListView(JourneyView):
    def get(self, request, org):
        return render(request, "journeys/journey_list.html", {
            "journeys": selectors.journey_list(self.organisation),
            "form": JourneyCreateForm() if self.can(Capability.EDIT_JOURNEYS) else None,
        })


class JourneyCreateView(EditView):
    def post(self, request, org):
        form = JourneyCreateForm(request.POST)
        if not form.is_valid():
            self.failed(form)
            return redirect("journeys:list", org=org)
        journey = services.journey_create(
            organisation=self.organisation, actor=self.membership, name=form.cleaned_data["name"],
            description=form.cleaned_data["description"], stages=form.stage_names())
        messages.success(request, _("The journey is created."))
        return self.to_map(journey)


class JourneyDetailView(JourneyView):
    def get(self, request, org, pk):
        journey = selectors.access_journey_by_id(self.organisation, pk)
        journey.organisation = self.organisation
        wave, waves = selectors.survey_wave(self.organisation, request.GET.get("wave"))
        journey_map = selectors.journey_map(journey, wave=wave, visibility=self.visibility())
        return render(request, "journeys/journey_detail.html", {
            "journey": journey, "map": journey_map, "wave": wave, "waves": waves,
            "can_edit": self.can(Capability.EDIT_JOURNEYS),
            "visibility": self.visibility(),
            "stage_form": StageForm(), "touchpoint_form": TouchpointAddForm(),
        })


class JourneyUpdateView(EditView):
    def get(self, request, org, pk):
        journey = selectors.access_journey_by_id(self.organisation, pk)
        form = JourneyForm(initial={"name": journey.name, "description": journey.description})
        return render(request, "journeys/journey_form.html", {"journey": journey, "form": form})

    def post(self, request, org, pk):
        journey = selectors.access_journey_by_id(self.organisation, pk)
        form = JourneyForm(request.POST)
        if form.is_valid():
            services.journey_update(journey=journey, **form.cleaned_data)
            messages.success(request, _("Saved."))
            return self.to_map(journey)
        return render(request, "journeys/journey_form.html", {"journey": journey, "form": form})


class JourneyDeleteView(EditView):
    def post(self, request, org, pk):
        journey = selectors.access_journey_by_id(self.organisation, pk)
        services.journey_delete(journey=journey)
        messages.success(request, _("The journey is deleted."))
        return redirect("journeys:list", org=org)


# --- Stages ----------------------------------------------------------------------------------

class StageAddView(EditView):
    def post(self, request, org, pk):
        journey = selectors.access_journey_by_id(self.organisation, pk)
        form = StageForm(request.POST)
        if form.is_valid():
            stage = services.stage_add(journey=journey, name=form.cleaned_data["name"])
            return self.to_map(journey, f"stage-{stage.pk}")
        self.failed(form)
        return self.to_map(journey)


class StageView(EditView):
    def stage(self):
        return selectors.access_stage_by_id(self.organisation, self.kwargs["pk"])


class StageRenameView(StageView):
    def post(self, request, org, pk):
        stage = self.stage()
        form = StageForm(request.POST)
        if form.is_valid():
            services.stage_rename(stage=stage, name=form.cleaned_data["name"])
        else:
            self.failed(form)
        return self.to_map(stage.journey, f"stage-{stage.pk}")


class StageMoveView(StageView):
    def post(self, request, org, pk):
        stage = self.stage()
        form = MoveForm(request.POST)
        if form.is_valid():
            services.stage_move(stage=stage, direction=form.cleaned_data["direction"])
        return self.to_map(stage.journey, f"stage-{stage.pk}")


class StageDeleteView(StageView):
    def post(self, request, org, pk):
        stage = self.stage()
        services.stage_delete(stage=stage)
        messages.success(request, _("The stage is deleted."))
        return self.to_map(stage.journey)


# --- Touchpoints -----------------------------------------------------------------------------

class TouchpointAddView(StageView):
    def post(self, request, org, pk):
        stage = self.stage()
        form = TouchpointAddForm(request.POST)
        if not form.is_valid():
            self.failed(form)
            return self.to_map(stage.journey, f"stage-{stage.pk}")
        touchpoint = services.touchpoint_add(stage=stage, **form.cleaned_data)
        return self.to_map(stage.journey, f"touchpoint-{touchpoint.pk}")


class TouchpointView(JourneyView):
    def touchpoint(self):
        return selectors.access_touchpoint_by_id(self.organisation, self.kwargs["pk"])


class TouchpointDetailView(TouchpointView):
    def get(self, request, org, pk):
        touchpoint = self.touchpoint()
        wave, waves = selectors.survey_wave(self.organisation, request.GET.get("wave"))
        evidence = selectors.evidence_for(self.organisation, [touchpoint], wave=wave,
                                          visibility=self.visibility(),
                                          quotes=selectors.DETAIL_QUOTES,
                                          rows=selectors.DETAIL_QUOTES)[0]
        can_edit = self.can(Capability.EDIT_JOURNEYS)
        return render(request, "journeys/touchpoint_detail.html", {
            "touchpoint": touchpoint, "journey": touchpoint.stage.journey, "ev": evidence,
            "wave": wave, "waves": waves, "can_edit": can_edit, "visibility": self.visibility(),
            "point_form": PointFromTouchpointForm(initial={"title": touchpoint.name})
            if can_edit else None,
        })


class TouchpointUpdateView(TouchpointView):
    capability = Capability.EDIT_JOURNEYS

    def form(self, touchpoint, data=None):
        return TouchpointForm(data, organisation=self.organisation, journey=touchpoint.stage.journey,
                              initial={"name": touchpoint.name, "description": touchpoint.description,
                                       "stage": touchpoint.stage, "channel": touchpoint.channel,
                                       "unit": touchpoint.unit,
                                       "moment_of_truth": touchpoint.moment_of_truth,
                                       "themes": touchpoint.themes})

    def get(self, request, org, pk):
        touchpoint = self.touchpoint()
        return render(request, "journeys/touchpoint_form.html", {
            "touchpoint": touchpoint, "journey": touchpoint.stage.journey,
            "form": self.form(touchpoint)})

    def post(self, request, org, pk):
        touchpoint = self.touchpoint()
        form = self.form(touchpoint, request.POST)
        if form.is_valid():
            try:
                services.touchpoint_update(touchpoint=touchpoint, **form.cleaned_data)
            except ValueError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Saved."))
                return self.to_map(touchpoint.stage.journey, f"touchpoint-{touchpoint.pk}")
        return render(request, "journeys/touchpoint_form.html", {
            "touchpoint": touchpoint, "journey": touchpoint.stage.journey, "form": form})


class TouchpointMoveView(TouchpointView):
    capability = Capability.EDIT_JOURNEYS

    def post(self, request, org, pk):
        touchpoint = self.touchpoint()
        form = MoveForm(request.POST)
        if form.is_valid():
            services.touchpoint_move(touchpoint=touchpoint, direction=form.cleaned_data["direction"])
        return self.to_map(touchpoint.stage.journey, f"touchpoint-{touchpoint.pk}")


class TouchpointDeleteView(TouchpointView):
    capability = Capability.EDIT_JOURNEYS

    def post(self, request, org, pk):
        touchpoint = self.touchpoint()
        journey = touchpoint.stage.journey
        services.touchpoint_delete(touchpoint=touchpoint)
        messages.success(request, _("The touchpoint is deleted."))
        return self.to_map(journey)


class TouchpointPointView(TouchpointView):
    capability = Capability.EDIT_JOURNEYS

    def post(self, request, org, pk):
        touchpoint = self.touchpoint()
        form = PointFromTouchpointForm(request.POST)
        back = reverse("journeys:touchpoint", kwargs={"org": org, "pk": touchpoint.pk})
        if not form.is_valid():
            self.failed(form)
            return redirect(back)
        wave, _waves = selectors.survey_wave(self.organisation, request.POST.get("wave"))
        try:
            point = services.touchpoint_point_create(
                touchpoint=touchpoint, actor=self.membership, title=form.cleaned_data["title"],
                priority=form.cleaned_data["priority"], wave=wave)
        except (ValueError, PermissionDenied) as exc:
            self.failed(exc)
            return redirect(back)
        messages.success(request, _("Improvement point %(reference)s is raised with the "
                                    "touchpoint's negative evidence.") % {"reference": point.reference})
        return redirect(back)


# --- Exports ---------------------------------------------------------------------------------

class JourneyExportView(JourneyView):
    kind = "pdf"

    def get(self, request, org, pk):
        journey = selectors.access_journey_by_id(self.organisation, pk)
        journey.organisation = self.organisation
        wave, _waves = selectors.survey_wave(self.organisation, request.GET.get("wave"))
        journey_map = selectors.journey_map(journey, wave=wave, visibility=self.visibility())
        name = slugify(journey.name) or "klantreis"
        if self.kind == "png":
            response = HttpResponse(export.journey_png(journey_map), content_type="image/png")
        else:
            response = HttpResponse(export.journey_pdf(journey_map), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{name}.{self.kind}"'
        return response
