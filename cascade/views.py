"""Pages of the 1-2-3-spel: the cascade of a wave as a tree, and each session's page."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from accounts.permissions import Capability
from accounts.tenancy import OrgRequiredMixin
from cascade import selectors, services
from cascade.forms import (
    CascadeCreateForm,
    ConversationForm,
    ReviewForm,
    SessionFinishForm,
    SessionPlanForm,
    SessionRouteForm,
    SessionStartForm,
    TargetForm,
)
from cascade.models import ConversationStatus, SessionState
from cascade.review import review_pdf
from org.models import Level


class CascadeView(OrgRequiredMixin, View):
    capability = Capability.VIEW_CASCADES


class CascadeListView(CascadeView):
    def get(self, request, org):
        return render(request, "cascade/cascade_list.html", {
            "cascades": selectors.cascade_list(self.organisation),
            "form": CascadeCreateForm(organisation=self.organisation)
            if self.can(Capability.MANAGE_CASCADES) else None,
        })


class CascadeCreateView(CascadeView):
    capability = Capability.MANAGE_CASCADES

    def post(self, request, org):
        form = CascadeCreateForm(request.POST, organisation=self.organisation)
        if not form.is_valid():
            messages.error(request, _("Choose a research wave without 1-2-3 sessions."))
            return redirect("cascade:list", org=org)
        cascade = services.cascade_create(organisation=self.organisation, wave=form.cleaned_data["wave"],
                                          actor=self.membership)
        messages.success(request, _("The 1-2-3 sessions are created: %(count)d sessions.")
                         % {"count": cascade.sessions.count()})
        return redirect("cascade:detail", org=org, pk=cascade.pk)


class CascadeDetailView(CascadeView):
    def get(self, request, org, pk):
        cascade = selectors.access_cascade_by_id(self.organisation, pk)
        sessions = list(cascade.sessions.all())
        return render(request, "cascade/cascade_detail.html", {
            "cascade": cascade, "tree": selectors.cascade_tree(cascade),
            "counts": {state: sum(1 for s in sessions if s.state == state) for state in SessionState.values},
            "total": len(sessions),
        })


class SessionView(CascadeView):
    def get_session(self):
        return selectors.access_session_by_id(self.organisation, self.kwargs["pk"])

    def back(self, session):
        return redirect("cascade:session", org=self.organisation.slug, pk=session.pk)

    def require_manage(self):
        if not self.can(Capability.MANAGE_CASCADES):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied


class SessionDetailView(SessionView):
    def get(self, request, org, pk):
        session = self.get_session()
        manage = self.can(Capability.MANAGE_CASCADES)
        context = {"session": session, "blocked_by": services.blocked_by(session), "manage": manage,
                   "is_admin": self.membership.role == "admin",
                   "participants": session.participants.select_related("user").order_by("user__name"),
                   "children": session.children.select_related("unit").order_by("unit__path"),
                   "outcome_points": selectors.session_outcomes(session),
                   "show_coaching": selectors.may_read_coaching_notes(session, self.membership)}
        if session.level == Level.OPERATIONAL and (manage or session.facilitator_id == self.membership.pk):
            context["conversations"] = selectors.session_conversations(session)
        if manage:
            context["plan_form"] = SessionPlanForm(organisation=self.organisation, initial={
                "scheduled_at": timezone.localtime(session.scheduled_at) if session.scheduled_at else None,
                "place": session.place, "facilitator": session.facilitator,
                "participants": list(session.participants.all())})
            context["start_form"] = SessionStartForm()
            context["finish_form"] = SessionFinishForm(initial={"notes": session.notes,
                                                                "coaching_notes": session.coaching_notes})
            if session.level == Level.STRATEGIC:
                context["route_form"] = SessionRouteForm(organisation=self.organisation,
                                                         initial={"route": session.route})
        return render(request, "cascade/session_detail.html", context)


class SessionPlanView(SessionView):
    def post(self, request, org, pk):
        self.require_manage()
        session = self.get_session()
        form = SessionPlanForm(request.POST, organisation=self.organisation)
        if form.is_valid():
            data = form.cleaned_data
            services.session_plan(session=session, scheduled_at=data["scheduled_at"], place=data["place"],
                                  facilitator=data["facilitator"], participants=data["participants"])
            messages.success(request, _("Saved."))
        else:
            messages.error(request, _("Check the plan: %(errors)s") % {"errors": form.errors.as_text()})
        return self.back(session)


class SessionStartView(SessionView):
    def post(self, request, org, pk):
        self.require_manage()
        session = self.get_session()
        form = SessionStartForm(request.POST)
        form.is_valid()
        try:
            services.session_start(session=session, actor=self.membership,
                                   override_reason=form.cleaned_data.get("override_reason", ""))
        except (services.OrderViolation, ValueError) as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The session has started."))
        return self.back(session)


class SessionRouteView(SessionView):
    def post(self, request, org, pk):
        self.require_manage()
        session = self.get_session()
        form = SessionRouteForm(request.POST, organisation=self.organisation)
        if form.is_valid():
            try:
                services.session_route_set(session=session, route=form.cleaned_data["route"])
            except ValueError as exc:
                messages.error(request, str(exc))
        return self.back(session)


class SessionFinishView(SessionView):
    def post(self, request, org, pk):
        self.require_manage()
        session = self.get_session()
        form = SessionFinishForm(request.POST)
        form.is_valid()
        try:
            services.session_finish(session=session, notes=form.cleaned_data.get("notes", ""),
                                    coaching_notes=form.cleaned_data.get("coaching_notes", ""),
                                    actor=self.membership)
        except ValueError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The session is done."))
        return self.back(session)


class MyConversationsView(CascadeView):
    """The employee's customers to talk to after their team's session: the closed loop."""

    def get(self, request, org):
        conversations = selectors.my_conversations(self.membership)
        for conversation in conversations:
            conversation.form = ConversationForm(prefix=f"c{conversation.pk}", initial={
                "status": conversation.status, "outcome": conversation.outcome,
                "follow_up": conversation.follow_up, "follow_up_due": conversation.follow_up_due})
        return render(request, "cascade/my_conversations.html", {
            "conversations": conversations, "guide": selectors.conversation_guide(),
            "open": sum(1 for c in conversations if c.status == ConversationStatus.TO_DO)})


class ConversationLogView(CascadeView):
    def post(self, request, org, pk):
        conversation = selectors.access_conversation_by_id(self.membership, pk)
        form = ConversationForm(request.POST, prefix=f"c{conversation.pk}")
        if form.is_valid():
            try:
                services.conversation_log(conversation=conversation, **form.cleaned_data)
            except ValueError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("Saved."))
        else:
            messages.error(request, form.errors.as_text())
        return redirect(f"{reverse('cascade:my_conversations', args=[org])}#c{conversation.pk}")


class ReviewView(CascadeView):
    """The route's progress for the MT agenda: per point and unit, and the targets."""

    def get(self, request, org, pk):
        cascade = selectors.access_cascade_by_id(self.organisation, pk)
        if request.GET.get("format") == "pdf":
            response = HttpResponse(review_pdf(cascade), content_type="application/pdf")
            response["Content-Disposition"] = f'attachment; filename="voortgang-{cascade.pk}.pdf"'
            return response
        manage = self.can(Capability.MANAGE_CASCADES)
        return render(request, "cascade/review.html", {
            "cascade": cascade, "review": selectors.progress_review(cascade), "manage": manage,
            "target_form": TargetForm(organisation=self.organisation) if manage else None,
            "review_form": ReviewForm() if manage else None,
        })


class TargetSetView(CascadeView):
    capability = Capability.MANAGE_CASCADES

    def post(self, request, org, pk):
        cascade = selectors.access_cascade_by_id(self.organisation, pk)
        form = TargetForm(request.POST, organisation=self.organisation)
        if form.is_valid():
            services.target_set(cascade=cascade, unit=form.cleaned_data["unit"], nps=form.cleaned_data["nps"])
        else:
            messages.error(request, form.errors.as_text())
        return redirect("cascade:review", org=org, pk=cascade.pk)


class ReviewAddView(CascadeView):
    capability = Capability.MANAGE_CASCADES

    def post(self, request, org, pk):
        cascade = selectors.access_cascade_by_id(self.organisation, pk)
        form = ReviewForm(request.POST)
        if form.is_valid():
            services.review_add(cascade=cascade, **form.cleaned_data)
        else:
            messages.error(request, form.errors.as_text())
        return redirect("cascade:review", org=org, pk=cascade.pk)
