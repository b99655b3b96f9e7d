"""Pages of co-creation: the groups for staff, and the delegate's own group(s) through a magic link.

Seeing the groups is ``VIEW_COCREATION``; forming them and seating people is
``MANAGE_COCREATION``; working in a group (comments, notes, decisions, actions,
proposals) depends on being its member, not on the role.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from accounts.permissions import Capability
from accounts.tenancy import OrgRequiredMixin
from cocreation import selectors, services
from cocreation.forms import (
    ActionForm,
    AdoptForm,
    CommentForm,
    DecisionForm,
    DelegateAddForm,
    GroupForm,
    MeetingForm,
    MemberAddForm,
    MinutesForm,
    NoteForm,
)
from cocreation.models import CommentKind, GroupKind
from live import selectors as live_selectors
from live.formats import RoomRole, format_get
from live.models import RoomStatus


class CocreationView(OrgRequiredMixin, View):
    capability = Capability.VIEW_COCREATION

    def get_group(self):
        return selectors.access_group_by_id(self.organisation, self.kwargs["pk"])

    def manage(self) -> bool:
        return self.can(Capability.MANAGE_COCREATION)

    def require_manage(self) -> None:
        if not self.manage():
            raise PermissionDenied

    def require_seat(self, group) -> None:
        if not selectors.is_member(group, self.membership):
            raise PermissionDenied

    def back(self, group, anchor: str = ""):
        url = reverse("cocreation:detail", kwargs={"org": self.organisation.slug, "pk": group.pk})
        return redirect(url + (f"#{anchor}" if anchor else ""))

    def form_errors(self, form) -> None:
        messages.error(self.request, _("Please check: %(errors)s") % {"errors": form.errors.as_text()})


class GroupListView(CocreationView):
    def get(self, request, org):
        groups = list(selectors.group_list(self.organisation))
        mine = selectors.groups_of_member(self.membership)
        return render(request, "cocreation/group_list.html", {
            "steering": [g for g in groups if g.kind == GroupKind.STEERING],
            "improvement": [g for g in groups if g.kind == GroupKind.IMPROVEMENT],
            "mine": mine, "manage": self.manage()})


class GroupCreateView(CocreationView):
    capability = Capability.MANAGE_COCREATION

    def get(self, request, org):
        return render(request, "cocreation/group_form.html",
                      {"form": GroupForm(organisation=self.organisation)})

    def post(self, request, org):
        form = GroupForm(request.POST, organisation=self.organisation)
        if form.is_valid():
            data = form.cleaned_data
            try:
                group = services.group_create(organisation=self.organisation, actor=self.membership,
                                              kind=data["kind"], name=data["name"],
                                              purpose=data["purpose"], points=data["points"])
            except ValueError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("The group has been formed. Now seat its members."))
                return self.back(group)
        return render(request, "cocreation/group_form.html", {"form": form})


class GroupEditView(CocreationView):
    capability = Capability.MANAGE_COCREATION

    def get(self, request, org, pk):
        group = self.get_group()
        form = GroupForm(organisation=self.organisation, editing=True, initial={
            "name": group.name, "purpose": group.purpose, "points": list(group.points.all())})
        return render(request, "cocreation/group_form.html", {"form": form, "group": group})

    def post(self, request, org, pk):
        group = self.get_group()
        form = GroupForm(request.POST, organisation=self.organisation, editing=True)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.group_update(group=group, actor=self.membership, name=data["name"],
                                      purpose=data["purpose"], points=data["points"])
            except ValueError as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Saved."))
                return self.back(group)
        return render(request, "cocreation/group_form.html", {"form": form, "group": group})


class GroupDetailView(CocreationView):
    def get(self, request, org, pk):
        group = self.get_group()
        seated = selectors.is_member(group, self.membership)
        manage = self.manage()
        context = {
            "group": group, "seated": seated, "manage": manage,
            "points": selectors.group_points(group),
            "members": selectors.members(group),
            "delegates": selectors.delegates(group),
            "comments": selectors.comments(group),
            "decisions": selectors.decisions(group),
            "meetings": selectors.meetings(group),
            "now": timezone.now(),
        }
        if seated:
            context |= {"notes": selectors.notes(group),
                        "comment_form": CommentForm(group=group),
                        "note_form": NoteForm(group=group),
                        "decision_form": DecisionForm(group=group,
                                                      initial={"decided_on": timezone.localdate()}),
                        "action_form": ActionForm(group=group)}
        if seated or manage:
            context["meeting_form"] = MeetingForm()
        if manage:
            context |= {"member_form": MemberAddForm(group=group),
                        "delegate_form": DelegateAddForm(organisation=self.organisation)}
        return render(request, "cocreation/group_detail.html", context)


# Seating people ----------------------------------------------------------------------------

class MemberAddView(CocreationView):
    capability = Capability.MANAGE_COCREATION

    def post(self, request, org, pk):
        group = self.get_group()
        form = MemberAddForm(request.POST, group=group)
        if form.is_valid():
            try:
                services.member_add(group=group, membership=form.cleaned_data["membership"],
                                    is_chair=form.cleaned_data["is_chair"])
            except ValueError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("Added to the group."))
        else:
            self.form_errors(form)
        return self.back(group, "people")


class MemberChairView(CocreationView):
    capability = Capability.MANAGE_COCREATION

    def post(self, request, org, pk):
        member = selectors.access_member_by_id(self.organisation, pk)
        services.member_make_chair(member=member)
        messages.success(request, _("%(name)s now chairs the group.") % {"name": member.membership.name})
        return self.back(member.group, "people")


class MemberRemoveView(CocreationView):
    capability = Capability.MANAGE_COCREATION

    def post(self, request, org, pk):
        member = selectors.access_member_by_id(self.organisation, pk)
        group = member.group
        services.member_remove(member=member)
        messages.success(request, _("Removed from the group."))
        return self.back(group, "people")


class DelegateAddView(CocreationView):
    capability = Capability.MANAGE_COCREATION

    def post(self, request, org, pk):
        group = self.get_group()
        form = DelegateAddForm(request.POST, organisation=self.organisation)
        if form.is_valid():
            try:
                delegate = services.delegate_add(group=group, contact=form.cleaned_data["contact"])
                if request.POST.get("invite"):
                    services.delegate_invite(delegate=delegate, actor=self.membership,
                                             base_url=request.build_absolute_uri("/"))
            except ValueError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, _("The customer delegate has been added."))
        else:
            self.form_errors(form)
        return self.back(group, "people")


class DelegateInviteView(CocreationView):
    """Send the delegate their personal link: the first time, or a new one (the old stops)."""

    capability = Capability.MANAGE_COCREATION

    def post(self, request, org, pk):
        delegate = selectors.access_delegate_by_id(self.organisation, pk)
        try:
            services.delegate_invite(delegate=delegate, actor=self.membership,
                                     base_url=request.build_absolute_uri("/"))
        except ValueError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("A personal link has been sent to %(email)s.")
                             % {"email": delegate.contact.email})
        return self.back(delegate.group, "people")


class DelegateRevokeView(CocreationView):
    capability = Capability.MANAGE_COCREATION

    def post(self, request, org, pk):
        delegate = selectors.access_delegate_by_id(self.organisation, pk)
        services.delegate_revoke(delegate=delegate)
        messages.success(request, _("The link no longer works."))
        return self.back(delegate.group, "people")


class DelegateRemoveView(CocreationView):
    capability = Capability.MANAGE_COCREATION

    def post(self, request, org, pk):
        delegate = selectors.access_delegate_by_id(self.organisation, pk)
        group = delegate.group
        services.delegate_remove(delegate=delegate)
        messages.success(request, _("The customer delegate has left the group."))
        return self.back(group, "people")


# Working in the group ----------------------------------------------------------------------

class SeatedFormView(CocreationView):
    """A POST of a group member: bind ``form_class``, call ``act``, go back to the group."""

    form_class = None
    anchor = ""
    done = ""

    def post(self, request, org, pk):
        group = self.get_group()
        self.require_seat(group)
        form = self.form_class(request.POST, group=group)
        if form.is_valid():
            try:
                self.act(group, form.cleaned_data)
            except ValueError as exc:
                messages.error(request, str(exc))
            else:
                messages.success(request, self.done)
        else:
            self.form_errors(form)
        return self.back(group, self.anchor)


class CommentAddView(SeatedFormView):
    form_class = CommentForm
    anchor = "comments"

    def act(self, group, data):
        self.done = _("Posted.")
        services.comment_add(group=group, membership=self.membership, text=data["text"],
                             kind=data["kind"], point=data["point"])


class NoteAddView(SeatedFormView):
    form_class = NoteForm
    anchor = "notes"

    def act(self, group, data):
        self.done = _("Note added.")
        services.note_add(group=group, author=self.membership, text=data["text"], point=data["point"])


class DecisionAddView(SeatedFormView):
    form_class = DecisionForm
    anchor = "decisions"

    def act(self, group, data):
        self.done = _("Decision recorded.")
        services.decision_record(group=group, actor=self.membership, text=data["text"],
                                 decided_on=data["decided_on"], point=data["point"])


class ActionAddView(SeatedFormView):
    form_class = ActionForm
    anchor = "points"

    def act(self, group, data):
        self.done = _("Action added.")
        services.group_action_create(group=group, actor=self.membership, point=data["point"],
                                     title=data["title"], owner=data["owner"], due_date=data["due_date"])


class ProposalAdoptView(CocreationView):
    def post(self, request, org, pk):
        comment = selectors.access_comment_by_id(self.organisation, pk)
        self.require_seat(comment.group)
        form = AdoptForm(request.POST)
        form.is_valid()
        try:
            point = services.proposal_adopt(comment=comment, actor=self.membership,
                                            title=form.cleaned_data.get("title", ""))
        except ValueError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("%(reference)s is now an improvement point of the group.")
                             % {"reference": point.reference})
        return self.back(comment.group, "points")


# Meetings ----------------------------------------------------------------------------------

class MeetingAddView(CocreationView):
    def post(self, request, org, pk):
        group = self.get_group()
        if not (self.manage() or selectors.is_member(group, self.membership)):
            raise PermissionDenied
        form = MeetingForm(request.POST)
        if form.is_valid():
            meeting = services.meeting_plan(group=group, actor=self.membership, **form.cleaned_data)
            messages.success(request, _("The meeting has been planned."))
            return redirect("cocreation:meeting", org=org, pk=meeting.pk)
        self.form_errors(form)
        return self.back(group, "meetings")


class MeetingView(CocreationView):
    def get_meeting(self):
        return selectors.access_meeting_by_id(self.organisation, self.kwargs["pk"])

    def may_run(self, meeting) -> bool:
        return self.manage() or selectors.is_member(meeting.group, self.membership)


class MeetingDetailView(MeetingView):
    def get(self, request, org, pk):
        meeting = self.get_meeting()
        may_run = self.may_run(meeting)
        role = (live_selectors.room_role(room=meeting.room, membership=self.membership)
                if meeting.room else None)
        return render(request, "cocreation/meeting_detail.html", {
            "meeting": meeting, "group": meeting.group, "may_run": may_run, "room_role": role,
            "form": MinutesForm(initial={"agenda": meeting.agenda, "minutes": meeting.minutes})
            if may_run else None})


class MeetingMinutesView(MeetingView):
    def post(self, request, org, pk):
        meeting = self.get_meeting()
        if not self.may_run(meeting):
            raise PermissionDenied
        form = MinutesForm(request.POST)
        if form.is_valid():
            services.meeting_update(meeting=meeting, agenda=form.cleaned_data["agenda"],
                                    minutes=form.cleaned_data["minutes"])
            messages.success(request, _("Saved."))
        return redirect("cocreation:meeting", org=org, pk=pk)


class MeetingRoomOpenView(MeetingView):
    def post(self, request, org, pk):
        meeting = self.get_meeting()
        if not self.may_run(meeting):
            raise PermissionDenied
        if meeting.room and meeting.room.status != RoomStatus.OPEN:
            messages.error(request, _("The live meeting has ended."))
            return redirect("cocreation:meeting", org=org, pk=pk)
        try:
            services.meeting_room_open(meeting=meeting, actor=self.membership)
        except ValueError as exc:
            messages.error(request, str(exc))
            return redirect("cocreation:meeting", org=org, pk=pk)
        return redirect("cocreation:meeting_room", org=org, pk=pk)


class MeetingRoomCloseView(MeetingView):
    def post(self, request, org, pk):
        meeting = self.get_meeting()
        if not self.may_run(meeting):
            raise PermissionDenied
        try:
            services.meeting_room_close(meeting=meeting, actor=self.membership)
        except ValueError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The live meeting has ended; its outcome is in the minutes."))
        return redirect("cocreation:meeting", org=org, pk=pk)


def meeting_labels() -> dict[str, str]:
    """Return the room script's strings that say "arena", said of a group meeting instead."""
    return {
        "ended_session": _("You are no longer in this meeting: you were logged out, or your place "
                           "in the group changed. Reload the page to join again."),
        "no_access": _("You have no access to this meeting."),
        "closed": _("The meeting has ended. Thank you for taking part!"),
        "refused.not_allowed": _("That is not possible in this step."),
        "refused.closed": _("The meeting has ended."),
        "refused.not_participant": _("You do not take part in this meeting."),
        "refused.no_phase": _("There is no step in that direction."),
        "role.facilitator": _("You chair the meeting."),
        "role.customer": _("You take part as a customer delegate."),
        "role.employee": _("You take part as a member of the group."),
        "ring.centre": _("Chair"),
        "ring.inner": _("Customer delegates"),
        "ring.outer": _("Employees"),
    }


def room_config(*, meeting, view: str, role: str, urls: dict) -> dict:
    """Return what the room's page script needs: names, members, labels and the rules."""
    from arena import room_labels

    room = meeting.room
    fmt = format_get(room.format)
    members = [{"id": m.membership_id, "name": m.membership.name}
               for m in selectors.members(meeting.group)]
    labels = room_labels.labels() | meeting_labels()
    for phase in fmt.phases:
        labels[f"phase.{phase.key}"] = str(phase.label)
        labels[f"prompt.{phase.key}"] = str(phase.prompt)
        labels[f"short.{phase.key}"] = str(phase.label)
    return {
        "view": view, "role": role, "ws": f"/ws/live/rooms/{room.pk}/",
        "names": {}, "customers": [], "members": members if role != RoomRole.CUSTOMER else [],
        "labels": labels, "script": {},
        "rings": ["inner", "outer"],
        "rules": {phase.key: {r: sorted(fmt.allowed(phase.key, r)) for r in RoomRole.ALL}
                  for phase in fmt.phases},
        "urls": urls,
    }


class MeetingRoomView(MeetingView):
    def get(self, request, org, pk):
        meeting = self.get_meeting()
        if meeting.room is None:
            raise PermissionDenied
        role = live_selectors.room_role(room=meeting.room, membership=self.membership)
        if role is None:
            raise PermissionDenied
        view = "console" if role == RoomRole.FACILITATOR else "phone"
        urls = {"plan": reverse("cocreation:meeting", kwargs={"org": org, "pk": pk})}
        config = room_config(meeting=meeting, view=view, role=role, urls=urls)
        return render(request, "cocreation/meeting_room.html", {
            "meeting": meeting, "config": config, "view": view, "role": role})


# The delegate's side (magic-link session, no account) --------------------------------------

def _delegate(request):
    from accounts.views import CUSTOMER_SESSION_KEY

    return selectors.delegate_contact(request.session.get(CUSTOMER_SESSION_KEY))


class DelegateView(View):
    def dispatch(self, request, *args, **kwargs):
        self.contact = _delegate(request)
        if self.contact is None:
            return render(request, "accounts/magic_link_invalid.html", status=403)
        return super().dispatch(request, *args, **kwargs)


class DelegateHomeView(DelegateView):
    def get(self, request):
        groups = list(selectors.delegate_groups(self.contact))
        if len(groups) == 1:
            return redirect("cocreation_delegate:group", pk=groups[0].pk)
        return render(request, "cocreation/delegate_home.html",
                      {"contact": self.contact, "groups": groups})


class DelegateGroupView(DelegateView):
    def get(self, request, pk):
        group = selectors.access_delegate_group(self.contact, pk)
        return self.page(group, CommentForm(group=group))

    def page(self, group, form, status=200):
        meetings = list(selectors.public_meetings(group))
        return render(request=self.request, template_name="cocreation/delegate_group.html", context={
            "contact": self.contact, "group": group, "form": form,
            "points": selectors.public_points(group),
            "decisions": selectors.public_decisions(group),
            "meetings": meetings,
            "comments": selectors.comments(group),
            "other_groups": selectors.delegate_groups(self.contact).exclude(pk=group.pk),
        }, status=status)

    def post(self, request, pk):
        group = selectors.access_delegate_group(self.contact, pk)
        form = CommentForm(request.POST, group=group)
        if form.is_valid():
            try:
                services.comment_add(group=group, contact=self.contact, text=form.cleaned_data["text"],
                                     kind=form.cleaned_data["kind"], point=form.cleaned_data["point"])
            except (ValueError, PermissionDenied) as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(request, _("Thank you, your message has been posted.")
                                 if form.cleaned_data["kind"] == CommentKind.COMMENT
                                 else _("Thank you for your proposal. The group will discuss it."))
                return redirect(reverse("cocreation_delegate:group", kwargs={"pk": group.pk}) + "#comments")
        return self.page(group, form, status=400)


class DelegateRoomView(DelegateView):
    def get(self, request, pk):
        meeting = selectors.access_delegate_meeting(self.contact, pk)
        if meeting.room is None:
            raise PermissionDenied
        role = live_selectors.room_role(room=meeting.room, contact=self.contact)
        if role is None or meeting.room.status != RoomStatus.OPEN:
            raise PermissionDenied
        urls = {"home": reverse("cocreation_delegate:group", kwargs={"pk": meeting.group_id})}
        config = room_config(meeting=meeting, view="phone", role=role, urls=urls)
        return render(request, "cocreation/meeting_room.html", {
            "meeting": meeting, "config": config, "view": "phone", "role": role,
            "customer": self.contact})
