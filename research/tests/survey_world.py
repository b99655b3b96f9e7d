"""A small organisation ready for our own survey, built through the services.

Root → Noord (business unit) → Team Groningen; Zuid (business unit). Three customers
with a primary contact each (one without e-mail), account owners, and an open wave.
"""

from dataclasses import dataclass
from datetime import date

from accounts.models import Role
from org.models import Level, UnitKind
from org.services import contact_create, customer_create, unit_create
from research.services import wave_create, wave_set_status


@dataclass
class SurveyWorld:
    org: object
    root: object
    noord: object
    groningen: object
    zuid: object
    admin: object
    manager: object
    owner: object
    employee: object
    customers: list
    contacts: list
    wave: object


def build_survey_world(organisation, make_member, *, anonymous: bool = False) -> SurveyWorld:
    root = organisation.units.get(depth=1)
    noord = unit_create(organisation=organisation, parent=root, name="Noord",
                        kind=UnitKind.BUSINESS_UNIT, level=Level.TACTICAL)
    groningen = unit_create(organisation=organisation, parent=noord, name="Team Groningen")
    zuid = unit_create(organisation=organisation, parent=root, name="Zuid",
                       kind=UnitKind.BUSINESS_UNIT, level=Level.TACTICAL)
    admin = make_member(organisation, Role.ADMIN, name="Anna Admin")
    manager = make_member(organisation, Role.MANAGER, unit=noord, name="Marieke Manager")
    owner = make_member(organisation, Role.EMPLOYEE, unit=groningen, name="Otto Owner")
    employee = make_member(organisation, Role.EMPLOYEE, unit=zuid, name="Eva Employee")
    c1 = customer_create(organisation=organisation, name="Bakkerij Jansen", customer_number="K-1",
                         unit=groningen, account_owner=owner)
    c2 = customer_create(organisation=organisation, name="Garage De Vries", customer_number="K-2",
                         unit=groningen)  # no account owner: the manager of Noord steps in
    c3 = customer_create(organisation=organisation, name="Zuiderlicht BV", customer_number="K-3",
                         unit=zuid, account_owner=employee)
    k1 = contact_create(customer=c1, name="Anja Jansen", email="anja@jansen.example",
                        phone="050-1234567")
    k2 = contact_create(customer=c2, name="Piet de Vries", email="piet@devries.example")
    k3 = contact_create(customer=c3, name="Zara Zuid", email="")
    contact_create(customer=c1, name="Second Contact", email="tweede@jansen.example")
    wave = wave_create(organisation=organisation, actor=admin, name="Meting 2025",
                       period_start=date(2025, 1, 1), period_end=date(2099, 12, 31),
                       is_anonymous=anonymous)
    wave_set_status(wave=wave, status="open")
    return SurveyWorld(organisation, root, noord, groningen, zuid, admin, manager, owner,
                       employee, [c1, c2, c3], [k1, k2, k3], wave)
