"""An organisation with three levels of units and a closed wave, ready for a cascade."""

from dataclasses import dataclass
from datetime import date

import pytest

from accounts.models import Role
from org.models import Level, UnitKind
from org.services import unit_create
from research import services as research


@dataclass
class CascadeWorld:
    org: object
    root: object
    noord: object
    team_a: object
    team_b: object
    zuid: object
    team_z: object
    wave: object
    admin: object
    consultant: object
    manager: object
    employee: object


@pytest.fixture
def cworld(org, make_member):
    root = org.units.get(depth=1)
    noord = unit_create(organisation=org, parent=root, name="Noord", kind=UnitKind.REGION,
                        level=Level.TACTICAL)
    team_a = unit_create(organisation=org, parent=noord, name="Team Assen")
    team_b = unit_create(organisation=org, parent=noord, name="Team Beilen")
    zuid = unit_create(organisation=org, parent=root, name="Zuid", kind=UnitKind.REGION,
                       level=Level.TACTICAL)
    team_z = unit_create(organisation=org, parent=zuid, name="Team Zwolle")
    admin = make_member(org, Role.ADMIN, name="Anna Admin")
    consultant = make_member(org, Role.CONSULTANT, name="Cees Consultant")
    manager = make_member(org, Role.MANAGER, unit=noord, name="Marieke Manager")
    employee = make_member(org, Role.EMPLOYEE, unit=team_a, name="Eva Employee")
    wave = research.wave_create(organisation=org, actor=admin, name="Meting 2026",
                                period_start=date(2026, 1, 1), period_end=date(2026, 3, 1))
    return CascadeWorld(org, root, noord, team_a, team_b, zuid, team_z, wave, admin, consultant,
                        manager, employee)
