"""Fixtures of the safari tests: an organisation with a unit, staff, customers and a wave."""

import datetime
from dataclasses import dataclass

import pytest
from django.utils import timezone, translation

from accounts.models import Role
from journeys.models import Channel, Journey, Stage, Touchpoint
from org.models import Contact, Customer, Level, UnitKind
from org.services import unit_create
from research import services as research
from research.models import ResponseSource, WaveStatus
from safari import services


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@dataclass
class Safari:
    org: object
    unit: object
    planner: object
    manager: object
    employee: object
    detractor: object
    promoter: object
    big: object
    quiet: object
    wave: object
    touchpoints: list


def make_customer(org, name, *, unit=None, segment="", contacts=1, number=None):
    customer = Customer.objects.create(organisation=org, name=name, unit=unit, segment=segment,
                                       customer_number=number or f"K-{name[:20]}")
    for n in range(contacts):
        Contact.objects.create(customer=customer, name=f"{name} contact {n}",
                               email=f"c{n}@{customer.pk}.example",
                               phone="06-12345678", is_primary=n == 0)
    return customer


@pytest.fixture
def world(org, make_member):
    root = org.units.get(depth=1)
    unit = unit_create(organisation=org, parent=root, name="Particulier", kind=UnitKind.BUSINESS_UNIT,
                       level=Level.TACTICAL, code="PAR")
    planner = make_member(org, Role.BOARD, unit=root, name="Bea Bestuur")
    manager = make_member(org, Role.MANAGER, unit=unit, name="Mark Manager")
    employee = make_member(org, Role.EMPLOYEE, unit=unit, name="Eva Medewerker")
    detractor = make_customer(org, "Bakkerij Boos", unit=unit)
    promoter = make_customer(org, "Tevreden BV", unit=unit)
    big = make_customer(org, "Groot Transport NV", unit=unit, segment="Grootzakelijk", contacts=3)
    quiet = make_customer(org, "Stille Vennoot", unit=unit)
    wave = research.wave_create(organisation=org, actor=planner, name="Meting najaar")
    research.wave_set_status(wave=wave, status=WaveStatus.OPEN)
    for customer, score in ((detractor, 3), (promoter, 10), (big, 8)):
        research.response_record(wave=wave, answers=research.Answers(nps=score), source=ResponseSource.SURVEY,
                                 contact=customer.contacts.first(), customer=customer)
    journey = Journey.objects.create(organisation=org, name="Autoschade")
    stage = Stage.objects.create(journey=journey, name="Melden", position=1)
    touchpoints = [
        Touchpoint.objects.create(organisation=org, stage=stage, name="Schade melden per telefoon",
                                  channel=Channel.PHONE, position=1),
        Touchpoint.objects.create(organisation=org, stage=stage, name="Herstelbedrijf",
                                  channel=Channel.PARTNER, position=2),
    ]
    return Safari(org, unit, planner, manager, employee, detractor, promoter, big, quiet, wave, touchpoints)


@pytest.fixture
def safari_round(world):
    return services.round_create(
        organisation=world.org, actor=world.planner, name="Klantsafari Q4",
        starts_on=datetime.date(2026, 10, 1), ends_on=datetime.date(2026, 12, 31), visits_per_visitor=3,
        visitors=[world.planner, world.manager])


@pytest.fixture
def visit(world, safari_round):
    return services.visit_assign(
        safari_round=safari_round, actor=world.planner, visitor=world.manager, customer=world.detractor,
        planned_at=timezone.make_aware(datetime.datetime(2026, 11, 12, 10, 0)), place="Dorpsstraat 1, Oss")


@pytest.fixture
def reported(world, visit):
    return services.visit_report(
        visit=visit, actor=world.manager, went_well="Snelle uitbetaling.",
        went_wrong="Het keuzemenu is te lang.",
        advice="Zet schade melden als eerste keuze in het menu\nBel binnen een dag terug",
        quotes="Ik moest zes keer kiezen.\nDe garage was top.", touchpoints=world.touchpoints[:1])
