"""Pages for improvement points, actions, evidence and routes.

Each view checks a capability (``OrgRequiredMixin``), parses a form, calls one
service and renders. Endpoints used with htmx return a partial for htmx requests
and redirect back for plain form posts, so every page also works without script.
"""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views import View

from accounts.permissions import Capability
from accounts.tenancy import OrgRequiredMixin
from improvements import selectors, services
from improvements.forms import (
    ActionForm,
    ActionStatusForm,
    BoardFilterForm,
    EvidenceForm,
    NoteForm,
    PointForm,
    PointStatusForm,
    RouteForm,
    RoutePointAddForm,
    RoutePointForm,
    RoutePointMoveForm,
)
from improvements.models import PointStatus

ADD_ACTION_PREFIX = "action"


def _is_partial(request) -> bool:
    """Whether to answer with a fragment: an htmx request that is not a history restore."""
    return bool(request.htmx) and not request.htmx.history_restore_request


def _render(request, full_template: str, partial_template: str, context: dict, status=200):
    template = partial_template if _is_partial(request) else full_template
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _redirect_back(request, default: str):
    """Redirect to the posted ``next`` if it is a local URL, else to ``default``."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                  require_https=request.is_secure()):
        return redirect(target)
    return redirect(default)


class ImprovementView(OrgRequiredMixin, View):
    """Shared helpers: the action permission rule and the point page's context."""

    def can_update_action(self, action) -> bool:
        """Managers of actions may update any action; every owner may update their own."""
        if self.can(Capability.MANAGE_ACTIONS):
            return True
        return (self.can(Capability.UPDATE_OWN_ACTIONS)
                and action.owner_id == self.membership.pk)

    def require_action_update(self, action) -> None:
        if not self.can_update_action(action):
            raise PermissionDenied

    def point_context(self, point, **overrides) -> dict:
        actions = selectors.point_actions(point)
        for action in actions:
            action.can_update = self.can_update_action(action)
        context = {
            "point": point,
            "actions": actions,
            "evidence_list": selectors.point_evidence(point),
            "history": selectors.point_history(point),
            "routes": (selectors.point_routes(point) if self.can(Capability.VIEW_ROUTES)
                       else []),
            "status_form": PointStatusForm(initial={"status": point.status}),
            "action_form": ActionForm(organisation=self.organisation, prefix=ADD_ACTION_PREFIX),
            "evidence_form": EvidenceForm(),
            "note_form": NoteForm(),
        }
        context.update(overrides)
        return context


# The board and points --------------------------------------------------------------------

class BoardView(ImprovementView):
    capability = Capability.VIEW_POINTS

    def get(self, request, org):
        form = BoardFilterForm(request.GET or None, organisation=self.organisation,
                               show_routes=self.can(Capability.VIEW_ROUTES))
        board = selectors.point_board(self.organisation, **form.filters())
        return _render(request, "improvements/board.html", "improvements/_board.html",
                       {"form": form, "board": board, "filtered": bool(form.filters())})


def _resolve_theme(organisation, form):
    new_theme = form.cleaned_data.get("new_theme", "").strip()
    if new_theme:
        return services.theme_get_or_create(organisation=organisation, name=new_theme)
    return form.cleaned_data.get("theme")


class PointCreateView(ImprovementView):
    """Raise a point. Without ``manage_points`` it always starts as Proposed."""

    capability = Capability.RAISE_POINT

    def form(self, data=None):
        return PointForm(data, organisation=self.organisation,
                         with_status=self.can(Capability.MANAGE_POINTS),
                         initial={"raised_by": self.membership})

    def get(self, request, org):
        return render(request, "improvements/point_form.html", {"form": self.form()})

    def post(self, request, org):
        form = self.form(request.POST)
        if form.is_valid():
            status = PointStatus.PROPOSED
            if self.can(Capability.MANAGE_POINTS):
                status = form.cleaned_data.get("status") or PointStatus.PROPOSED
            with transaction.atomic():
                point = services.point_create(
                    organisation=self.organisation, actor=self.membership, status=status,
                    theme=_resolve_theme(self.organisation, form), **form.point_fields(),
                )
            messages.success(request, _("Improvement point %(reference)s has been raised.")
                             % {"reference": point.reference})
            return redirect(point.get_absolute_url())
        return render(request, "improvements/point_form.html", {"form": form})


class PointDetailView(ImprovementView):
    capability = Capability.VIEW_POINTS

    def get(self, request, org, pk):
        point = selectors.access_point_by_id(self.organisation, pk)
        return render(request, "improvements/point_detail.html", self.point_context(point))


class PointUpdateView(ImprovementView):
    capability = Capability.MANAGE_POINTS

    def get(self, request, org, pk):
        point = selectors.access_point_by_id(self.organisation, pk)
        form = PointForm(organisation=self.organisation, initial={
            "title": point.title, "description": point.description, "theme": point.theme,
            "unit": point.unit, "priority": point.priority, "raised_by": point.raised_by,
            "raised_by_label": point.raised_by_label,
        })
        return render(request, "improvements/point_form.html", {"form": form, "point": point})

    def post(self, request, org, pk):
        point = selectors.access_point_by_id(self.organisation, pk)
        form = PointForm(request.POST, organisation=self.organisation)
        if form.is_valid():
            with transaction.atomic():
                services.point_update(point=point, actor=self.membership,
                                      theme=_resolve_theme(self.organisation, form),
                                      **form.point_fields())
            messages.success(request, _("The improvement point has been saved."))
            return redirect(point.get_absolute_url())
        return render(request, "improvements/point_form.html", {"form": form, "point": point})


class PointStatusView(ImprovementView):
    capability = Capability.MANAGE_POINTS

    def post(self, request, org, pk):
        point = selectors.access_point_by_id(self.organisation, pk)
        form = PointStatusForm(request.POST)
        if form.is_valid():
            services.point_set_status(point=point, actor=self.membership,
                                      status=form.cleaned_data["status"])
        elif not _is_partial(request):
            messages.error(request, _("Choose one of the statuses."))
        if not _is_partial(request):
            return redirect(point.get_absolute_url())
        if form.is_valid():
            form = PointStatusForm(initial={"status": point.status})
        return _render(request, "improvements/point_detail.html",
                       "improvements/_point_status_response.html",
                       {"point": point, "status_form": form,
                        "history": selectors.point_history(point)})


# Actions ---------------------------------------------------------------------------------

class ActionCreateView(ImprovementView):
    capability = Capability.MANAGE_ACTIONS

    def post(self, request, org, pk):
        point = selectors.access_point_by_id(self.organisation, pk)
        form = ActionForm(request.POST, organisation=self.organisation, prefix=ADD_ACTION_PREFIX)
        if form.is_valid():
            try:
                services.action_create(point=point, actor=self.membership, **form.cleaned_data)
            except ValueError:
                form.add_error("owner", _("Choose an active member of this organisation."))
        if form.is_valid():
            if not _is_partial(request):
                messages.success(request, _("The action has been added."))
                return redirect(point.get_absolute_url() + "#actions")
            context = self.point_context(point)
        else:
            context = self.point_context(point, action_form=form)
        return _render(request, "improvements/point_detail.html",
                       "improvements/_actions_response.html", context)


class ActionUpdateView(ImprovementView):
    capability = Capability.MANAGE_ACTIONS

    def get(self, request, org, pk):
        action = selectors.access_action_by_id(self.organisation, pk)
        form = ActionForm(organisation=self.organisation, initial={
            "title": action.title, "owner": action.owner, "due_date": action.due_date})
        return render(request, "improvements/action_form.html", {"form": form, "action": action})

    def post(self, request, org, pk):
        action = selectors.access_action_by_id(self.organisation, pk)
        form = ActionForm(request.POST, organisation=self.organisation)
        if form.is_valid():
            try:
                services.action_update(action=action, actor=self.membership, **form.cleaned_data)
            except ValueError:
                form.add_error("owner", _("Choose an active member of this organisation."))
            else:
                messages.success(request, _("The action has been saved."))
                return redirect(action.point.get_absolute_url() + "#actions")
        return render(request, "improvements/action_form.html", {"form": form, "action": action})


class ActionStatusView(ImprovementView):
    """Change an action's status: its owner, or anyone who manages actions."""

    def post(self, request, org, pk):
        action = selectors.access_action_by_id(self.organisation, pk)
        self.require_action_update(action)
        form = ActionStatusForm(request.POST)
        if form.is_valid():
            services.action_set_status(action=action, actor=self.membership,
                                       status=form.cleaned_data["status"])
        if not _is_partial(request):
            if form.is_valid():
                messages.success(request, _("The status of “%(title)s” has been saved.")
                                 % {"title": action.title})
            return _redirect_back(request, action.point.get_absolute_url() + "#actions")
        action.can_update = True
        context = {"action": action, "point": action.point, "status_error": not form.is_valid()}
        if request.POST.get("layout") == "mine":
            template = "improvements/_my_action_row.html"
        else:
            # On the point's page the history is refreshed alongside the row.
            template = "improvements/_action_row_response.html"
            context["history"] = selectors.point_history(action.point)
        return _render(request, template, template, context)


class ActionNoteCreateView(ImprovementView):
    """Add a progress note: the action's owner, or anyone who manages actions."""

    def post(self, request, org, pk):
        action = selectors.access_action_by_id(self.organisation, pk)
        self.require_action_update(action)
        form = NoteForm(request.POST)
        if form.is_valid():
            services.action_note_add(action=action, actor=self.membership,
                                     text=form.cleaned_data["text"])
            form = NoteForm()
        elif not _is_partial(request):
            messages.error(request, _("Write a note before saving it."))
        if not _is_partial(request):
            return _redirect_back(request, action.point.get_absolute_url() + f"#notes-{action.pk}")
        action.can_update = True
        notes = list(action.notes.select_related("author"))
        return _render(request, "improvements/_action_notes_response.html",
                       "improvements/_action_notes_response.html",
                       {"action": action, "notes": notes, "note_form": form, "open": True,
                        "history": selectors.point_history(action.point)})


# Evidence --------------------------------------------------------------------------------

class EvidenceCreateView(ImprovementView):
    capability = Capability.MANAGE_POINTS

    def post(self, request, org, pk):
        point = selectors.access_point_by_id(self.organisation, pk)
        form = EvidenceForm(request.POST)
        if form.is_valid():
            services.evidence_add(point=point, actor=self.membership, **form.cleaned_data)
            messages.success(request, _("The evidence has been added."))
            return redirect(point.get_absolute_url() + "#evidence")
        return render(request, "improvements/point_detail.html",
                      self.point_context(point, evidence_form=form))


class EvidenceDeleteView(ImprovementView):
    capability = Capability.MANAGE_POINTS

    def post(self, request, org, pk):
        evidence = selectors.access_evidence_by_id(self.organisation, pk)
        point = evidence.point
        services.evidence_remove(evidence=evidence, actor=self.membership)
        messages.success(request, _("The evidence has been removed."))
        return redirect(point.get_absolute_url() + "#evidence")


# My actions ------------------------------------------------------------------------------

class MyActionsView(ImprovementView):
    capability = Capability.UPDATE_OWN_ACTIONS

    def get(self, request, org):
        actions = selectors.my_actions(self.membership)
        for action in actions:
            action.can_update = True
        from research.models import FollowUpStatus
        from research.selectors import my_open_follow_ups

        return render(request, "improvements/my_actions.html", {
            "actions": actions,
            "open_count": sum(1 for a in actions if a.finished == 0),
            "overdue_count": sum(1 for a in actions if a.is_overdue),
            # Customers to call after a low score or a contact request (research's closed loop).
            "follow_ups": my_open_follow_ups(self.membership),
            "follow_up_statuses": FollowUpStatus.choices,
        })


# Routes ----------------------------------------------------------------------------------

class RouteListView(ImprovementView):
    capability = Capability.VIEW_ROUTES

    def get(self, request, org):
        return render(request, "improvements/route_list.html",
                      {"routes": selectors.route_list(self.organisation)})


class RouteCreateView(ImprovementView):
    capability = Capability.MANAGE_ROUTES

    def get(self, request, org):
        form = RouteForm(organisation=self.organisation)
        return render(request, "improvements/route_form.html", {"form": form})

    def post(self, request, org):
        form = RouteForm(request.POST, organisation=self.organisation)
        if form.is_valid():
            route = services.route_create(organisation=self.organisation, actor=self.membership,
                                          **form.cleaned_data)
            messages.success(request, _("The route has been created."))
            return redirect("improvements:route_detail", org=org, pk=route.pk)
        return render(request, "improvements/route_form.html", {"form": form})


class RouteDetailView(ImprovementView):
    capability = Capability.VIEW_ROUTES

    def get(self, request, org, pk):
        route = selectors.access_route_by_id(self.organisation, pk)
        route_points = selectors.route_points(route)
        context = {"route": route, "route_points": route_points,
                   "done_count": sum(1 for rp in route_points
                                     if rp.point.status == PointStatus.DONE),
                   "history": selectors.route_history(route)}
        if self.can(Capability.MANAGE_ROUTES):
            context["add_form"] = RoutePointAddForm(route=route)
        return render(request, "improvements/route_detail.html", context)


class RouteUpdateView(ImprovementView):
    capability = Capability.MANAGE_ROUTES

    def get(self, request, org, pk):
        route = selectors.access_route_by_id(self.organisation, pk)
        form = RouteForm(organisation=self.organisation, with_points=False, initial={
            "name": route.name, "target": route.target, "vision": route.vision})
        return render(request, "improvements/route_form.html", {"form": form, "route": route})

    def post(self, request, org, pk):
        route = selectors.access_route_by_id(self.organisation, pk)
        form = RouteForm(request.POST, organisation=self.organisation, with_points=False)
        if form.is_valid():
            services.route_update(route=route, actor=self.membership, **form.cleaned_data)
            messages.success(request, _("The route has been saved."))
            return redirect("improvements:route_detail", org=org, pk=route.pk)
        return render(request, "improvements/route_form.html", {"form": form, "route": route})


class RoutePointAddView(ImprovementView):
    capability = Capability.MANAGE_ROUTES

    def post(self, request, org, pk):
        route = selectors.access_route_by_id(self.organisation, pk)
        form = RoutePointAddForm(request.POST, route=route)
        if form.is_valid():
            services.route_add_point(route=route, actor=self.membership,
                                     point=form.cleaned_data["point"])
        else:
            messages.error(request, _("Choose a point that is not on this route yet."))
        return redirect("improvements:route_detail", org=org, pk=route.pk)


class RoutePointRemoveView(ImprovementView):
    capability = Capability.MANAGE_ROUTES

    def post(self, request, org, pk):
        route = selectors.access_route_by_id(self.organisation, pk)
        form = RoutePointForm(request.POST, route=route)
        if form.is_valid():
            services.route_remove_point(route=route, actor=self.membership,
                                        point=form.cleaned_data["point"])
        else:
            messages.error(request, _("That point is not on this route."))
        return redirect("improvements:route_detail", org=org, pk=route.pk)


class RoutePointMoveView(ImprovementView):
    capability = Capability.MANAGE_ROUTES

    def post(self, request, org, pk):
        route = selectors.access_route_by_id(self.organisation, pk)
        form = RoutePointMoveForm(request.POST, route=route)
        if not form.is_valid():
            messages.error(request, _("That point could not be moved."))
            return redirect("improvements:route_detail", org=org, pk=route.pk)
        point = form.cleaned_data["point"]
        step = -1 if form.cleaned_data["direction"] == "up" else 1
        position = selectors.route_point_position(route, point)
        services.route_move_point(route=route, actor=self.membership, point=point,
                                  position=position + step)
        return redirect(reverse("improvements:route_detail", kwargs={"org": org, "pk": route.pk})
                        + f"#point-{point.pk}")
