import datetime

import pytest
from django.contrib.auth import get_user_model

from accounts.models import Role
from audit.models import AppendOnly, AuditAction, AuditEntry
from audit.services import DetailsInvalid, audit_record, email_hash

pytestmark = pytest.mark.django_db


def test_an_entry_is_stamped_by_the_database_in_utc(org, admin):
    before = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=5)
    entry = audit_record(action=AuditAction.EXPORT_RESPONSES, organisation=org, actor=admin,
                         target=("wave", 12), details={"format": "csv", "responses": 3})
    entry = AuditEntry.objects.get(pk=entry.pk)
    assert entry.created_at.utcoffset() == datetime.timedelta(0)
    assert before <= entry.created_at <= datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=5)
    assert (entry.actor_id, entry.target_type, entry.target_id) == (admin.user_id, "wave", 12)


def test_entries_are_append_only(org, admin):
    entry = audit_record(action=AuditAction.EXPORT_RESPONSES, organisation=org, actor=admin)
    entry.details = {"responses": 1}
    with pytest.raises(AppendOnly):
        entry.save()
    with pytest.raises(AppendOnly):
        entry.delete()
    with pytest.raises(AppendOnly):
        AuditEntry.objects.filter(pk=entry.pk).update(action=AuditAction.ERASURE)
    with pytest.raises(AppendOnly):
        AuditEntry.objects.filter(pk=entry.pk).delete()
    assert AuditEntry.objects.get(pk=entry.pk).details == {}


def test_deleting_a_user_keeps_their_entries_without_an_actor(org, make_member):
    member = make_member(org, Role.ADMIN)
    entry = audit_record(action=AuditAction.EXPORT_RESPONSES, organisation=org, actor=member)
    get_user_model().objects.filter(pk=member.user_id).delete()
    assert AuditEntry.objects.get(pk=entry.pk).actor_id is None


def test_deleting_the_organisation_removes_its_entries(org, admin):
    audit_record(action=AuditAction.EXPORT_RESPONSES, organisation=org, actor=admin)
    org.delete()
    assert not AuditEntry.objects.exists()


@pytest.mark.parametrize("details", [
    {"email": "anna@acme.example"},
    {"name": "Anna Beheer"},
    {"ip": "127.0.0.1"},
    {"note": "vrije tekst"},
    {"ids": [1, "anna@acme.example"]},
    {"nested": {"who": "Anna Beheer"}},
    {"Anna Beheer": 1},
])
def test_details_refuse_anything_but_counts_ids_and_machine_words(org, details):
    with pytest.raises(DetailsInvalid):
        audit_record(action=AuditAction.EXPORT_RESPONSES, organisation=org, details=details)
    assert not AuditEntry.objects.exists()


def test_an_unknown_action_is_refused(org):
    with pytest.raises(ValueError, match="Unknown audit action"):
        audit_record(action="coffee_made", organisation=org)


def test_the_email_hash_is_keyed_and_normalised(settings):
    digest = email_hash("  Anna.Beheer@ACME.example ")
    assert digest == email_hash("anna.beheer@acme.example")
    assert len(digest) == 64 and "anna" not in digest
    settings.SECRET_KEY = "another-secret-key-for-this-test-only-0123456789"
    assert email_hash("anna.beheer@acme.example") != digest


def test_site_administrators_read_the_log_in_the_django_admin_but_cannot_change_it(client, org, admin):
    from django.urls import reverse

    entry = audit_record(action=AuditAction.EXPORT_RESPONSES, organisation=org, actor=admin)
    superuser = get_user_model().objects.create_superuser(email="root@example.nl", password="x-1234567",
                                                          name="Root")
    client.force_login(superuser)
    assert client.get(reverse("admin:audit_auditentry_changelist")).status_code == 200
    assert client.get(reverse("admin:audit_auditentry_delete", args=[entry.pk])).status_code == 403
    assert client.post(reverse("admin:audit_auditentry_change", args=[entry.pk]), {}).status_code == 403
