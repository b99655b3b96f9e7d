"""The operational outcome: each employee talks with their own team's detractors and passives."""

import pytest
from django.urls import reverse

from accounts.models import Role
from cascade import services
from cascade.models import CascadeSession, Conversation, ConversationStatus
from org.services import contact_create, customer_create
from research import services as research
from research.models import ResponseSource


@pytest.fixture
def team_sessions(cworld, make_member):
    """Team Assen and Team Beilen each have customers who answered the wave."""
    colleague = make_member(cworld.org, Role.EMPLOYEE, unit=cworld.team_b, name="Bram Beilen")
    research.wave_set_status(wave=cworld.wave, status="open")
    people = {}
    for name, unit, owner, score in (
            ("Assen Detractor", cworld.team_a, cworld.employee, 2),
            ("Assen Passief", cworld.team_a, cworld.employee, 7),
            ("Assen Promotor", cworld.team_a, cworld.employee, 10),
            ("Assen Zonder Eigenaar", cworld.team_a, None, 5),
            ("Beilen Detractor", cworld.team_b, colleague, 1)):
        customer = customer_create(organisation=cworld.org, name=name, customer_number=name,
                                   unit=unit, account_owner=owner)
        contact = contact_create(customer=customer, name=name, email=f"{name.split()[1]}@x.example")
        research.response_record(wave=cworld.wave, answers=research.Answers(nps=score),
                                 source=ResponseSource.SURVEY, contact=contact)
        people[name] = customer
    cascade = services.cascade_create(organisation=cworld.org, wave=cworld.wave, actor=None)
    assen = CascadeSession.objects.get(cascade=cascade, unit=cworld.team_a)
    beilen = CascadeSession.objects.get(cascade=cascade, unit=cworld.team_b)
    for session in (assen, beilen):
        services.session_plan(session=session, scheduled_at=None, facilitator=cworld.manager)
        services.session_start(session=session, actor=cworld.admin, override_reason="Test")
    return assen, beilen, colleague, people


def test_starting_a_team_session_lists_detractors_first_then_passives(cworld, team_sessions):
    assen, _beilen, _colleague, people = team_sessions
    listed = [(c.customer.name, c.group, c.employee) for c in
              Conversation.objects.filter(session=assen).order_by("score")]
    assert listed == [("Assen Detractor", "detractor", cworld.employee),
                      ("Assen Zonder Eigenaar", "detractor", cworld.manager),  # the facilitator
                      ("Assen Passief", "passive", cworld.employee)]
    assert services.conversations_create(session=assen) == 0  # nothing twice


def test_an_employee_sees_only_their_own_teams_customers(client, cworld, team_sessions):
    client.force_login(cworld.employee.user)
    page = client.get(reverse("cascade:my_conversations", args=[cworld.org.slug])).content.decode()
    assert "Assen Detractor" in page and "Assen Passief" in page
    assert "Beilen Detractor" not in page and "Assen Promotor" not in page
    assert "Assen Zonder Eigenaar" not in page  # the facilitator's, not theirs
    # Nor can they log a colleague's conversation.
    other = Conversation.objects.get(customer__name="Beilen Detractor")
    response = client.post(reverse("cascade:conversation_log", args=[cworld.org.slug, other.pk]),
                           {f"c{other.pk}-status": "held", f"c{other.pk}-outcome": "x"})
    assert response.status_code == 404
    other.refresh_from_db()
    assert other.status == ConversationStatus.TO_DO


def test_an_employee_logs_the_outcome_with_a_follow_up(client, cworld, team_sessions):
    mine = Conversation.objects.get(customer__name="Assen Detractor")
    client.force_login(cworld.employee.user)
    url = reverse("cascade:conversation_log", args=[cworld.org.slug, mine.pk])
    client.post(url, {f"c{mine.pk}-status": "held", f"c{mine.pk}-outcome": ""})
    mine.refresh_from_db()
    assert mine.status == ConversationStatus.TO_DO  # held needs an outcome
    client.post(url, {f"c{mine.pk}-status": "held",
                      f"c{mine.pk}-outcome": "Schade duurde te lang; excuses aangeboden",
                      f"c{mine.pk}-follow_up": "Terugbellen over de uitbetaling",
                      f"c{mine.pk}-follow_up_due": "2026-12-15"})
    mine.refresh_from_db()
    assert mine.status == ConversationStatus.HELD and mine.held_at is not None
    assert mine.follow_up == "Terugbellen over de uitbetaling" and str(mine.follow_up_due) == "2026-12-15"
