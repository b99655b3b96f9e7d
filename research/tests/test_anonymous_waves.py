"""Anonymous waves store no link between a response and a customer, and no IP address or user
agent: on every path in (public link, service, API, import), in follow-ups, in logs, and in the
database itself (a trigger refuses the link whatever code writes it)."""

import json
import logging

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.db import IntegrityError, models, transaction
from django.urls import reverse

from accounts.models import Role
from org.models import Contact, Customer
from research.importing import Mapping
from research.models import FollowUp, Response, ResponseSource
from research.services import (
    AnonymousLinkRefused,
    Answers,
    response_record,
    wave_create,
    wave_public_link_issue,
    wave_set_status,
)
from research.services_settings import SettingInvalid, wave_update
from research.survey import invitations_create
from research.tests._import_support import build_world, import_file, plain_rows, write_csv

pytestmark = pytest.mark.django_db

IP, AGENT = "203.0.113.199", "Unieke-Browser/7.3 (privacytest)"


@pytest.fixture
def anon(org, make_member):
    admin = make_member(org, Role.ADMIN)
    wave = wave_create(organisation=org, actor=admin, name="Anoniem", is_anonymous=True)
    wave_set_status(wave=wave, status="open")
    customer = Customer.objects.create(organisation=org, name="Klant BV", customer_number="K-9",
                                       unit=org.units.get(depth=1))
    contact = Contact.objects.create(customer=customer, name="Sanne Smit", email="sanne@klant.example")
    return {"org": org, "admin": admin, "wave": wave, "customer": customer, "contact": contact}


def stored_anywhere(*needles) -> list[tuple[str, str]]:
    """Every (table, column) of every table whose text holds one of ``needles``."""
    hits = []
    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields
                  if isinstance(f, models.CharField | models.TextField | models.JSONField
                                | models.GenericIPAddressField | models.BinaryField)]
        if not fields:
            continue
        for row in model._base_manager.values_list(*(f.attname for f in fields)):
            for f, value in zip(fields, row, strict=True):
                if value is None:
                    continue
                if isinstance(value, bytes | memoryview):
                    value = bytes(value).decode("latin-1")
                text = value if isinstance(value, str) else json.dumps(value)
                if any(n in text for n in needles):
                    hits.append((model._meta.label, f.name))
    return hits


def test_the_public_link_stores_no_ip_address_or_user_agent_anywhere(anon, client, caplog):
    caplog.set_level(logging.DEBUG)
    url = reverse("survey:public", args=[wave_public_link_issue(wave=anon["wave"])])
    assert client.get(url, REMOTE_ADDR=IP, HTTP_USER_AGENT=AGENT).status_code == 200
    answered = client.post(url, {"q-nps": "1", "q-why": "Slecht", "q-contact-me": "1"},
                           REMOTE_ADDR=IP, HTTP_USER_AGENT=AGENT,
                           HTTP_X_FORWARDED_FOR=IP, HTTP_X_REAL_IP=IP)
    assert answered.status_code == 200
    response = Response.objects.get(wave=anon["wave"])
    assert (response.customer_id, response.contact_id, response.unit_id) == (None, None, None)
    # A detractor who asks to be called back: with no customer there is no one to call.
    assert response.contact_me and not FollowUp.objects.exists()
    assert stored_anywhere(IP, AGENT) == []
    assert not Session.objects.exists() and "sessionid" not in client.cookies
    assert IP not in caplog.text and AGENT not in caplog.text


def test_the_service_refuses_a_customer_or_contact_for_an_anonymous_wave(anon):
    for link in ({"contact": anon["contact"]}, {"customer": anon["customer"]}):
        with pytest.raises(AnonymousLinkRefused):
            response_record(wave=anon["wave"], answers=Answers(nps=5), **link)
    assert not Response.objects.exists()
    # Without a link it records, and drops a unit too.
    response = response_record(wave=anon["wave"], answers=Answers(nps=5),
                               unit=anon["customer"].unit)
    assert response.unit_id is None


def test_the_database_refuses_a_linked_response_in_an_anonymous_wave(anon):
    with pytest.raises(IntegrityError), transaction.atomic():
        Response.objects.create(organisation=anon["org"], wave=anon["wave"], customer=anon["customer"])
    with pytest.raises(IntegrityError), transaction.atomic():
        Response.objects.create(organisation=anon["org"], wave=anon["wave"], contact=anon["contact"])
    response = Response.objects.create(organisation=anon["org"], wave=anon["wave"], nps=7)
    with pytest.raises(IntegrityError), transaction.atomic():
        Response.objects.filter(pk=response.pk).update(contact=anon["contact"])
    assert Response.objects.get(pk=response.pk).contact_id is None


def test_the_database_refuses_to_make_a_wave_with_linked_responses_anonymous(anon):
    named = wave_create(organisation=anon["org"], actor=anon["admin"], name="Met namen")
    linked = Response.objects.create(organisation=anon["org"], wave=named, customer=anon["customer"])
    with pytest.raises(IntegrityError), transaction.atomic():
        type(named).objects.filter(pk=named.pk).update(is_anonymous=True)
    # Moving a linked response into the anonymous wave is refused as well.
    with pytest.raises(IntegrityError), transaction.atomic():
        Response.objects.filter(pk=linked.pk).update(wave=anon["wave"])


def test_a_wave_with_personal_invitations_cannot_become_anonymous(anon):
    named = wave_create(organisation=anon["org"], actor=anon["admin"], name="Uitnodigingen")
    wave_set_status(wave=named, status="open")
    invitations_create(wave=named, contacts=[anon["contact"]])
    with pytest.raises(SettingInvalid):
        wave_update(wave=named, name=named.name, is_anonymous=True)
    named.refresh_from_db()
    assert not named.is_anonymous


def test_the_api_refuses_a_customer_for_an_anonymous_wave(anon, client):
    from accounts.api_tokens import api_token_create

    token = api_token_create(organisation=anon["org"], user=anon["admin"].user, name="t")[1]
    url = f"/api/v1/waves/{anon['wave'].pk}/responses"
    body = [{"nps": 3, "customer_number": "K-9"}]
    refused = client.post(url, json.dumps(body), content_type="application/json",
                          HTTP_AUTHORIZATION=f"Bearer {token}", REMOTE_ADDR=IP, HTTP_USER_AGENT=AGENT)
    assert refused.status_code == 422
    accepted = client.post(url, json.dumps([{"nps": 3}]), content_type="application/json",
                           HTTP_AUTHORIZATION=f"Bearer {token}", REMOTE_ADDR=IP,
                           HTTP_USER_AGENT=AGENT)
    assert accepted.status_code in (200, 201), accepted.content
    stored = Response.objects.get(wave=anon["wave"])
    assert stored.customer_id is None and stored.source == ResponseSource.API
    assert stored_anywhere(IP, AGENT) == []


def test_an_import_into_an_anonymous_wave_drops_the_customer_column_and_says_so(
        org, make_member, tmp_path):
    world = build_world(org, make_member, anonymous=True)
    path = write_csv(tmp_path / "anon.csv", plain_rows(
        ["R1", "K001", "T-N", "2", "Bel me", "", "", ""],
        ["R2", "K002", "T-Z", "10", "", "", "", ""]))
    # The proposal leaves the customer column out; mapped by hand it is still not read.
    proposed = import_file(world, path, dry_run=True)
    assert Mapping.from_json(proposed.mapping).customer is None
    mapping = Mapping.from_json(proposed.mapping)
    mapping.customer = "klantnummer"
    job = import_file(world, path, mapping=mapping)
    assert job.result["imported"] == 2 and job.result["customer_column_ignored"] is True
    assert not Response.objects.filter(customer__isnull=False).exists()
    assert not FollowUp.objects.exists()


def test_the_guard_is_put_back_after_a_migrate_that_lost_it(anon):
    """SQLite drops a table's triggers when a migration rebuilds the table."""
    from django.db import connection

    from research.db_guards import anonymous_guard_drop, ensure_after_migrate

    anonymous_guard_drop(connection)
    ensure_after_migrate(sender=None)
    ensure_after_migrate(sender=None)  # idempotent
    with pytest.raises(IntegrityError), transaction.atomic():
        Response.objects.create(organisation=anon["org"], wave=anon["wave"], customer=anon["customer"])
