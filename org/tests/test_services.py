import pytest

from accounts.models import Membership
from org import services
from org.models import Contact, Customer, Level, Unit, UnitKind


def test_unit_create_places_the_unit_under_its_parent_in_name_order(org, tree):
    services.unit_create(organisation=org, parent=tree.sales, name="Central",
                         kind=UnitKind.TEAM, level=Level.OPERATIONAL, code="SAL-C")
    children = [u.name for u in Unit.objects.get_children(Unit.objects.get(pk=tree.sales.pk))]
    assert children == ["Central", "North", "South"]


def test_unit_create_refuses_a_parent_of_another_organisation(org, other_org):
    other_root = Unit.objects.get(organisation=other_org, depth=1)
    with pytest.raises(ValueError, match="another organisation"):
        services.unit_create(organisation=org, parent=other_root, name="Sneaky")


def test_unit_codes_are_unique_per_organisation_regardless_of_case(org, other_org, tree):
    with pytest.raises(ValueError, match="sal-n"):
        services.unit_create(organisation=org, parent=tree.sales, name="Dup", code="sal-n")
    other_root = Unit.objects.get(organisation=other_org, depth=1)
    assert services.unit_create(organisation=other_org, parent=other_root, name="Fine",
                                code="SAL-N").code == "SAL-N"


def test_unit_update_moves_the_unit_with_its_subtree(org, tree):
    services.unit_update(unit=tree.sales, name="Sales", kind=UnitKind.BUSINESS_UNIT,
                         level=Level.TACTICAL, code="SAL", parent=tree.service)
    sales = Unit.objects.get(pk=tree.sales.pk)
    assert Unit.objects.get_parent(sales) == Unit.objects.get(pk=tree.service.pk)
    north = Unit.objects.get(pk=tree.sales_north.pk)
    assert north.path.startswith(sales.path) and north.depth == 4


def test_unit_update_refuses_moving_a_unit_under_its_own_subtree(org, tree):
    with pytest.raises(ValueError, match="under itself"):
        services.unit_update(unit=tree.sales, name="Sales", kind=UnitKind.BUSINESS_UNIT,
                             level=Level.TACTICAL, parent=tree.sales_north)


def test_unit_update_renames_and_keeps_siblings_in_name_order(org, tree):
    services.unit_update(unit=tree.sales_north, name="Zenith", kind=UnitKind.TEAM,
                         level=Level.OPERATIONAL, code="SAL-Z")
    children = [u.name for u in Unit.objects.get_children(Unit.objects.get(pk=tree.sales.pk))]
    assert children == ["South", "Zenith"]


def test_unit_delete_refuses_the_root_and_units_with_children(org, tree):
    with pytest.raises(ValueError, match="root"):
        services.unit_delete(unit=tree.root)
    with pytest.raises(ValueError, match="own units first"):
        services.unit_delete(unit=tree.sales)
    assert Unit.objects.filter(pk=tree.sales.pk).exists()


def test_unit_delete_detaches_customers_and_people(org, tree, make_member):
    customer = services.customer_create(organisation=org, name="Klant", email="k@example.nl",
                                        unit=tree.sales_north)
    person = make_member(org, unit=tree.sales_north)
    services.unit_delete(unit=tree.sales_north)
    assert not Unit.objects.filter(pk=tree.sales_north.pk).exists()
    assert Customer.objects.get(pk=customer.pk).unit is None
    assert Membership.objects.get(pk=person.pk).unit is None
    assert Unit.objects.get(pk=tree.sales.pk).numchild == 1


def test_customer_needs_a_number_or_an_email(org):
    with pytest.raises(ValueError, match="customer number or an e-mail"):
        services.customer_create(organisation=org, name="Nobody")


def test_customer_number_is_unique_per_organisation(org, other_org):
    services.customer_create(organisation=org, name="A", customer_number="K-1")
    with pytest.raises(ValueError, match="already in use"):
        services.customer_create(organisation=org, name="B", customer_number="K-1")
    assert services.customer_create(organisation=other_org, name="C", customer_number="K-1")


def test_customer_refuses_unit_or_owner_of_another_organisation(org, other_org, make_member):
    other_root = Unit.objects.get(organisation=other_org, depth=1)
    with pytest.raises(ValueError, match="unit"):
        services.customer_create(organisation=org, name="A", email="a@example.nl",
                                 unit=other_root)
    with pytest.raises(ValueError, match="account owner"):
        services.customer_create(organisation=org, name="A", email="a@example.nl",
                                 account_owner=make_member(other_org))


def test_customer_update_and_delete(org, tree):
    customer = services.customer_create(organisation=org, name="A", email="A@Example.nl")
    assert customer.email == "a@example.nl"
    services.contact_create(customer=customer, name="Piet")
    services.customer_update(customer=customer, name="B", kind="person", customer_number="K-9",
                             unit=tree.service)
    customer.refresh_from_db()
    assert (customer.name, customer.kind, customer.customer_number, customer.email,
            customer.unit) == ("B", "person", "K-9", "", tree.service)
    services.customer_delete(customer=customer)
    assert not Customer.objects.filter(pk=customer.pk).exists()
    assert not Contact.objects.exists()


def test_a_customer_has_at_most_one_primary_contact(org):
    customer = services.customer_create(organisation=org, name="A", email="a@example.nl")
    first = services.contact_create(customer=customer, name="Eerste")
    assert first.is_primary  # the first contact is the primary one
    second = services.contact_create(customer=customer, name="Tweede", is_primary=True)
    first.refresh_from_db()
    assert second.is_primary and not first.is_primary
    services.contact_update(contact=first, name="Eerste", is_primary=True)
    second.refresh_from_db()
    assert not second.is_primary
    services.contact_delete(contact=second)
    assert list(customer.contacts.values_list("name", flat=True)) == ["Eerste"]
