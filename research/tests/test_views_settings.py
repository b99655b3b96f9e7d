"""The organisation's survey settings: drivers, core values and competitors."""

import pytest
from django.urls import reverse

from accounts.models import Role
from research.models import Competitor, CoreValue, Driver, QuestionKind
from research.services import drivers_ensure_defaults, wave_create
from research.services_settings import competitor_create, core_value_create, driver_create

pytestmark = pytest.mark.django_db


def url(name, org, **kwargs):
    return reverse(f"research:{name}", kwargs={"org": org.slug, **kwargs})


@pytest.fixture
def cclient(org, make_member, login):
    return login(make_member(org, Role.CONSULTANT))


def test_settings_page_lists_drivers_core_values_and_competitors(org, other_org, cclient):
    drivers_ensure_defaults(organisation=org)
    core_value_create(organisation=org, name="Betrouwbaar")
    competitor_create(organisation=org, name="Centraal Beheer")
    competitor_create(organisation=other_org, name="Geheime concurrent")
    response = cclient.get(url("survey_settings", org))
    assert response.status_code == 200
    content = response.content.decode()
    assert "Bereikbaarheid" in content and "Betrouwbaar" in content
    assert "Centraal Beheer" in content and "Geheime concurrent" not in content


def test_add_and_rename_a_driver(org, cclient):
    response = cclient.post(url("driver_create", org), {
        "driver-name_nl": "Levertijd", "driver-name_en": "Delivery time",
        "driver-is_active": "on"})
    assert response.status_code == 302
    driver = Driver.objects.get(organisation=org, name_nl="Levertijd")
    assert driver.key == "levertijd" and driver.is_active
    response = cclient.post(url("driver_update", org, pk=driver.pk), {
        f"d{driver.pk}-name_nl": "Levertermijn", f"d{driver.pk}-name_en": "Lead time",
        f"d{driver.pk}-position": "3"})
    assert response.status_code == 302
    driver.refresh_from_db()
    assert (driver.name_nl, driver.name_en, driver.is_active, driver.position) == (
        "Levertermijn", "Lead time", False, 3)
    assert driver.key == "levertijd"  # waves stay comparable


def test_a_second_driver_with_the_same_name_gets_its_own_key(org):
    first = driver_create(organisation=org, name_nl="Service")
    second = driver_create(organisation=org, name_nl="Service")
    assert first.key == "service" and second.key == "service-2"


def test_settings_feed_the_default_questionnaire_of_new_waves(org, cclient):
    cclient.post(url("driver_create", org), {"driver-name_nl": "Levertijd",
                                             "driver-is_active": "on"})
    cclient.post(url("core_value_create", org), {"value-name": "Persoonlijk"})
    cclient.post(url("competitor_create", org), {"competitor-name": "Interpolis"})
    wave = wave_create(organisation=org, actor=None, name="Nieuw", copy_previous=False)
    subjects = {(q.kind, q.subject) for q in wave.questions.all()}
    assert (QuestionKind.DRIVER, "Levertijd") in subjects
    assert (QuestionKind.CORE_VALUE, "Persoonlijk") in subjects
    assert (QuestionKind.COMPETITOR, "Interpolis") in subjects


def test_remove_core_value_and_competitor(org, cclient):
    value = core_value_create(organisation=org, name="Betrouwbaar")
    competitor = competitor_create(organisation=org, name="Centraal Beheer")
    assert cclient.post(url("core_value_delete", org, pk=value.pk)).status_code == 302
    assert cclient.post(url("competitor_delete", org, pk=competitor.pk)).status_code == 302
    assert not CoreValue.objects.filter(organisation=org).exists()
    assert not Competitor.objects.filter(organisation=org).exists()


def test_duplicate_core_value_is_refused_with_a_message(org, cclient):
    core_value_create(organisation=org, name="Betrouwbaar")
    response = cclient.post(url("core_value_create", org), {"value-name": "betrouwbaar"})
    assert response.status_code == 400
    assert response.context["core_value_form"].errors["name"]
    assert CoreValue.objects.filter(organisation=org).count() == 1


def test_another_organisations_settings_objects_are_not_found(org, other_org, cclient):
    driver = driver_create(organisation=other_org, name_nl="Geheim")
    value = core_value_create(organisation=other_org, name="Geheim")
    competitor = competitor_create(organisation=other_org, name="Geheim")
    assert cclient.post(url("driver_update", org, pk=driver.pk),
                        {f"d{driver.pk}-name_nl": "Overgenomen"}).status_code == 404
    assert cclient.post(url("core_value_delete", org, pk=value.pk)).status_code == 404
    assert cclient.post(url("competitor_delete", org, pk=competitor.pk)).status_code == 404
    driver.refresh_from_db()
    assert driver.name_nl == "Geheim"
    assert CoreValue.objects.filter(pk=value.pk).exists()
    assert Competitor.objects.filter(pk=competitor.pk).exists()


@pytest.mark.parametrize("role", [Role.BOARD, Role.MANAGER, Role.EMPLOYEE, Role.MODERATOR])
def test_only_admins_and_consultants_change_survey_settings(org, make_member, login, role):
    client = login(make_member(org, role))
    assert client.get(url("survey_settings", org)).status_code == 403
    assert client.post(url("competitor_create", org),
                       {"competitor-name": "X"}).status_code == 403
    assert not Competitor.objects.exists()


def test_settings_write_urls_do_not_answer_get(org, cclient):
    assert cclient.get(url("driver_create", org)).status_code == 405
