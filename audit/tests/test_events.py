"""Each kind of event leaves exactly one entry, with who, what and when, and no personal data."""

import pytest
from django.urls import reverse

from accounts.api_tokens import api_token_create, api_token_revoke
from accounts.models import Role
from accounts.services import membership_create, membership_update
from audit.models import AuditAction, AuditEntry
from audit.services import email_hash
from audit.tests.conftest import assert_no_personal_data, only
from conftest import PASSWORD
from org.importers import import_customers, import_people
from privacy import selectors as privacy_selectors
from privacy import services as privacy_services
from research.importing import ImportOptions, Mapping, import_prepare, import_start, responses_export
from research.models import JobStatus, ResponseSource, WaveStatus
from research.services import Answers, response_record, wave_set_status
from research.tests._import_support import build_world, plain_rows, write_csv

pytestmark = pytest.mark.django_db


@pytest.fixture
def employee(org, make_member):
    return make_member(org, Role.EMPLOYEE, name="Piet Medewerker", email="piet.medewerker@acme.example")


def post_login(client, email, password):
    return client.post(reverse("accounts:login"), {"username": email, "password": password})


# --- Logins --------------------------------------------------------------------------------

def test_a_login_is_recorded_once_per_organisation_of_the_user(client, org, other_org, employee):
    membership_create(organisation=other_org, email=employee.user.email, name="Piet Medewerker")
    response = post_login(client, employee.user.email, PASSWORD)
    assert response.status_code == 302
    for organisation in (org, other_org):
        entry = only(AuditAction.LOGIN_SUCCEEDED, organisation=organisation)
        assert entry.actor_id == employee.user_id
        assert entry.subject_hash == ""
        assert_no_personal_data(entry, employee)
    assert AuditEntry.objects.filter(action=AuditAction.LOGIN_SUCCEEDED).count() == 2


def test_a_failed_login_keeps_the_hash_of_the_address_typed_not_the_address(client, org, employee):
    post_login(client, "  PIET.Medewerker@acme.example", "wrong-password")
    entry = only(AuditAction.LOGIN_FAILED)
    assert entry.organisation == org
    assert entry.actor_id is None
    assert (entry.target_type, entry.target_id) == ("user", employee.user_id)
    assert entry.subject_hash == email_hash("piet.medewerker@acme.example")
    assert_no_personal_data(entry, employee, "wrong-password")


def test_a_failed_login_of_an_unknown_address_belongs_to_no_organisation(client, org):
    post_login(client, "nobody@nowhere.example", "whatever-1")
    entry = only(AuditAction.LOGIN_FAILED)
    assert entry.organisation_id is None and entry.target_type == ""
    assert entry.subject_hash == email_hash("nobody@nowhere.example")
    assert_no_personal_data(entry, "nobody", "whatever-1")


def test_a_logout_is_recorded(client, org, employee, login):
    login(employee)
    client.post(reverse("accounts:logout"))
    entry = only(AuditAction.LOGOUT, organisation=org)
    assert entry.actor_id == employee.user_id


# --- People --------------------------------------------------------------------------------

def test_adding_a_person_is_recorded_with_the_actor(org, admin):
    person = membership_create(organisation=org, email="nieuw@acme.example", name="Nieuwe Collega",
                               role=Role.MANAGER, actor=admin)
    entry = only(AuditAction.MEMBER_ADDED, target_id=person.pk)
    assert (entry.organisation, entry.actor_id, entry.target_type) == (org, admin.user_id, "membership")
    assert entry.details == {"role": "manager"}
    assert_no_personal_data(entry, person, admin)


def test_a_role_change_and_a_deactivation_are_recorded_once_each(org, admin, employee):
    membership_update(membership=employee, name=employee.user.name, role=Role.MANAGER,
                      actor=admin)
    membership_update(membership=employee, name="Piet Medewerker", role=Role.MANAGER,
                      job_title="Teamleider", actor=admin)  # no role change: nothing recorded
    entry = only(AuditAction.ROLE_CHANGED, target_id=employee.pk)
    assert entry.details == {"from": "employee", "to": "manager"}
    assert entry.actor_id == admin.user_id
    membership_update(membership=employee, name="Piet Medewerker", role=Role.MANAGER,
                      is_active=False, actor=admin)
    entry = only(AuditAction.MEMBER_DEACTIVATED, target_id=employee.pk)
    assert_no_personal_data(entry, employee, admin)
    assert not AuditEntry.objects.filter(action=AuditAction.MEMBER_REACTIVATED).exists()


def test_the_people_page_records_its_user_as_the_actor(client, org, admin, employee, login):
    login(admin)
    response = client.post(reverse("org:person_update", args=[org.slug, employee.pk]),
                           {"name": "Piet Medewerker", "role": Role.BOARD, "job_title": ""})
    assert response.status_code == 302
    entry = only(AuditAction.ROLE_CHANGED, target_id=employee.pk)
    assert entry.actor_id == admin.user_id
    assert only(AuditAction.MEMBER_DEACTIVATED, target_id=employee.pk).actor_id == admin.user_id


# --- Imports -------------------------------------------------------------------------------

def test_a_customer_import_is_recorded_with_counts(org, admin):
    data = b"name,email,customer_number\nBakkerij Jansen,info@jansen.example,K1\nGarage,,K2\n"
    result = import_customers(organisation=org, data=data, actor=admin)
    assert result.ok
    entry = only(AuditAction.IMPORT_CUSTOMERS)
    assert entry.details == {"created": 2, "updated": 0, "contacts_created": 1}
    assert (entry.organisation, entry.actor_id) == (org, admin.user_id)
    assert_no_personal_data(entry, "jansen", "garage")


def test_a_refused_or_dry_run_import_records_nothing(org, admin):
    assert not import_customers(organisation=org, data=b"name\nX\n", actor=admin).ok
    assert import_customers(organisation=org, data=b"name,customer_number\nX,K1\n", dry_run=True,
                            actor=admin).ok
    assert not AuditEntry.objects.filter(action=AuditAction.IMPORT_CUSTOMERS).exists()


def test_a_people_import_records_itself_and_each_role_it_changed(org, admin, employee):
    data = (b"name,email,role\nPiet Medewerker,piet.medewerker@acme.example,manager\n"
            b"Nieuwe Collega,nieuw@acme.example,employee\n")
    assert import_people(organisation=org, data=data, actor=admin).ok
    entry = only(AuditAction.IMPORT_PEOPLE)
    assert entry.details == {"created": 1, "updated": 1, "roles_changed": 1}
    change = only(AuditAction.ROLE_CHANGED, target_id=employee.pk)
    assert change.details == {"from": "employee", "to": "manager", "by_import": True}
    for e in (entry, change):
        assert_no_personal_data(e, employee, "nieuw", "collega")


@pytest.fixture
def world(org, make_member):
    return build_world(org, make_member)


def _import(world, path, actor, **options):
    job = import_prepare(organisation=world.organisation, wave=world.wave, actor=actor,
                         upload=path, original_name=path.name)
    return import_start(job=job, mapping=Mapping.from_json(job.mapping),
                        options=ImportOptions(**options))


def test_a_response_import_is_recorded_when_it_finishes_with_its_counts(world, admin, tmp_path):
    path = write_csv(tmp_path / "export.csv", plain_rows(
        ["R1", "K001", "T-N", "9", "Snel geholpen door Piet de Vries", "8", "9", "MKB"],
        ["R2", "K003", "T-Z", "4", "Te traag", "5", "6", "MKB"]))
    job = _import(world, path, admin)
    assert job.status == JobStatus.SUCCEEDED
    entry = only(AuditAction.IMPORT_RESPONSES)
    assert (entry.target_type, entry.target_id, entry.actor_id) == ("wave", world.wave.pk, admin.user_id)
    assert entry.details["job"] == job.pk and entry.details["status"] == "succeeded"
    assert entry.details["imported"] == 2 and entry.details["written"] is True
    assert_no_personal_data(entry, admin, "piet de vries", "export.csv", "traag")


def test_a_dry_run_records_nothing_and_a_rolled_back_import_records_its_failure(world, admin, tmp_path):
    good = write_csv(tmp_path / "a.csv", plain_rows(["R1", "K001", "T-N", "9", "", "8", "9", ""]))
    _import(world, good, admin, dry_run=True)
    assert not AuditEntry.objects.filter(action=AuditAction.IMPORT_RESPONSES).exists()
    bad = write_csv(tmp_path / "b.csv", plain_rows(["R1", "K001", "T-N", "9", "", "8", "9", ""],
                                                   ["R2", "K999", "T-N", "12", "", "8", "9", ""]))
    job = _import(world, bad, admin)
    assert job.status == JobStatus.FAILED
    entry = only(AuditAction.IMPORT_RESPONSES)
    # Nothing was written, and the entry says so: it does not claim an import.
    assert entry.details["status"] == "failed" and entry.details["written"] is False
    assert entry.details["imported"] == 0 and entry.details["error_count"] >= 2


# --- Exports, erasure, tokens --------------------------------------------------------------

def test_a_responses_export_is_recorded(world, admin, tmp_path, client, login):
    response_record(wave=world.wave, answers=Answers(nps=9), source=ResponseSource.API,
                    customer=world.customers["K001"])
    responses_export(wave=world.wave, path=tmp_path / "e.csv", fmt="csv")  # the command: no actor
    login(admin)
    response = client.get(reverse("research:response_export", args=[world.organisation.slug,
                                                                     world.wave.pk]), {"format": "xlsx"})
    assert response.status_code == 200
    b"".join(response.streaming_content)
    entries = list(AuditEntry.objects.filter(action=AuditAction.EXPORT_RESPONSES).order_by("pk"))
    assert [(e.actor_id, e.details) for e in entries] == [
        (None, {"format": "csv", "responses": 1}), (admin.user_id, {"format": "xlsx", "responses": 1})]
    assert all(e.target_id == world.wave.pk for e in entries)


def test_an_insights_export_is_recorded(world, admin, client, login):
    wave_set_status(wave=world.wave, status=WaveStatus.OPEN)
    response_record(wave=world.wave, answers=Answers(nps=9), source=ResponseSource.SURVEY,
                    customer=world.customers["K001"])
    login(admin)
    response = client.get(reverse("insights:export", args=[world.organisation.slug]),
                          {"table": "units"})
    assert response.status_code == 200
    entry = only(AuditAction.EXPORT_INSIGHTS)
    assert entry.actor_id == admin.user_id and entry.details["table"] == "units"
    assert_no_personal_data(entry, admin)


def test_a_personal_data_export_and_an_erasure_are_recorded_by_id(org, admin, employee, client, login):
    login(admin)
    response = client.get(reverse("privacy:export_json", args=[org.slug]),
                          {"email": employee.user.email})
    assert response.status_code == 200
    entry = only(AuditAction.EXPORT_PERSONAL_DATA)
    assert (entry.actor_id, entry.target_type, entry.target_id) == (admin.user_id, "membership", employee.pk)
    assert entry.details["memberships"] == [employee.pk] and entry.details["format"] == "json"
    assert_no_personal_data(entry, employee, admin)

    privacy_services.person_erase(organisation=org, email=employee.user.email, actor=admin)
    entry = only(AuditAction.ERASURE)
    assert (entry.actor_id, entry.target_id) == (admin.user_id, employee.pk)
    assert entry.details == {"contacts": [], "customers": [], "memberships": [employee.pk]}
    assert_no_personal_data(entry, "piet", "medewerker", admin)
    # Erasure keeps the log: the entries about the person are still there, naming nobody.
    assert AuditEntry.objects.filter(action=AuditAction.MEMBER_ADDED, target_id=employee.pk).exists()


def test_api_tokens_created_and_revoked_are_recorded(org, admin):
    api_token, token = api_token_create(organisation=org, user=admin.user, name="Koppeling")
    api_token_revoke(api_token=api_token, actor=admin)
    api_token_revoke(api_token=api_token, actor=admin)  # twice: still one entry
    created = only(AuditAction.API_TOKEN_CREATED)
    revoked = only(AuditAction.API_TOKEN_REVOKED)
    for entry in (created, revoked):
        assert (entry.target_type, entry.target_id, entry.actor_id) == ("apitoken", api_token.pk,
                                                                        admin.user_id)
        assert_no_personal_data(entry, admin, token, "koppeling")


def test_the_privacy_export_of_a_person_holds_the_entries_they_made(org, admin, employee):
    api_token_create(organisation=org, user=employee.user, name="Eigen token")
    data = privacy_selectors.person_data(org, employee.user.email)
    rows = data["tables"]["audit.AuditEntry"]
    assert {r["action"] for r in rows} == {AuditAction.API_TOKEN_CREATED}
    assert all(r["actor_id"] == employee.user_id for r in rows)


def test_an_import_interrupted_by_a_restart_is_recorded_as_failed_when_recovered(world, admin, tmp_path):
    from research.importing import jobs_recover
    from research.models import ImportJob

    path = write_csv(tmp_path / "a.csv", plain_rows(["R1", "K001", "T-N", "9", "", "8", "9", ""]))
    job = import_prepare(organisation=world.organisation, wave=world.wave, actor=admin, upload=path,
                         original_name=path.name)
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)  # the server stopped
    assert jobs_recover() == 1
    entry = only(AuditAction.IMPORT_RESPONSES)
    assert entry.details["job"] == job.pk and entry.details["status"] == "failed"
    assert entry.details["written"] is False and entry.actor_id == admin.user_id


def test_downloading_an_imports_refused_rows_is_recorded_as_an_export(world, admin, tmp_path, client, login):
    bad = write_csv(tmp_path / "b.csv", plain_rows(["R1", "K001", "T-N", "9", "", "8", "9", ""],
                                                   ["R2", "K999", "T-N", "12", "", "8", "9", ""]))
    job = _import(world, bad, admin, skip_invalid=True)
    login(admin)
    response = client.get(reverse("research:import_rejected", args=[world.organisation.slug, job.pk]))
    assert response.status_code == 200
    b"".join(response.streaming_content)
    entry = only(AuditAction.EXPORT_RESPONSES)
    assert entry.details == {"job": job.pk, "rejected_rows": True, "format": "csv"}
    assert_no_personal_data(entry, admin, "b.csv")


def test_a_customer_coming_in_through_a_personal_link_is_recorded_by_contact_id(org, admin, client):
    from accounts.models import MagicLinkPurpose
    from accounts.services import magic_link_issue
    from org.models import Contact, Customer

    customer = Customer.objects.create(organisation=org, name="Bakkerij Jansen", customer_number="K-9")
    contact = Contact.objects.create(customer=customer, name="Kees Klant", email="kees@klant.example")
    issued = magic_link_issue(contact=contact, purpose=MagicLinkPurpose.PORTAL, created_by=admin.user)
    assert client.get(reverse("accounts:magic_link", args=[issued.token])).status_code == 302
    assert client.get(reverse("accounts:magic_link", args=[issued.token])).status_code == 410
    entry = only(AuditAction.CUSTOMER_LINK_USED)
    assert (entry.organisation, entry.actor_id) == (org, None)
    assert (entry.target_type, entry.target_id) == ("contact", contact.pk)
    assert entry.details == {"purpose": "portal", "link": issued.link.pk}
    assert_no_personal_data(entry, contact, "kees", issued.token)


def test_responses_posted_through_the_api_are_recorded_as_an_import_and_a_refused_batch_is_not(
        world, admin, client):
    from django.core.cache import cache

    cache.clear()
    wave_set_status(wave=world.wave, status=WaveStatus.OPEN)
    _api_token, token = api_token_create(organisation=world.organisation, user=admin.user, name="Koppeling")
    url = f"/api/v1/waves/{world.wave.pk}/responses"
    headers = {"Authorization": f"Bearer {token}"}
    refused = client.post(url, [{"external_id": "1", "customer_number": "K-404", "nps": 9}],
                          content_type="application/json", headers=headers)
    assert refused.status_code == 422
    assert not AuditEntry.objects.filter(action=AuditAction.IMPORT_RESPONSES).exists()
    posted = client.post(url, [{"external_id": "1", "customer_number": "K001", "nps": 3,
                                "comment": "Bel Piet de Vries"}, {"external_id": "2", "nps": 9}],
                         content_type="application/json", headers=headers)
    assert posted.status_code == 201, posted.content
    entry = only(AuditAction.IMPORT_RESPONSES)
    assert (entry.actor_id, entry.target_type, entry.target_id) == (admin.user_id, "wave", world.wave.pk)
    assert entry.details["source"] == "api" and entry.details["imported"] == 2
    assert_no_personal_data(entry, admin, "piet", "k001")
    cache.clear()
