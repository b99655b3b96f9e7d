"""Schemathesis over the whole OpenAPI schema: no generated request may cause a server
error, and every answer must match what the schema documents.

The schema is loaded from the application in-process (WSGI), after the database
holds an organisation with a token, a wave with a customer and a unit, so that part
of the generated requests reach real objects instead of 404.
"""

import zlib

import pytest
import schemathesis
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig

from accounts.api_tokens import api_token_create
from accounts.models import Role
from org.services import customer_create, unit_create
from outsidein.wsgi import application
from research.services import Answers, response_record, wave_create

pytestmark = pytest.mark.django_db

TOKEN = {}


@pytest.fixture
def api_data(db, org, make_member, settings):
    """A token for an admin of an organisation that has a unit, a customer and a wave."""
    settings.API_RATE_LIMIT_PER_MINUTE = 10**6
    cache.clear()
    admin = make_member(org, Role.ADMIN)
    root = org.units.get(depth=1)
    team = unit_create(organisation=org, parent=root, name="Team", code="T1")
    customer = customer_create(organisation=org, name="Klant", customer_number="K-1",
                               email="klant@example.com", unit=team)
    wave = wave_create(organisation=org, actor=admin, name="Meting")
    response_record(wave=wave, answers=Answers(nps=9, comment="Prima"), customer=customer,
                    external_id="seed")
    _api_token, TOKEN["value"] = api_token_create(organisation=org, user=admin.user,
                                                  name="schemathesis")
    TOKEN["wave"] = wave.pk
    # Like Django's test client: the WSGI handler must not close the connection that
    # holds the test's transaction at the end of each request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield TOKEN
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


# Loaded at collection: reading the schema touches no database. (schemathesis'
# from_fixture would load it lazily, but does not work with pytest 9.)
# A schema-valid post can still name a customer or unit that does not exist, or leave
# out an answer the wave's questionnaire requires: 409 and 422 are the right answers
# to valid *shapes*, so the positive-data check accepts them.
CONFIG = SchemathesisConfig.from_dict({"checks": {"positive_data_acceptance": {
    "expected-statuses": ["2xx", "401", "403", "404", "409", "422"]}}})
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application, config=CONFIG)


PLACEHOLDER = "token-of-this-test"


@schema.auth(refresh_interval=None)
class BearerToken:
    """Declare the bearer token to schemathesis, so it knows which cases test a missing
    token. Some cases are generated before the fixture runs, so the header carries a
    placeholder that the test swaps for the real token."""

    def get(self, case, context):
        return PLACEHOLDER

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@schema.parametrize()
@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.function_scoped_fixture])
def test_api_answers_every_generated_request_without_a_server_error(case, api_data):
    # Half of the valid generated requests are pointed at the real wave, so posting and
    # listing get past the 404 and into matching, validation and the database.
    positive = case.meta is None or case.meta.generation.mode.is_positive
    if positive and "id" in (case.path_parameters or {}) and zlib.crc32(repr(case.body).encode()) % 2:
        case.path_parameters["id"] = TOKEN["wave"]
    if case.headers and case.headers.get("Authorization") == f"Bearer {PLACEHOLDER}":
        case.headers["Authorization"] = f"Bearer {TOKEN['value']}"
    response = case.call()

    assert response.status_code < 500, response.text
    case.validate_response(response)
