"""Writes for the live 1-2-3 session (the "spel") on the live room engine.

A running session gets a room of the ``cascade`` format (``live.formats.CASCADE``):
the participants guess their customers' answers on their phones, then the consultant
reveals the real ones, shows quote cards, lets the room propose and dot-vote, and
records what everyone commits to.

The reveal is trusted because no client can send it: ``answers_reveal`` is a server
event (``live.state.SERVER_TYPES``) that only ``live.services.room_organiser_event``
appends. ``session_reveal`` computes the answers from the insights of the session's
unit and wave; the engine scores every guess against them under the room's lock.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Membership
from cascade import selectors_spel
from cascade.models import CascadeSession, SessionState
from live import services as live
from live.formats import RoomRole
from live.models import Room, RoomEvent, RoomParticipant


@transaction.atomic
def session_room_open(*, session: CascadeSession, actor: Membership) -> Room:
    """Open the session's live room (once) and bring its participant list up to date.

    The session's facilitator leads the room; its participants take part as employees
    (an admin or consultant of the organisation may always watch). The first time, the
    guessing choices (the wave's drivers and the organisation's themes) are set.
    """
    session = (CascadeSession.objects.select_for_update(of=("self",))
               .select_related("cascade__organisation", "cascade__wave", "unit", "facilitator__user")
               .get(pk=session.pk))
    organisation = session.cascade.organisation
    if actor.organisation_id != organisation.pk:
        raise PermissionDenied
    if session.state == SessionState.PLANNED:
        raise ValueError(_("Start the session before opening its live room."))
    if session.facilitator is None:
        raise ValueError(_("Choose a facilitator for this session first."))
    room = session.room
    if room is None:
        if session.state == SessionState.DONE:
            raise ValueError(_("This session is done."))
        room = live.room_create(organisation=organisation, format_key="cascade",
                                title=_("1-2-3 session: %(unit)s") % {"unit": session.unit.name},
                                facilitator=session.facilitator, created_by=actor)
        session.room = room
        session.save(update_fields=["room"])
        live.room_organiser_event(room=room, by=actor, type="guess_setup",
                                  payload=selectors_spel.guess_choices(session),
                                  client_key="guess_setup")
    elif room.facilitator_id != session.facilitator_id and not room.state["closed"]:
        live.room_organiser_event(room=room, by=actor, type="facilitator_handover",
                                  payload={"to": session.facilitator_id},
                                  client_key=f"handover-{room.last_seq}-{session.facilitator_id}")
    listed = {p.pk for p in session.participants.filter(is_active=True)} - {session.facilitator_id}
    present = set(RoomParticipant.objects.filter(room=room, role=RoomRole.EMPLOYEE,
                                                 membership__isnull=False)
                  .values_list("membership_id", flat=True))
    for membership in Membership.objects.select_related("user").filter(pk__in=listed - present):
        live.room_participant_add(room=room, role=RoomRole.EMPLOYEE, membership=membership)
    for membership in Membership.objects.filter(pk__in=present - listed):
        live.room_participant_remove(room=room, membership=membership)
    return room


def session_reveal(*, session: CascadeSession, actor: Membership) -> RoomEvent | None:
    """Reveal the customers' answers in the session's room; only its facilitator may.

    Still guessing, the room moves on to the reveal first (guesses close with it). The
    answers are the unit's figures in the session's wave (``selectors_spel.session_answers``);
    a figure that is not among the choices the room guessed from is left out. Revealing
    twice changes nothing. Return the reveal event, or None when the room is closed.
    """
    room = Room.objects.filter(pk=session.room_id).first()
    if room is None:
        raise ValueError(_("This session has no live room yet."))
    if room.facilitator_id != actor.pk or room.organisation_id != actor.organisation_id:
        raise PermissionDenied
    existing = RoomEvent.objects.filter(room=room, type="answers_reveal").first()
    if existing is not None:
        return existing
    actual = selectors_spel.session_answers(session)
    choices = room.state["choices"]
    for key, options in (("driver", "drivers"), ("theme", "themes")):
        if actual[key] not in {c["key"] for c in choices[options]}:
            actual[key] = None
    with transaction.atomic():
        if room.state["phase"] == "guess":
            live.event_append(room=room, actor=actor, type="phase_next", payload={},
                              client_key="reveal-phase")
        return live.room_organiser_event(room=room, by=actor, type="answers_reveal",
                                         payload={"actual": actual}, client_key="answers_reveal")
