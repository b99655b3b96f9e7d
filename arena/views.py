"""Pages of the klantarena: planning, the three live views, the report, the customer's side.

Planning pages check a capability; the live views check the viewer's role in the
arena's room (``live.selectors``), which is also what the socket checks, so a page
never offers what the server would refuse to do.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from accounts.models import MagicLinkPurpose
from accounts.permissions import Capability
from accounts.tenancy import OrgRequiredMixin
from arena import report, room_labels, selectors, services
from arena.forms import ArenaForm, CustomerSearchForm, EmployeeForm, RsvpForm, ScriptForm
from arena.models import ArenaInvitation, ArenaStatus, Rsvp
from live import selectors as live_selectors
from live.formats import RoomRole, format_get
from org.selectors import access_contact_by_id, access_person_by_id


class ArenaView(OrgRequiredMixin, View):
    capability = Capability.VIEW_ARENAS

    def get_arena(self):
        return selectors.access_arena_by_id(self.organisation, self.kwargs["pk"])

    def can_plan(self, arena=None) -> bool:
        return self.can(Capability.PLAN_ARENAS) or (
            arena is not None and arena.moderator_id == self.membership.pk)

    def require_plan(self, arena=None) -> None:
        if not self.can_plan(arena):
            raise PermissionDenied

    def back(self, arena):
        return redirect("arena:detail", org=self.organisation.slug, pk=arena.pk)


class ArenaListView(ArenaView):
    def get(self, request, org):
        arenas = list(selectors.arena_list(self.organisation))
        now = timezone.now()
        for arena in arenas:
            arena.phase_label = selectors.phase_label(arena)
        return render(request, "arena/arena_list.html", {
            "upcoming": [a for a in arenas if a.status != ArenaStatus.FINISHED and a.starts_at >= now
                         or a.status != ArenaStatus.FINISHED and a.room.phase != "welcome"],
            "past": [a for a in arenas if not (a.status != ArenaStatus.FINISHED and a.starts_at >= now
                                               or a.status != ArenaStatus.FINISHED
                                               and a.room.phase != "welcome")],
            "can_plan": self.can(Capability.PLAN_ARENAS),
        })


class ArenaCreateView(ArenaView):
    capability = Capability.PLAN_ARENAS

    def get(self, request, org):
        form = ArenaForm(organisation=self.organisation, initial={"moderator": None})
        return render(request, "arena/arena_form.html", {"form": form})

    def post(self, request, org):
        form = ArenaForm(request.POST, organisation=self.organisation)
        if form.is_valid():
            data = form.cleaned_data
            arena = services.arena_plan(
                organisation=self.organisation, actor=self.membership, title=data["title"],
                starts_at=data["starts_at"], moderator=data["moderator"], topic=data["topic"],
                place=data["place"], units=data["units"], wave=data["wave"])
            messages.success(request, _("The arena is planned. Now invite customers and employees."))
            return self.back(arena)
        return render(request, "arena/arena_form.html", {"form": form}, status=400)


class ArenaUpdateView(ArenaView):
    def _initial(self, arena):
        return {"title": arena.title, "starts_at": timezone.localtime(arena.starts_at),
                "place": arena.place, "topic": arena.topic, "moderator": arena.moderator,
                "units": list(arena.units.all()), "wave": arena.wave}

    def get(self, request, org, pk):
        arena = self.get_arena()
        self.require_plan(arena)
        form = ArenaForm(organisation=self.organisation, initial=self._initial(arena))
        return render(request, "arena/arena_form.html", {"form": form, "arena": arena})

    def post(self, request, org, pk):
        arena = self.get_arena()
        self.require_plan(arena)
        form = ArenaForm(request.POST, organisation=self.organisation)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.arena_update(
                    arena=arena, actor=self.membership, title=data["title"],
                    starts_at=data["starts_at"], moderator=data["moderator"], topic=data["topic"],
                    place=data["place"], units=data["units"], wave=data["wave"])
            except ValueError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Saved."))
                return self.back(arena)
        return render(request, "arena/arena_form.html", {"form": form, "arena": arena}, status=400)


class ArenaDetailView(ArenaView):
    """The plan: seating, customers and their answers, suggestions, employees, the script."""

    def get(self, request, org, pk):
        arena = self.get_arena()
        can_plan = self.can_plan(arena)
        context = {
            "arena": arena,
            "phase_label": selectors.phase_label(arena),
            "seating": selectors.seating(arena),
            "invitations": selectors.invitations(arena),
            "staff": selectors.staff_participants(arena),
            "can_plan": can_plan,
            "can_report": self.can(Capability.VIEW_ARENA_REPORTS) or arena.moderator_id == self.membership.pk,
            "room_role": live_selectors.room_role(room=arena.room, membership=self.membership),
            "min_customers": services.MIN_CUSTOMERS, "max_customers": services.MAX_CUSTOMERS,
            "outcomes": list(arena.outcomes.select_related("point", "action__owner__user")
                            .order_by("point__number", "-kind", "pk")),
        }
        if can_plan and arena.status != ArenaStatus.FINISHED:
            search = CustomerSearchForm(request.GET)
            context.update({
                "suggestions": selectors.customer_suggestions(arena=arena),
                "search": search,
                "found": self._search(arena, search),
                "employee_form": EmployeeForm(organisation=self.organisation),
                "script_form": ScriptForm(initial={k: "\n".join(v) for k, v in arena.script.items()}),
            })
        return render(request, "arena/arena_detail.html", context)

    def _search(self, arena, search):
        from org.models import Contact

        if not search.is_valid() or not search.cleaned_data["q"].strip():
            return None
        q = search.cleaned_data["q"].strip()
        return list(Contact.objects.filter(customer__organisation=self.organisation)
                    .filter(Q(name__icontains=q) | Q(email__icontains=q) | Q(customer__name__icontains=q))
                    .exclude(pk__in=arena.invitations.values("contact"))
                    .select_related("customer").order_by("name")[:20])


class ScriptUpdateView(ArenaView):
    def post(self, request, org, pk):
        arena = self.get_arena()
        self.require_plan(arena)
        form = ScriptForm(request.POST)
        if form.is_valid():
            services.arena_script_update(arena=arena, script=form.cleaned_data)
            messages.success(request, _("The question script is saved."))
        return self.back(arena)


class EmployeeAddView(ArenaView):
    def post(self, request, org, pk):
        arena = self.get_arena()
        self.require_plan(arena)
        form = EmployeeForm(request.POST, organisation=self.organisation)
        if form.is_valid():
            try:
                services.arena_employee_add(arena=arena, membership=form.cleaned_data["member"],
                                            role=form.cleaned_data["role"])
            except ValueError as exc:
                messages.error(request, str(exc))
        else:
            messages.error(request, _("Choose a person."))
        return self.back(arena)


class EmployeeRemoveView(ArenaView):
    def post(self, request, org, pk, member):
        arena = self.get_arena()
        self.require_plan(arena)
        try:
            services.arena_employee_remove(arena=arena,
                                           membership=access_person_by_id(self.organisation, member))
        except ValueError as exc:
            messages.error(request, str(exc))
        return self.back(arena)


class CustomerAddView(ArenaView):
    def post(self, request, org, pk):
        arena = self.get_arena()
        self.require_plan(arena)
        added = 0
        for raw in request.POST.getlist("contact")[:services.MAX_CUSTOMERS]:
            contact = access_contact_by_id(self.organisation, raw)
            try:
                services.arena_customer_add(arena=arena, contact=contact, actor=self.membership)
                added += 1
            except ValueError as exc:
                messages.error(request, str(exc))
                break
        if added:
            messages.success(request, _("%(count)d customer(s) added.") % {"count": added})
        return self.back(arena)


class CustomerRemoveView(ArenaView):
    def post(self, request, org, pk, invitation):
        arena = self.get_arena()
        self.require_plan(arena)
        try:
            services.arena_customer_remove(invitation=selectors.access_invitation_by_id(arena, invitation))
        except ValueError as exc:
            messages.error(request, str(exc))
        return self.back(arena)


class InvitationsSendView(ArenaView):
    def post(self, request, org, pk):
        arena = self.get_arena()
        self.require_plan(arena)
        try:
            only = (selectors.access_invitation_by_id(arena, request.POST["invitation"])
                    if request.POST.get("invitation", "").isdigit() else None)
            result = services.arena_invitations_send(
                arena=arena, actor=self.membership, base_url=request.build_absolute_uri("/"),
                again=request.POST.get("again") == "1", only=only)
        except ValueError as exc:
            messages.error(request, str(exc))
            return self.back(arena)
        if result.sent:
            messages.success(request, _("Invitations sent to %(names)s.") % {"names": ", ".join(result.sent)})
        if result.skipped:
            messages.warning(request, _("No e-mail address for %(names)s: invite them yourself.")
                             % {"names": ", ".join(result.skipped)})
        if not result.sent and not result.skipped:
            messages.info(request, _("Everyone on the list has been invited already."))
        return self.back(arena)


class FinishView(ArenaView):
    def post(self, request, org, pk):
        arena = self.get_arena()
        self.require_plan(arena)
        outcomes = services.arena_finish(arena=arena, actor=self.membership)
        points = {o.point_id for o in outcomes}
        messages.success(request, _("The arena is finished: %(points)d improvement point(s) in the "
                                    "improvement spine.") % {"points": len(points)})
        return self.back(arena)


class ThankView(ArenaView):
    def post(self, request, org, pk):
        arena = self.get_arena()
        self.require_plan(arena)
        try:
            result = services.arena_thank(arena=arena, actor=self.membership,
                                          base_url=request.build_absolute_uri("/"))
        except ValueError as exc:
            messages.error(request, str(exc))
            return self.back(arena)
        messages.success(request, _("Thank-you sent to %(count)d customer(s).") % {"count": len(result.sent)})
        if result.skipped:
            messages.warning(request, _("No e-mail address for %(names)s.")
                             % {"names": ", ".join(result.skipped)})
        return self.back(arena)


class ReportView(ArenaView):
    def get(self, request, org, pk):
        arena = self.get_arena()
        if not (self.can(Capability.VIEW_ARENA_REPORTS) or arena.moderator_id == self.membership.pk):
            raise PermissionDenied
        pdf = report.arena_report_pdf(arena)
        response = HttpResponse(pdf, content_type="application/pdf")
        filename = f"klantarena-{arena.pk}-{timezone.localtime(arena.starts_at).date().isoformat()}.pdf"
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response


# The live views --------------------------------------------------------------------------

def room_config(*, arena, view: str, viewer_role: str, request, urls: dict | None = None) -> dict:
    """Return what the room's page script needs besides the socket: names, choices, labels."""
    names = selectors.actor_names(arena)
    fmt = format_get(arena.room.format)
    customers = [{"id": i.contact_id, "name": i.contact.name, "customer": i.contact.customer.name}
                 for i in selectors.invitations(arena) if i.rsvp != Rsvp.NO]
    staff = selectors.staff_participants(arena)
    members = [{"id": arena.room.facilitator_id, "name": names.get(f"m:{arena.room.facilitator_id}", "")}]
    members += [{"id": p.membership_id, "name": p.membership.name} for p in staff
                if p.role in (RoomRole.EMPLOYEE, RoomRole.SCRIBE)]
    return {
        "view": view,
        "role": viewer_role,
        "ws": f"/ws/live/rooms/{arena.room_id}/",
        "arena": {"id": arena.pk, "title": arena.title, "topic": arena.topic, "place": arena.place,
                  "starts_at": arena.starts_at.isoformat()},
        "script": arena.script,
        "names": names,
        "customers": customers,
        "members": members,
        "labels": room_labels.labels(),
        # What each room role may do in each phase, so that the page offers only that.
        "rules": {phase.key: {role: sorted(fmt.allowed(phase.key, role)) for role in RoomRole.ALL}
                  for phase in fmt.phases},
        "urls": urls or {},
    }


class StaffRoomView(ArenaView):
    """The moderator console, the presenter screen or the phone view, for staff in the room."""

    view = "phone"
    roles = frozenset(RoomRole.ALL) - {RoomRole.CUSTOMER}

    def get(self, request, org, pk):
        arena = self.get_arena()
        role = live_selectors.room_role(room=arena.room, membership=self.membership)
        if role is None or role not in self.roles:
            raise PermissionDenied
        urls = {"plan": reverse("arena:detail", kwargs={"org": org, "pk": arena.pk}),
                "console": reverse("arena:console", kwargs={"org": org, "pk": arena.pk}),
                "screen": reverse("arena:screen", kwargs={"org": org, "pk": arena.pk}),
                "phone": reverse("arena:phone", kwargs={"org": org, "pk": arena.pk})}
        if self.can_plan(arena):
            urls["finish"] = reverse("arena:finish", kwargs={"org": org, "pk": arena.pk})
        if self.can(Capability.VIEW_ARENA_REPORTS) or arena.moderator_id == self.membership.pk:
            urls["report"] = reverse("arena:report", kwargs={"org": org, "pk": arena.pk})
        config = room_config(arena=arena, view=self.view, viewer_role=role, request=request, urls=urls)
        return render(request, "arena/room.html", {"arena": arena, "config": config,
                                                   "view": self.view, "role": role})


class ConsoleView(StaffRoomView):
    view = "console"
    roles = frozenset({RoomRole.FACILITATOR, RoomRole.SCRIBE})


class ScreenView(StaffRoomView):
    view = "screen"
    roles = frozenset({RoomRole.FACILITATOR, RoomRole.SCRIBE, RoomRole.OBSERVER})


class PhoneView(StaffRoomView):
    view = "phone"


# The customer's side (magic-link session, no account) --------------------------------------

def _customer_contact(request):
    """Return the contact of this browser's arena session, or None.

    The session stands while the link that opened it is not revoked, as in the room's
    socket (``live.selectors``): revoking a customer's links closes the pages too.
    """
    from accounts.views import CUSTOMER_SESSION_KEY, customer_link_holds
    from org.models import Contact

    access = request.session.get(CUSTOMER_SESSION_KEY)
    if not access or access.get("purpose") != MagicLinkPurpose.ARENA or not customer_link_holds(access):
        return None
    return (Contact.objects.select_related("customer__organisation")
            .filter(pk=access.get("contact"), customer__organisation_id=access.get("organisation"))
            .first())


def _customer_invitation(request, pk) -> ArenaInvitation:
    contact = _customer_contact(request)
    if contact is None:
        raise PermissionDenied
    invitation = (ArenaInvitation.objects.select_related("arena__room", "arena__organisation", "contact")
                  .filter(arena_id=pk, contact=contact).first())
    if invitation is None:
        raise Http404
    return invitation


class CustomerHomeView(View):
    """A customer's invitations: answer them, and join the arena when it runs."""

    def get(self, request):
        contact = _customer_contact(request)
        if contact is None:
            return render(request, "accounts/magic_link_invalid.html", status=403)
        invitations = (ArenaInvitation.objects.filter(contact=contact)
                       .select_related("arena__room", "arena__organisation").order_by("arena__starts_at"))
        return render(request, "arena/customer_home.html", {"contact": contact, "invitations": invitations,
                                                            "rsvp_form": RsvpForm()})


class CustomerRsvpView(View):
    def post(self, request, pk):
        invitation = _customer_invitation(request, pk)
        form = RsvpForm(request.POST)
        if form.is_valid():
            try:
                services.arena_rsvp(invitation=invitation, answer=form.cleaned_data["answer"])
            except ValueError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("Thank you for letting us know."))
        return redirect("arena_customer:home")


class CustomerRoomView(View):
    def get(self, request, pk):
        invitation = _customer_invitation(request, pk)
        arena = invitation.arena
        role = live_selectors.room_role(room=arena.room, contact=invitation.contact)
        if role is None or arena.status == ArenaStatus.FINISHED:
            raise PermissionDenied
        config = room_config(arena=arena, view="phone", viewer_role=role, request=request,
                             urls={"home": reverse("arena_customer:home")})
        # A customer sees the other customers' first names only through the room itself.
        config["members"] = []
        return render(request, "arena/room.html", {"arena": arena, "config": config, "view": "phone",
                                                   "role": role, "customer": invitation.contact})
