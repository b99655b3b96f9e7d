"""A person's export holds the audit entries they made; erasure keeps the log, naming nobody."""

import json

import pytest

from accounts.api_tokens import api_token_create, api_token_revoke
from audit.models import AuditAction, AuditEntry
from audit.services import login_record
from privacy import selectors, services
from privacy.tests.conftest import JAN, JAN_EMAIL, MARIEKE_EMAIL

pytestmark = pytest.mark.django_db


@pytest.fixture
def jan_acted(pworld):
    """Jan (seeded across every table) logged in and made and revoked an API token."""
    login_record(user=pworld.jan.user)
    token, _text = api_token_create(organisation=pworld.org, user=pworld.jan.user, name="Koppeling")
    api_token_revoke(api_token=token, actor=pworld.jan)
    return set(AuditEntry.objects.filter(actor=pworld.jan.user).values_list("pk", flat=True))


def test_the_employees_export_holds_every_audit_entry_they_made(pworld, jan_acted, make_org, make_member):
    elsewhere = make_org(slug="elders")
    make_member(elsewhere, email=JAN_EMAIL, name=JAN)
    login_record(user=pworld.jan.user)  # now one entry here and one in the other organisation
    mine = set(AuditEntry.objects.filter(actor=pworld.jan.user, organisation=pworld.org)
               .values_list("pk", flat=True))
    assert len(mine) == len(jan_acted) + 1 >= 4

    data = selectors.person_data(pworld.org, JAN_EMAIL)
    rows = data["tables"]["audit.AuditEntry"]
    assert {r["id"] for r in rows} == mine  # all of them, and not the other organisation's
    assert {r["action"] for r in rows} == {AuditAction.LOGIN_SUCCEEDED, AuditAction.API_TOKEN_CREATED,
                                           AuditAction.API_TOKEN_REVOKED}
    assert not any("hash" in key for r in rows for key in r)


def test_a_customer_contacts_export_holds_no_staff_audit_entries(pworld, jan_acted):
    data = selectors.person_data(pworld.org, MARIEKE_EMAIL)
    assert "audit.AuditEntry" not in data["tables"]


def test_erasure_keeps_the_audit_entries_and_they_name_nobody(pworld, jan_acted):
    services.person_erase(organisation=pworld.org, email=JAN_EMAIL, actor=pworld.admin)
    kept = set(AuditEntry.objects.filter(actor=pworld.jan.user).values_list("pk", flat=True))
    assert jan_acted <= kept
    text = json.dumps(list(AuditEntry.objects.filter(organisation=pworld.org).values()),
                      default=str).lower()
    for word in ("jan jansen", JAN_EMAIL, "marieke", "devries"):
        assert word not in text
    erasure = AuditEntry.objects.get(action=AuditAction.ERASURE)
    assert erasure.details["memberships"] == [pworld.jan.pk]
