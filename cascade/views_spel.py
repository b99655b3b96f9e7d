"""Pages of the live 1-2-3 session: the consultant's console, the big screen, the phone view.

Access follows the session's room (``live.selectors.room_role``), which is also what the
room's socket checks: the facilitator gets the console; the participants the phone
view; admins and consultants of the organisation may watch (screen and phone, without
acting). Another organisation gets 404 (``OrgRequiredMixin``, ``access_session_by_id``).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from accounts.permissions import Capability
from accounts.tenancy import OrgRequiredMixin
from arena import room_labels
from cascade import selectors, selectors_spel, services_spel
from live import selectors as live_selectors
from live.formats import CASCADE, RoomRole
from live.models import RoomParticipant
from live.state import ActionRefused


def spel_labels() -> dict[str, str]:
    """Return every user-visible string of the session's page script, in the active language.

    The room's shared strings (connection, refusals, votes) come from the arena's list;
    what differs in a 1-2-3 session is set here.
    """
    short = {"guess": _("Guess"), "reveal": _("Reveal"), "voice": _("Voice"),
             "choose": _("Choose"), "commit": _("Commit")}
    phases = {}
    for phase in CASCADE.phases:
        phases[f"phase.{phase.key}"] = str(phase.label)
        phases[f"prompt.{phase.key}"] = str(phase.prompt)
        phases[f"short.{phase.key}"] = short[phase.key]
    return {
        **room_labels.labels(),
        **phases,
        "ended_session": _("You are no longer in this session: you were logged out, or your place "
                           "in it changed. Reload the page to join again."),
        "no_access": _("You have no access to this session."),
        "closed": _("The session has ended. Thank you for taking part!"),
        "locked": _("The facilitator has paused input for a moment."),
        "refused.not_allowed": _("That is not possible in this part of the session."),
        "refused.locked": _("The facilitator has paused input for a moment."),
        "refused.closed": _("The session has ended."),
        "refused.not_participant": _("You do not take part in this session."),
        "refused.revealed": _("The answers have been revealed: guessing is over."),
        "refused.range": _("Choose a number within the range."),
        "refused.reveal_failed": _("The answers could not be revealed. Try again."),
        "refused.no_phase": _("There is no step in that direction."),
        "role.facilitator": _("You lead the session."),
        "role.employee": _("You take part."),
        "role.observer": _("You are watching."),
        "role.scribe": _("You are watching."),
        "role.customer": _("You are watching."),
        "ring.centre": _("Facilitator"),
        "ring.outer": _("Participants"),
        "ring.inner": _("Customers"),
        "ring.outside": _("Watching"),
        "no_groups": _("No proposals yet."),
        "route_points": _("From the improvement route"),
        "route_points_help": _("Put a point of the route on the table: actions agreed for it "
                               "land under that point."),
        "put_on_table": _("Put on the table"),
        "proposed_by_you": _("proposed by you"),
        "on_table": _("on the table"),
        "handover_confirm": _("Hand the session over to %(name)s? You stay in it as an observer."),
        # Guessing
        "guessed": _("%(count)s of %(total)s have guessed"),
        "has_guessed": _("guessed"),
        "not_guessed": _("not yet"),
        "your_guess_sent": _("Your guess is in. You can change it until the reveal."),
        "nps": _("NPS"),
        "promoters": _("Share of promoters"),
        "driver": _("What matters most"),
        "theme": _("Biggest complaint"),
        # The reveal
        "we_guess": _("You estimated"),
        "customer_says": _("The customer says"),
        "headline": _("Inside-out against outside-in: you estimated NPS %(guess)s, the customer "
                      "says %(actual)s"),
        "average": _("average of %(count)s guesses"),
        "range": _("from %(low)s to %(high)s"),
        "no_guesses": _("No guesses"),
        "no_answer": _("Too few answers to show this."),
        "guessed_right": _("%(count)s of %(total)s guessed this"),
        "responses": _("Based on %(count)s customers"),
        "closest": _("Closest"),
        "winner": _("%(names)s, with %(points)s points"),
        "points": _("%(points)s points"),
        "your_score": _("Your score: %(points)s of 100"),
        "your_guess": _("You: %(guess)s"),
        "and": _("and"),
        "scores": _("Scores"),
        # Quotes, proposals, commitments
        "show": _("Show"),
        "show_next": _("Show the next card"),
        "shown": _("shown"),
        "not_marked": _("Not marked as voice of the customer: the unit's latest comments."),
        "no_quotes": _("No comments for this unit in this wave."),
        "no_quote_yet": _("The facilitator shows the customers' words here."),
        "score_label": _("score %(score)s"),
        "proposed_by": _("proposed by %(name)s"),
        "no_evaluations": _("Nothing yet."),
    }


class SpelView(OrgRequiredMixin, View):
    """A page of a session's live room, for the roles in ``roles``."""

    view = "phone"
    roles = frozenset(RoomRole.ALL)

    def get_session(self):
        return selectors.access_session_by_id(self.organisation, self.kwargs["pk"])

    def room_role(self, session) -> str:
        if session.room_id is None:
            raise Http404
        role = live_selectors.room_role(room=session.room, membership=self.membership)
        if role is None or role not in self.roles:
            raise PermissionDenied
        return role

    def get(self, request, org, pk):
        session = self.get_session()
        role = self.room_role(session)
        config = self.config(session, role)
        return render(request, "cascade/spel.html", {"session": session, "config": config,
                                                     "view": self.view, "role": role})

    def config(self, session, role: str) -> dict:
        """Return what the page script needs besides the socket: names, choices, labels."""
        room = session.room
        kwargs = {"org": self.organisation.slug, "pk": session.pk}
        facilitator = room.facilitator
        listed = list(RoomParticipant.objects.filter(room=room, role=RoomRole.EMPLOYEE,
                                                     membership__isnull=False)
                      .select_related("membership__user").order_by("membership__user__name"))
        names = {f"m:{p.membership_id}": p.membership.name for p in listed}
        if facilitator is not None:
            names[f"m:{facilitator.pk}"] = facilitator.name
        names[f"m:{self.membership.pk}"] = self.membership.name
        members = ([{"id": facilitator.pk, "name": facilitator.name}] if facilitator else []) + [
            {"id": p.membership_id, "name": p.membership.name} for p in listed]
        urls = {"session": reverse("cascade:session", kwargs=kwargs),
                "screen": reverse("cascade:spel_screen", kwargs=kwargs),
                "phone": reverse("cascade:spel_phone", kwargs=kwargs)}
        if role == RoomRole.FACILITATOR:
            urls["console"] = reverse("cascade:spel_console", kwargs=kwargs)
            urls["reveal"] = reverse("cascade:spel_reveal", kwargs=kwargs)
        return {
            "view": self.view,
            "role": role,
            "ws": f"/ws/live/rooms/{room.pk}/",
            "session": {"id": session.pk, "unit": session.unit.name,
                        "level": session.get_level_display(), "wave": session.cascade.wave.name},
            "names": names,
            "participants": [{"actor": f"m:{p.membership_id}", "name": p.membership.name}
                             for p in listed],
            "members": members,
            "quotes": selectors_spel.session_quotes(session) if self.view == "console" else [],
            "labels": spel_labels(),
            # What each room role may do in each phase, so that the page offers only that.
            "rules": {phase.key: {r: sorted(CASCADE.allowed(phase.key, r)) for r in RoomRole.ALL}
                      for phase in CASCADE.phases},
            "rings": ["centre", "outer"],
            "urls": urls,
        }


class SpelConsoleView(SpelView):
    view = "console"
    roles = frozenset({RoomRole.FACILITATOR})


class SpelScreenView(SpelView):
    view = "screen"
    roles = frozenset({RoomRole.FACILITATOR, RoomRole.OBSERVER})


class SpelPhoneView(SpelView):
    view = "phone"


class SpelOpenView(OrgRequiredMixin, View):
    """Open the session's live room (or bring it up to date) and go to the console."""

    def post(self, request, org, pk):
        session = selectors.access_session_by_id(self.organisation, pk)
        if not (self.can(Capability.MANAGE_CASCADES) or session.facilitator_id == self.membership.pk):
            raise PermissionDenied
        try:
            room = services_spel.session_room_open(session=session, actor=self.membership)
        except ValueError as exc:
            messages.error(request, str(exc))
            return redirect("cascade:session", org=org, pk=pk)
        name = "cascade:spel_console" if room.facilitator_id == self.membership.pk else "cascade:spel_screen"
        return redirect(name, org=org, pk=pk)


class SpelRevealView(OrgRequiredMixin, View):
    """Reveal the customers' answers: the facilitator's button, answered by the server."""

    def post(self, request, org, pk):
        session = selectors.access_session_by_id(self.organisation, pk)
        wants_json = request.headers.get("Accept") == "application/json"
        try:
            services_spel.session_reveal(session=session, actor=self.membership)
        except (ValueError, ActionRefused) as exc:
            if wants_json:
                return JsonResponse({"ok": False, "reason": str(exc)}, status=409)
            messages.error(request, str(exc))
        if wants_json:
            return JsonResponse({"ok": True})
        return redirect("cascade:spel_console", org=org, pk=pk)
