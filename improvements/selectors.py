"""Reads for improvement points, actions, evidence and routes, always scoped to one
organisation. ``access_*_by_id`` raise 404 for anything outside it."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import FieldDoesNotExist
from django.db.models import Case, Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership, Organisation
from improvements.models import (
    Action,
    ActionNote,
    ActionStatus,
    Change,
    Evidence,
    ImprovementPoint,
    PointStatus,
    Route,
    RoutePoint,
    Theme,
)
from org.models import Unit

UNFINISHED = (ActionStatus.OPEN, ActionStatus.IN_PROGRESS)
BOARD_ORDER = (PointStatus.PROPOSED, PointStatus.PLANNED, PointStatus.IN_PROGRESS,
               PointStatus.DONE, PointStatus.DROPPED)


# Access by id ----------------------------------------------------------------------------

def access_point_by_id(organisation: Organisation, pk) -> ImprovementPoint:
    point = (ImprovementPoint.objects.for_organisation(organisation)
             .select_related("organisation", "theme", "unit", "raised_by__user", "created_by")
             .filter(pk=pk).first())
    if point is None:
        raise Http404
    return point


def access_action_by_id(organisation: Organisation, pk) -> Action:
    action = (Action.objects.for_organisation(organisation)
              .select_related("point__organisation", "owner__user")
              .filter(pk=pk).first())
    if action is None:
        raise Http404
    return action


def access_route_by_id(organisation: Organisation, pk) -> Route:
    route = (Route.objects.for_organisation(organisation).select_related("organisation")
             .filter(pk=pk).first())
    if route is None:
        raise Http404
    return route


def access_evidence_by_id(organisation: Organisation, pk) -> Evidence:
    evidence = (Evidence.objects.filter(point__organisation=organisation)
                .select_related("point__organisation").filter(pk=pk).first())
    if evidence is None:
        raise Http404
    return evidence


# The board -------------------------------------------------------------------------------

@dataclass(frozen=True)
class BoardColumn:
    status: str
    label: str
    points: tuple[ImprovementPoint, ...]

    @property
    def count(self) -> int:
        return len(self.points)


@dataclass(frozen=True)
class Board:
    columns: tuple[BoardColumn, ...]

    @property
    def total(self) -> int:
        return sum(column.count for column in self.columns)

    @property
    def counts(self) -> dict[str, int]:
        return {column.status: column.count for column in self.columns}


def _search(q: str) -> Q:
    condition = Q(title__icontains=q) | Q(description__icontains=q)
    reference = q.upper().removeprefix("VP-").removeprefix("VP").strip()
    if reference.isdigit():
        condition |= Q(number=int(reference))
    return condition


def point_board(organisation: Organisation, *, unit: Unit | None = None,
                theme: Theme | None = None, owner: Membership | None = None,
                route: Route | None = None, q: str | None = None) -> Board:
    """Return the organisation's points per status column, in board order, in one query.

    Each point carries ``open_actions``, ``total_actions``, ``unit_name`` and
    ``theme_name``. The unit filter takes the whole subtree below ``unit``; the owner
    filter keeps points with an action owned by ``owner``.
    """
    points = (
        ImprovementPoint.objects.for_organisation(organisation)
        .annotate(
            total_actions=Count("actions"),
            open_actions=Count("actions", filter=Q(actions__status__in=UNFINISHED)),
            unit_name=F("unit__name"),
            theme_name=F("theme__name"),
        )
        # Meta.ordering is ignored by aggregating queries, so it is repeated here.
        .order_by("-priority", "number")
    )
    if unit is not None:
        points = points.filter(unit__organisation=organisation, unit__path__startswith=unit.path)
    if theme is not None:
        points = points.filter(theme=theme)
    # Exists rather than a join, so the action counts are not multiplied.
    if owner is not None:
        points = points.filter(Exists(Action.objects.filter(point=OuterRef("pk"), owner=owner)))
    if route is not None:
        points = points.filter(
            Exists(RoutePoint.objects.filter(point=OuterRef("pk"), route=route)))
    if q and q.strip():
        points = points.filter(_search(q.strip()))
    by_status: dict[str, list[ImprovementPoint]] = {status: [] for status in BOARD_ORDER}
    for point in points:
        by_status[point.status].append(point)
    return Board(columns=tuple(
        BoardColumn(status=status, label=str(PointStatus(status).label),
                    points=tuple(by_status[status]))
        for status in BOARD_ORDER
    ))


# Point detail ----------------------------------------------------------------------------

def point_actions(point: ImprovementPoint) -> list[Action]:
    """Return the point's actions with owners and progress notes."""
    return list(
        point.actions.select_related("owner__user")
        .prefetch_related(Prefetch("notes", ActionNote.objects.select_related("author")))
    )


def point_evidence(point: ImprovementPoint) -> list[Evidence]:
    return list(point.evidence.select_related("added_by", "content_type"))


def point_routes(point: ImprovementPoint) -> list[Route]:
    return list(Route.objects.filter(organisation_id=point.organisation_id,
                                     route_points__point=point))


_FIELD_MODELS = (ImprovementPoint, Action, Route, Evidence)


def _field_label(name: str) -> str:
    if name == "position":
        return str(_("place"))
    for model in _FIELD_MODELS:
        try:
            return str(model._meta.get_field(name).verbose_name)
        except FieldDoesNotExist:
            continue
    return name


def point_history(point: ImprovementPoint) -> list[Change]:
    """Return the point's changes, newest first; each has ``rows`` with a field label."""
    changes = list(point.changes.select_related("actor").order_by("-at", "-pk"))
    for change in changes:
        change.rows = [
            {"label": _field_label(row.get("field", "")), "old": row.get("old", ""),
             "new": row.get("new", "")}
            for row in change.fields or []
        ]
    return changes


# Actions ---------------------------------------------------------------------------------

def my_actions(membership: Membership) -> list[Action]:
    """Return the member's actions: unfinished first, then by due date (none last)."""
    return list(
        Action.objects.filter(owner=membership, point__organisation_id=membership.organisation_id)
        .select_related("point")
        .annotate(finished=Case(When(status__in=UNFINISHED, then=Value(0)), default=Value(1)))
        .order_by("finished", F("due_date").asc(nulls_last=True), "pk")
    )


@dataclass(frozen=True)
class ActionSummary:
    unfinished: int
    overdue: int


def action_summary(membership: Membership) -> ActionSummary:
    """Count the member's unfinished and overdue actions in one query."""
    today = timezone.localdate()
    counts = Action.objects.filter(
        owner=membership, point__organisation_id=membership.organisation_id,
        status__in=UNFINISHED,
    ).aggregate(unfinished=Count("pk"), overdue=Count("pk", filter=Q(due_date__lt=today)))
    return ActionSummary(**counts)


def point_status_counts(organisation: Organisation) -> list[tuple[str, str, int]]:
    """Return (status, label, count) for every point status in board order, in one query."""
    counts = dict(
        ImprovementPoint.objects.for_organisation(organisation)
        .values_list("status").annotate(n=Count("pk")).order_by()
    )
    return [(status, PointStatus(status).label, counts.get(status, 0)) for status in BOARD_ORDER]


def recent_changes(organisation: Organisation, *, limit: int = 8) -> list[Change]:
    return list(
        Change.objects.filter(organisation=organisation)
        .select_related("actor", "point").order_by("-at", "-pk")[:limit]
    )


# Choices for forms -----------------------------------------------------------------------

def members_for_select(organisation: Organisation) -> QuerySet[Membership]:
    return (Membership.objects.active().for_organisation(organisation)
            .select_related("user").order_by("user__name"))


def themes_for_select(organisation: Organisation) -> QuerySet[Theme]:
    return Theme.objects.filter(organisation=organisation).order_by("name")


def units_for_select(organisation: Organisation) -> QuerySet[Unit]:
    return Unit.objects.filter(organisation=organisation).order_by("path")


def routes_for_select(organisation: Organisation) -> QuerySet[Route]:
    return Route.objects.for_organisation(organisation).order_by("name")


def points_for_select(organisation: Organisation) -> QuerySet[ImprovementPoint]:
    return ImprovementPoint.objects.for_organisation(organisation).order_by("number")


# Routes ----------------------------------------------------------------------------------

def route_list(organisation: Organisation) -> list[Route]:
    """Return the routes with ``point_count`` and ``done_count``."""
    return list(
        Route.objects.for_organisation(organisation).annotate(
            point_count=Count("route_points"),
            done_count=Count("route_points",
                             filter=Q(route_points__point__status=PointStatus.DONE)),
        )
    )


def route_points(route: Route) -> list[RoutePoint]:
    """Return the route's points in order, each point with its action counts."""
    points = (
        ImprovementPoint.objects.filter(route_points__route=route)
        .select_related("theme", "unit")
        .annotate(total_actions=Count("actions", distinct=True),
                  open_actions=Count("actions", filter=Q(actions__status__in=UNFINISHED),
                                     distinct=True))
        .order_by()
    )
    by_id = {point.pk: point for point in points}
    route_points = list(RoutePoint.objects.filter(route=route).order_by("position", "pk"))
    for route_point in route_points:
        route_point.point = by_id[route_point.point_id]
    return route_points


def route_point_position(route: Route, point: ImprovementPoint) -> int | None:
    """Return the point's 0-based place on the route, or None when it is not on it."""
    return (RoutePoint.objects.filter(route=route, point=point)
            .values_list("position", flat=True).first())


def route_history(route: Route) -> list[Change]:
    return list(route.changes.select_related("actor").order_by("-at", "-pk")[:50])


def points_in_route(route: Route) -> QuerySet[ImprovementPoint]:
    return (ImprovementPoint.objects.for_organisation(route.organisation)
            .filter(route_points__route=route).order_by("number"))


def points_not_in_route(route: Route) -> QuerySet[ImprovementPoint]:
    return (ImprovementPoint.objects.for_organisation(route.organisation)
            .exclude(route_points__route=route).order_by("number"))
