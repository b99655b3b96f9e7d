"""Writes of customer journeys: the map (journeys, stages, touchpoints) and the step
from a touchpoint's pain to an improvement point.

Positions are kept 0, 1, 2, … within a journey (stages) and within a stage
(touchpoints); every service that adds, moves or removes one renumbers its siblings.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from accounts.models import Membership, Organisation
from journeys import selectors
from journeys.models import Channel, Journey, Stage, Touchpoint

NAME_LIMITS = {"journey": 200, "stage": 120, "touchpoint": 160}


def _clean_name(name: str, what: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValueError({"journey": _("Give the journey a name."), "stage": _("Give the stage a name."),
                          "touchpoint": _("Give the touchpoint a name.")}[what])
    return name[:NAME_LIMITS[what]]


def _check_editor(organisation: Organisation, actor: Membership | None) -> None:
    if actor is not None and actor.organisation_id != organisation.pk:
        raise PermissionDenied(_("You are not a member of this organisation."))


def _renumber(items) -> None:
    for position, item in enumerate(items):
        if item.position != position:
            item.position = position
            item.save(update_fields=["position"])


def _move(items: list, item, direction: int) -> None:
    """Swap ``item`` with its neighbour in ``direction`` (−1 earlier, +1 later)."""
    if direction not in (-1, 1):
        raise ValueError("The direction is −1 or +1.")
    index = next(i for i, other in enumerate(items) if other.pk == item.pk)
    target = index + direction
    if 0 <= target < len(items):
        items[index], items[target] = items[target], items[index]
    _renumber(items)


# --- Journeys --------------------------------------------------------------------------------

@transaction.atomic
def journey_create(*, organisation: Organisation, actor: Membership | None, name: str,
                   description: str = "", stages: list[str] | None = None) -> Journey:
    """Create a journey, with stages of the given names in order."""
    _check_editor(organisation, actor)
    journey = Journey.objects.create(organisation=organisation, name=_clean_name(name, "journey"),
                                     description=(description or "").strip(),
                                     created_by=actor.user if actor is not None else None)
    for stage_name in stages or []:
        stage_add(journey=journey, name=stage_name)
    return journey


@transaction.atomic
def journey_update(*, journey: Journey, name: str, description: str = "") -> Journey:
    journey.name = _clean_name(name, "journey")
    journey.description = (description or "").strip()
    journey.save(update_fields=["name", "description"])
    return journey


@transaction.atomic
def journey_delete(*, journey: Journey) -> None:
    """Delete a journey with its stages and touchpoints (points raised from it stay)."""
    journey.delete()


# --- Stages ----------------------------------------------------------------------------------

def _stages(journey: Journey) -> list[Stage]:
    return list(Stage.objects.select_for_update().filter(journey=journey).order_by("position", "pk"))


@transaction.atomic
def stage_add(*, journey: Journey, name: str) -> Stage:
    """Add a stage at the end of the journey."""
    name = _clean_name(name, "stage")
    last = Stage.objects.filter(journey=journey).aggregate(m=Max("position"))["m"]
    return Stage.objects.create(journey=journey, name=name, position=0 if last is None else last + 1)


@transaction.atomic
def stage_rename(*, stage: Stage, name: str) -> Stage:
    stage.name = _clean_name(name, "stage")
    stage.save(update_fields=["name"])
    return stage


@transaction.atomic
def stage_move(*, stage: Stage, direction: int) -> None:
    """Move a stage one place earlier (−1) or later (+1) in its journey."""
    _move(_stages(stage.journey), stage, direction)


@transaction.atomic
def stage_delete(*, stage: Stage) -> None:
    """Delete a stage and its touchpoints; the stages after it close the gap."""
    journey = stage.journey
    stage.delete()
    _renumber(_stages(journey))


# --- Touchpoints -----------------------------------------------------------------------------

def _touchpoints(stage: Stage) -> list[Touchpoint]:
    return list(Touchpoint.objects.select_for_update().filter(stage=stage).order_by("position", "pk"))


def _clean_touchpoint(organisation: Organisation, *, channel: str, unit, themes) -> list[str]:
    if channel not in Channel.values:
        raise ValueError(_("Unknown channel: %(channel)s.") % {"channel": channel})
    if unit is not None and unit.organisation_id != organisation.pk:
        raise ValueError(_("The unit belongs to another organisation."))
    themes = list(dict.fromkeys(themes or []))
    known = selectors.taxonomy_themes(organisation)
    unknown = [key for key in themes if key not in known]
    if unknown:
        raise ValueError(_("These themes are not in the taxonomy: %(keys)s.")
                         % {"keys": ", ".join(unknown)})
    return themes


@transaction.atomic
def touchpoint_add(*, stage: Stage, name: str, description: str = "", channel: str = Channel.OTHER,
                   unit=None, moment_of_truth: bool = False, themes: list[str] | None = None
                   ) -> Touchpoint:
    """Add a touchpoint at the end of a stage."""
    organisation = stage.journey.organisation
    themes = _clean_touchpoint(organisation, channel=channel, unit=unit, themes=themes)
    last = Touchpoint.objects.filter(stage=stage).aggregate(m=Max("position"))["m"]
    return Touchpoint.objects.create(
        organisation=organisation, stage=stage, name=_clean_name(name, "touchpoint"),
        description=(description or "").strip(), channel=channel, unit=unit,
        moment_of_truth=moment_of_truth, themes=themes, position=0 if last is None else last + 1)


@transaction.atomic
def touchpoint_update(*, touchpoint: Touchpoint, name: str, description: str = "",
                      channel: str = Channel.OTHER, unit=None, moment_of_truth: bool = False,
                      themes: list[str] | None = None, stage: Stage | None = None) -> Touchpoint:
    """Change a touchpoint; a new ``stage`` (of the same journey) puts it at that stage's end."""
    themes = _clean_touchpoint(touchpoint.organisation, channel=channel, unit=unit, themes=themes)
    old_stage = touchpoint.stage
    if stage is not None and stage.pk != old_stage.pk:
        if stage.journey_id != old_stage.journey_id:
            raise ValueError(_("A touchpoint can only move to a stage of its own journey."))
        last = Touchpoint.objects.filter(stage=stage).aggregate(m=Max("position"))["m"]
        touchpoint.stage = stage
        touchpoint.position = 0 if last is None else last + 1
    touchpoint.name = _clean_name(name, "touchpoint")
    touchpoint.description = (description or "").strip()
    touchpoint.channel, touchpoint.unit = channel, unit
    touchpoint.moment_of_truth, touchpoint.themes = bool(moment_of_truth), themes
    touchpoint.save()
    if touchpoint.stage_id != old_stage.pk:
        _renumber(_touchpoints(old_stage))
    return touchpoint


@transaction.atomic
def touchpoint_move(*, touchpoint: Touchpoint, direction: int) -> None:
    """Move a touchpoint one place earlier (−1) or later (+1) within its stage."""
    _move(_touchpoints(touchpoint.stage), touchpoint, direction)


@transaction.atomic
def touchpoint_delete(*, touchpoint: Touchpoint) -> None:
    stage = touchpoint.stage
    touchpoint.delete()
    _renumber(_touchpoints(stage))


# --- From pain point to improvement point ----------------------------------------------------

@transaction.atomic
def touchpoint_point_create(*, touchpoint: Touchpoint, actor: Membership, title: str,
                            description: str = "", priority: int | None = None, wave=None):
    """Raise an improvement point from a touchpoint's pain in one step.

    The point gets the touchpoint's owning unit and, as evidence linked to the
    touchpoint, its negative survey comments (of ``wave``, anonymity respected: no
    names), negative arena statements and what went wrong on safari visits. Customers
    identifiable behind that evidence (an arena statement's customer, a visit's
    contact) are recorded as contributors, so they can follow the point in the portal.
    """
    from improvements import services as improvements
    from improvements.models import Priority
    from org.models import Contact
    from portal.models import ContributionKind
    from portal.services import contribution_add

    organisation = touchpoint.organisation
    if actor.organisation_id != organisation.pk:
        raise PermissionDenied(_("You are not a member of this organisation."))
    journey = touchpoint.stage.journey
    themes = selectors.taxonomy_themes(organisation)
    theme = None
    if touchpoint.themes and touchpoint.themes[0] in themes:
        theme = improvements.theme_get_or_create(organisation=organisation,
                                                 name=themes[touchpoint.themes[0]].name)
    label = _("Customer journey “%(journey)s”, touchpoint “%(touchpoint)s”") % {
        "journey": journey.name, "touchpoint": touchpoint.name}
    point = improvements.point_create(
        organisation=organisation, actor=actor, title=title,
        description=description or _("A pain point at the touchpoint “%(touchpoint)s” of the "
                                     "customer journey “%(journey)s”.")
        % {"touchpoint": touchpoint.name, "journey": journey.name},
        unit=touchpoint.unit, theme=theme,
        priority=Priority.MEDIUM if priority is None else priority,
        raised_by=actor, raised_by_label=label)
    items = selectors.negative_evidence(touchpoint, wave=wave)
    source_names = {"survey": _("Survey comment"), "arena": _("Customer arena"),
                    "safari": _("Customer safari")}
    for item in items:
        where = f"{source_names[item.source]}: {item.label}"
        if item.when:
            where += f", {item.when.isoformat()}"
        improvements.evidence_add(point=point, actor=actor, label=where, quote=item.text,
                                  source=touchpoint)
    if not items:
        improvements.evidence_add(point=point, actor=actor, label=label, source=touchpoint)
    kinds = {"arena": ContributionKind.ARENA, "safari": ContributionKind.SAFARI}
    wanted = {(item.contact_id, item.source, item.label) for item in items
              if item.contact_id and item.source in kinds}
    contacts = Contact.objects.select_related("customer").in_bulk(
        {contact_id for contact_id, _source, _label in wanted})
    for contact_id, source, where in sorted(wanted):
        contact = contacts.get(contact_id)
        if contact is None or contact.customer.organisation_id != organisation.pk:
            continue  # a contact since removed, or a stray id in a room's state
        contribution_add(contact=contact, point=point, kind=kinds[source],
                         label=f"{source_names[source]}: {where}")
    return point
