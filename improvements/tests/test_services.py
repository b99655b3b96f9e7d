import datetime
import threading

import pytest
from django.db import connection, connections

from accounts.models import Role
from accounts.services import membership_update
from improvements import services
from improvements.models import (
    ActionStatus,
    Change,
    Evidence,
    ImprovementPoint,
    PointStatus,
    Priority,
    RoutePoint,
    Theme,
)
from org.models import Unit


def route_order(route):
    return list(RoutePoint.objects.filter(route=route).order_by("position")
                .values_list("point__title", flat=True))


# Numbering ------------------------------------------------------------------------------

def test_point_numbers_count_up_per_organisation(org, other_org, make_point):
    first = make_point("One")
    second = make_point("Two")
    elsewhere = make_point("Other org", organisation=other_org)
    third = make_point("Three")

    assert (first.number, second.number, third.number) == (1, 2, 3)
    assert elsewhere.number == 1
    assert third.reference == "VP-3"


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs real row locks")
def test_concurrent_point_creation_never_reuses_a_number(make_org, make_member):
    org = make_org()
    actor = make_member(org, role=Role.MANAGER)
    errors = []

    def raise_points():
        try:
            for i in range(5):
                services.point_create(organisation=org, actor=actor, title=f"Point {i}")
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=raise_points) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    numbers = sorted(ImprovementPoint.objects.filter(organisation=org)
                     .values_list("number", flat=True))
    assert numbers == list(range(1, 21))


# Points ---------------------------------------------------------------------------------

def test_point_create_records_who_raised_it(org, manager, make_point):
    point = make_point("Answer the phone faster")

    change = Change.objects.get(point=point)
    assert change.verb == "created"
    assert change.actor == manager.user
    assert "VP-1" in change.summary
    assert point.created_by == manager.user
    assert point.status == PointStatus.PROPOSED


@pytest.mark.parametrize("field", ["theme", "unit", "raised_by"])
def test_point_create_rejects_objects_of_another_organisation(org, other_org, make_member,
                                                             make_point, field):
    foreign = {
        "theme": lambda: services.theme_get_or_create(organisation=other_org, name="Service"),
        "unit": lambda: Unit.objects.get(organisation=other_org, depth=1),
        "raised_by": lambda: make_member(other_org),
    }[field]()

    with pytest.raises(ValueError):
        make_point(**{field: foreign})
    assert not ImprovementPoint.objects.filter(organisation=org).exists()


def test_point_update_records_only_changed_fields_with_display_values(org, manager, tree,
                                                                      make_point):
    theme = services.theme_get_or_create(organisation=org, name="Bereikbaarheid")
    point = make_point("Old title", unit=tree.sales, priority=Priority.LOW)

    services.point_update(point=point, actor=manager, title="New title", unit=tree.sales,
                          priority=Priority.URGENT, theme=theme, description="")

    change = Change.objects.get(point=point, verb="updated")
    assert change.actor == manager.user
    assert sorted(change.fields, key=lambda row: row["field"]) == [
        {"field": "priority", "old": "Low", "new": "Urgent"},
        {"field": "theme", "old": "", "new": "Bereikbaarheid"},
        {"field": "title", "old": "Old title", "new": "New title"},
    ]
    point.refresh_from_db()
    assert (point.title, point.priority, point.theme) == ("New title", Priority.URGENT, theme)


def test_point_update_without_real_changes_records_nothing(org, manager, make_point):
    point = make_point("Same", description="Text")

    services.point_update(point=point, actor=manager, title=" Same ", description="Text")

    assert not Change.objects.filter(point=point, verb="updated").exists()


def test_point_update_rejects_unit_of_another_organisation(other_org, manager, make_point):
    point = make_point()

    with pytest.raises(ValueError):
        services.point_update(point=point, actor=manager,
                              unit=Unit.objects.get(organisation=other_org, depth=1))


def test_point_update_refuses_fields_it_does_not_own(manager, make_point):
    point = make_point()

    with pytest.raises(TypeError):
        services.point_update(point=point, actor=manager, status=PointStatus.DONE)


def test_point_set_status_records_old_and_new_labels(manager, make_point):
    point = make_point()

    services.point_set_status(point=point, actor=manager, status=PointStatus.IN_PROGRESS)
    services.point_set_status(point=point, actor=manager, status=PointStatus.IN_PROGRESS)

    changes = Change.objects.filter(point=point, verb="status")
    assert [c.fields for c in changes] == [
        [{"field": "status", "old": "Proposed", "new": "In progress"}]
    ]
    point.refresh_from_db()
    assert point.status == PointStatus.IN_PROGRESS


def test_point_set_status_rejects_unknown_status(manager, make_point):
    with pytest.raises(ValueError):
        services.point_set_status(point=make_point(), actor=manager, status="finished")


def test_theme_get_or_create_reuses_a_theme_whatever_its_case(org, other_org):
    theme = services.theme_get_or_create(organisation=org, name="Levering")

    assert services.theme_get_or_create(organisation=org, name=" levering ") == theme
    assert services.theme_get_or_create(organisation=other_org, name="Levering") != theme
    assert Theme.objects.filter(organisation=org).count() == 1


# Actions --------------------------------------------------------------------------------

def test_action_create_records_owner_and_due_date(manager, employee, make_point):
    point = make_point()

    action = services.action_create(point=point, actor=manager, title="Call back",
                                    owner=employee, due_date=datetime.date(2030, 1, 31))

    assert action.status == ActionStatus.OPEN
    change = Change.objects.get(point=point, verb="action_created")
    assert change.fields == [{"field": "owner", "old": "", "new": "Eva Employee"},
                             {"field": "due_date", "old": "", "new": "2030-01-31"}]


def test_action_owner_must_belong_to_the_points_organisation(other_org, make_member, manager,
                                                             make_point):
    with pytest.raises(ValueError):
        services.action_create(point=make_point(), actor=manager, title="Call back",
                               owner=make_member(other_org))


def test_action_owner_must_be_active(manager, employee, make_point):
    membership_update(membership=employee, name=employee.name, role=employee.role,
                      is_active=False)

    with pytest.raises(ValueError):
        services.action_create(point=make_point(), actor=manager, title="Call back",
                               owner=employee)


def test_action_update_records_the_new_owner_by_name(org, make_member, manager, employee,
                                                     make_point):
    action = services.action_create(point=make_point(), actor=manager, title="Call back",
                                    owner=employee)
    colleague = make_member(org, name="Carla Colleague")

    services.action_update(action=action, actor=manager, owner=colleague, title="Call back")

    change = Change.objects.get(verb="action_updated")
    assert change.fields == [{"field": "owner", "old": "Eva Employee", "new": "Carla Colleague"}]


def test_action_status_and_note_are_recorded_on_the_point(manager, employee, make_point):
    point = make_point()
    action = services.action_create(point=point, actor=manager, title="Call back",
                                    owner=employee)

    services.action_set_status(action=action, actor=employee, status=ActionStatus.DONE)
    note = services.action_note_add(action=action, actor=employee, text="Called all twelve.")

    assert note.author == employee.user
    status_change = Change.objects.get(point=point, verb="action_status")
    assert status_change.actor == employee.user
    assert status_change.fields == [{"field": "status", "old": "Open", "new": "Done"}]
    assert Change.objects.filter(point=point, verb="note_added", actor=employee.user).exists()


def test_action_note_must_have_text(manager, employee, make_point):
    action = services.action_create(point=make_point(), actor=manager, title="Call back",
                                    owner=employee)
    with pytest.raises(ValueError):
        services.action_note_add(action=action, actor=employee, text="   ")


# Evidence -------------------------------------------------------------------------------

def test_evidence_links_any_object_of_the_organisation(org, manager, tree, make_point):
    point = make_point()

    evidence = services.evidence_add(point=point, actor=manager, label="Sales team survey",
                                     quote="Nobody calls back.", source=tree.sales)

    evidence.refresh_from_db()
    assert evidence.source == tree.sales
    assert Change.objects.filter(point=point, verb="evidence_added").exists()


def test_evidence_rejects_a_source_of_another_organisation(other_org, manager, make_point):
    with pytest.raises(ValueError):
        services.evidence_add(point=make_point(), actor=manager, label="Their survey",
                              source=Unit.objects.get(organisation=other_org, depth=1))


def test_evidence_remove_deletes_and_records(manager, make_point):
    point = make_point()
    evidence = services.evidence_add(point=point, actor=manager, label="Arena, round 1")

    services.evidence_remove(evidence=evidence, actor=manager)

    assert not Evidence.objects.filter(point=point).exists()
    change = Change.objects.filter(point=point).first()
    assert change.verb == "evidence_removed"
    assert "Arena, round 1" in change.summary


# Routes ---------------------------------------------------------------------------------

def test_route_create_keeps_the_points_in_the_given_order(org, manager, make_point):
    a, b, c = make_point("A"), make_point("B"), make_point("C")

    route = services.route_create(organisation=org, actor=manager, name="2026",
                                  target="NPS +10", points=[c, a, b])

    assert route_order(route) == ["C", "A", "B"]
    assert Change.objects.filter(route=route, verb="route_created").exists()
    assert Change.objects.filter(route=route, point=a, verb="route_point_added").exists()


def test_route_add_point_appends_once(org, manager, make_point):
    a, b = make_point("A"), make_point("B")
    route = services.route_create(organisation=org, actor=manager, name="2026", points=[a])

    services.route_add_point(route=route, actor=manager, point=b)
    services.route_add_point(route=route, actor=manager, point=a)

    assert route_order(route) == ["A", "B"]


def test_route_rejects_points_of_another_organisation(org, other_org, manager, make_point):
    route = services.route_create(organisation=org, actor=manager, name="2026")
    foreign = make_point(organisation=other_org)

    with pytest.raises(ValueError):
        services.route_add_point(route=route, actor=manager, point=foreign)
    with pytest.raises(ValueError):
        services.route_create(organisation=org, actor=manager, name="X", points=[foreign])


def test_route_move_point_reorders_and_records_places(org, manager, make_point):
    a, b, c = make_point("A"), make_point("B"), make_point("C")
    route = services.route_create(organisation=org, actor=manager, name="2026",
                                  points=[a, b, c])

    services.route_move_point(route=route, actor=manager, point=c, position=0)
    assert route_order(route) == ["C", "A", "B"]
    services.route_move_point(route=route, actor=manager, point=c, position=99)
    assert route_order(route) == ["A", "B", "C"]

    moves = Change.objects.filter(route=route, verb="route_point_moved").order_by("pk")
    assert [m.fields for m in moves] == [
        [{"field": "position", "old": "3", "new": "1"}],
        [{"field": "position", "old": "1", "new": "3"}],
    ]


def test_route_remove_point_closes_the_gap(org, manager, make_point):
    a, b, c = make_point("A"), make_point("B"), make_point("C")
    route = services.route_create(organisation=org, actor=manager, name="2026",
                                  points=[a, b, c])

    services.route_remove_point(route=route, actor=manager, point=a)

    assert list(RoutePoint.objects.filter(route=route).order_by("position")
                .values_list("position", "point__title")) == [(0, "B"), (1, "C")]
    assert Change.objects.filter(route=route, point=a, verb="route_point_removed").exists()


def test_route_update_records_changed_fields(org, manager):
    route = services.route_create(organisation=org, actor=manager, name="2026", target="+5")

    services.route_update(route=route, actor=manager, name="2026", target="+10", vision="")

    change = Change.objects.get(route=route, verb="route_updated")
    assert change.fields == [{"field": "target", "old": "+5", "new": "+10"}]
