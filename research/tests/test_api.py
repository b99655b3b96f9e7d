"""The REST API: bearer tokens, capabilities, tenant scoping, each endpoint, and the
all-or-nothing posting of responses."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from accounts.api_tokens import api_token_authenticate, api_token_create, api_token_revoke
from accounts.models import ApiToken, Role
from accounts.services import membership_update
from org.models import Contact, Level, UnitKind
from org.services import contact_create, customer_create, unit_create
from research.models import FollowUp, FollowUpReason, Response, ResponseSource, WaveStatus
from research.services import Answers, response_record, wave_create, wave_set_status

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture(autouse=True)
def _clear_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(org, make_member):
    """An organisation with a team, an account owner, a customer with a contact, a wave."""
    root = org.units.get(depth=1)
    team = unit_create(organisation=org, parent=root, name="Team Noord", code="T-N",
                       kind=UnitKind.TEAM, level=Level.OPERATIONAL)
    other_team = unit_create(organisation=org, parent=root, name="Team Zuid", code="T-Z")
    admin = make_member(org, Role.ADMIN)
    owner = make_member(org, Role.EMPLOYEE, unit=team)
    customer = customer_create(organisation=org, name="Bakkerij De Korf", customer_number="K-1",
                               email="info@korf.example", unit=team, account_owner=owner)
    contact = contact_create(customer=customer, name="Anna de Korf", email="anna@korf.example")
    wave = wave_create(organisation=org, actor=admin, name="Voorjaar 2026")
    wave_set_status(wave=wave, status=WaveStatus.OPEN)
    _api_token, token = api_token_create(organisation=org, user=admin.user, name="Koppeling")
    return {"org": org, "team": team, "other_team": other_team, "admin": admin, "owner": owner,
            "customer": customer, "contact": contact, "wave": wave, "token": token}


def call(client, method, path, token=None, **kwargs):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if "json" in kwargs:
        kwargs["data"] = kwargs.pop("json")
        kwargs["content_type"] = "application/json"
    return getattr(client, method)(API + path, headers=headers, **kwargs)


# --- Authentication, permission, scoping ---------------------------------------------------

def test_request_without_token_is_401_with_the_error_shape(client, world):
    response = call(client, "get", "/waves")

    assert response.status_code == 401
    assert response.json() == {"detail": "Missing, invalid or revoked token.", "errors": []}
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_unknown_token_is_401(client, world):
    assert call(client, "get", "/waves", token="oi_not-a-real-token").status_code == 401


def test_revoked_token_is_401(client, world):
    api_token = ApiToken.objects.get(organisation=world["org"])
    api_token_revoke(api_token=api_token)

    assert call(client, "get", "/waves", token=world["token"]).status_code == 401


def test_token_of_a_deactivated_membership_is_401(client, world):
    admin = world["admin"]
    membership_update(membership=admin, name=admin.user.name, role=admin.role, is_active=False)

    assert call(client, "get", "/waves", token=world["token"]).status_code == 401


def test_token_of_an_inactive_user_is_401(client, world):
    user = world["admin"].user
    user.is_active = False
    user.save(update_fields=["is_active"])

    assert call(client, "get", "/waves", token=world["token"]).status_code == 401


def test_role_without_view_waves_is_403(client, world, make_member):
    employee = make_member(world["org"], Role.EMPLOYEE)
    _api_token, token = api_token_create(organisation=world["org"], user=employee.user,
                                         name="Eigen script")

    response = call(client, "get", "/waves", token=token)

    assert response.status_code == 403
    assert set(response.json()) == {"detail", "errors"}


def test_board_member_may_read_but_not_post_responses(client, world, make_member):
    board = make_member(world["org"], Role.BOARD)
    _api_token, token = api_token_create(organisation=world["org"], user=board.user, name="BI")
    wave = world["wave"]

    assert call(client, "get", f"/waves/{wave.pk}", token=token).status_code == 200
    response = call(client, "post", f"/waves/{wave.pk}/responses", token=token, json={"nps": 9})
    assert response.status_code == 403
    assert not Response.objects.exists()


def test_wave_of_another_organisation_is_404(client, world, other_org, make_member):
    stranger = make_member(other_org, Role.ADMIN)
    foreign = wave_create(organisation=other_org, actor=stranger, name="Hun meting")

    for method, path, kwargs in (("get", f"/waves/{foreign.pk}", {}),
                                 ("get", f"/waves/{foreign.pk}/responses", {}),
                                 ("post", f"/waves/{foreign.pk}/responses", {"json": {"nps": 9}})):
        response = call(client, method, path, token=world["token"], **kwargs)
        assert response.status_code == 404, path
        assert response.json() == {"detail": "Not found.", "errors": []}
    assert not Response.objects.exists()


def test_token_of_one_organisation_lists_only_its_waves(client, world, other_org, make_member):
    stranger = make_member(other_org, Role.ADMIN)
    wave_create(organisation=other_org, actor=stranger, name="Hun meting")

    body = call(client, "get", "/waves", token=world["token"]).json()

    assert [w["name"] for w in body["items"]] == ["Voorjaar 2026"]


def test_rate_limit_answers_429_with_retry_after(client, world, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 3

    statuses = [call(client, "get", "/waves", token=world["token"]).status_code
                for _ in range(4)]

    assert statuses == [200, 200, 200, 429]
    response = call(client, "get", "/waves", token=world["token"])
    assert response.json()["detail"] and int(response["Retry-After"]) >= 1


def test_authenticate_writes_last_used_at_at_most_once_a_minute(world):
    api_token = api_token_authenticate(world["token"])
    first = ApiToken.objects.get(pk=api_token.pk).last_used_at
    assert first is not None

    api_token_authenticate(world["token"])
    assert ApiToken.objects.get(pk=api_token.pk).last_used_at == first

    ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=first - timedelta(minutes=2))
    api_token_authenticate(world["token"])
    assert ApiToken.objects.get(pk=api_token.pk).last_used_at > first - timedelta(minutes=1)


def test_only_the_tokens_hash_is_stored(world):
    api_token = ApiToken.objects.get(organisation=world["org"])

    assert world["token"] not in api_token.token_hash
    assert api_token.token_hash == ApiToken.hash_token(world["token"])


# --- Reading ----------------------------------------------------------------------------------

def test_openapi_schema_is_served_without_a_token(client):
    response = client.get(f"{API}/openapi.json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["info"]["title"] == "Outside-In API"
    assert {"/api/v1/waves", "/api/v1/waves/{id}", "/api/v1/waves/{id}/responses"} <= set(
        schema["paths"])
    assert schema["components"]["securitySchemes"]["TokenAuth"]["scheme"] == "bearer"


def test_docs_page_is_not_served_because_it_needs_a_cdn(client):
    assert client.get(f"{API}/docs").status_code == 404


def test_wave_list_is_paginated_with_response_counts(client, world):
    org, admin = world["org"], world["admin"]
    wave_create(organisation=org, actor=admin, name="Najaar 2026")
    response_record(wave=world["wave"], answers=Answers(nps=9), customer=world["customer"])

    page1 = call(client, "get", "/waves?limit=1", token=world["token"]).json()
    page2 = call(client, "get", "/waves?limit=1&offset=1", token=world["token"]).json()

    assert page1["count"] == page2["count"] == 2
    assert len(page1["items"]) == len(page2["items"]) == 1
    counts = {item["name"]: item["response_count"] for item in page1["items"] + page2["items"]}
    assert counts == {"Voorjaar 2026": 1, "Najaar 2026": 0}


def test_wave_detail_includes_the_questionnaire(client, world):
    wave = world["wave"]

    body = call(client, "get", f"/waves/{wave.pk}", token=world["token"]).json()

    assert body["name"] == "Voorjaar 2026" and body["status"] == "open"
    keys = [q["key"] for q in body["questions"]]
    assert keys[:2] == ["nps", "why"] and "improve" in keys
    nps = body["questions"][0]
    assert nps["kind"] == "nps" and nps["scale_max"] == 10 and nps["text_nl"]


def test_response_list_filters_by_unit_and_since(client, world):
    wave = world["wave"]
    early = response_record(wave=wave, answers=Answers(nps=9), customer=world["customer"],
                            external_id="a")
    Response.objects.filter(pk=early.pk).update(updated_at=timezone.now() - timedelta(days=3))
    late = response_record(wave=wave, answers=Answers(nps=3), unit=world["other_team"],
                           external_id="b")
    since = (timezone.now() - timedelta(days=1)).isoformat()

    everything = call(client, "get", f"/waves/{wave.pk}/responses", token=world["token"]).json()
    in_team = call(client, "get", f"/waves/{wave.pk}/responses", token=world["token"],
                   data={"unit": "T-N"}).json()
    recent = call(client, "get", f"/waves/{wave.pk}/responses", token=world["token"],
                  data={"since": since}).json()

    assert [r["id"] for r in everything["items"]] == [early.pk, late.pk]
    assert [r["external_id"] for r in in_team["items"]] == ["a"]
    assert in_team["items"][0]["customer_number"] == "K-1"
    assert in_team["items"][0]["unit"] == "T-N"
    assert [r["id"] for r in recent["items"]] == [late.pk] and recent["count"] == 1


def test_response_list_refuses_an_unknown_unit_code(client, world):
    wave = world["wave"]

    response = call(client, "get", f"/waves/{wave.pk}/responses", token=world["token"],
                    data={"unit": "NOPE"})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "unit"


# --- Posting ----------------------------------------------------------------------------------

def test_post_one_response_matches_customer_and_creates_a_follow_up(client, world):
    wave = world["wave"]
    scores_key = "bereikbaarheid"

    response = call(client, "post", f"/waves/{wave.pk}/responses", token=world["token"], json={
        "external_id": "QX-1", "customer_number": "K-1", "nps": 4, "comment": "Slecht bereikbaar",
        "improvement": "Bel terug", "scores": {scores_key: 3}, "attributes": {"kanaal": "Telefoon"},
        "language": "nl",
    })

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["created"] == 1 and body["follow_ups"] == 1
    saved = Response.objects.get(pk=body["ids"][0])
    assert (saved.customer, saved.unit, saved.source) == (world["customer"], world["team"],
                                                          ResponseSource.API)
    assert saved.scores == {scores_key: 3} and saved.attributes == {"kanaal": "Telefoon"}
    follow_up = FollowUp.objects.get(response=saved)
    assert follow_up.owner == world["owner"] and follow_up.reason == FollowUpReason.DETRACTOR


def test_post_a_list_matches_by_contact_email_and_unit_code(client, world):
    wave = world["wave"]
    items = [
        {"external_id": "1", "customer_email": "ANNA@korf.example", "nps": 10,
         "competitors": {}},
        {"external_id": "2", "unit": "T-Z", "nps": 8, "contact_me": True},
    ]

    response = call(client, "post", f"/waves/{wave.pk}/responses", token=world["token"],
                    json=items)

    assert response.status_code == 201, response.content
    first, second = Response.objects.filter(wave=wave).order_by("external_id")
    assert first.contact == world["contact"] and first.customer == world["customer"]
    assert second.customer is None and second.unit == world["other_team"]
    # No customer to call back: a contact request without a customer makes no follow-up.
    assert response.json()["follow_ups"] == 0


def test_post_a_batch_with_one_bad_item_writes_nothing(client, world):
    wave = world["wave"]
    items = [{"external_id": str(n), "customer_number": "K-1", "nps": 9} for n in range(5)]
    items[3]["customer_number"] = "K-404"

    response = call(client, "post", f"/waves/{wave.pk}/responses", token=world["token"],
                    json=items)

    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"index": 3, "field": "customer_number",
         "message": "is not a customer of this organisation"}]
    assert not Response.objects.exists() and not FollowUp.objects.exists()


def test_post_reports_every_problem_by_item_and_field(client, world):
    wave = world["wave"]
    items = [
        {"unit": "XX", "nps": 7},
        {"scores": {"bereikbaarheid": 11, "onbekend": 5}, "nps": 5},
        {"customer_email": "nobody@example.com", "nps": 6},
        {"competitors": {"Nobody Verzekeringen": "better"}, "nps": 6},
    ]

    response = call(client, "post", f"/waves/{wave.pk}/responses", token=world["token"],
                    json=items)

    assert response.status_code == 422
    problems = {(e["index"], e["field"]) for e in response.json()["errors"]}
    assert problems == {(0, "unit"), (1, "bereikbaarheid"), (1, "onbekend"),
                        (2, "customer_email"), (3, "Nobody Verzekeringen")}
    assert not Response.objects.exists()


def test_schema_violations_use_the_same_error_shape_with_the_item_index(client, world):
    wave = world["wave"]

    response = call(client, "post", f"/waves/{wave.pk}/responses", token=world["token"],
                    json=[{"nps": 5}, {"nps": 12}])

    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [(e["index"], e["field"]) for e in errors] == [(1, "nps")]
    assert not Response.objects.exists()


def test_post_more_than_a_thousand_items_is_refused(client, world):
    wave = world["wave"]

    response = call(client, "post", f"/waves/{wave.pk}/responses", token=world["token"],
                    json=[{"nps": 5}] * 1001)

    assert response.status_code == 422
    assert not Response.objects.exists()


def test_reposting_an_external_id_is_a_409_conflict(client, world):
    wave = world["wave"]
    path = f"/waves/{wave.pk}/responses"
    assert call(client, "post", path, token=world["token"],
                json={"external_id": "QX-7", "nps": 9}).status_code == 201

    again = call(client, "post", path, token=world["token"], json={"external_id": "QX-7", "nps": 9})
    twice = call(client, "post", path, token=world["token"],
                 json=[{"external_id": "N-1", "nps": 9}, {"external_id": "N-1", "nps": 8}])

    assert again.status_code == 409 and again.json()["errors"][0]["field"] == "external_id"
    assert twice.status_code == 409 and twice.json()["errors"][0]["index"] == 1
    assert Response.objects.filter(wave=wave).count() == 1


def test_post_refuses_a_nul_character_instead_of_failing_in_the_database(client, world):
    wave = world["wave"]

    response = call(client, "post", f"/waves/{wave.pk}/responses", token=world["token"],
                    json={"nps": 9, "comment": "a\x00b"})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "comment"


def test_post_without_the_required_nps_is_refused(client, world):
    wave = world["wave"]

    response = call(client, "post", f"/waves/{wave.pk}/responses", token=world["token"],
                    json={"comment": "Geen cijfer"})

    assert response.status_code == 422
    assert response.json()["errors"] == [{"index": 0, "field": "nps", "message": "is required"}]


def test_malformed_json_is_a_400_with_the_error_shape(client, world):
    wave = world["wave"]

    response = client.post(f"{API}/waves/{wave.pk}/responses", data="{nope",
                           content_type="application/json",
                           headers={"Authorization": f"Bearer {world['token']}"})

    assert response.status_code == 400
    assert set(response.json()) == {"detail", "errors"}


def test_post_does_not_need_a_csrf_token(world):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = call(client, "post", f"/waves/{world['wave'].pk}/responses", token=world["token"],
                    json={"nps": 9})

    assert response.status_code == 201


def test_anonymous_wave_refuses_customer_keys(client, world):
    org, admin = world["org"], world["admin"]
    anonymous = wave_create(organisation=org, actor=admin, name="Anoniem", is_anonymous=True)

    refused = call(client, "post", f"/waves/{anonymous.pk}/responses", token=world["token"],
                   json={"nps": 9, "customer_number": "K-1"})
    accepted = call(client, "post", f"/waves/{anonymous.pk}/responses", token=world["token"],
                    json={"nps": 9})

    assert refused.status_code == 422 and accepted.status_code == 201
    assert Response.objects.get(wave=anonymous).customer is None


def test_contacts_of_two_customers_with_one_address_are_ambiguous(client, world):
    org = world["org"]
    twin = customer_create(organisation=org, name="Korf Holding", customer_number="K-2",
                           email="holding@korf.example", unit=world["team"])
    Contact.objects.create(customer=twin, name="Anna de Korf", email="anna@korf.example")

    response = call(client, "post", f"/waves/{world['wave'].pk}/responses", token=world["token"],
                    json={"customer_email": "anna@korf.example", "nps": 9})
    by_number = call(client, "post", f"/waves/{world['wave'].pk}/responses",
                     token=world["token"],
                     json={"customer_number": "K-2", "customer_email": "anna@korf.example",
                           "nps": 9})

    assert response.status_code == 422
    assert "more than one" in response.json()["errors"][0]["message"]
    assert by_number.status_code == 201
    assert Response.objects.get().customer == twin
