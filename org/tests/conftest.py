"""Fixtures for the org app: a small three-level unit tree."""

from dataclasses import dataclass

import pytest
from django.utils import translation

from org.models import Level, Unit, UnitKind
from org.services import unit_create


@pytest.fixture(autouse=True)
def _english(settings):
    """Assert on the English source strings, whatever the Dutch catalogue says."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@dataclass
class Tree:
    root: Unit
    sales: Unit
    service: Unit
    sales_north: Unit
    sales_south: Unit
    service_desk: Unit


@pytest.fixture
def tree(org) -> Tree:
    """Return org's tree: root → Sales (SAL) → North (SAL-N), South (SAL-S);
    root → Service (SRV) → Desk (SRV-D)."""
    root = Unit.objects.get(organisation=org, depth=1)
    bu = {"kind": UnitKind.BUSINESS_UNIT, "level": Level.TACTICAL}
    team = {"kind": UnitKind.TEAM, "level": Level.OPERATIONAL}
    sales = unit_create(organisation=org, parent=root, name="Sales", code="SAL", **bu)
    service = unit_create(organisation=org, parent=root, name="Service", code="SRV", **bu)
    north = unit_create(organisation=org, parent=sales, name="North", code="SAL-N", **team)
    south = unit_create(organisation=org, parent=sales, name="South", code="SAL-S", **team)
    desk = unit_create(organisation=org, parent=service, name="Desk", code="SRV-D", **team)
    return Tree(root=Unit.objects.get(pk=root.pk), sales=Unit.objects.get(pk=sales.pk),
                service=Unit.objects.get(pk=service.pk), sales_north=north, sales_south=south,
                service_desk=desk)
