"""Session kits: every kit of a cascade as a background build with progress, and one
session's deck or handout on demand.

Access: the kits page, the build and the zip need ``view_insights`` (the kits show the
insights of every unit); one session's deck and handout need ``view_insights`` or
being that session's facilitator (a team leader who runs the team's session). Every
object is looked up within the member's organisation, so another's is 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.views import View

from accounts.permissions import Capability
from accounts.tenancy import OrgRequiredMixin
from cascade import kit_jobs, kits, selectors

PPTX_TYPE = "application/vnd.openxmlformats-officedocument.presentationml.presentation"


def _is_partial(request) -> bool:
    return bool(getattr(request, "htmx", False)) and not request.htmx.history_restore_request


class KitsView(OrgRequiredMixin, View):
    """The cascade's kits: build them all (POST), follow the build, download per session.

    With htmx (or ``?status=1``) the GET returns only the status part, which polls
    itself every second while the build runs."""

    capability = Capability.VIEW_INSIGHTS

    def context(self, cascade) -> dict:
        return {"cascade": cascade, "status": kit_jobs.kits_status(cascade)}

    def status(self, cascade):
        response = render(self.request, "cascade/kits_status.html", self.context(cascade))
        response["Cache-Control"] = "no-store"
        patch_vary_headers(response, ["HX-Request"])
        return response

    def get(self, request, org, pk):
        cascade = selectors.access_cascade_by_id(self.organisation, pk)
        if _is_partial(request) or request.GET.get("status"):
            return self.status(cascade)
        sessions = kits.cascade_sessions(cascade)
        stems = kits.kit_paths(sessions)
        response = render(request, "cascade/kits.html", {
            **self.context(cascade),
            "sessions": [(s, stems[s.pk]) for s in sessions],
        })
        patch_vary_headers(response, ["HX-Request"])
        return response

    def post(self, request, org, pk):
        cascade = selectors.access_cascade_by_id(self.organisation, pk)
        try:
            kit_jobs.kits_build_later(cascade=cascade)
        except kit_jobs.KitsBuilding as error:
            if not _is_partial(request):
                messages.info(request, str(error))
        if _is_partial(request):
            return self.status(cascade)
        return redirect("cascade:kits", org=org, pk=cascade.pk)


class KitsDownloadView(OrgRequiredMixin, View):
    """Download the zip of the cascade's latest complete build."""

    capability = Capability.VIEW_INSIGHTS

    def get(self, request, org, pk):
        cascade = selectors.access_cascade_by_id(self.organisation, pk)
        path = kit_jobs.kits_zip_path(cascade)
        if not path.exists():
            raise Http404
        return FileResponse(path.open("rb"), as_attachment=True,
                            filename=kit_jobs.kits_zip_name(cascade), content_type="application/zip")


class SessionKitView(OrgRequiredMixin, View):
    """One session's deck (``kind="pptx"``) or handout (``kind="pdf"``), made on request."""

    kind = "pdf"

    def get(self, request, org, pk):
        session = selectors.access_session_by_id(self.organisation, pk)
        if not (self.can(Capability.VIEW_INSIGHTS) or session.facilitator_id == self.membership.pk):
            raise PermissionDenied
        data = kits.session_kit_data(session)
        if self.kind == "pptx":
            body, content_type = kits.session_pptx(data), PPTX_TYPE
        else:
            body, content_type = kits.session_pdf(data), "application/pdf"
        response = HttpResponse(body, content_type=content_type)
        name = data.file_stem.replace("/", "__")
        response["Content-Disposition"] = f'attachment; filename="{name}.{self.kind}"'
        response["Cache-Control"] = "private, no-store"
        return response

