"""Writes for the 1-2-3-spel: create a wave's cascade, plan, start in order, finish."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership, Organisation, Role
from cascade.models import (
    Cascade,
    CascadeSession,
    Conversation,
    ConversationStatus,
    SessionOutcome,
    SessionState,
)
from cascade.selectors_spel import route_choices
from org.models import Level, Unit


class OrderViolation(Exception):
    """A session may not start before the session one level up has done its part."""


def _check_member(organisation_id: int, membership: Membership | None, what: str) -> None:
    if membership is not None and (membership.organisation_id != organisation_id
                                   or not membership.is_active):
        raise ValueError(f"The {what} must be an active member of the organisation.")


@transaction.atomic
def cascade_create(*, organisation: Organisation, wave, actor: Membership | None) -> Cascade:
    """Create the wave's cascade: one session per unit, each under the nearest level up.

    The strategic session is the top unit's; tactical sessions are the business units'
    and regions'; operational sessions the teams'. A unit of a level missing in between
    hangs under the nearest session above it.
    """
    if wave.organisation_id != organisation.pk:
        raise ValueError("The wave belongs to another organisation.")
    if Cascade.objects.filter(wave=wave).exists():
        raise ValueError(_("This wave already has its 1-2-3 sessions."))
    cascade = Cascade.objects.create(organisation=organisation, wave=wave, created_by=actor)
    units = list(Unit.objects.filter(organisation=organisation).order_by("path"))
    if not units:
        raise ValueError("The organisation has no units.")
    by_path: dict[str, CascadeSession] = {}
    for unit in units:
        level = Level.STRATEGIC if unit.depth == 1 else unit.level
        if unit.depth > 1 and level == Level.STRATEGIC:
            continue  # a staff unit at the top level joins the strategic session's unit
        parent = None
        for length in range(len(unit.path) - Unit.steplen, 0, -Unit.steplen):
            parent = by_path.get(unit.path[:length])
            if parent is not None:
                break
        session = CascadeSession.objects.create(cascade=cascade, unit=unit, level=level,
                                                parent=parent)
        by_path[unit.path] = session
    return cascade


@transaction.atomic
def session_plan(*, session: CascadeSession, scheduled_at: datetime.datetime | None, place: str = "",
                 facilitator: Membership | None = None,
                 participants: Iterable[Membership] = ()) -> CascadeSession:
    """Set a session's date, place, facilitator and participants."""
    organisation_id = session.cascade.organisation_id
    _check_member(organisation_id, facilitator, "facilitator")
    participants = list(participants)
    for participant in participants:
        _check_member(organisation_id, participant, "participant")
    session.scheduled_at, session.place, session.facilitator = scheduled_at, place.strip(), facilitator
    session.save(update_fields=["scheduled_at", "place", "facilitator"])
    session.participants.set(participants)
    return session


def blocked_by(session: CascadeSession) -> CascadeSession | None:
    """Return the session one level up that keeps ``session`` from starting, or None."""
    parent = session.parent
    if parent is None:
        return None
    if parent.state != SessionState.DONE:
        return parent
    if parent.level == Level.STRATEGIC and parent.route_id is None:
        return parent  # done, but without an improvement route to translate
    return None


@transaction.atomic
def session_start(*, session: CascadeSession, actor: Membership,
                  override_reason: str = "") -> CascadeSession:
    """Start a session; out of order only for an administrator who gives a reason."""
    session = (CascadeSession.objects.select_for_update(of=("self",)).select_related("parent")
               .get(pk=session.pk))
    if session.state != SessionState.PLANNED:
        raise ValueError(_("This session has already started."))
    blocker = blocked_by(session)
    if blocker is not None:
        reason = (override_reason or "").strip()
        if actor.role != Role.ADMIN or not reason:
            if blocker.level == Level.STRATEGIC:
                raise OrderViolation(_("The strategic session must first set the improvement route."))
            raise OrderViolation(_("The session of %(unit)s must be done first.")
                                 % {"unit": blocker.unit.name})
        session.override_reason, session.override_by = reason, actor
        session.override_at = timezone.now()
    session.state, session.started_at = SessionState.RUNNING, timezone.now()
    session.save()
    if session.level == Level.OPERATIONAL:
        conversations_create(session=session)
    return session


@transaction.atomic
def session_route_set(*, session: CascadeSession, route) -> CascadeSession:
    """Record the improvement route a strategic session set."""
    if session.level != Level.STRATEGIC:
        raise ValueError("Only the strategic session sets the improvement route.")
    if route is not None and route.organisation_id != session.cascade.organisation_id:
        raise ValueError("The route belongs to another organisation.")
    session.route = route
    session.save(update_fields=["route"])
    return session


@transaction.atomic
def session_finish(*, session: CascadeSession, notes: str | None = None,
                   coaching_notes: str | None = None, actor: Membership | None = None) -> CascadeSession:
    """Mark a running session done, with its outcome notes.

    A session that ran live closes its room, and what the room chose lands in the
    improvement spine (``_room_outcomes``).
    """
    session = CascadeSession.objects.select_for_update().get(pk=session.pk)
    if session.state != SessionState.RUNNING:
        raise ValueError(_("Only a session in progress can be finished."))
    if session.level == Level.STRATEGIC and session.route_id is None:
        raise ValueError(_("Set the improvement route before finishing the strategic session."))
    if actor is not None and actor.organisation_id != session.cascade.organisation_id:
        raise ValueError("The actor belongs to another organisation.")
    if notes is not None:
        session.notes = notes.strip()
    if coaching_notes is not None:
        session.coaching_notes = coaching_notes.strip()
    if session.room_id is not None:
        _room_outcomes(session, actor or session.facilitator)
    session.state, session.finished_at = SessionState.DONE, timezone.now()
    session.save()
    return session


def _room_outcomes(session: CascadeSession, actor: Membership | None) -> None:
    """Close the session's room; turn its proposals and agreed actions into the spine.

    Each proposal becomes an improvement point of the session's unit, ranked by its
    dots (the top one high priority), unless it put a point of the improvement route on
    the table: then it is that point. At the strategic level the proposals that got
    dots join the improvement route. Each agreed action becomes an action with its
    owner and due date, under its proposal's point (or a point of its own). Running it
    again creates nothing twice; commitments stay in the room's record.
    """
    from improvements import services as improvements
    from improvements.models import ImprovementPoint, PointStatus, Priority
    from live import services as live

    room = session.room
    if actor is not None:
        live.room_organiser_event(room=room, by=actor, type="room_close", payload={},
                                  client_key=f"cascade-finish-{session.pk}")
        room.refresh_from_db()
    state = room.state
    organisation = session.cascade.organisation
    members = {m.pk: m for m in Membership.objects.select_related("user")
               .filter(organisation=organisation, is_active=True)}
    done = {(o.kind, o.item): o for o in session.outcomes.select_related("point")}
    route_ids = {int(c["key"]) for c in route_choices(session)}
    route_points = {p.pk: p for p in ImprovementPoint.objects.filter(organisation=organisation,
                                                                      pk__in=route_ids)}
    label = _("1-2-3 session %(unit)s, %(date)s") % {
        "unit": session.unit.name, "date": timezone.localdate().isoformat()}
    tallies = {gid: sum(v.values()) for gid, v in state["votes"].items()}
    ranked = sorted(state["groups"].values(), key=lambda g: (-tallies.get(g["id"], 0), int(g["id"])))

    points = {}
    for rank, group in enumerate(ranked):
        outcome = done.get((SessionOutcome.Kind.POINT, group["id"]))
        if outcome is not None:
            points[group["id"]] = outcome.point
            continue
        votes = tallies.get(group["id"], 0)
        point = route_points.get(int(group["point"])) if group.get("point") else None
        if point is None:
            point = improvements.point_create(
                organisation=organisation, actor=actor, title=group["title"],
                description=_("Proposed in the 1-2-3 session of %(unit)s: %(votes)d dots.")
                % {"unit": session.unit.name, "votes": votes},
                unit=session.unit, priority=Priority.HIGH if rank == 0 and votes else Priority.MEDIUM,
                status=PointStatus.PROPOSED, raised_by_label=label)
            if session.level == Level.STRATEGIC and votes and session.route is not None:
                improvements.route_add_point(route=session.route, actor=actor, point=point)
        SessionOutcome.objects.create(session=session, kind=SessionOutcome.Kind.POINT,
                                      item=group["id"], point=point)
        points[group["id"]] = point

    for item in sorted(state["actions"].values(), key=lambda a: int(a["id"])):
        if (SessionOutcome.Kind.ACTION, item["id"]) in done:
            continue
        owner = members.get(item["owner"])
        if owner is None:
            continue  # the owner left the organisation since; the room's record keeps it
        point = points.get(item.get("group"))
        if point is None:
            point = improvements.point_create(
                organisation=organisation, actor=actor, title=item["title"], unit=session.unit,
                status=PointStatus.PLANNED, raised_by_label=label)
        due = datetime.date.fromisoformat(item["due"]) if item.get("due") else None
        action = improvements.action_create(point=point, actor=actor, title=item["title"],
                                            owner=owner, due_date=due)
        SessionOutcome.objects.create(session=session, kind=SessionOutcome.Kind.ACTION,
                                      item=item["id"], point=point, action=action)


# Operational outcome: the conversations with the team's customers ---------------------------

@transaction.atomic
def conversations_create(*, session: CascadeSession) -> int:
    """List the team's detractors and passives of the wave, each for their account owner.

    A customer whose account owner is not in the team goes to the session's facilitator.
    Running it again adds only customers not yet listed; returns how many were added.
    """
    from insights.selectors import customer_groups

    if session.level != Level.OPERATIONAL:
        raise ValueError("Conversations are the outcome of an operational session.")
    team = {m.pk for m in Membership.objects.filter(organisation_id=session.cascade.organisation_id,
                                                        unit__path__startswith=session.unit.path,
                                                        is_active=True)}
    listed = set(session.conversations.values_list("customer_id", flat=True))
    new = []
    for customer in customer_groups(session.cascade.wave, session.unit).filter(
            nps_group__in=["detractor", "passive"]):
        if customer.pk in listed:
            continue
        owner = customer.account_owner_id if customer.account_owner_id in team else session.facilitator_id
        new.append(Conversation(session=session, customer=customer, employee_id=owner,
                                group=customer.nps_group, score=customer.latest_nps))
    Conversation.objects.bulk_create(new)
    return len(new)


@transaction.atomic
def conversation_log(*, conversation: Conversation, status: str, outcome: str = "",
                     follow_up: str = "", follow_up_due: datetime.date | None = None) -> Conversation:
    """Record how a conversation went and what follows from it."""
    if status not in ConversationStatus.values:
        raise ValueError(f"Unknown status {status!r}.")
    if status == ConversationStatus.HELD and not (outcome or "").strip():
        raise ValueError(_("Write down what came of the conversation."))
    conversation.status = status
    conversation.outcome, conversation.follow_up = (outcome or "").strip(), (follow_up or "").strip()[:300]
    conversation.follow_up_due = follow_up_due
    conversation.held_at = timezone.now() if status == ConversationStatus.HELD else None
    conversation.save()
    return conversation


# Strategic outcome: targets per unit and the progress review on the MT agenda -----------------

@transaction.atomic
def target_set(*, cascade: Cascade, unit: Unit, nps: int | None):
    """Set (or with None remove) a unit's target NPS for the next wave."""
    from cascade.models import UnitTarget

    if unit.organisation_id != cascade.organisation_id:
        raise ValueError("The unit belongs to another organisation.")
    if nps is None:
        UnitTarget.objects.filter(cascade=cascade, unit=unit).delete()
        return None
    if not -100 <= nps <= 100:
        raise ValueError(_("An NPS lies between -100 and 100."))
    target, _created = UnitTarget.objects.update_or_create(cascade=cascade, unit=unit,
                                                           defaults={"nps": nps})
    return target


@transaction.atomic
def review_add(*, cascade: Cascade, date: datetime.date, notes: str = ""):
    """Put a progress review of the route on the MT agenda."""
    from cascade.models import ReviewMeeting

    return ReviewMeeting.objects.create(cascade=cascade, date=date, notes=(notes or "").strip())
