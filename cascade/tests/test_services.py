"""The cascade of a wave and the method's order: strategic, then tactical, then operational."""

import pytest
from django.core.management import call_command

from accounts.models import Role
from cascade import selectors, services
from cascade.models import Cascade, CascadeSession, SessionState
from improvements import services as improvements


def session(cascade, unit) -> CascadeSession:
    return CascadeSession.objects.get(cascade=cascade, unit=unit)


def test_a_cascade_has_one_session_per_unit_under_the_level_above(cworld):
    cascade = services.cascade_create(organisation=cworld.org, wave=cworld.wave, actor=cworld.consultant)
    top = session(cascade, cworld.root)
    assert top.level == "strategic" and top.parent is None
    assert session(cascade, cworld.noord).parent == top
    assert session(cascade, cworld.noord).level == "tactical"
    assert session(cascade, cworld.team_a).parent == session(cascade, cworld.noord)
    assert session(cascade, cworld.team_z).level == "operational"
    assert cascade.sessions.count() == 6
    with pytest.raises(ValueError):
        services.cascade_create(organisation=cworld.org, wave=cworld.wave, actor=cworld.consultant)


def test_a_tactical_session_waits_for_the_improvement_route(cworld):
    cascade = services.cascade_create(organisation=cworld.org, wave=cworld.wave, actor=None)
    top, noord = session(cascade, cworld.root), session(cascade, cworld.noord)
    with pytest.raises(services.OrderViolation, match="verbeterroute"):
        services.session_start(session=noord, actor=cworld.consultant)
    services.session_start(session=top, actor=cworld.consultant)
    with pytest.raises(services.OrderViolation):
        services.session_start(session=noord, actor=cworld.consultant)  # still running
    with pytest.raises(ValueError, match="route"):
        services.session_finish(session=top, notes="Klaar")
    route = improvements.route_create(organisation=cworld.org, actor=cworld.admin, name="Route 2027")
    services.session_route_set(session=top, route=route)
    services.session_finish(session=top, notes="Drie punten gekozen")
    noord = services.session_start(session=noord, actor=cworld.consultant)
    assert noord.state == SessionState.RUNNING and noord.override_reason == ""


def test_an_operational_session_waits_for_its_own_units_tactical_session(cworld):
    cascade = services.cascade_create(organisation=cworld.org, wave=cworld.wave, actor=None)
    top = session(cascade, cworld.root)
    services.session_start(session=top, actor=cworld.consultant)
    services.session_route_set(session=top, route=improvements.route_create(
        organisation=cworld.org, actor=cworld.admin, name="Route"))
    services.session_finish(session=top)
    services.session_start(session=session(cascade, cworld.noord), actor=cworld.consultant)
    services.session_finish(session=session(cascade, cworld.noord))
    services.session_start(session=session(cascade, cworld.team_a), actor=cworld.consultant)
    with pytest.raises(services.OrderViolation, match="Zuid"):
        services.session_start(session=session(cascade, cworld.team_z), actor=cworld.consultant)


def test_only_an_admin_with_a_reason_starts_out_of_order_and_it_is_recorded(cworld):
    cascade = services.cascade_create(organisation=cworld.org, wave=cworld.wave, actor=None)
    team = session(cascade, cworld.team_a)
    with pytest.raises(services.OrderViolation):
        services.session_start(session=team, actor=cworld.consultant, override_reason="Haast")
    with pytest.raises(services.OrderViolation):
        services.session_start(session=team, actor=cworld.admin, override_reason="  ")
    team = services.session_start(session=team, actor=cworld.admin,
                                  override_reason="Teamleider vertrekt volgende week")
    assert team.state == SessionState.RUNNING and team.override_by == cworld.admin
    assert team.override_reason == "Teamleider vertrekt volgende week" and team.override_at


def test_the_tree_shows_each_session_with_what_blocks_it(cworld, django_assert_max_num_queries):
    cascade = services.cascade_create(organisation=cworld.org, wave=cworld.wave, actor=None)
    with django_assert_max_num_queries(2):
        (root,) = selectors.cascade_tree(cascade)
    assert root.blocked_by is None
    assert [n.session.unit.name for n in root.children] == ["Noord", "Zuid"]
    assert root.children[0].blocked_by == root.session
    assert [n.session.unit.name for n in root.children[0].children] == ["Team Assen", "Team Beilen"]


def test_planning_refuses_people_of_another_organisation(cworld, other_org, make_member):
    cascade = services.cascade_create(organisation=cworld.org, wave=cworld.wave, actor=None)
    stranger = make_member(other_org, Role.CONSULTANT)
    with pytest.raises(ValueError):
        services.session_plan(session=session(cascade, cworld.root), scheduled_at=None,
                              facilitator=stranger)
    with pytest.raises(ValueError):
        services.session_plan(session=session(cascade, cworld.root), scheduled_at=None,
                              participants=[stranger])


def test_the_create_command_makes_the_cascade(cworld, capsys):
    call_command("cascade_create", cworld.org.slug, "Meting 2026")
    assert Cascade.objects.filter(wave=cworld.wave).exists()
    assert "6 sessions" in capsys.readouterr().out
