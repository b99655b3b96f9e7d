"""Fixtures for co-creation: a group with a chair, an employee, a plain colleague and two delegates."""

import itertools
from dataclasses import dataclass

import pytest

from accounts.models import Role
from cocreation import services

_n = itertools.count(1)


@pytest.fixture
def make_contact(db):
    from org.services import contact_create, customer_create

    def make(organisation, name: str):
        n = next(_n)
        customer = customer_create(organisation=organisation, name=f"Klant {name}",
                                   customer_number=f"CC{n}")
        return contact_create(customer=customer, name=name, email=f"cc{n}@klant.example")

    return make


@pytest.fixture
def make_point(db):
    from improvements.services import point_create

    def make(organisation, title: str = "Schade duurt te lang", actor=None):
        return point_create(organisation=organisation, actor=actor, title=title,
                            description="Interne analyse: team SCH-WON onderbezet")

    return make


@dataclass
class Setup:
    org: object
    admin: object
    chair: object
    employee: object
    colleague: object  # in the organisation, not in the group
    delegate_contact: object
    other_contact: object  # a contact of the organisation, not in the group
    point: object
    group: object
    other_group: object
    delegate: object


@pytest.fixture
def setup(org, make_member, make_contact, make_point):
    admin = make_member(org, role=Role.ADMIN, name="Anna Admin")
    chair = make_member(org, role=Role.MANAGER, name="Carla Voorzitter")
    employee = make_member(org, role=Role.EMPLOYEE, name="Eva Medewerker")
    colleague = make_member(org, role=Role.EMPLOYEE, name="Otto Collega")
    point = make_point(org, actor=admin)
    group = services.group_create(organisation=org, actor=admin, name="Schadeafhandeling",
                                  purpose="Sneller en persoonlijker", points=[point])
    services.member_add(group=group, membership=chair, is_chair=True)
    services.member_add(group=group, membership=employee)
    contact = make_contact(org, "Karin Klant")
    delegate = services.delegate_add(group=group, contact=contact)
    other_group = services.group_create(organisation=org, actor=admin, name="Stuurgroep",
                                        kind="steering")
    other_contact = make_contact(org, "Kees Anders")
    services.delegate_add(group=other_group, contact=other_contact)
    return Setup(org=org, admin=admin, chair=chair, employee=employee, colleague=colleague,
                 delegate_contact=contact, other_contact=other_contact, point=point, group=group,
                 other_group=other_group, delegate=delegate)


def link_from_mail(message) -> str:
    """Return the path of the magic link in an invitation e-mail."""
    import re

    match = re.search(r"http://testserver(/\S+/m/[A-Za-z0-9_\-]+/)", message.body)
    assert match, message.body
    return match.group(1)


@pytest.fixture
def delegate_client(client, setup, mailoutbox, django_capture_on_commit_callbacks):
    """Return a function: delegate → a client that opened the link e-mailed to them."""

    def open_link(delegate=None):
        delegate = delegate or setup.delegate
        with django_capture_on_commit_callbacks(execute=True):
            services.delegate_invite(delegate=delegate, actor=setup.admin, base_url="http://testserver/")
        response = client.get(link_from_mail(mailoutbox[-1]))
        assert response.status_code == 302
        return client

    return open_link


