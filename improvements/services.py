"""Writes for improvement points, actions, evidence and routes.

Every write runs in one transaction and records a ``Change`` row: who did it, a
verb, a human summary, and for edits the fields with their old and new display
values. Display values are frozen at write time, so the history still reads
correctly after a theme is renamed or a member leaves.

Permission checks live in the views; these functions only keep the invariants
(everything belongs to one organisation, owners are active members, numbering).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.db.models import Max
from django.utils.text import Truncator
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
    Priority,
    Route,
    RoutePoint,
    Theme,
)
from improvements.signals import point_status_changed
from org.models import Unit

POINT_EDITABLE = ("title", "description", "theme", "unit", "priority", "raised_by",
                  "raised_by_label")
ACTION_EDITABLE = ("title", "owner", "due_date")
ROUTE_EDITABLE = ("name", "vision", "target")


# Helpers ---------------------------------------------------------------------------------

def _display(instance: models.Model, name: str, value: Any) -> str:
    """Return how ``value`` of field ``name`` reads to a person, frozen for the history."""
    if value is None or value == "":
        return ""
    if isinstance(value, Membership):
        return value.name
    if isinstance(value, models.Model):
        return str(value)
    field = instance._meta.get_field(name)
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, datetime.date):
        return value.isoformat()
    return Truncator(str(value)).chars(200)


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, models.Model) or isinstance(new, models.Model):
        return getattr(old, "pk", None) == getattr(new, "pk", None) and type(old) is type(new)
    return old == new


def _apply(instance: models.Model, changes: Mapping[str, Any],
           allowed: Iterable[str]) -> list[dict[str, str]]:
    """Set the changed attributes on ``instance``; return their field diffs."""
    unknown = set(changes) - set(allowed)
    if unknown:
        raise TypeError(f"Cannot change {', '.join(sorted(unknown))} here.")
    diffs = []
    for name, new in changes.items():
        old = getattr(instance, name)
        if _same(old, new):
            continue
        diffs.append({"field": name, "old": _display(instance, name, old),
                      "new": _display(instance, name, new)})
        setattr(instance, name, new)
    return diffs


def _record(*, organisation: Organisation, actor: Membership | None, verb: str, summary: str,
            point: ImprovementPoint | None = None, route: Route | None = None,
            fields: Iterable[dict[str, str]] = ()) -> Change:
    return Change.objects.create(
        organisation=organisation, point=point, route=route,
        actor=actor.user if actor is not None else None,
        verb=verb, summary=Truncator(summary).chars(300), fields=list(fields),
    )


def _check_same_organisation(organisation_id: int, **objects: models.Model | None) -> None:
    for name, obj in objects.items():
        if obj is not None and obj.organisation_id != organisation_id:
            raise ValueError(f"The {name} belongs to another organisation.")


def _check_owner(organisation_id: int, owner: Membership | None) -> None:
    if (owner is None or owner.organisation_id != organisation_id or not owner.is_active
            or not owner.user.is_active):
        raise ValueError("An action's owner must be an active member of the organisation.")


def _clean_title(title: str, what: str = "title") -> str:
    title = (title or "").strip()
    if not title:
        raise ValueError(f"A {what} is required.")
    return title


def _clean_priority(priority: Any) -> int:
    priority = int(priority)
    if priority not in Priority.values:
        raise ValueError(f"Unknown priority {priority!r}.")
    return priority


def _field_names(diffs: list[dict[str, str]], model: type[models.Model]) -> str:
    return ", ".join(str(model._meta.get_field(d["field"]).verbose_name) for d in diffs)


def _next_point_number(organisation: Organisation) -> int:
    # Lock the organisation's row so two requests cannot read the same maximum; points
    # of different organisations are still created in parallel. SQLite ignores the lock
    # but its IMMEDIATE transactions already serialise writers.
    list(Organisation.objects.select_for_update().filter(pk=organisation.pk).values("pk"))
    last = (ImprovementPoint.objects.filter(organisation=organisation)
            .aggregate(last=Max("number"))["last"])
    return (last or 0) + 1


# Themes ----------------------------------------------------------------------------------

@transaction.atomic
def theme_get_or_create(*, organisation: Organisation, name: str) -> Theme:
    """Return the organisation's theme called ``name`` (any case), creating it if new."""
    name = _clean_title(name, "theme name")[:80]
    theme = Theme.objects.filter(organisation=organisation, name__iexact=name).first()
    if theme is not None:
        return theme
    try:
        with transaction.atomic():
            return Theme.objects.create(organisation=organisation, name=name)
    except IntegrityError:  # created by a concurrent request a moment ago
        return Theme.objects.get(organisation=organisation, name__iexact=name)


# Points ----------------------------------------------------------------------------------

@transaction.atomic
def point_create(*, organisation: Organisation, actor: Membership | None, title: str,
                 description: str = "", theme: Theme | None = None, unit: Unit | None = None,
                 priority: int = Priority.MEDIUM, status: str = PointStatus.PROPOSED,
                 raised_by: Membership | None = None,
                 raised_by_label: str = "") -> ImprovementPoint:
    """Raise a new improvement point with the next number of its organisation."""
    title = _clean_title(title)
    _check_same_organisation(organisation.pk, theme=theme, unit=unit, raised_by=raised_by)
    if status not in PointStatus.values:
        raise ValueError(f"Unknown status {status!r}.")
    point = ImprovementPoint.objects.create(
        organisation=organisation, number=_next_point_number(organisation), title=title,
        description=description.strip(), theme=theme, unit=unit,
        priority=_clean_priority(priority), status=status, raised_by=raised_by,
        raised_by_label=raised_by_label.strip(),
        created_by=actor.user if actor is not None else None,
    )
    _record(organisation=organisation, actor=actor, point=point, verb="created",
            summary=_("Raised %(reference)s “%(title)s”")
            % {"reference": point.reference, "title": point.title},
            fields=[{"field": "status", "old": "", "new": point.get_status_display()}])
    return point


@transaction.atomic
def point_update(*, point: ImprovementPoint, actor: Membership | None,
                 **changes: Any) -> ImprovementPoint:
    """Change a point's details; only fields whose value really changed are recorded."""
    if "title" in changes:
        changes["title"] = _clean_title(changes["title"])
    for name in ("description", "raised_by_label"):
        if name in changes:
            changes[name] = (changes[name] or "").strip()
    if "priority" in changes:
        changes["priority"] = _clean_priority(changes["priority"])
    _check_same_organisation(point.organisation_id, theme=changes.get("theme"),
                             unit=changes.get("unit"), raised_by=changes.get("raised_by"))
    diffs = _apply(point, changes, POINT_EDITABLE)
    if not diffs:
        return point
    point.save()
    _record(organisation=point.organisation, actor=actor, point=point, verb="updated",
            summary=_("Changed %(fields)s") % {"fields": _field_names(diffs, ImprovementPoint)},
            fields=diffs)
    return point


@transaction.atomic
def point_set_status(*, point: ImprovementPoint, actor: Membership | None,
                     status: str) -> ImprovementPoint:
    """Move a point to ``status``; setting the current status again records nothing."""
    if status not in PointStatus.values:
        raise ValueError(f"Unknown status {status!r}.")
    old_status = point.status
    diffs = _apply(point, {"status": status}, ["status"])
    if not diffs:
        return point
    point.save(update_fields=["status", "updated_at"])
    _record(organisation=point.organisation, actor=actor, point=point, verb="status",
            summary=_("Status changed from %(old)s to %(new)s")
            % {"old": diffs[0]["old"], "new": diffs[0]["new"]},
            fields=diffs)
    transaction.on_commit(lambda: point_status_changed.send(
        sender=ImprovementPoint, point=point, old=old_status, new=status, actor=actor), robust=True)
    return point


# Actions ---------------------------------------------------------------------------------

@transaction.atomic
def action_create(*, point: ImprovementPoint, actor: Membership | None, title: str,
                  owner: Membership, due_date: datetime.date | None = None,
                  status: str = ActionStatus.OPEN) -> Action:
    """Add an action under ``point``, owned by an active member of its organisation."""
    title = _clean_title(title)
    _check_owner(point.organisation_id, owner)
    if status not in ActionStatus.values:
        raise ValueError(f"Unknown status {status!r}.")
    action = Action.objects.create(point=point, title=title, owner=owner, due_date=due_date,
                                   status=status)
    fields = [{"field": "owner", "old": "", "new": owner.name}]
    if due_date:
        fields.append({"field": "due_date", "old": "", "new": due_date.isoformat()})
    _record(organisation=point.organisation, actor=actor, point=point, verb="action_created",
            summary=_("Added action “%(title)s” for %(owner)s")
            % {"title": title, "owner": owner.name},
            fields=fields)
    return action


@transaction.atomic
def action_update(*, action: Action, actor: Membership | None, **changes: Any) -> Action:
    """Change an action's title, owner or due date."""
    if "title" in changes:
        changes["title"] = _clean_title(changes["title"])
    if "owner" in changes:
        _check_owner(action.point.organisation_id, changes["owner"])
    diffs = _apply(action, changes, ACTION_EDITABLE)
    if not diffs:
        return action
    action.save()
    _record(organisation=action.point.organisation, actor=actor, point=action.point,
            verb="action_updated",
            summary=_("Changed %(fields)s of action “%(title)s”")
            % {"fields": _field_names(diffs, Action), "title": action.title},
            fields=diffs)
    return action


@transaction.atomic
def action_set_status(*, action: Action, actor: Membership | None, status: str) -> Action:
    """Move an action to ``status``; setting the current status again records nothing."""
    if status not in ActionStatus.values:
        raise ValueError(f"Unknown status {status!r}.")
    diffs = _apply(action, {"status": status}, ["status"])
    if not diffs:
        return action
    action.save(update_fields=["status", "updated_at"])
    _record(organisation=action.point.organisation, actor=actor, point=action.point,
            verb="action_status",
            summary=_("Action “%(title)s”: status changed from %(old)s to %(new)s")
            % {"title": action.title, "old": diffs[0]["old"], "new": diffs[0]["new"]},
            fields=diffs)
    return action


@transaction.atomic
def action_note_add(*, action: Action, actor: Membership | None, text: str) -> ActionNote:
    """Add a progress note to an action."""
    text = _clean_title(text, "note")
    note = ActionNote.objects.create(action=action, text=text,
                                     author=actor.user if actor is not None else None)
    _record(organisation=action.point.organisation, actor=actor, point=action.point,
            verb="note_added",
            summary=_("Progress note on action “%(title)s”: %(text)s")
            % {"title": action.title, "text": Truncator(text).chars(120)})
    return note


# Evidence --------------------------------------------------------------------------------

def _organisation_id_of(source: models.Model) -> int | None:
    organisation_id = getattr(source, "organisation_id", None)
    if organisation_id is None:
        organisation = getattr(source, "organisation", None)
        organisation_id = getattr(organisation, "pk", None)
    return organisation_id


@transaction.atomic
def evidence_add(*, point: ImprovementPoint, actor: Membership | None, label: str,
                 quote: str = "", source: models.Model | None = None) -> Evidence:
    """Link what a point is based on: any saved object of its organisation, or a quote."""
    label = _clean_title(label, "source label")
    evidence = Evidence(point=point, label=label[:200], quote=quote.strip(),
                        added_by=actor.user if actor is not None else None)
    if source is not None:
        if source.pk is None:
            raise ValueError("Evidence can only link to a saved object.")
        source_org = _organisation_id_of(source)
        if source_org is not None and source_org != point.organisation_id:
            raise ValueError("The evidence belongs to another organisation.")
        evidence.content_type = ContentType.objects.get_for_model(source)
        evidence.object_id = source.pk
    evidence.save()
    _record(organisation=point.organisation, actor=actor, point=point, verb="evidence_added",
            summary=_("Added evidence “%(label)s”") % {"label": evidence.label})
    return evidence


@transaction.atomic
def evidence_remove(*, evidence: Evidence, actor: Membership | None) -> None:
    """Unlink a piece of evidence from its point."""
    point = evidence.point
    label = evidence.label
    evidence.delete()
    _record(organisation=point.organisation, actor=actor, point=point, verb="evidence_removed",
            summary=_("Removed evidence “%(label)s”") % {"label": label})


# Routes ----------------------------------------------------------------------------------

def _lock_route(route: Route) -> list[RoutePoint]:
    """Lock the route and return its points in order (serialises concurrent reorders)."""
    list(Route.objects.select_for_update().filter(pk=route.pk).values("pk"))
    return list(RoutePoint.objects.filter(route=route).order_by("position", "pk"))


def _renumber(route_points: list[RoutePoint]) -> None:
    moved = []
    for position, route_point in enumerate(route_points):
        if route_point.position != position:
            route_point.position = position
            moved.append(route_point)
    RoutePoint.objects.bulk_update(moved, ["position"])


@transaction.atomic
def route_create(*, organisation: Organisation, actor: Membership | None, name: str,
                 vision: str = "", target: str = "",
                 points: Iterable[ImprovementPoint] = ()) -> Route:
    """Create an improvement route, with ``points`` in the given order."""
    name = _clean_title(name, "name")
    points = list(points)
    for point in points:
        _check_same_organisation(organisation.pk, point=point)
    route = Route.objects.create(organisation=organisation, name=name, vision=vision.strip(),
                                 target=target.strip(),
                                 created_by=actor.user if actor is not None else None)
    _record(organisation=organisation, actor=actor, route=route, verb="route_created",
            summary=_("Created route “%(name)s”") % {"name": name})
    for point in points:
        route_add_point(route=route, actor=actor, point=point)
    return route


@transaction.atomic
def route_update(*, route: Route, actor: Membership | None, **changes: Any) -> Route:
    """Change a route's name, vision or target."""
    if "name" in changes:
        changes["name"] = _clean_title(changes["name"], "name")
    for name in ("vision", "target"):
        if name in changes:
            changes[name] = (changes[name] or "").strip()
    diffs = _apply(route, changes, ROUTE_EDITABLE)
    if not diffs:
        return route
    route.save()
    _record(organisation=route.organisation, actor=actor, route=route, verb="route_updated",
            summary=_("Changed %(fields)s of route “%(name)s”")
            % {"fields": _field_names(diffs, Route), "name": route.name},
            fields=diffs)
    return route


@transaction.atomic
def route_add_point(*, route: Route, actor: Membership | None,
                    point: ImprovementPoint) -> RoutePoint:
    """Append ``point`` to the route; a point already on it stays where it is."""
    _check_same_organisation(route.organisation_id, point=point)
    route_points = _lock_route(route)
    for route_point in route_points:
        if route_point.point_id == point.pk:
            return route_point
    route_point = RoutePoint.objects.create(route=route, point=point,
                                            position=len(route_points))
    _record(organisation=route.organisation, actor=actor, route=route, point=point,
            verb="route_point_added",
            summary=_("Added %(reference)s to route “%(name)s”")
            % {"reference": point.reference, "name": route.name})
    return route_point


@transaction.atomic
def route_remove_point(*, route: Route, actor: Membership | None,
                       point: ImprovementPoint) -> None:
    """Take ``point`` off the route and close the gap it leaves."""
    route_points = _lock_route(route)
    remaining = [rp for rp in route_points if rp.point_id != point.pk]
    if len(remaining) == len(route_points):
        raise ValueError("That point is not on this route.")
    RoutePoint.objects.filter(route=route, point=point).delete()
    _renumber(remaining)
    _record(organisation=route.organisation, actor=actor, route=route, point=point,
            verb="route_point_removed",
            summary=_("Removed %(reference)s from route “%(name)s”")
            % {"reference": point.reference, "name": route.name})


@transaction.atomic
def route_move_point(*, route: Route, actor: Membership | None, point: ImprovementPoint,
                     position: int) -> RoutePoint:
    """Move ``point`` to ``position`` (0 is first; out-of-range values are clamped)."""
    route_points = _lock_route(route)
    index = next((i for i, rp in enumerate(route_points) if rp.point_id == point.pk), None)
    if index is None:
        raise ValueError("That point is not on this route.")
    position = max(0, min(int(position), len(route_points) - 1))
    route_point = route_points.pop(index)
    route_points.insert(position, route_point)
    _renumber(route_points)
    if position != index:
        _record(organisation=route.organisation, actor=actor, route=route, point=point,
                verb="route_point_moved",
                summary=_("Moved %(reference)s to place %(place)s of route “%(name)s”")
                % {"reference": point.reference, "place": position + 1, "name": route.name},
                fields=[{"field": "position", "old": str(index + 1),
                         "new": str(position + 1)}])
    return route_point
