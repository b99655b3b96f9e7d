"""Pages of the klantsafari: rounds, suggestions and assignments, my visits, reports, lessons."""

import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from accounts.permissions import Capability
from accounts.tenancy import OrgRequiredMixin
from safari import ical, selectors, services
from safari.forms import AdviceForm, AssignForm, LessonsFilterForm, ReportForm, RoundForm, VisitPlanForm
from safari.models import CalendarToken, VisitPhoto, VisitReason, VisitStatus


class SafariView(OrgRequiredMixin, View):
    capability = Capability.VIEW_SAFARIS


class RoundListView(SafariView):
    def get(self, request, org):
        return render(request, "safari/round_list.html", {
            "rounds": selectors.round_list(self.organisation),
            "can_plan": self.can(Capability.PLAN_SAFARIS),
        })


class RoundCreateView(SafariView):
    capability = Capability.PLAN_SAFARIS

    def get(self, request, org):
        today = timezone.localdate()
        quarter_start = today.replace(month=3 * ((today.month - 1) // 3) + 1, day=1)
        next_quarter = (quarter_start.replace(year=quarter_start.year + 1, month=1)
                        if quarter_start.month == 10
                        else quarter_start.replace(month=quarter_start.month + 3))
        quarter_end = next_quarter - datetime.timedelta(days=1)
        form = RoundForm(organisation=self.organisation, initial={
            "name": _("Customer safari Q%(quarter)d %(year)d") % {"quarter": (today.month - 1) // 3 + 1,
                                                                  "year": today.year},
            "starts_on": quarter_start, "ends_on": quarter_end})
        return render(request, "safari/round_form.html", {"form": form})

    def post(self, request, org):
        form = RoundForm(request.POST, organisation=self.organisation)
        if form.is_valid():
            try:
                safari_round = services.round_create(organisation=self.organisation, actor=self.membership,
                                                     **form.cleaned_data)
            except ValueError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("The round is on the schedule."))
                return redirect("safari:round", org=org, pk=safari_round.pk)
        return render(request, "safari/round_form.html", {"form": form}, status=400)


class RoundUpdateView(SafariView):
    capability = Capability.PLAN_SAFARIS

    def get(self, request, org, pk):
        safari_round = selectors.access_round_by_id(self.organisation, pk)
        form = RoundForm(organisation=self.organisation, initial={
            "name": safari_round.name, "starts_on": safari_round.starts_on, "ends_on": safari_round.ends_on,
            "visits_per_visitor": safari_round.visits_per_visitor, "notes": safari_round.notes,
            "visitors": list(safari_round.visitors.all())})
        return render(request, "safari/round_form.html", {"form": form, "round": safari_round})

    def post(self, request, org, pk):
        safari_round = selectors.access_round_by_id(self.organisation, pk)
        form = RoundForm(request.POST, organisation=self.organisation)
        if form.is_valid():
            try:
                services.round_update(safari_round=safari_round, actor=self.membership, **form.cleaned_data)
            except ValueError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Saved."))
                return redirect("safari:round", org=org, pk=safari_round.pk)
        return render(request, "safari/round_form.html", {"form": form, "round": safari_round}, status=400)


class RoundDetailView(SafariView):
    def get(self, request, org, pk):
        safari_round = selectors.access_round_by_id(self.organisation, pk)
        can_plan = self.can(Capability.PLAN_SAFARIS)
        progress = selectors.round_progress(safari_round)
        query = request.GET.get("q", "").strip()
        context = {"round": safari_round, "progress": progress, "can_plan": can_plan, "query": query,
                   "visitors": [p.visitor for p in progress]}
        if can_plan:
            # Suggestions for the visitor chosen (the first one still short of visits by default).
            chosen = request.GET.get("visitor")
            visitor = next((p.visitor for p in progress if str(p.visitor.pk) == chosen), None)
            if visitor is None:
                visitor = next((p.visitor for p in progress if p.assigned < p.target),
                               progress[0].visitor if progress else None)
            context["for_visitor"] = visitor
            if visitor is not None:
                context["suggestions"] = selectors.suggestions_for(safari_round, visitor)
            if query:
                context["results"] = selectors.customer_search(safari_round, query)
        return render(request, "safari/round_detail.html", context)


class VisitAssignView(SafariView):
    capability = Capability.PLAN_SAFARIS

    def post(self, request, org, pk):
        safari_round = selectors.access_round_by_id(self.organisation, pk)
        form = AssignForm(request.POST, safari_round=safari_round)
        back = reverse("safari:round", kwargs={"org": org, "pk": safari_round.pk})
        if not form.is_valid():
            messages.error(request, _("Check the visit: %(errors)s") % {"errors": form.errors.as_text()})
            return redirect(back)
        data = form.cleaned_data
        try:
            visit = services.visit_assign(
                safari_round=safari_round, actor=self.membership, visitor=data["visitor"],
                customer=data["customer"], contact=data["contact"], planned_at=data["planned_at"],
                place=data["place"], reason=data["reason"] or VisitReason.CHOSEN)
        except ValueError as exc:
            messages.error(request, str(exc))
            return redirect(back)
        messages.success(request, _("%(visitor)s visits %(customer)s.")
                         % {"visitor": visit.visitor.name, "customer": visit.customer.name})
        return redirect(f"{back}?visitor={visit.visitor_id}")


class VisitMixin(OrgRequiredMixin):
    """A visit is seen by whoever may see safaris, and by its own visitor."""

    def get_visit(self):
        visit = selectors.access_visit_by_id(self.organisation, self.kwargs["pk"])
        if visit.visitor_id != self.membership.pk and not self.can(Capability.VIEW_SAFARIS):
            raise PermissionDenied
        return visit

    def get_reportable_visit(self):
        visit = self.get_visit()
        if not services.may_report(visit, self.membership):
            raise PermissionDenied
        return visit


class VisitDetailView(VisitMixin, View):
    def get(self, request, org, pk):
        visit = self.get_visit()
        may_report = services.may_report(visit, self.membership)
        done = selectors.advice_points(visit)
        advice = [(line, done.get(services.advice_key(line))) for line in visit.advice_lines()]
        return render(request, "safari/visit_detail.html", {
            "visit": visit, "may_report": may_report, "advice": advice,
            "can_plan": self.can(Capability.PLAN_SAFARIS), "can_view": self.can(Capability.VIEW_SAFARIS),
            "touchpoints": visit.touchpoints.select_related("stage__journey"),
            "themes": visit.themes.all(), "has_photo": VisitPhoto.objects.filter(visit=visit).exists(),
            "plan_form": VisitPlanForm(visit=visit, initial={
                "planned_at": timezone.localtime(visit.planned_at) if visit.planned_at else None,
                "duration_minutes": visit.duration_minutes, "place": visit.place, "contact": visit.contact,
            }) if may_report and visit.status == VisitStatus.PLANNED else None,
        })


class VisitPlanView(VisitMixin, View):
    def post(self, request, org, pk):
        visit = self.get_reportable_visit()
        form = VisitPlanForm(request.POST, visit=visit)
        if form.is_valid():
            try:
                services.visit_plan(visit=visit, actor=self.membership, **form.cleaned_data)
                messages.success(request, _("Saved."))
            except ValueError as exc:
                messages.error(request, str(exc))
        else:
            messages.error(request, _("Check the plan: %(errors)s") % {"errors": form.errors.as_text()})
        return redirect("safari:visit", org=org, pk=visit.pk)


class VisitCancelView(VisitMixin, View):
    def post(self, request, org, pk):
        visit = self.get_visit()
        if not self.can(Capability.PLAN_SAFARIS):
            raise PermissionDenied
        try:
            services.visit_cancel(visit=visit, actor=self.membership)
            messages.success(request, _("The visit is cancelled."))
        except ValueError as exc:
            messages.error(request, str(exc))
        return redirect("safari:round", org=org, pk=visit.round_id)


class VisitReportView(VisitMixin, View):
    def render_form(self, visit, form, status=200):
        return render(self.request, "safari/visit_report.html", {
            "visit": visit, "form": form, "has_photo": VisitPhoto.objects.filter(visit=visit).exists(),
        }, status=status)

    def get(self, request, org, pk):
        visit = self.get_reportable_visit()
        form = ReportForm(organisation=self.organisation, initial={
            "went_well": visit.went_well, "went_wrong": visit.went_wrong, "advice": visit.advice,
            "quotes": visit.quotes, "themes": list(visit.themes.all()),
            "touchpoints": list(visit.touchpoints.all())})
        return self.render_form(visit, form)

    def post(self, request, org, pk):
        visit = self.get_reportable_visit()
        form = ReportForm(request.POST, request.FILES, organisation=self.organisation)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.visit_report(visit=visit, actor=self.membership, went_well=data["went_well"],
                                      went_wrong=data["went_wrong"], advice=data["advice"],
                                      quotes=data["quotes"], themes=data["themes"],
                                      touchpoints=data["touchpoints"], photo=data["photo"],
                                      remove_photo=data["remove_photo"])
            except ValueError as exc:
                form.add_error("photo" if data["photo"] and "photo" in str(exc).lower() else None, str(exc))
            else:
                messages.success(request, _("Your report is saved. Thank you!"))
                return redirect("safari:visit", org=org, pk=visit.pk)
        return self.render_form(visit, form, status=400)


class VisitPhotoView(VisitMixin, View):
    def get(self, request, org, pk):
        visit = self.get_visit()
        photo = VisitPhoto.objects.filter(visit=visit).first()
        if photo is None:
            raise Http404
        response = HttpResponse(bytes(photo.data), content_type="image/jpeg")
        response["Cache-Control"] = "private, max-age=3600"
        response["X-Content-Type-Options"] = "nosniff"
        return response


class AdvicePointView(VisitMixin, View):
    def post(self, request, org, pk):
        visit = self.get_reportable_visit()
        form = AdviceForm(request.POST)
        if not form.is_valid():
            messages.error(request, _("Choose the advice to turn into a point."))
            return redirect("safari:visit", org=org, pk=visit.pk)
        try:
            point = services.advice_to_point(visit=visit, actor=self.membership,
                                             advice=form.cleaned_data["advice"],
                                             title=form.cleaned_data["title"])
        except ValueError as exc:
            messages.error(request, str(exc))
            return redirect("safari:visit", org=org, pk=visit.pk)
        messages.success(request, _("Improvement point %(reference)s is raised, with this visit as evidence.")
                         % {"reference": point.reference})
        return redirect("safari:visit", org=org, pk=visit.pk)


class MyVisitsView(OrgRequiredMixin, View):
    def get(self, request, org, secret=None):
        visits = list(selectors.my_visits(self.membership))
        token = CalendarToken.objects.usable().filter(membership=self.membership).first()
        return render(request, "safari/my_visits.html", {
            "planned": [v for v in visits if v.status == VisitStatus.PLANNED],
            "done": [v for v in visits if v.status == VisitStatus.DONE],
            "token": token,
            "feed_url": request.build_absolute_uri(reverse("safari_feed:feed", kwargs={
                "org": org, "secret": secret})) if secret else None,
            "can_view": self.can(Capability.VIEW_SAFARIS),
        })


class CalendarTokenView(MyVisitsView):
    def post(self, request, org):
        if request.POST.get("action") == "revoke":
            services.calendar_token_revoke(membership=self.membership)
            messages.success(request, _("The calendar link no longer works."))
            return redirect("safari:my_visits", org=org)
        _token, secret = services.calendar_token_issue(membership=self.membership)
        # Shown once, here: only the hash is kept.
        return self.get(request, org, secret=secret)


class LessonsView(SafariView):
    def get(self, request, org):
        form = LessonsFilterForm(request.GET or None, organisation=self.organisation)
        safari_round = form.cleaned_data["round"] if form.is_valid() else None
        return render(request, "safari/lessons.html", {
            "form": form, "round": safari_round,
            "lessons": selectors.lessons(self.organisation, safari_round=safari_round),
        })


class FeedView(View):
    """The iCalendar feed of one member's visits, authenticated by the secret in its URL."""

    def get(self, request, org, secret):
        membership = services.calendar_token_member(organisation_slug=org, secret=secret)
        if membership is None:
            raise Http404
        events = []
        for visit in selectors.feed_visits(membership):
            summary = _("Customer visit: %(customer)s") % {"customer": visit.customer.name}
            description = [visit.round.name]
            if visit.contact:
                description.append(_("Contact person: %(name)s") % {"name": visit.contact.name}
                                   + (f" ({visit.contact.phone})" if visit.contact.phone else ""))
            url = request.build_absolute_uri(reverse("safari:visit", kwargs={"org": org, "pk": visit.pk}))
            events.append(ical.Event(
                uid=f"safari-visit-{visit.pk}@{request.get_host().split(':')[0]}",
                start=visit.planned_at, end=visit.ends_at, summary=summary, location=visit.place,
                description="\n".join(description + [url]), url=url,
                cancelled=visit.status == VisitStatus.CANCELLED))
        body = ical.calendar(events, name=_("My customer visits"), now=timezone.now())
        response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = 'inline; filename="klantsafari.ics"'
        response["Cache-Control"] = "private, no-store"
        response["Referrer-Policy"] = "no-referrer"
        return response
