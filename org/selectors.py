"""Reads for units, people and customers, always scoped to one organisation."""

from dataclasses import dataclass, field

from django.db.models import F, Func, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404

from accounts.models import Membership, Organisation
from improvements.models import ImprovementPoint, PointStatus
from org.models import Contact, Customer, Unit

CLOSED_POINT_STATUSES = (PointStatus.DONE, PointStatus.DROPPED)


def access_unit_by_id(organisation: Organisation, pk) -> Unit:
    """Return the organisation's unit ``pk`` or raise 404."""
    unit = Unit.objects.for_organisation(organisation).filter(pk=pk).first()
    if unit is None:
        raise Http404
    return unit


def access_customer_by_id(organisation: Organisation, pk) -> Customer:
    """Return the organisation's customer ``pk`` or raise 404."""
    customer = (
        Customer.objects.for_organisation(organisation)
        .select_related("unit", "account_owner__user")
        .filter(pk=pk)
        .first()
    )
    if customer is None:
        raise Http404
    return customer


def access_contact_by_id(organisation: Organisation, pk) -> Contact:
    """Return a contact of one of the organisation's customers or raise 404."""
    contact = (
        Contact.objects.select_related("customer")
        .filter(pk=pk, customer__organisation=organisation)
        .first()
    )
    if contact is None:
        raise Http404
    return contact


def access_person_by_id(organisation: Organisation, pk) -> Membership:
    """Return the organisation's membership ``pk`` (active or not) or raise 404."""
    membership = (
        Membership.objects.for_organisation(organisation)
        .select_related("user", "unit")
        .filter(pk=pk)
        .first()
    )
    if membership is None:
        raise Http404
    return membership


def _subtree_count(queryset: QuerySet, unit_field: str):
    """Count ``queryset`` rows whose unit lies in the outer unit's subtree.

    A correlated subquery: the materialised path makes "in the subtree" a prefix
    match, so every unit's roll-up is computed by the database in the same query.
    """
    counted = (
        queryset.filter(**{f"{unit_field}__path__startswith": OuterRef("path")})
        .order_by()
        .annotate(n=Func(F("pk"), function="COUNT"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def unit_tree_with_rollups(organisation: Organisation, *, root: Unit | None = None,
                           max_depth: int | None = None) -> list[Unit]:
    """Return the organisation's units in tree order, each with subtree roll-ups.

    Every unit carries ``customer_count``, ``people_count`` (active memberships) and
    ``open_point_count`` (improvement points not done or dropped), each counted over
    the unit *and everything below it*, all in one SQL query. ``root`` limits the
    result to that unit's subtree; ``max_depth`` to units at most that deep (the
    root unit of an organisation has depth 1). Roll-ups always cover the full subtree.
    """
    units = Unit.objects.for_organisation(organisation)
    if root is not None:
        units = units.filter(path__startswith=root.path)
    if max_depth is not None:
        units = units.filter(depth__lte=max_depth)
    customers = Customer.objects.filter(organisation=organisation)
    people = Membership.objects.active().filter(organisation=organisation)
    open_points = ImprovementPoint.objects.filter(organisation=organisation).exclude(
        status__in=CLOSED_POINT_STATUSES
    )
    return list(
        units.annotate(
            customer_count=_subtree_count(customers, "unit"),
            people_count=_subtree_count(people, "unit"),
            open_point_count=_subtree_count(open_points, "unit"),
        ).order_by("path")
    )


@dataclass(frozen=True)
class UnitNode:
    """A unit with its children, for rendering a tree."""

    unit: Unit
    children: list["UnitNode"] = field(default_factory=list)


def nest_units(units: list[Unit]) -> list[UnitNode]:
    """Nest a path-ordered list of units (as from ``unit_tree_with_rollups``) into a tree.

    Units whose parent is not in the list become top-level nodes.
    """
    top: list[UnitNode] = []
    stack: list[UnitNode] = []
    for unit in units:
        node = UnitNode(unit=unit)
        while stack and not unit.path.startswith(stack[-1].unit.path):
            stack.pop()
        (stack[-1].children if stack else top).append(node)
        stack.append(node)
    return top


def unit_choices(organisation: Organisation) -> QuerySet:
    """Return the organisation's units in tree order, for select boxes."""
    return Unit.objects.for_organisation(organisation).order_by("path")


def unit_label(unit: Unit) -> str:
    """Return the unit's name indented by its depth, for select boxes."""
    return f"{'— ' * (unit.depth - 1)}{unit.name}"


def customer_list(organisation: Organisation, *, q: str | None = None, unit: Unit | None = None,
                  segment: str | None = None, owner: Membership | None = None) -> QuerySet:
    """Return the organisation's customers, filtered.

    ``q`` searches name, e-mail address and customer number; ``unit`` includes the
    unit's whole subtree.
    """
    customers = Customer.objects.for_organisation(organisation).select_related(
        "unit", "account_owner__user"
    )
    if q:
        q = q.strip()
        customers = customers.filter(
            Q(name__icontains=q) | Q(email__icontains=q) | Q(customer_number__icontains=q)
        )
    if unit is not None:
        customers = customers.filter(unit__path__startswith=unit.path)
    if segment:
        customers = customers.filter(segment=segment)
    if owner is not None:
        customers = customers.filter(account_owner=owner)
    return customers.order_by("name", "pk")


def customer_segments(organisation: Organisation) -> list[str]:
    """Return the distinct non-empty segments of the organisation's customers."""
    return list(
        Customer.objects.for_organisation(organisation)
        .exclude(segment="")
        .order_by("segment")
        .values_list("segment", flat=True)
        .distinct()
    )


def person_list(organisation: Organisation, *, q: str | None = None, unit: Unit | None = None,
                role: str | None = None, active: bool | None = None) -> QuerySet:
    """Return the organisation's memberships, filtered; ``unit`` includes its subtree."""
    people = Membership.objects.for_organisation(organisation).select_related("user", "unit")
    if q:
        q = q.strip()
        people = people.filter(Q(user__name__icontains=q) | Q(user__email__icontains=q))
    if unit is not None:
        people = people.filter(unit__path__startswith=unit.path)
    if role:
        people = people.filter(role=role)
    if active is True:
        people = people.filter(is_active=True, user__is_active=True)
    elif active is False:
        people = people.filter(Q(is_active=False) | Q(user__is_active=False))
    return people.order_by("user__name", "pk")


def active_people(organisation: Organisation) -> QuerySet:
    """Return the organisation's active memberships, for select boxes."""
    return (
        Membership.objects.active()
        .for_organisation(organisation)
        .select_related("user")
        .order_by("user__name")
    )


@dataclass(frozen=True)
class OrganisationCounts:
    units: int
    people: int
    customers: int
    open_points: int


def organisation_counts(organisation: Organisation) -> OrganisationCounts:
    """Return the key counts for the overview page."""
    return OrganisationCounts(
        units=Unit.objects.for_organisation(organisation).count(),
        people=Membership.objects.active().for_organisation(organisation).count(),
        customers=Customer.objects.for_organisation(organisation).count(),
        open_points=ImprovementPoint.objects.for_organisation(organisation)
        .exclude(status__in=CLOSED_POINT_STATUSES)
        .count(),
    )
