import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from improvements import services
from improvements.models import (
    Action,
    ActionNote,
    ActionStatus,
    Change,
    Evidence,
    ImprovementPoint,
    PointStatus,
    RoutePoint,
    Theme,
)
from org.models import Unit

HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name, org, **kwargs):
    return reverse(f"improvements:{name}", kwargs={"org": org.slug, **kwargs})


@pytest.fixture
def action(manager, employee, make_point):
    """An action on a fresh point, owned by the employee."""
    return services.action_create(point=make_point(), actor=manager, title="Call back",
                                  owner=employee)


# Points ---------------------------------------------------------------------------------

def test_manager_raises_a_point_with_a_new_theme(org, manager, tree, login):
    client = login(manager)

    response = client.post(url("point_create", org), {
        "title": "Answer within a day", "description": "From the arena", "priority": "3",
        "status": PointStatus.PLANNED, "unit": tree.sales.pk, "new_theme": "Bereikbaarheid",
        "raised_by": manager.pk,
    })

    point = ImprovementPoint.objects.get(organisation=org)
    assert response.status_code == 302
    assert response["Location"] == point.get_absolute_url()
    assert (point.number, point.status, point.unit, point.raised_by) == (
        1, PointStatus.PLANNED, tree.sales, manager)
    assert point.theme == Theme.objects.get(organisation=org, name="Bereikbaarheid")


@pytest.mark.parametrize("role", [Role.EMPLOYEE, Role.MODERATOR])
def test_point_raised_without_manage_points_is_always_proposed(org, make_member, login, role):
    member = make_member(org, role=role)
    client = login(member)

    form = client.get(url("point_create", org))
    response = client.post(url("point_create", org), {
        "title": "Friendlier invoices", "priority": "2", "status": PointStatus.DONE})

    assert form.status_code == 200
    assert 'name="status"' not in form.content.decode()
    assert response.status_code == 302
    point = ImprovementPoint.objects.get(organisation=org)
    assert point.status == PointStatus.PROPOSED
    assert point.created_by == member.user


def test_point_form_refuses_a_unit_of_another_organisation(org, other_org, manager, login):
    client = login(manager)
    foreign_unit = Unit.objects.get(organisation=other_org, depth=1)

    response = client.post(url("point_create", org), {
        "title": "Sneaky", "priority": "2", "unit": foreign_unit.pk})

    assert response.status_code == 200
    assert "unit" in response.context["form"].errors
    assert not ImprovementPoint.objects.exists()


def test_point_form_offers_only_the_organisations_members(org, other_org, make_member,
                                                           manager, login):
    outsider = make_member(other_org, name="Olaf Outsider")

    page = login(manager).get(url("point_create", org)).content.decode()

    assert manager.name in page
    assert outsider.name not in page


def test_manager_edits_a_point_and_the_change_is_in_its_history(org, manager, login,
                                                                 make_point):
    point = make_point("Old title")
    client = login(manager)

    response = client.post(url("point_update", org, pk=point.pk), {
        "title": "New title", "priority": "4"})
    page = client.get(url("point_detail", org, pk=point.pk)).content.decode()

    assert response.status_code == 302
    point.refresh_from_db()
    assert (point.title, point.priority) == ("New title", 4)
    assert "<del>Old title</del>" in page


def test_point_detail_of_another_organisation_is_404(org, other_org, make_member, manager,
                                                     login):
    stranger = make_member(other_org)
    theirs = services.point_create(organisation=other_org, actor=stranger, title="Theirs")
    client = login(manager)

    assert client.get(url("point_detail", org, pk=theirs.pk)).status_code == 404
    assert client.post(url("point_status", org, pk=theirs.pk),
                       {"status": PointStatus.DONE}).status_code == 404
    assert client.get(url("point_detail", other_org, pk=theirs.pk)).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == PointStatus.PROPOSED


def test_point_status_with_htmx_returns_the_status_partial(org, manager, login, make_point):
    point = make_point()

    response = login(manager).post(url("point_status", org, pk=point.pk),
                                   {"status": PointStatus.IN_PROGRESS}, **HTMX)

    body = response.content.decode()
    assert response.status_code == 200
    assert '<div id="point-status">' in body
    assert 'id="history" class="timeline" hx-swap-oob="true"' in body
    assert "<html" not in body
    point.refresh_from_db()
    assert point.status == PointStatus.IN_PROGRESS


def test_point_status_without_js_redirects_to_the_point(org, manager, login, make_point):
    point = make_point()

    response = login(manager).post(url("point_status", org, pk=point.pk),
                                   {"status": PointStatus.DONE})

    assert response.status_code == 302
    assert response["Location"] == point.get_absolute_url()


def test_employee_cannot_change_a_points_status(org, employee, login, make_point):
    point = make_point()

    response = login(employee).post(url("point_status", org, pk=point.pk),
                                    {"status": PointStatus.DONE})

    assert response.status_code == 403
    point.refresh_from_db()
    assert point.status == PointStatus.PROPOSED


@pytest.mark.parametrize("role", list(Role))
def test_point_detail_renders_for_every_role(org, make_member, login, action, role):
    member = make_member(org, role=role)

    response = login(member).get(url("point_detail", org, pk=action.point_id))

    body = response.content.decode()
    assert response.status_code == 200
    assert body.count('data-testid="action-row"') == 1
    can_manage = role in (Role.ADMIN, Role.CONSULTANT, Role.BOARD, Role.MANAGER)
    assert ('data-testid="add-action"' in body) == can_manage


def test_point_detail_query_count_does_not_grow_with_actions(org, manager, employee, login,
                                                            make_point):
    point = make_point()
    client = login(manager)

    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url("point_detail", org, pk=point.pk)).status_code == 200
        return len(queries)

    def add_action(n):
        action = services.action_create(point=point, actor=manager, title=f"A{n}",
                                        owner=employee)
        services.action_note_add(action=action, actor=employee, text="Progress")
        services.evidence_add(point=point, actor=manager, label=f"E{n}")

    add_action(0)
    count_queries()  # the first visit records the organisation in the session
    few = count_queries()
    for n in range(1, 6):
        add_action(n)

    assert count_queries() == few


# Actions --------------------------------------------------------------------------------

def test_manager_adds_an_action_for_another_member(org, manager, employee, login, make_point):
    point = make_point()

    response = login(manager).post(url("action_create", org, pk=point.pk), {
        "action-title": "Call the twelve detractors", "action-owner": employee.pk,
        "action-due_date": "2030-03-01"})

    assert response.status_code == 302
    assert response["Location"] == point.get_absolute_url() + "#actions"
    action = Action.objects.get(point=point)
    assert (action.owner, action.due_date) == (employee, datetime.date(2030, 3, 1))


def test_manager_adds_an_action_with_htmx_and_gets_the_actions_partial(
        org, manager, employee, login, make_point):
    point = make_point()

    response = login(manager).post(url("action_create", org, pk=point.pk), {
        "action-title": "Call the twelve detractors", "action-owner": employee.pk}, **HTMX)

    body = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in body
    assert '<div id="actions-panel">' in body
    assert body.count('data-testid="action-row"') == 1
    assert "Call the twelve detractors" in body
    assert Action.objects.get(point=point).owner == employee


def test_action_owner_must_be_a_member_of_this_organisation(org, other_org, make_member,
                                                            manager, login, make_point):
    point = make_point()
    outsider = make_member(other_org)

    response = login(manager).post(url("action_create", org, pk=point.pk), {
        "action-title": "Do it", "action-owner": outsider.pk}, **HTMX)

    assert response.status_code == 200
    assert "owner" in response.context["action_form"].errors
    assert not Action.objects.exists()


def test_employee_cannot_add_actions(org, employee, login, make_point):
    point = make_point()

    response = login(employee).post(url("action_create", org, pk=point.pk), {
        "action-title": "Do it", "action-owner": employee.pk})

    assert response.status_code == 403
    assert not Action.objects.exists()


def test_owner_changes_the_status_of_their_action_with_htmx(org, employee, login, action):
    response = login(employee).post(url("action_status", org, pk=action.pk),
                                    {"status": ActionStatus.IN_PROGRESS, "layout": "mine"},
                                    **HTMX)

    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<tr data-testid="action-row"')
    action.refresh_from_db()
    assert action.status == ActionStatus.IN_PROGRESS
    assert Change.objects.get(verb="action_status").actor == employee.user


def test_status_change_on_the_point_page_also_refreshes_its_history(org, employee, login,
                                                                     action):
    response = login(employee).post(url("action_status", org, pk=action.pk),
                                    {"status": ActionStatus.DONE, "layout": "point"}, **HTMX)

    body = response.content.decode()
    assert body.lstrip().startswith('<tr data-testid="action-row"')
    assert 'id="history" class="timeline" hx-swap-oob="true"' in body
    assert "Call back" in body.split('id="history"')[1]


def test_owner_changes_the_status_without_js_and_returns_to_my_actions(org, employee, login,
                                                                       action):
    back = url("my_actions", org)

    response = login(employee).post(url("action_status", org, pk=action.pk),
                                    {"status": ActionStatus.DONE, "next": back})

    assert response.status_code == 302
    assert response["Location"] == back
    action.refresh_from_db()
    assert action.status == ActionStatus.DONE


def test_action_status_ignores_an_external_next(org, employee, login, action):
    response = login(employee).post(url("action_status", org, pk=action.pk), {
        "status": ActionStatus.DONE, "next": "https://evil.example/"})

    assert response["Location"] == action.point.get_absolute_url() + "#actions"


def test_other_employee_gets_403_on_someone_elses_action(org, make_member, login, action):
    colleague = make_member(org, role=Role.EMPLOYEE)
    client = login(colleague)

    status = client.post(url("action_status", org, pk=action.pk),
                         {"status": ActionStatus.DONE}, **HTMX)
    note = client.post(url("action_note_create", org, pk=action.pk), {"text": "Done!"})

    assert (status.status_code, note.status_code) == (403, 403)
    action.refresh_from_db()
    assert action.status == ActionStatus.OPEN
    assert not ActionNote.objects.exists()


def test_manager_may_change_any_actions_status(org, manager, login, action):
    response = login(manager).post(url("action_status", org, pk=action.pk),
                                   {"status": ActionStatus.DROPPED})

    assert response.status_code == 302
    action.refresh_from_db()
    assert action.status == ActionStatus.DROPPED


def test_action_of_another_organisation_is_404(org, other_org, make_member, login):
    stranger = make_member(other_org)
    point = services.point_create(organisation=other_org, actor=stranger, title="Theirs")
    theirs = services.action_create(point=point, actor=stranger, title="X", owner=stranger)
    admin = make_member(org, role=Role.ADMIN)

    response = login(admin).post(url("action_status", org, pk=theirs.pk),
                                 {"status": ActionStatus.DONE})

    assert response.status_code == 404


def test_owner_adds_a_progress_note_with_htmx(org, employee, login, action):
    response = login(employee).post(url("action_note_create", org, pk=action.pk),
                                    {"text": "Called eight of twelve."}, **HTMX)

    body = response.content.decode()
    assert response.status_code == 200
    assert f'<details id="notes-{action.pk}"' in body
    assert "Called eight of twelve." in body
    assert ActionNote.objects.get(action=action).author == employee.user


def test_manager_edits_an_action(org, manager, make_member, login, action):
    colleague = make_member(org)

    response = login(manager).post(url("action_update", org, pk=action.pk), {
        "title": "Call back today", "owner": colleague.pk, "due_date": ""})

    assert response.status_code == 302
    action.refresh_from_db()
    assert (action.title, action.owner) == ("Call back today", colleague)


# Evidence -------------------------------------------------------------------------------

def test_manager_adds_and_removes_evidence(org, manager, login, make_point):
    point = make_point()
    client = login(manager)

    added = client.post(url("evidence_create", org, pk=point.pk),
                        {"label": "Survey spring", "quote": "Nobody calls back"})
    evidence = Evidence.objects.get(point=point)
    removed = client.post(url("evidence_delete", org, pk=evidence.pk))

    assert (added.status_code, removed.status_code) == (302, 302)
    assert not Evidence.objects.exists()


def test_employee_cannot_remove_evidence(org, manager, employee, login, make_point):
    evidence = services.evidence_add(point=make_point(), actor=manager, label="Survey")

    response = login(employee).post(url("evidence_delete", org, pk=evidence.pk))

    assert response.status_code == 403
    assert Evidence.objects.filter(pk=evidence.pk).exists()


# Board and my actions -------------------------------------------------------------------

def test_board_shows_points_in_their_columns(org, manager, login, make_point):
    make_point("Being worked on", status=PointStatus.IN_PROGRESS)

    response = login(manager).get(url("board", org))

    assert response.status_code == 200
    in_progress = response.context["board"].columns[2]
    assert [p.title for p in in_progress.points] == ["Being worked on"]
    assert 'data-testid="column-in_progress"' in response.content.decode()


def test_board_with_htmx_returns_only_the_board(org, manager, tree, login, make_point):
    make_point("In sales", unit=tree.sales_north)
    make_point("In service", unit=tree.service)

    response = login(manager).get(url("board", org), {"unit": tree.sales.pk}, **HTMX)

    body = response.content.decode()
    assert "<html" not in body
    assert "In sales" in body
    assert "In service" not in body
    assert "HX-Request" in response["Vary"]


def test_board_query_count_does_not_grow_with_points(org, manager, employee, login,
                                                     make_point):
    client = login(manager)

    def count_queries():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url("board", org)).status_code == 200
        return len(queries)

    point = make_point("First")
    services.action_create(point=point, actor=manager, title="A", owner=employee)
    count_queries()  # the first visit records the organisation in the session
    few = count_queries()
    for i in range(10):
        point = make_point(f"More {i}", status=PointStatus.values[i % 5])
        services.action_create(point=point, actor=manager, title="A", owner=employee)

    assert count_queries() == few


def test_my_actions_flags_overdue_rows(org, manager, employee, login, make_point):
    point = make_point()
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    late = services.action_create(point=point, actor=manager, title="Late one",
                                  owner=employee, due_date=yesterday)
    services.action_create(point=point, actor=manager, title="Not mine", owner=manager)

    response = login(employee).get(url("my_actions", org))

    body = response.content.decode()
    assert response.status_code == 200
    assert [a.pk for a in response.context["actions"]] == [late.pk]
    assert f'<tr data-testid="action-row" id="action-{late.pk}" class="overdue">' in body
    assert 'class="badge badge-overdue"' in body
    assert f'hx-post="{url("action_status", org, pk=late.pk)}"' in body


def test_user_of_another_organisation_gets_404_on_the_board(org, other_org, make_member,
                                                            login):
    stranger = make_member(other_org, role=Role.ADMIN)

    assert login(stranger).get(url("board", org)).status_code == 404


# Routes ---------------------------------------------------------------------------------

@pytest.fixture
def board_member(org, make_member):
    return make_member(org, role=Role.BOARD)


def test_board_member_creates_a_route_and_orders_its_points(org, board_member, login,
                                                            make_point):
    a, b, c = make_point("A"), make_point("B"), make_point("C")
    client = login(board_member)

    response = client.post(url("route_create", org), {
        "name": "Route 2026", "target": "NPS +10", "vision": "Best in class",
        "points": [a.pk, b.pk]})
    route = org.routes.get()
    client.post(url("route_add_point", org, pk=route.pk), {"point": c.pk})
    client.post(url("route_move_point", org, pk=route.pk), {"point": c.pk, "direction": "up"})
    client.post(url("route_remove_point", org, pk=route.pk), {"point": a.pk})
    page = client.get(url("route_detail", org, pk=route.pk))

    assert response.status_code == 302
    assert list(RoutePoint.objects.filter(route=route).order_by("position")
                .values_list("point__title", flat=True)) == ["C", "B"]
    assert page.status_code == 200
    assert page.content.decode().count('data-testid="route-point"') == 2


def test_route_add_refuses_a_point_of_another_organisation(org, other_org, make_member,
                                                           board_member, login):
    route = services.route_create(organisation=org, actor=board_member, name="2026")
    stranger = make_member(other_org)
    theirs = services.point_create(organisation=other_org, actor=stranger, title="Theirs")

    client = login(board_member)
    client.post(url("route_add_point", org, pk=route.pk), {"point": theirs.pk})

    assert not RoutePoint.objects.exists()


def test_manager_sees_routes_but_cannot_create_them(org, manager, login):
    client = login(manager)

    assert client.get(url("route_list", org)).status_code == 200
    assert client.post(url("route_create", org), {"name": "X"}).status_code == 403


def test_moderator_cannot_see_routes(org, make_member, login):
    moderator = make_member(org, role=Role.MODERATOR)

    assert login(moderator).get(url("route_list", org)).status_code == 403
