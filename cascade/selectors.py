"""Reads for the 1-2-3-spel: access, the cascade as a tree, and each session's figures."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.http import Http404

from accounts.models import Organisation
from cascade.models import Cascade, CascadeSession, Conversation


def access_cascade_by_id(organisation: Organisation, pk) -> Cascade:
    cascade = (Cascade.objects.for_organisation(organisation).select_related("wave")
               .filter(pk=pk).first())
    if cascade is None:
        raise Http404
    return cascade


def access_session_by_id(organisation: Organisation, pk) -> CascadeSession:
    session = (CascadeSession.objects.filter(cascade__organisation=organisation, pk=pk)
               .select_related("cascade__wave", "unit", "parent__unit", "facilitator__user", "route")
               .first())
    if session is None:
        raise Http404
    return session


def cascade_list(organisation: Organisation):
    return Cascade.objects.for_organisation(organisation).select_related("wave")


@dataclass
class SessionNode:
    session: CascadeSession
    blocked_by: CascadeSession | None
    children: list[SessionNode] = field(default_factory=list)


def cascade_tree(cascade: Cascade) -> list[SessionNode]:
    """Return the cascade's sessions nested by level, each with what blocks it (two queries)."""
    from cascade.services import blocked_by

    sessions = list(cascade.sessions.select_related("unit", "facilitator__user", "route")
                    .order_by("unit__path"))
    by_id = {s.pk: s for s in sessions}
    nodes = {}
    roots = []
    for s in sessions:
        if s.parent_id is not None:
            s.parent = by_id[s.parent_id]  # no query per session for blocked_by
        nodes[s.pk] = SessionNode(session=s, blocked_by=blocked_by(s))
        if s.parent_id is None:
            roots.append(nodes[s.pk])
        else:
            nodes[s.parent_id].children.append(nodes[s.pk])
    return roots


def my_conversations(membership) -> list[Conversation]:
    """Return the member's own customer conversations, detractors first, then by score."""
    return list(Conversation.objects.filter(employee=membership, session__cascade__organisation_id=
                                            membership.organisation_id)
                .select_related("customer", "session__unit", "session__cascade__wave")
                .order_by("status", "score", "customer__name"))


def access_conversation_by_id(membership, pk) -> Conversation:
    """Return one of the member's own conversations, or 404 (also for a colleague's)."""
    conversation = (Conversation.objects.filter(pk=pk, employee=membership,
                                                session__cascade__organisation_id=membership.organisation_id)
                    .select_related("customer", "session").first())
    if conversation is None:
        raise Http404
    return conversation


def session_conversations(session: CascadeSession) -> list[Conversation]:
    return list(session.conversations.select_related("customer", "employee__user")
                .order_by("employee__user__name", "score", "customer__name"))


# What to ask and what not to promise, per group: the method's conversation guide.
def conversation_guide() -> dict[str, dict[str, list[str]]]:
    from django.utils.translation import gettext as _

    return {
        "detractor": {
            "ask": [_("Thank them for their honest score and ask what happened."),
                    _("Ask what we should have done differently, in their words."),
                    _("Ask what would make them recommend us again.")],
            "avoid": [_("Do not defend or explain the organisation first."),
                      _("Do not promise a solution you cannot deliver yourself; promise to come back.")],
        },
        "passive": {
            "ask": [_("Ask what keeps them from giving a 9 or 10."),
                    _("Ask which competitor they compare us with, and why.")],
            "avoid": [_("Do not sell during this conversation."),
                      _("Do not promise discounts or exceptions.")],
        },
    }


# The progress review ----------------------------------------------------------------------

@dataclass(frozen=True)
class PointProgress:
    """One route point: its actions done, open and overdue, per unit."""

    reference: str
    title: str
    status: str
    per_unit: list[tuple[str, int, int, int]]  # unit name, done, open, overdue
    done: int
    open: int
    overdue: int


@dataclass(frozen=True)
class TargetProgress:
    """A unit's target: the NPS when it was set, the target, the next wave's NPS if measured."""

    unit: str
    baseline: float | None
    target: int
    measured: float | None
    change: float | None
    significant: bool
    reached: bool | None


@dataclass(frozen=True)
class Review:
    route: object
    points: list[PointProgress]
    targets: list[TargetProgress]
    next_wave: object
    meetings: list
    reports: list[tuple[str, str]]  # tactical sessions' outcome for the MT: unit, notes


def _next_wave(wave):
    from research.models import Wave

    later = Wave.objects.for_organisation(wave.organisation).exclude(pk=wave.pk)
    if wave.period_start:
        later = later.filter(period_start__gt=wave.period_start)
    else:
        later = later.filter(created_at__gt=wave.created_at)
    return later.filter(responses__isnull=False).distinct().order_by("period_start", "created_at").first()


def progress_review(cascade: Cascade, *, today=None) -> Review:
    """Gather the route's progress per point and unit, and the targets against the next wave."""
    from django.db.models import Count, Q
    from django.db.models.functions import Coalesce
    from django.utils import timezone

    from improvements.models import Action, ActionStatus, ImprovementPoint
    from insights.selectors import unit_insights

    today = today or timezone.localdate()
    strategic = cascade.sessions.filter(level="strategic").select_related("route").first()
    route = strategic.route if strategic else None
    points = []
    if route is not None:
        ordered = list(ImprovementPoint.objects.filter(route_points__route=route)
                       .order_by("route_points__position").select_related("unit"))
        # Per unit of the action's owner: a tactical session's actions under a route point
        # count for its own unit (the point's unit for an owner without one).
        counts = (Action.objects.filter(point__in=ordered)
                  .annotate(unit_name=Coalesce("owner__unit__name", "point__unit__name"))
                  .values("point_id", "unit_name")
                  .annotate(done=Count("pk", filter=Q(status=ActionStatus.DONE)),
                            open=Count("pk", filter=Q(status__in=[ActionStatus.OPEN,
                                                                  ActionStatus.IN_PROGRESS])),
                            overdue=Count("pk", filter=Q(status__in=[ActionStatus.OPEN,
                                                                     ActionStatus.IN_PROGRESS],
                                                         due_date__lt=today)))
                  .order_by("unit_name"))
        rows: dict[int, list] = {}
        for row in counts:
            rows.setdefault(row["point_id"], []).append(
                (row["unit_name"] or "—", row["done"], row["open"], row["overdue"]))
        for point in ordered:
            per_unit = rows.get(point.pk, [])
            points.append(PointProgress(
                reference=point.reference, title=point.title, status=point.get_status_display(),
                per_unit=per_unit, done=sum(r[1] for r in per_unit), open=sum(r[2] for r in per_unit),
                overdue=sum(r[3] for r in per_unit)))
    targets_qs = list(cascade.targets.select_related("unit"))
    next_wave = _next_wave(cascade.wave)
    units = [t.unit for t in targets_qs]
    now = {i.unit_id: i for i in unit_insights(cascade.wave, units=units)} if units else {}
    later = {i.unit_id: i for i in unit_insights(next_wave, units=units)} if units and next_wave else {}
    targets = []
    for t in targets_qs:
        base, measured = now.get(t.unit_id), later.get(t.unit_id)
        value = measured.nps if measured is not None and not measured.suppressed else None
        change = (value - base.nps) if value is not None and base is not None and base.nps is not None \
            else None
        # The significance test compares a wave with the one before it: valid here only
        # when the next wave follows this cascade's wave directly.
        significant = bool(measured is not None and measured.change_significant
                           and measured.previous_nps is not None)
        targets.append(TargetProgress(
            unit=t.unit.name, baseline=base.nps if base is not None else None, target=t.nps,
            measured=value, change=change, significant=significant,
            reached=None if value is None else value >= t.nps))
    reports = [(s.unit.name, s.notes) for s in cascade.sessions.filter(level="tactical", state="done")
               .exclude(notes="").select_related("unit").order_by("unit__path")]
    return Review(route=route, points=points, targets=targets, next_wave=next_wave,
                  meetings=list(cascade.reviews.all()), reports=reports)


def session_outcomes(session: CascadeSession) -> list[tuple]:
    """The improvement points a session's room led to, each with the actions agreed for it."""
    from cascade.models import SessionOutcome

    points: dict[int, tuple] = {}
    for outcome in (SessionOutcome.objects.filter(session=session)
                    .select_related("point", "action__owner__user").order_by("pk")):
        _, actions = points.setdefault(outcome.point_id, (outcome.point, []))
        if outcome.action is not None:
            actions.append(outcome.action)
    return list(points.values())


def may_read_coaching_notes(session: CascadeSession, membership) -> bool:
    """Coaching notes are for the facilitator, those who manage cascades, and the managers
    of the session's unit (or a unit above it); not for the MT review or the team."""
    from accounts.models import Role
    from accounts.permissions import Capability, role_can

    if membership is None:
        return False
    if session.facilitator_id == membership.pk or role_can(membership.role, Capability.MANAGE_CASCADES):
        return True
    unit = membership.unit
    return (membership.role == Role.MANAGER and unit is not None
            and session.unit.path.startswith(unit.path))
