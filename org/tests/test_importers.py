import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Membership, Role, User
from org.importers import ImportResult, RowError, import_customers, import_people
from org.models import Contact, Customer, CustomerKind
from org.services import customer_create, unit_create


def csv_bytes(*lines: str, delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    return "\r\n".join(line.replace(",", delimiter) for line in lines).encode(encoding) + b"\r\n"


def messages(result: ImportResult) -> list[str]:
    return [str(e) for e in result.errors]


# ---------------------------------------------------------------- customers


def test_customers_import_creates_customers_with_units_owners_and_primary_contacts(
        org, tree, make_member):
    owner = make_member(org, email="eva@acme.example")
    data = csv_bytes(
        "name,email,customer_number,segment,unit,account_owner,kind",
        "Bakkerij Jansen,info@jansen.example,K-1,MKB,SAL-N,Eva@Acme.example,bedrijf",
        "Jan de Vries,jan@example.nl,,Particulier,desk,,particulier",
        "Zonder Mail,,K-3,,,,",
    )
    result = import_customers(organisation=org, data=data)

    assert result == ImportResult(created=3, updated=0, errors=[], dry_run=False)
    jansen = Customer.objects.get(customer_number="K-1")
    assert (jansen.unit, jansen.account_owner, jansen.segment, jansen.kind) == (
        tree.sales_north, owner, "MKB", CustomerKind.COMPANY)
    jan = Customer.objects.get(email="jan@example.nl")
    assert (jan.unit, jan.kind, jan.customer_number) == (tree.service_desk, "person", "")
    assert Customer.objects.get(customer_number="K-3").kind == CustomerKind.COMPANY
    contact = jansen.contacts.get()
    assert (contact.name, contact.email, contact.is_primary) == (
        "Bakkerij Jansen", "info@jansen.example", True)
    assert not Customer.objects.get(customer_number="K-3").contacts.exists()


def test_customers_import_updates_by_number_then_by_email_without_duplicating_contacts(
        org, tree):
    by_number = customer_create(organisation=org, name="Oud", customer_number="K-1",
                                email="oud@example.nl", segment="MKB")
    by_email = customer_create(organisation=org, name="Mail", email="mail@example.nl")
    Contact.objects.create(customer=by_number, name="Bestaand", email="b@example.nl")
    data = csv_bytes(
        "name,email,customer_number,segment",
        "Nieuw,,K-1,",
        "Mail BV,MAIL@example.nl,K-2,Grootzakelijk",
        "Derde,derde@example.nl,K-3,",
    )
    result = import_customers(organisation=org, data=data)

    assert (result.created, result.updated, result.errors) == (1, 2, [])
    by_number.refresh_from_db()
    assert (by_number.name, by_number.email, by_number.segment) == ("Nieuw", "oud@example.nl",
                                                                    "MKB")
    by_email.refresh_from_db()
    assert (by_email.name, by_email.customer_number, by_email.segment) == (
        "Mail BV", "K-2", "Grootzakelijk")
    assert by_number.contacts.count() == 1  # already had one
    assert by_email.contacts.get().email == "mail@example.nl"
    assert Customer.objects.filter(organisation=org).count() == 3

    again = import_customers(organisation=org, data=data)
    assert (again.created, again.updated) == (0, 3)
    assert Contact.objects.filter(customer__organisation=org).count() == 3


def test_customers_import_reads_windows_1252_with_semicolons_and_dutch_characters(org, tree):
    data = csv_bytes(
        "Naam;E-mail;Customer Number;Segment;Unit",
        "Café De Zwaan;info@dezwaan.example;K-10;Horeca;Sales",
        "Željko Brouwer-Çelik;zeljko@example.nl;K-11;Particulier;North",
        delimiter=";", encoding="cp1252",
    ).replace(b"Naam", b"Name")
    assert b"\xe9" in data  # é as one Windows-1252 byte: not UTF-8

    result = import_customers(organisation=org, data=data)

    assert result.errors == [] and result.created == 2
    assert Customer.objects.get(customer_number="K-10").name == "Café De Zwaan"
    zeljko = Customer.objects.get(customer_number="K-11")
    assert (zeljko.name, zeljko.unit) == ("Željko Brouwer-Çelik", tree.sales_north)


def test_customers_import_reads_utf8_with_bom_and_tabs_and_loose_headers(org):
    data = "\ufeff Name \tE-MAIL\tcustomer_number\r\nCafé De Zwaan\tcafe@example.nl\tK-1\r\n"
    result = import_customers(organisation=org, data=data.encode("utf-8"))
    assert result.errors == []
    assert Customer.objects.get().name == "Café De Zwaan"


def test_customers_import_reports_missing_columns_once_naming_missing_and_found(org):
    result = import_customers(organisation=org, data=csv_bytes("naam,mail", "A,a@example.nl"))
    assert len(result.errors) == 1
    error = result.errors[0]
    assert error.line == 1
    assert "name" in error.message and "email or customer_number" in error.message
    assert "naam, mail" in error.message
    assert not Customer.objects.exists()


def test_customers_import_reports_unknown_and_ambiguous_units(org, tree):
    unit_create(organisation=org, parent=tree.service, name="North", code="SRV-N")
    data = csv_bytes(
        "name,email,unit",
        "A,a@example.nl,Atlantis",
        "B,b@example.nl,north",
        "C,c@example.nl,SRV-N",
    )
    result = import_customers(organisation=org, data=data)

    assert [(e.line, e.column) for e in result.errors] == [(2, "unit"), (3, "unit")]
    assert "Atlantis" in result.errors[0].message
    assert "Sales › North (SAL-N)" in result.errors[1].message
    assert "Service › North (SRV-N)" in result.errors[1].message
    assert not Customer.objects.exists()


def test_customers_import_reports_duplicates_within_the_file_with_both_lines(org):
    data = csv_bytes(
        "name,email,customer_number",
        "A,same@example.nl,K-1",
        "B,other@example.nl,K-1",
        "C,SAME@example.nl,K-2",
    )
    result = import_customers(organisation=org, data=data)
    assert messages(result) == [
        "line 3, customer_number: 'K-1' appears twice in the file: on line 2 and on line 3.",
        "line 4, email: 'SAME@example.nl' appears twice in the file: on line 2 and on line 4.",
    ]


def test_customers_import_reports_row_errors_with_line_and_column(org, make_member):
    inactive = make_member(org, email="weg@acme.example")
    inactive.is_active = False
    inactive.save()
    data = csv_bytes(
        "name,email,customer_number,account_owner,kind",
        ",a@example.nl,,,",
        "B,not-an-email,,,",
        "C,,,,",
        "D,d@example.nl,,weg@acme.example,",
        "E,e@example.nl,,,vereniging",
    )
    result = import_customers(organisation=org, data=data)
    assert [(e.line, e.column) for e in result.errors] == [
        (2, "name"), (3, "email"), (4, "email"), (5, "account_owner"), (6, "kind")]
    assert "not-an-email" in result.errors[1].message


def test_one_bad_row_among_good_rows_imports_nothing(org):
    lines = ["name,email"] + [f"Klant {i},k{i}@example.nl" for i in range(20)]
    lines.insert(11, "Kapot,geen-adres")
    result = import_customers(organisation=org, data=csv_bytes(*lines))
    assert result.created == 0
    assert [(e.line, e.column) for e in result.errors] == [(12, "email")]
    assert not Customer.objects.exists()
    assert not Contact.objects.exists()


def test_customers_import_dry_run_counts_but_writes_nothing(org):
    customer_create(organisation=org, name="Bestaand", customer_number="K-1")
    data = csv_bytes("name,customer_number", "Nieuw,K-1", "Ander,K-2")
    result = import_customers(organisation=org, data=data, dry_run=True)
    assert result == ImportResult(created=1, updated=1, errors=[], dry_run=True)
    assert list(Customer.objects.values_list("name", flat=True)) == ["Bestaand"]


@pytest.mark.parametrize("data, expected", [
    (b"", "The file is empty."),
    (b"\r\n  \r\n", "The file is empty."),
    (b"name,email\r\n", "no data rows"),
    (b"name,email\r\n\x81\x8d,x@example.nl\r\n", "neither UTF-8 nor Windows-1252"),
    (b"PK\x03\x04\x00\x00binary", "not a CSV text file"),
])
def test_customers_import_explains_unreadable_files(org, data, expected):
    result = import_customers(organisation=org, data=data)
    assert len(result.errors) == 1
    assert expected in result.errors[0].message
    assert result.errors[0].line is None


def test_customers_import_refuses_files_over_10_mb(org):
    data = b"name,email\r\n" + b"x" * (10 * 1024 * 1024)
    result = import_customers(organisation=org, data=data)
    assert "larger than 10 MB" in result.errors[0].message


def test_customers_import_ignores_another_organisations_customers_and_units(org, other_org):
    customer_create(organisation=other_org, name="Rivaal", customer_number="K-1")
    result = import_customers(organisation=org,
                              data=csv_bytes("name,customer_number,unit", "Eigen,K-1,"))
    assert (result.created, result.updated) == (1, 0)
    bad = import_customers(organisation=org, data=csv_bytes(
        "name,customer_number,unit", "X,K-2,Rivaal BV"))
    assert bad.errors[0].column == "unit"
    assert Customer.objects.get(organisation=other_org).name == "Rivaal"


def test_three_thousand_customers_import_in_seconds_with_a_fixed_number_of_queries(
        org, tree, make_member):
    make_member(org, email="eigenaar@acme.example")
    lines = ["name;email;customer_number;segment;unit;account_owner"]
    units = ["SAL-N", "SAL-S", "Desk", "Service"]
    lines += [f"Klant {i};klant{i}@example.nl;K-{i:05d};MKB;{units[i % 4]};"
              f"{'eigenaar@acme.example' if i % 3 == 0 else ''}" for i in range(3000)]
    data = csv_bytes(*lines, delimiter=";")

    start = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        result = import_customers(organisation=org, data=data)
    elapsed = time.perf_counter() - start

    assert (result.created, result.errors) == (3000, [])
    assert elapsed < 10, elapsed
    # Lookups plus batched inserts (SQLite caps a statement at 999 parameters, so about
    # 100 rows per INSERT there); nothing per row.
    assert len(queries) < 100
    assert Contact.objects.filter(customer__organisation=org).count() == 3000

    start = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        again = import_customers(organisation=org, data=data)
    assert (again.created, again.updated) == (0, 3000)
    assert time.perf_counter() - start < 10
    assert len(queries) < 100


# ---------------------------------------------------------------- people


def test_people_import_creates_and_updates_members_with_dutch_role_names(
        org, tree, make_member):
    existing = make_member(org, email="piet@acme.example", role=Role.EMPLOYEE)
    data = csv_bytes(
        "Name;Email;Role;Unit",
        "Željko Brouwer-Çelik;zeljko@acme.example;Leidinggevende;SAL-N",
        "Piet Pieters;PIET@acme.example;bestuur;",
        "Anna;anna@acme.example;;Desk",
        "Gert;gert@acme.example;Gespreksleider;",
        "Mara;mara@acme.example;MT;",
        delimiter=";", encoding="cp1252",
    )
    result = import_people(organisation=org, data=data)

    assert (result.created, result.updated, result.errors) == (4, 1, [])
    zeljko = Membership.objects.get(organisation=org, user__email="zeljko@acme.example")
    assert (zeljko.user.name, zeljko.role, zeljko.unit) == (
        "Željko Brouwer-Çelik", Role.MANAGER, tree.sales_north)
    assert not zeljko.user.has_usable_password()
    existing.refresh_from_db()
    existing.user.refresh_from_db()
    assert (existing.user.name, existing.role, existing.unit) == (
        "Piet Pieters", Role.BOARD, None)
    roles = dict(Membership.objects.filter(organisation=org)
                 .values_list("user__email", "role"))
    assert roles["anna@acme.example"] == Role.EMPLOYEE
    assert roles["gert@acme.example"] == Role.MODERATOR
    assert roles["mara@acme.example"] == Role.BOARD


def test_people_import_adds_an_existing_user_of_another_organisation(org, other_org,
                                                                   make_member):
    consultant = make_member(other_org, email="c@consult.example", name="Consultant",
                             role=Role.CONSULTANT)
    result = import_people(organisation=org, data=csv_bytes(
        "name,email,role", "Andere Naam,c@consult.example,consultant"))
    assert (result.created, result.updated) == (1, 0)
    assert User.objects.filter(email="c@consult.example").count() == 1
    assert consultant.user.memberships.count() == 2


def test_people_import_reports_unknown_roles_bad_emails_and_duplicates(org):
    data = csv_bytes(
        "name,email,role",
        "A,a@acme.example,koning",
        "B,b@acme,",
        ",c@acme.example,",
        "D,A@acme.example,",
    )
    result = import_people(organisation=org, data=data)
    assert [(e.line, e.column) for e in result.errors] == [
        (2, "role"), (3, "email"), (4, "name"), (5, "email")]
    assert "koning" in result.errors[0].message
    assert "line 2 and on line 5" in result.errors[3].message
    assert not Membership.objects.filter(organisation=org).exists()


def test_people_import_requires_name_and_email_columns(org):
    result = import_people(organisation=org, data=csv_bytes("name,role", "A,admin"))
    assert result.errors == [RowError(1, "", result.errors[0].message)]
    assert "Missing required column(s): email" in result.errors[0].message


def test_three_thousand_people_import_quickly(org, tree):
    lines = ["name,email,role,unit"] + [
        f"Medewerker {i},m{i}@acme.example,medewerker,SAL-N" for i in range(3000)]
    start = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        result = import_people(organisation=org, data=csv_bytes(*lines))
    assert (result.created, result.errors) == (3000, [])
    assert time.perf_counter() - start < 10
    assert len(queries) < 100
    assert Membership.objects.filter(organisation=org, unit=tree.sales_north).count() == 3000

    lines = ["name,email,role,unit"] + [
        f"Collega {i},m{i}@acme.example,manager,Desk" for i in range(3000)]
    start = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        again = import_people(organisation=org, data=csv_bytes(*lines))
    assert (again.created, again.updated, again.errors) == (0, 3000, [])
    assert time.perf_counter() - start < 10
    assert len(queries) < 100
    assert Membership.objects.filter(organisation=org, unit=tree.service_desk,
                                     role=Role.MANAGER).count() == 3000
    assert User.objects.filter(name__startswith="Collega ").count() == 3000
