"""Fixtures for the improvements app: members by role, a small unit tree, a point factory."""

from dataclasses import dataclass

import pytest
from django.utils import translation

from accounts.models import Role
from improvements import services
from org.models import Level, Unit, UnitKind
from org.services import unit_create


@dataclass
class Tree:
    root: Unit
    sales: Unit
    sales_north: Unit
    service: Unit


@pytest.fixture(autouse=True)
def _english():
    """Run in English: history entries freeze display values in the active language."""
    with translation.override("en"):
        yield


@pytest.fixture
def tree(org) -> Tree:
    """Return org's tree: root → Sales → North; root → Service."""
    root = Unit.objects.get(organisation=org, depth=1)
    bu = {"kind": UnitKind.BUSINESS_UNIT, "level": Level.TACTICAL}
    sales = unit_create(organisation=org, parent=root, name="Sales", **bu)
    service = unit_create(organisation=org, parent=root, name="Service", **bu)
    north = unit_create(organisation=org, parent=Unit.objects.get(pk=sales.pk), name="North",
                        kind=UnitKind.TEAM, level=Level.OPERATIONAL)
    return Tree(root=Unit.objects.get(pk=root.pk), sales=Unit.objects.get(pk=sales.pk),
                sales_north=Unit.objects.get(pk=north.pk),
                service=Unit.objects.get(pk=service.pk))


@pytest.fixture
def manager(org, make_member):
    return make_member(org, role=Role.MANAGER, name="Marieke Manager")


@pytest.fixture
def employee(org, make_member):
    return make_member(org, role=Role.EMPLOYEE, name="Eva Employee")


@pytest.fixture
def make_point(org, manager):
    """Return a factory: ``make_point(title="...", **kwargs)`` → ImprovementPoint in ``org``."""

    def make(title: str = "Call customers back within a day", organisation=None, actor=None,
             **kwargs):
        return services.point_create(organisation=organisation or org, actor=actor or manager,
                                     title=title, **kwargs)

    return make
