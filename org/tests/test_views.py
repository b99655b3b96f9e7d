import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Membership, Role
from org.models import Contact, Customer, Level, Unit, UnitKind
from org.services import contact_create, customer_create


def url(name, **kwargs):
    return reverse(f"org:{name}", kwargs={"org": "acme", **kwargs})


@pytest.fixture
def admin(org, make_member, tree):
    return make_member(org, role=Role.ADMIN, unit=tree.root)


@pytest.fixture
def as_admin(login, admin):
    return login(admin)


def option_values(response, field):
    return {str(pk) for pk, _label in
            ((c[0].value if hasattr(c[0], "value") else c[0], c[1])
             for c in response.context["form"].fields[field].choices) if pk}


# ---------------------------------------------------------------- overview and units


def test_dashboard_shows_counts_and_the_top_of_the_tree(as_admin, org, tree):
    customer_create(organisation=org, name="Klant", email="k@example.nl", unit=tree.sales_north)
    response = as_admin.get(url("dashboard"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Acme Verzekeringen" in html and "Sales" in html and "Service" in html
    assert "North" not in html  # only the top two levels
    assert response.context["counts"].customers == 1
    sales = response.context["tree"][0].children[0].unit
    assert (sales.name, sales.customer_count) == ("Sales", 1)


def test_unit_list_shows_the_whole_tree_with_rollups(as_admin, tree):
    response = as_admin.get(url("unit_list"))
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("Sales", "North", "South", "Service", "Desk"):
        assert name in html


def test_unit_pages_query_count_does_not_grow_with_the_tree(
        as_admin, org, tree, django_assert_max_num_queries):
    for i in range(15):
        Unit.objects.add_child(tree.sales_north, create_kwargs={
            "organisation": org, "name": f"Team {i}"})
    with django_assert_max_num_queries(12):
        assert as_admin.get(url("unit_list")).status_code == 200


def test_unit_create_update_and_delete(as_admin, org, tree):
    response = as_admin.post(url("unit_create"), {
        "parent": tree.sales.pk, "name": "Central", "kind": UnitKind.TEAM,
        "level": Level.OPERATIONAL, "code": "SAL-C"})
    central = Unit.objects.get(organisation=org, code="SAL-C")
    assert response.status_code == 302
    assert response["Location"] == url("unit_detail", pk=central.pk)
    assert Unit.objects.get_parent(central) == tree.sales

    detail = as_admin.get(url("unit_detail", pk=central.pk))
    assert detail.status_code == 200 and b"Central" in detail.content

    response = as_admin.post(url("unit_update", pk=central.pk), {
        "parent": tree.service.pk, "name": "Centraal", "kind": UnitKind.TEAM,
        "level": Level.OPERATIONAL, "code": "SRV-C"})
    assert response.status_code == 302
    central = Unit.objects.get(pk=central.pk)
    assert (central.name, central.code, Unit.objects.get_parent(central)) == (
        "Centraal", "SRV-C", tree.service)

    assert as_admin.get(url("unit_delete", pk=central.pk)).status_code == 200
    response = as_admin.post(url("unit_delete", pk=central.pk))
    assert response["Location"] == url("unit_list")
    assert not Unit.objects.filter(pk=central.pk).exists()


def test_unit_delete_of_a_unit_with_children_is_refused_with_a_message(as_admin, tree):
    response = as_admin.post(url("unit_delete", pk=tree.sales.pk), follow=True)
    assert Unit.objects.filter(pk=tree.sales.pk).exists()
    assert "own units first" in response.content.decode()


def test_unit_form_rejects_a_duplicate_code(as_admin, tree):
    response = as_admin.post(url("unit_create"), {
        "parent": tree.sales.pk, "name": "Dup", "kind": UnitKind.TEAM,
        "level": Level.OPERATIONAL, "code": "sal-n"})
    assert response.status_code == 200
    assert response.context["form"].errors["code"]


def test_unit_forms_offer_only_the_organisations_units(as_admin, org, other_org, tree):
    other_units = {str(pk) for pk in Unit.objects.filter(organisation=other_org)
                   .values_list("pk", flat=True)}
    own_units = {str(pk) for pk in Unit.objects.filter(organisation=org)
                 .values_list("pk", flat=True)}
    offered = option_values(as_admin.get(url("unit_create")), "parent")
    assert offered == own_units
    # Editing Sales offers neither Sales itself nor its own units as the new parent.
    offered = option_values(as_admin.get(url("unit_update", pk=tree.sales.pk)), "parent")
    assert offered == {str(tree.root.pk), str(tree.service.pk), str(tree.service_desk.pk)}
    for name in ("customer_create", "person_create"):
        offered = option_values(as_admin.get(url(name)), "unit")
        assert offered == own_units and not offered & other_units

    other_root = Unit.objects.get(organisation=other_org, depth=1)
    response = as_admin.post(url("unit_create"), {
        "parent": other_root.pk, "name": "Sneaky", "kind": UnitKind.TEAM,
        "level": Level.OPERATIONAL})
    assert response.status_code == 200 and response.context["form"].errors["parent"]
    assert not Unit.objects.filter(name="Sneaky").exists()


def test_employee_sees_units_but_cannot_create_change_or_delete_them(
        login, org, tree, make_member):
    client = login(make_member(org, role=Role.EMPLOYEE, unit=tree.sales_north))
    assert client.get(url("unit_list")).status_code == 200
    assert b"New unit" not in client.get(url("unit_list")).content
    assert client.get(url("unit_create")).status_code == 403
    assert client.post(url("unit_create"), {
        "parent": tree.sales.pk, "name": "X", "kind": UnitKind.TEAM,
        "level": Level.OPERATIONAL}).status_code == 403
    assert client.post(url("unit_update", pk=tree.sales.pk), {}).status_code == 403
    assert client.post(url("unit_delete", pk=tree.sales_north.pk)).status_code == 403
    assert Unit.objects.filter(organisation=org).count() == 6


def test_another_organisations_unit_is_not_found(as_admin, other_org):
    other_root = Unit.objects.get(organisation=other_org, depth=1)
    assert as_admin.get(url("unit_detail", pk=other_root.pk)).status_code == 404
    assert as_admin.post(url("unit_delete", pk=other_root.pk)).status_code == 404


def test_a_member_of_another_organisation_gets_404(login, other_org, make_member, tree):
    client = login(make_member(other_org, role=Role.ADMIN))
    assert client.get(url("dashboard")).status_code == 404
    assert client.get(url("customer_list")).status_code == 404


# ---------------------------------------------------------------- people


def test_person_list_create_and_update(as_admin, org, tree):
    response = as_admin.post(url("person_create"), {
        "name": "Eva de Boer", "email": "Eva@Acme.example", "role": Role.MANAGER,
        "unit": tree.sales.pk, "job_title": "Teamleider"})
    assert response["Location"] == url("person_list")
    eva = Membership.objects.get(organisation=org, user__email="eva@acme.example")
    assert (eva.role, eva.unit, eva.job_title) == (Role.MANAGER, tree.sales, "Teamleider")

    listing = as_admin.get(url("person_list"), {"q": "eva"})
    assert [p.pk for p in listing.context["page"]] == [eva.pk]

    response = as_admin.post(url("person_update", pk=eva.pk), {
        "name": "Eva Jansen", "role": Role.EMPLOYEE, "unit": "", "job_title": ""})
    assert response.status_code == 302
    eva.refresh_from_db()
    eva.user.refresh_from_db()
    assert (eva.user.name, eva.role, eva.unit, eva.is_active) == (
        "Eva Jansen", Role.EMPLOYEE, None, False)  # unchecked box deactivates


def test_person_create_refuses_someone_already_in_the_organisation(as_admin, admin):
    response = as_admin.post(url("person_create"), {
        "name": "Again", "email": admin.user.email, "role": Role.EMPLOYEE})
    assert response.status_code == 200
    assert response.context["form"].errors["email"]


def test_people_cannot_change_their_own_role_or_deactivate_themselves(as_admin, admin):
    as_admin.post(url("person_update", pk=admin.pk), {
        "name": "Still Admin", "role": Role.EMPLOYEE, "job_title": ""})
    admin.refresh_from_db()
    assert (admin.role, admin.is_active, admin.user.name) == (Role.ADMIN, True, "Still Admin")


def test_employee_may_see_people_but_not_manage_them(login, org, make_member):
    client = login(make_member(org, role=Role.EMPLOYEE))
    assert client.get(url("person_list")).status_code == 200
    assert client.get(url("person_create")).status_code == 403


def test_moderator_may_not_see_people_or_customers(login, org, make_member):
    client = login(make_member(org, role=Role.MODERATOR))
    assert client.get(url("person_list")).status_code == 403
    assert client.get(url("customer_list")).status_code == 403
    assert client.get(url("dashboard")).status_code == 200


# ---------------------------------------------------------------- customers and contacts


def test_customer_list_searches_filters_and_paginates_by_50(as_admin, org, tree):
    Customer.objects.bulk_create([
        Customer(organisation=org, name=f"Klant {i:03d}", customer_number=f"K-{i}",
                 unit=tree.sales_north if i % 2 else tree.service_desk, segment="MKB")
        for i in range(120)])
    response = as_admin.get(url("customer_list"))
    assert response.status_code == 200
    assert len(response.context["page"]) == 50
    assert response.context["page"].paginator.num_pages == 3

    response = as_admin.get(url("customer_list"), {"unit": tree.sales.pk, "page": 2})
    assert response.context["page"].paginator.count == 60
    assert 'href="?unit=' in response.content.decode()  # pages keep the filters

    response = as_admin.get(url("customer_list"), {"q": "klant 007"})
    assert [c.name for c in response.context["page"]] == ["Klant 007"]


def test_customer_list_returns_only_the_results_for_htmx(as_admin):
    response = as_admin.get(url("customer_list"), HTTP_HX_REQUEST="true")
    assert [t.name for t in response.templates][0] == "org/_customer_results.html"
    assert b"<html" not in response.content


def test_customer_create_detail_update_and_delete(as_admin, org, tree, admin):
    response = as_admin.post(url("customer_create"), {
        "name": "Café De Zwaan", "kind": "company", "customer_number": "K-1",
        "email": "", "segment": "Horeca", "unit": tree.sales_north.pk,
        "account_owner": admin.pk})
    customer = Customer.objects.get(organisation=org)
    assert response["Location"] == url("customer_detail", pk=customer.pk)
    assert (customer.unit, customer.account_owner) == (tree.sales_north, admin)

    contact_create(customer=customer, name="Piet", email="piet@dezwaan.example")
    detail = as_admin.get(url("customer_detail", pk=customer.pk))
    assert b"piet@dezwaan.example" in detail.content

    response = as_admin.post(url("customer_update", pk=customer.pk), {
        "name": "Café De Zwaan BV", "kind": "company", "customer_number": "K-1",
        "email": "info@dezwaan.example", "segment": "", "unit": "", "account_owner": ""})
    assert response.status_code == 302
    customer.refresh_from_db()
    assert (customer.name, customer.email, customer.unit) == (
        "Café De Zwaan BV", "info@dezwaan.example", None)

    assert as_admin.get(url("customer_delete", pk=customer.pk)).status_code == 200
    response = as_admin.post(url("customer_delete", pk=customer.pk))
    assert response["Location"] == url("customer_list")
    assert not Customer.objects.exists() and not Contact.objects.exists()


def test_customer_form_requires_a_number_or_email_and_a_free_number(as_admin, org):
    customer_create(organisation=org, name="A", customer_number="K-1")
    response = as_admin.post(url("customer_create"), {"name": "B", "kind": "company"})
    assert response.status_code == 200 and response.context["form"].non_field_errors()
    response = as_admin.post(url("customer_create"), {
        "name": "B", "kind": "company", "customer_number": "K-1"})
    assert response.context["form"].errors["customer_number"]
    assert Customer.objects.count() == 1


def test_customer_form_offers_only_the_organisations_active_people(
        as_admin, org, other_org, make_member, admin):
    inactive = make_member(org)
    inactive.is_active = False
    inactive.save()
    outsider = make_member(other_org)
    offered = option_values(as_admin.get(url("customer_create")), "account_owner")
    assert str(admin.pk) in offered
    assert str(inactive.pk) not in offered and str(outsider.pk) not in offered
    response = as_admin.post(url("customer_create"), {
        "name": "X", "kind": "company", "email": "x@example.nl", "account_owner": outsider.pk})
    assert response.context["form"].errors["account_owner"]


def test_contact_create_update_and_delete(as_admin, org):
    customer = customer_create(organisation=org, name="A", email="a@example.nl")
    response = as_admin.post(url("contact_create", pk=customer.pk), {
        "name": "Piet", "email": "piet@example.nl", "phone": "06-12345678",
        "job_title": "Inkoper"})
    assert response["Location"] == url("customer_detail", pk=customer.pk)
    contact = customer.contacts.get()
    assert contact.is_primary

    as_admin.post(url("contact_update", pk=contact.pk), {
        "name": "Piet Klaassen", "email": "piet@example.nl", "phone": "", "job_title": "",
        "is_primary": "on"})
    contact.refresh_from_db()
    assert contact.name == "Piet Klaassen"

    assert as_admin.get(url("contact_delete", pk=contact.pk)).status_code == 200
    as_admin.post(url("contact_delete", pk=contact.pk))
    assert not customer.contacts.exists()


def test_another_organisations_customer_and_contact_are_not_found(as_admin, other_org):
    customer = customer_create(organisation=other_org, name="X", email="x@example.nl")
    contact = contact_create(customer=customer, name="Y")
    assert as_admin.get(url("customer_detail", pk=customer.pk)).status_code == 404
    assert as_admin.post(url("customer_delete", pk=customer.pk)).status_code == 404
    assert as_admin.post(url("contact_create", pk=customer.pk), {"name": "Z"}).status_code == 404
    assert as_admin.post(url("contact_delete", pk=contact.pk)).status_code == 404
    assert Contact.objects.count() == 1


def test_employee_sees_customers_but_cannot_change_them(login, org, make_member):
    customer = customer_create(organisation=org, name="A", email="a@example.nl")
    client = login(make_member(org, role=Role.EMPLOYEE))
    assert client.get(url("customer_detail", pk=customer.pk)).status_code == 200
    assert client.get(url("customer_create")).status_code == 403
    assert client.post(url("customer_delete", pk=customer.pk)).status_code == 403
    assert client.post(url("contact_create", pk=customer.pk), {"name": "B"}).status_code == 403


def test_manager_may_manage_customers_but_not_import(login, org, make_member):
    client = login(make_member(org, role=Role.MANAGER))
    assert client.get(url("customer_create")).status_code == 200
    assert client.get(url("import_customers")).status_code == 403


# ---------------------------------------------------------------- imports


def upload(content: bytes, name="klanten.csv"):
    return SimpleUploadedFile(name, content, content_type="text/csv")


def test_import_customers_page_imports_and_shows_counts(as_admin, org, tree):
    assert as_admin.get(url("import_customers")).status_code == 200
    data = "name;email;unit\r\nCafé De Zwaan;cafe@example.nl;Desk\r\n".encode("cp1252")
    response = as_admin.post(url("import_customers"), {"file": upload(data)})
    assert response.status_code == 200
    assert response.context["result"].created == 1
    assert "1 created and 0 updated." in response.content.decode()
    assert Customer.objects.get().unit == tree.service_desk


def test_import_page_dry_run_writes_nothing(as_admin, org):
    response = as_admin.post(url("import_customers"), {
        "file": upload(b"name,email\r\nA,a@example.nl\r\n"), "dry_run": "on"})
    assert "1 would be created and 0 updated. Nothing was written." in response.content.decode()
    assert not Customer.objects.exists()


def test_import_page_shows_every_error_and_writes_nothing(as_admin, org):
    data = b"name,email,unit\r\nA,a@example.nl,\r\nB,b@example.nl,Atlantis\r\nC,bad,\r\n"
    response = as_admin.post(url("import_customers"), {"file": upload(data)})
    html = response.content.decode()
    assert "2 problems found: nothing was imported" in html
    assert "Atlantis" in html and "bad" in html
    assert [(e.line, e.column) for e in response.context["result"].errors] == [
        (3, "unit"), (4, "email")]
    assert not Customer.objects.exists()


def test_import_people_page(as_admin, org, tree):
    data = b"name,email,role,unit\r\nEva,eva@acme.example,beheerder,Sales\r\n"
    response = as_admin.post(url("import_people"), {"file": upload(data)})
    assert response.context["result"].created == 1
    eva = Membership.objects.get(organisation=org, user__email="eva@acme.example")
    assert (eva.role, eva.unit) == (Role.ADMIN, tree.sales)


def test_import_page_refuses_files_over_10_mb(as_admin, org):
    big = b"name,email\r\n" + b"A,a@example.nl\r\n" * (700_000)
    assert len(big) > 10 * 1024 * 1024
    response = as_admin.post(url("import_customers"), {"file": upload(big)})
    assert response.status_code == 200
    assert "larger than 10 MB" in str(response.context["form"].errors["file"])
    assert not Customer.objects.exists()


def test_employee_cannot_import(login, org, make_member):
    client = login(make_member(org, role=Role.EMPLOYEE))
    response = client.post(url("import_people"), {"file": upload(b"name,email\r\nA,a@x.nl\r\n")})
    assert response.status_code == 403


# ---------------------------------------------------------------- magic links


def test_manager_sends_a_contact_a_one_time_link_by_email(
        login, org, make_member, mailoutbox, django_capture_on_commit_callbacks, client):
    customer = customer_create(organisation=org, name="A", email="a@example.nl")
    contact = contact_create(customer=customer, name="Kees", email="kees@klant.example")
    manager = login(make_member(org, role=Role.MANAGER))
    assert b"magic-link-form" in manager.get(url("customer_detail", pk=customer.pk)).content

    with django_capture_on_commit_callbacks(execute=True):
        response = manager.post(url("contact_magic_link", pk=contact.pk), {"purpose": "portal"})
    assert response["Location"] == url("customer_detail", pk=customer.pk)
    assert [m.to for m in mailoutbox] == [["kees@klant.example"]]
    link = next(line for line in mailoutbox[0].body.splitlines() if "/accounts/m/" in line)

    client.logout()
    path = link.split("testserver", 1)[1]
    assert client.get(path).status_code == 302
    assert client.get(path).status_code == 410  # works once


def test_magic_link_needs_an_email_address_and_the_capability(login, org, make_member,
                                                              mailoutbox):
    customer = customer_create(organisation=org, name="A", customer_number="K-1")
    contact = contact_create(customer=customer, name="Zonder adres")
    manager = login(make_member(org, role=Role.MANAGER))
    response = manager.post(url("contact_magic_link", pk=contact.pk), {"purpose": "portal"},
                            follow=True)
    assert "no e-mail address" in response.content.decode()
    assert manager.get(url("contact_magic_link", pk=contact.pk)).status_code == 405

    employee = login(make_member(org, role=Role.EMPLOYEE))
    assert employee.post(url("contact_magic_link", pk=contact.pk),
                         {"purpose": "portal"}).status_code == 403
    assert mailoutbox == []


def test_customer_and_people_lists_run_a_fixed_number_of_queries(
        as_admin, org, tree, make_member, django_assert_max_num_queries):
    owners = [make_member(org, unit=tree.sales_north) for _ in range(5)]
    Customer.objects.bulk_create([
        Customer(organisation=org, name=f"Klant {i}", customer_number=f"K-{i}",
                 unit=tree.sales_south, account_owner=owners[i % 5], segment=f"S{i % 3}")
        for i in range(60)])
    # Session, membership, filter choices, count, page; the session save takes three.
    with django_assert_max_num_queries(15):
        response = as_admin.get(url("customer_list"), {"unit": tree.sales.pk})
    assert len(response.context["page"]) == 50
    with django_assert_max_num_queries(15):
        assert len(as_admin.get(url("person_list")).context["page"]) == 6
