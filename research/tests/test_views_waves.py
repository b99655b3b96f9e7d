"""The wave pages: list, create (with the questionnaire's source), detail, edit, status."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from org.models import Level, UnitKind
from org.services import customer_create, unit_create
from research.models import Question, QuestionKind, Response, Wave, WaveStatus
from research.services import Answers, response_record, wave_create

pytestmark = pytest.mark.django_db


def url(name, org, **kwargs):
    return reverse(f"research:{name}", kwargs={"org": org.slug, **kwargs})


@pytest.fixture
def consultant(org, make_member):
    return make_member(org, Role.CONSULTANT)


@pytest.fixture
def wave(org):
    return wave_create(organisation=org, actor=None, name="Meting voorjaar")


def test_wave_list_shows_question_and_response_counts_in_one_query(org, consultant, login):
    first = wave_create(organisation=org, actor=None, name="Meting 2023")
    wave_create(organisation=org, actor=None, name="Meting 2024")
    wave_set_open(first)
    response_record(wave=first, answers=Answers(nps=9))
    response_record(wave=first, answers=Answers(nps=3))
    client = login(consultant)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url("wave_list", org))
    research_queries = [q["sql"] for q in queries.captured_queries if "research_" in q["sql"]]
    assert len(research_queries) == 1, research_queries
    assert response.status_code == 200
    waves = {w.name: w for w in response.context["waves"]}
    assert waves["Meting 2023"].response_count == 2
    assert waves["Meting 2024"].response_count == 0
    assert waves["Meting 2023"].question_count == first.questions.count() > 0
    assert "Meting 2023" in response.content.decode()


def wave_set_open(wave):
    wave.status = WaveStatus.OPEN
    wave.save(update_fields=["status"])


def test_wave_list_shows_only_the_organisations_waves(org, other_org, consultant, login):
    wave_create(organisation=other_org, actor=None, name="Meting van de rivaal")
    wave_create(organisation=org, actor=None, name="Onze meting")
    content = login(consultant).get(url("wave_list", org)).content.decode()
    assert "Onze meting" in content
    assert "Meting van de rivaal" not in content


def test_create_wave_copies_the_previous_wave_questionnaire_by_default(org, consultant, login,
                                                                        wave):
    wave.questions.filter(kind=QuestionKind.DRIVER).delete()
    Question.objects.create(wave=wave, key="wachttijd", kind=QuestionKind.DRIVER,
                            text_nl="Hoe beoordeel je de wachttijd?", position=50)
    response = login(consultant).post(url("wave_create", org), {
        "name": "Meting najaar", "period_start": "2025-09-01", "period_end": "2025-10-31",
        "questionnaire": "previous"})
    new = Wave.objects.get(organisation=org, name="Meting najaar")
    assert response.status_code == 302 and response.url == new.get_absolute_url()
    keys = list(new.questions.values_list("key", flat=True))
    assert keys == list(wave.questions.values_list("key", flat=True))
    assert "wachttijd" in keys
    assert new.status == WaveStatus.DRAFT and new.created_by == consultant.user


def test_create_wave_from_defaults_ignores_earlier_waves(org, consultant, login, wave):
    Question.objects.create(wave=wave, key="wachttijd", kind=QuestionKind.DRIVER,
                            text_nl="Wachttijd?", position=50)
    login(consultant).post(url("wave_create", org), {"name": "Vers", "questionnaire": "defaults"})
    keys = set(Wave.objects.get(name="Vers").questions.values_list("key", flat=True))
    assert "nps" in keys and "snelheid" in keys and "wachttijd" not in keys


def test_create_wave_can_copy_a_chosen_wave(org, consultant, login, wave):
    chosen = wave_create(organisation=org, actor=None, name="Klein", copy_previous=False)
    chosen.questions.exclude(key__in=["nps", "why"]).delete()
    login(consultant).post(url("wave_create", org), {
        "name": "Kopie", "questionnaire": "wave", "copy_from": chosen.pk})
    assert set(Wave.objects.get(name="Kopie").questions.values_list("key", flat=True)) == {
        "nps", "why"}


def test_create_wave_form_offers_only_the_organisations_waves(org, other_org, consultant,
                                                               login, wave):
    foreign = wave_create(organisation=other_org, actor=None, name="Vreemd")
    client = login(consultant)
    form = client.get(url("wave_create", org)).context["form"]
    assert list(form.fields["copy_from"].queryset) == [wave]
    response = client.post(url("wave_create", org), {
        "name": "Poging", "questionnaire": "wave", "copy_from": foreign.pk})
    assert response.status_code == 200
    assert "copy_from" in response.context["form"].errors
    assert not Wave.objects.filter(name="Poging").exists()


def test_create_wave_refuses_a_duplicate_name_and_a_backward_period(org, consultant, login,
                                                                     wave):
    response = login(consultant).post(url("wave_create", org), {
        "name": "Meting voorjaar", "period_start": "2025-05-01", "period_end": "2025-04-01",
        "questionnaire": "previous"})
    errors = response.context["form"].errors
    assert "name" in errors and "period_end" in errors
    assert Wave.objects.filter(organisation=org).count() == 1


def test_wave_detail_shows_responses_per_top_level_unit(org, consultant, login, wave):
    root = org.units.get(depth=1)
    north = unit_create(organisation=org, parent=root, name="Regio Noord",
                        kind=UnitKind.REGION, level=Level.TACTICAL)
    team = unit_create(organisation=org, parent=north, name="Team Groningen",
                       kind=UnitKind.TEAM, level=Level.OPERATIONAL)
    unit_create(organisation=org, parent=root, name="Regio Zuid", kind=UnitKind.REGION,
                level=Level.TACTICAL)
    customer = customer_create(organisation=org, name="Klant", customer_number="K1", unit=team)
    wave_set_open(wave)
    response_record(wave=wave, answers=Answers(nps=8), customer=customer)
    response_record(wave=wave, answers=Answers(nps=10), unit=north)
    response_record(wave=wave, answers=Answers(nps=2))
    response = login(consultant).get(url("wave_detail", org, pk=wave.pk))
    counts = response.context["counts"]
    assert counts.total == 3
    by_name = {(row.unit.name if row.unit else None): row.count for row in counts.by_unit}
    assert by_name == {"Regio Noord": 2, "Regio Zuid": 0, None: 1}
    content = response.content.decode()
    assert "Regio Noord" in content and "Team Groningen" not in content


def test_wave_status_opens_closes_and_reopens(org, consultant, login, wave):
    client = login(consultant)
    for status in ("open", "closed", "open"):
        response = client.post(url("wave_status", org, pk=wave.pk), {"status": status})
        assert response.status_code == 302
        wave.refresh_from_db()
        assert wave.status == status


def test_wave_status_refuses_a_jump_back_to_draft(org, consultant, login, wave):
    wave_set_open(wave)
    login(consultant).post(url("wave_status", org, pk=wave.pk), {"status": "draft"})
    wave.refresh_from_db()
    assert wave.status == WaveStatus.OPEN


def test_wave_update_saves_name_and_period(org, consultant, login, wave):
    response = login(consultant).post(url("wave_update", org, pk=wave.pk), {
        "name": "Meting voorjaar 2025", "period_start": "2025-03-01", "period_end": "2025-04-30",
        "is_anonymous": "on"})
    assert response.status_code == 302
    wave.refresh_from_db()
    assert wave.name == "Meting voorjaar 2025" and str(wave.period_end) == "2025-04-30"
    assert wave.is_anonymous


def test_wave_update_keeps_anonymity_once_there_are_responses(org, consultant, login, wave):
    wave_set_open(wave)
    response_record(wave=wave, answers=Answers(nps=7))
    login(consultant).post(url("wave_update", org, pk=wave.pk), {
        "name": "Meting voorjaar", "is_anonymous": "on"})
    wave.refresh_from_db()
    assert wave.is_anonymous is False


@pytest.mark.parametrize("role", [Role.EMPLOYEE, Role.MODERATOR])
def test_employees_and_moderators_cannot_see_waves(org, make_member, login, wave, role):
    client = login(make_member(org, role))
    assert client.get(url("wave_list", org)).status_code == 403
    assert client.get(url("wave_detail", org, pk=wave.pk)).status_code == 403
    assert client.get(url("response_list", org, pk=wave.pk)).status_code == 403


def test_managers_see_waves_but_cannot_change_them(org, make_member, login, wave):
    client = login(make_member(org, Role.MANAGER))
    assert client.get(url("wave_list", org)).status_code == 200
    detail = client.get(url("wave_detail", org, pk=wave.pk))
    assert detail.status_code == 200
    assert url("wave_update", org, pk=wave.pk) not in detail.content.decode()
    assert url("import_upload", org, pk=wave.pk) not in detail.content.decode()
    assert client.get(url("wave_create", org)).status_code == 403
    assert client.post(url("wave_status", org, pk=wave.pk), {"status": "open"}).status_code == 403
    assert client.get(url("wave_update", org, pk=wave.pk)).status_code == 403


def test_another_organisations_wave_is_not_found(org, other_org, consultant, login):
    foreign = wave_create(organisation=other_org, actor=None, name="Vreemd")
    client = login(consultant)
    for name in ("wave_detail", "wave_update", "response_list", "questionnaire_edit"):
        assert client.get(url(name, org, pk=foreign.pk)).status_code == 404
    assert client.post(url("wave_status", org, pk=foreign.pk),
                       {"status": "open"}).status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == WaveStatus.DRAFT
    assert not Response.objects.exists()
