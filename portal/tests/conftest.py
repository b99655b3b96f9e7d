"""A point raised from two customers' words, with everything internal a customer must not see."""

import datetime
from dataclasses import dataclass

import pytest
from django.test import Client

from accounts.models import MagicLinkPurpose, Role
from accounts.services import magic_link_issue
from improvements import services as improvements
from improvements.models import Priority
from org.services import contact_create, customer_create
from portal.models import ContributionKind
from portal.services import contribution_add


@dataclass
class PortalWorld:
    org: object
    manager: object
    owner: object
    anja: object
    bram: object
    point: object
    other_point: object
    action: object


@pytest.fixture
def pworld(org, make_member):
    manager = make_member(org, Role.MANAGER, name="Marieke Manager", email="marieke@acme.example")
    owner = make_member(org, Role.EMPLOYEE, name="Otto Eigenaar", email="otto.eigenaar@acme.example")
    jansen = customer_create(organisation=org, name="Bakkerij Jansen", customer_number="K-1")
    anja = contact_create(customer=jansen, name="Anja Jansen", email="anja@jansen.example")
    bakker = customer_create(organisation=org, name="Garage Bakker", customer_number="K-2")
    bram = contact_create(customer=bakker, name="Bram Bakker", email="bram@bakker.example")
    point = improvements.point_create(
        organisation=org, actor=manager, title="Schadelijn sneller bereikbaar",
        description="INTERN: budget pas in Q3, niet aan klanten vertellen", priority=Priority.URGENT)
    improvements.evidence_add(point=point, actor=manager, label="Klantarena",
                              quote="Ik hang altijd een half uur in de wacht — Anja Jansen")
    improvements.evidence_add(point=point, actor=manager, label="Klantarena",
                              quote="Niemand belt ooit terug, schandalig — Bram Bakker")
    action = improvements.action_create(point=point, actor=manager, title="Terugbelknop in het keuzemenu",
                                        owner=owner, due_date=datetime.date(2030, 1, 1))
    improvements.action_note_add(action=action, actor=owner, text="GEHEIME NOTITIE: leverancier te duur")
    other_point = improvements.point_create(organisation=org, actor=manager, title="Alleen van Bram")
    label = "Klantarena “Schade”, 12 maart 2026"
    contribution_add(contact=anja, point=point, kind=ContributionKind.ARENA, label=label)
    contribution_add(contact=bram, point=point, kind=ContributionKind.ARENA, label=label)
    contribution_add(contact=bram, point=other_point, kind=ContributionKind.SURVEY, label="Enquête 2026")
    return PortalWorld(org, manager, owner, anja, bram, point, other_point, action)


@pytest.fixture
def portal_client():
    """Return a function that opens the portal as ``contact`` through a magic link; a new client each."""

    def open_as(contact, purpose=MagicLinkPurpose.PORTAL):
        client = Client()
        issued = magic_link_issue(contact=contact, purpose=purpose)
        client.get(f"/accounts/m/{issued.token}/")
        client.issued = issued
        return client

    return open_as
