import datetime

import pytest
from django.http import Http404
from django.utils import timezone

from improvements import selectors, services
from improvements.models import ActionStatus, PointStatus, Priority


def titles(column):
    return [point.title for point in column.points]


def board_titles(board):
    return {column.status: titles(column) for column in board.columns}


def test_board_has_one_column_per_status_in_board_order(org, manager, make_point):
    make_point("Done one", status=PointStatus.DONE)
    make_point("Proposed low", priority=Priority.LOW)
    make_point("Proposed urgent", priority=Priority.URGENT)
    make_point("Planned", status=PointStatus.PLANNED)

    board = selectors.point_board(org)

    assert [c.status for c in board.columns] == [
        "proposed", "planned", "in_progress", "done", "dropped"]
    assert board_titles(board) == {
        "proposed": ["Proposed urgent", "Proposed low"],
        "planned": ["Planned"], "in_progress": [], "done": ["Done one"], "dropped": [],
    }
    assert board.counts == {"proposed": 2, "planned": 1, "in_progress": 0, "done": 1,
                            "dropped": 0}
    assert board.total == 4


def test_board_annotates_action_counts_and_names(org, manager, employee, tree, make_point):
    theme = services.theme_get_or_create(organisation=org, name="Bereikbaarheid")
    point = make_point("Phone", unit=tree.sales, theme=theme)
    for status in (ActionStatus.OPEN, ActionStatus.IN_PROGRESS, ActionStatus.DONE):
        services.action_create(point=point, actor=manager, title=status, owner=employee,
                               status=status)

    (card,) = selectors.point_board(org).columns[0].points

    assert (card.open_actions, card.total_actions) == (2, 3)
    assert (card.unit_name, card.theme_name) == ("Sales", "Bereikbaarheid")


def test_board_shows_only_the_organisations_points(org, other_org, make_point):
    make_point("Ours")
    make_point("Theirs", organisation=other_org)

    assert board_titles(selectors.point_board(org))["proposed"] == ["Ours"]


def test_board_unit_filter_includes_the_subtree(org, tree, make_point):
    make_point("Sales point", unit=tree.sales)
    make_point("North point", unit=tree.sales_north)
    make_point("Service point", unit=tree.service)
    make_point("No unit")

    board = selectors.point_board(org, unit=tree.sales)

    assert sorted(board_titles(board)["proposed"]) == ["North point", "Sales point"]
    assert board.total == 2
    assert selectors.point_board(org, unit=tree.root).total == 3


def test_board_filters_by_theme_route_and_search(org, manager, make_point):
    theme = services.theme_get_or_create(organisation=org, name="Levering")
    delivery = make_point("Deliver on time", theme=theme)
    make_point("Friendly staff", description="Customers want a smile")
    route = services.route_create(organisation=org, actor=manager, name="2026",
                                  points=[delivery])

    assert titles(selectors.point_board(org, theme=theme).columns[0]) == ["Deliver on time"]
    assert titles(selectors.point_board(org, route=route).columns[0]) == ["Deliver on time"]
    assert titles(selectors.point_board(org, q="smile").columns[0]) == ["Friendly staff"]
    assert titles(selectors.point_board(org, q="vp-1").columns[0]) == ["Deliver on time"]


def test_board_owner_filter_keeps_points_with_an_action_of_that_owner(
        org, make_member, manager, employee, make_point):
    mine = make_point("Mine")
    make_point("Not mine")
    colleague = make_member(org)
    services.action_create(point=mine, actor=manager, title="Mine 1", owner=employee)
    services.action_create(point=mine, actor=manager, title="Mine 2", owner=employee)
    services.action_create(point=mine, actor=manager, title="Someone else's", owner=colleague)

    (card,) = selectors.point_board(org, owner=employee).columns[0].points

    assert card.title == "Mine"
    # Filtering must not multiply the counts of the point's actions.
    assert card.total_actions == 3


def test_board_runs_a_fixed_number_of_queries(org, manager, employee, tree,
                                              django_assert_num_queries, make_point):
    theme = services.theme_get_or_create(organisation=org, name="Levering")
    for i in range(12):
        point = make_point(f"Point {i}", unit=tree.sales, theme=theme,
                           status=PointStatus.values[i % 5])
        services.action_create(point=point, actor=manager, title="Act", owner=employee)

    with django_assert_num_queries(1):
        board = selectors.point_board(org, unit=tree.root, theme=theme, owner=employee, q="Po")
        cards = [(point.reference, point.unit_name, point.theme_name, point.open_actions)
                 for column in board.columns for point in column.points]

    assert len(cards) == 12
    assert set(cards[0][1:]) == {"Sales", "Levering", 1}


def test_my_actions_puts_unfinished_first_then_by_due_date(org, manager, employee, make_point):
    point = make_point()
    today = timezone.localdate()

    def act(title, due, status=ActionStatus.OPEN):
        return services.action_create(point=point, actor=manager, title=title, owner=employee,
                                      due_date=due, status=status)

    act("Finished early", today - datetime.timedelta(days=30), ActionStatus.DONE)
    act("No due date", None)
    act("Next week", today + datetime.timedelta(days=7), ActionStatus.IN_PROGRESS)
    act("Last week", today - datetime.timedelta(days=7))
    services.action_create(point=point, actor=manager, title="Someone else's",
                           owner=manager)

    actions = selectors.my_actions(employee)

    assert [a.title for a in actions] == ["Last week", "Next week", "No due date",
                                          "Finished early"]
    assert [a.is_overdue for a in actions] == [True, False, False, False]
    assert actions[0].point == point


def test_point_history_is_newest_first_with_field_labels(manager, make_point):
    point = make_point("Old")
    services.point_update(point=point, actor=manager, title="New")

    history = selectors.point_history(point)

    assert [c.verb for c in history] == ["updated", "created"]
    assert history[0].rows == [{"label": "title", "old": "Old", "new": "New"}]
    assert history[0].actor == manager.user


@pytest.mark.parametrize("accessor", ["point", "action", "route", "evidence"])
def test_access_by_id_raises_404_for_another_organisation(org, other_org, make_member,
                                                          make_point, accessor):
    owner = make_member(other_org)
    point = make_point(organisation=other_org, actor=owner)
    objects = {
        "point": lambda: point,
        "action": lambda: services.action_create(point=point, actor=owner, title="A",
                                                 owner=owner),
        "route": lambda: services.route_create(organisation=other_org, actor=owner, name="R"),
        "evidence": lambda: services.evidence_add(point=point, actor=owner, label="E"),
    }
    obj = objects[accessor]()
    access = getattr(selectors, f"access_{accessor}_by_id")

    assert access(other_org, obj.pk) == obj
    with pytest.raises(Http404):
        access(org, obj.pk)
