"""Reads for the customer portal: whose session it is, and what that customer may see.

The portal shows a customer only public projections (frozen dataclasses below) built
from the points of their own contributions: a point's title, its public status, the
dates its status changed and the titles and dates of actions that were done. Nothing
else of a point (description, priority, unit, owners, notes, other customers' evidence)
crosses into a ``Public*`` object, so the template cannot show it by mistake.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Prefetch
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from improvements.models import Action, ActionStatus, Change, ImprovementPoint, PointStatus
from portal.models import Contribution, ContributionKind, PortalPreference

# Customer-facing wording of each status: a short label and one sentence.
PUBLIC_STATUS = {
    PointStatus.PROPOSED: (_("Under consideration"),
                           _("We have received what you told us and are looking at what we can "
                             "do with it.")),
    PointStatus.PLANNED: (_("Scheduled"),
                          _("We are going to work on this; the work has been planned.")),
    PointStatus.IN_PROGRESS: (_("Being worked on"), _("We are working on this right now.")),
    PointStatus.DONE: (_("Completed"), _("This has been done. Thank you for telling us.")),
    PointStatus.DROPPED: (_("Not taken up"),
                          _("We have decided not to take this up for now.")),
}


def public_status_label(status: str) -> str:
    return str(PUBLIC_STATUS.get(status, ("", ""))[0]) or status


def public_status_text(status: str) -> str:
    return str(PUBLIC_STATUS.get(status, ("", ""))[1])


# The session -------------------------------------------------------------------------------

def portal_contact(session):
    """Return the contact of this browser's magic-link session, or None.

    Any purpose will do (a survey, arena or delegate link also opens the portal), as long
    as the link it came from is still of that contact and organisation and not revoked.
    """
    from accounts.models import MagicLink
    from accounts.views import CUSTOMER_SESSION_KEY

    access = session.get(CUSTOMER_SESSION_KEY)
    if not isinstance(access, dict):
        return None
    link = (MagicLink.objects.select_related("contact__customer__organisation")
            .filter(pk=access.get("link"), contact_id=access.get("contact"),
                    organisation_id=access.get("organisation"), revoked_at__isnull=True)
            .first())
    if link is None or link.contact.customer.organisation_id != link.organisation_id:
        return None
    return link.contact


def wants_email(contact) -> bool:
    """Return whether ``contact`` gets e-mail about their points (no preference row: yes)."""
    preference = PortalPreference.objects.filter(contact=contact).first()
    return preference is None or preference.notify


# The customer's view of their points -------------------------------------------------------

@dataclass(frozen=True)
class PublicEvent:
    """One dated line of what changed: a status reached or an action done."""

    on: datetime.date
    kind: str  # "raised", "status" or "action"
    status: str = ""
    status_label: str = ""
    title: str = ""  # the action's title, for "action"


@dataclass(frozen=True)
class PublicPoint:
    """What a customer may see of an improvement point; no internal fields."""

    title: str
    status: str
    status_label: str
    status_text: str
    last_change: datetime.date
    history: tuple[PublicEvent, ...]


@dataclass(frozen=True)
class PublicGroup:
    """The points from one place where the customer spoke (an arena, a survey, ...)."""

    label: str
    kind: str
    kind_label: str
    points: tuple[PublicPoint, ...]


@dataclass(frozen=True)
class Portal:
    customer_name: str
    organisation_name: str
    groups: tuple[PublicGroup, ...]
    notify: bool
    has_email: bool


def _status_values_by_label() -> dict[str, str]:
    """Map every language's status label (frozen in the history) back to its value."""
    found = {value: value for value in PointStatus.values}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            found |= {str(label): value for value, label in PointStatus.choices}
    return found


def _history(point: ImprovementPoint, values: dict[str, str]) -> tuple[PublicEvent, ...]:
    events = []
    for change in point.public_changes:
        new = next((f.get("new", "") for f in change.fields if f.get("field") == "status"), "")
        status = values.get(new)
        day = timezone.localdate(change.at)
        if change.verb == "created":
            events.append(PublicEvent(on=day, kind="raised", status=status or "",
                                      status_label=public_status_label(status) if status else ""))
        elif status:
            events.append(PublicEvent(on=day, kind="status", status=status,
                                      status_label=public_status_label(status)))
    for action in point.done_actions:
        # An action has no "done at" of its own; its last change is when it was marked done.
        events.append(PublicEvent(on=timezone.localdate(action.updated_at), kind="action",
                                  title=action.title))
    if not any(e.kind == "raised" for e in events):
        events.append(PublicEvent(on=timezone.localdate(point.created_at), kind="raised"))
    order = {"raised": 0, "status": 1, "action": 2}
    return tuple(sorted(events, key=lambda e: (e.on, order[e.kind]), reverse=True))


def _public_point(point: ImprovementPoint, values: dict[str, str]) -> PublicPoint:
    history = _history(point, values)
    return PublicPoint(title=point.title, status=point.status,
                       status_label=public_status_label(point.status),
                       status_text=public_status_text(point.status),
                       last_change=max(e.on for e in history), history=history)


def portal_of(contact) -> Portal:
    """Return everything the portal shows ``contact``: their points, grouped by source."""
    contributions = list(
        Contribution.objects.filter(contact=contact,
                                    organisation_id=contact.customer.organisation_id,
                                    point__organisation_id=contact.customer.organisation_id)
        .select_related("point")
        .prefetch_related(
            Prefetch("point__changes", to_attr="public_changes",
                     queryset=Change.objects.filter(verb__in=["created", "status"]).order_by("at", "pk")),
            Prefetch("point__actions", to_attr="done_actions",
                     queryset=Action.objects.filter(status=ActionStatus.DONE).order_by("updated_at", "pk")),
        )
        .order_by("-created_at", "pk"))
    values = _status_values_by_label()
    kinds = dict(ContributionKind.choices)
    groups: dict[tuple[str, str], list[PublicPoint]] = {}
    seen: set[tuple[str, str, int]] = set()
    for contribution in contributions:
        key = (contribution.kind, contribution.label)
        groups.setdefault(key, [])
        if (*key, contribution.point_id) in seen:
            continue
        seen.add((*key, contribution.point_id))
        groups[key].append(_public_point(contribution.point, values))
    return Portal(
        customer_name=contact.name, organisation_name=contact.customer.organisation.name,
        groups=tuple(PublicGroup(label=label, kind=kind, kind_label=str(kinds.get(kind, kind)),
                                 points=tuple(sorted(points, key=lambda p: p.last_change, reverse=True)))
                     for (kind, label), points in groups.items()),
        notify=wants_email(contact), has_email=bool(contact.email))


# For staff and for notifications -----------------------------------------------------------

def follower_count(point: ImprovementPoint) -> int:
    """Return how many customers (contacts) follow ``point`` through their contributions."""
    return (Contribution.objects.filter(point=point, organisation_id=point.organisation_id)
            .values("contact").distinct().count())


def followers_to_notify(point: ImprovementPoint) -> list:
    """Return the contacts to e-mail about ``point``: with an address and not opted out."""
    from org.models import Contact

    return list(Contact.objects.filter(contributions__point=point,
                                       customer__organisation_id=point.organisation_id)
                .exclude(email="").exclude(portal_preference__notify=False)
                .select_related("customer__organisation").distinct().order_by("pk"))
