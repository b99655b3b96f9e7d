import pytest
from django.http import Http404

from accounts.models import Role
from accounts.services import membership_update
from improvements.models import ImprovementPoint, PointStatus
from org import selectors
from org.models import Unit
from org.services import customer_create

_numbers = iter(range(1, 10_000))


def _point(org, unit, status):
    return ImprovementPoint.objects.create(organisation=org, number=next(_numbers),
                                           title=f"Point {status}", unit=unit, status=status)


@pytest.fixture
def populated(org, other_org, tree, make_member):
    """Customers, people and points spread over the tree, plus noise that must not count."""
    for unit, n in ((tree.sales_north, 2), (tree.sales_south, 1), (tree.service_desk, 1),
                    (tree.sales, 1)):
        for i in range(n):
            customer_create(organisation=org, name=f"{unit.name} {i}",
                            customer_number=f"{unit.code}-{i}", unit=unit)
    customer_create(organisation=org, name="Nowhere", email="nowhere@example.nl")

    make_member(org, unit=tree.sales_north)
    make_member(org, unit=tree.sales_north)
    gone = make_member(org, unit=tree.sales_north)
    membership_update(membership=gone, name="Gone", role=Role.EMPLOYEE, unit=tree.sales_north,
                      is_active=False)
    make_member(org, unit=tree.sales_south, role=Role.MANAGER)
    make_member(org, unit=tree.root, role=Role.ADMIN)

    _point(org, tree.sales_north, PointStatus.PROPOSED)
    _point(org, tree.sales_north, PointStatus.DONE)
    _point(org, tree.sales_south, PointStatus.IN_PROGRESS)
    _point(org, tree.service_desk, PointStatus.DROPPED)
    _point(org, tree.service, PointStatus.PLANNED)
    _point(org, tree.root, PointStatus.PROPOSED)

    other_root = Unit.objects.get(organisation=other_org, depth=1)
    customer_create(organisation=other_org, name="Rival klant", email="x@rival.example",
                    unit=other_root)
    make_member(other_org, unit=other_root)
    _point(other_org, other_root, PointStatus.PROPOSED)
    return tree


def test_unit_tree_rolls_up_customers_people_and_open_points_over_subtrees(org, populated):
    tree = populated
    rows = {u.pk: (u.customer_count, u.people_count, u.open_point_count)
            for u in selectors.unit_tree_with_rollups(org)}

    assert rows[tree.sales_north.pk] == (2, 2, 1)  # inactive member and done point left out
    assert rows[tree.sales_south.pk] == (1, 1, 1)
    assert rows[tree.sales.pk] == (4, 3, 2)
    assert rows[tree.service_desk.pk] == (1, 0, 0)  # dropped point is not open
    assert rows[tree.service.pk] == (1, 0, 1)
    assert rows[tree.root.pk] == (5, 4, 4)  # the customer without a unit is in no subtree


def test_unit_tree_with_rollups_is_one_query_however_big_the_tree(
        org, populated, django_assert_num_queries):
    with django_assert_num_queries(1):
        units = selectors.unit_tree_with_rollups(org)
        assert len(units) == 6
        assert [u.open_point_count for u in units]


def test_unit_tree_is_in_tree_order_and_limited_by_root_and_depth(org, populated):
    tree = populated
    names = [u.name for u in selectors.unit_tree_with_rollups(org)]
    assert names == [org.name, "Sales", "North", "South", "Service", "Desk"]

    top = selectors.unit_tree_with_rollups(org, max_depth=2)
    assert [u.name for u in top] == [org.name, "Sales", "Service"]
    assert top[0].customer_count == 5  # roll-ups still cover the whole subtree

    sub = selectors.unit_tree_with_rollups(org, root=tree.sales)
    assert [u.name for u in sub] == ["Sales", "North", "South"]


def test_nest_units_builds_the_tree(org, populated):
    nodes = selectors.nest_units(selectors.unit_tree_with_rollups(org))
    assert len(nodes) == 1
    root = nodes[0]
    assert [n.unit.name for n in root.children] == ["Sales", "Service"]
    assert [n.unit.name for n in root.children[0].children] == ["North", "South"]


def test_customer_list_unit_filter_includes_the_subtree(org, populated):
    tree = populated
    in_sales = selectors.customer_list(org, unit=tree.sales)
    assert in_sales.count() == 4
    assert selectors.customer_list(org, unit=tree.sales_north).count() == 2
    assert selectors.customer_list(org).count() == 6


def test_customer_list_searches_name_email_and_number(org, populated):
    assert [c.name for c in selectors.customer_list(org, q="nowhere@")] == ["Nowhere"]
    assert [c.name for c in selectors.customer_list(org, q="SAL-S")] == ["South 0"]
    assert selectors.customer_list(org, q="rival").count() == 0


def test_customer_list_filters_by_segment_and_owner(org, tree, make_member):
    owner = make_member(org)
    customer_create(organisation=org, name="A", email="a@example.nl", segment="MKB",
                    account_owner=owner)
    customer_create(organisation=org, name="B", email="b@example.nl", segment="Particulier")
    assert [c.name for c in selectors.customer_list(org, segment="MKB")] == ["A"]
    assert [c.name for c in selectors.customer_list(org, owner=owner)] == ["A"]
    assert selectors.customer_segments(org) == ["MKB", "Particulier"]


def test_person_list_filters_by_unit_subtree_role_and_activity(org, populated):
    tree = populated
    assert selectors.person_list(org, unit=tree.sales).count() == 4
    assert selectors.person_list(org, unit=tree.sales, active=True).count() == 3
    assert selectors.person_list(org, role=Role.MANAGER).count() == 1
    assert selectors.person_list(org, active=False).get().user.name == "Gone"


def test_access_helpers_refuse_another_organisations_objects(org, other_org, make_member):
    other_root = Unit.objects.get(organisation=other_org, depth=1)
    other_customer = customer_create(organisation=other_org, name="X", email="x@example.nl")
    other_person = make_member(other_org)
    with pytest.raises(Http404):
        selectors.access_unit_by_id(org, other_root.pk)
    with pytest.raises(Http404):
        selectors.access_customer_by_id(org, other_customer.pk)
    with pytest.raises(Http404):
        selectors.access_person_by_id(org, other_person.pk)
    assert selectors.access_unit_by_id(other_org, other_root.pk) == other_root
