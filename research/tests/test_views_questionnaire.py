"""The questionnaire editor, its JSON export and import, and copying from another wave."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Role
from research.models import QuestionKind, WaveStatus
from research.services import Answers, response_record, wave_create

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(settings):
    """Assert on the English source strings, whatever the Dutch catalogue says."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


def url(name, org, **kwargs):
    return reverse(f"research:{name}", kwargs={"org": org.slug, **kwargs})


@pytest.fixture
def cclient(org, make_member, login):
    return login(make_member(org, Role.CONSULTANT))


@pytest.fixture
def wave(org):
    return wave_create(organisation=org, actor=None, name="Meting voorjaar")


def keys(wave):
    return list(wave.questions.order_by("position").values_list("key", flat=True))


def formset_data(formset, extra_rows=()):
    """Return POST data for the editor's formset as the page shows it, plus new rows."""
    data = {}
    rows = [dict(form.initial) for form in formset.forms if form.initial] + list(extra_rows)
    for i, row in enumerate(rows):
        for name in ("key", "kind", "text_nl", "text_en", "subject", "scale_max", "options"):
            data[f"q-{i}-{name}"] = row.get(name, "")
        if row.get("is_required"):
            data[f"q-{i}-is_required"] = "on"
        if row.get("DELETE"):
            data[f"q-{i}-DELETE"] = "on"
        data[f"q-{i}-ORDER"] = row.get("ORDER", i + 1)
    data.update({"q-TOTAL_FORMS": len(rows), "q-INITIAL_FORMS": 0, "q-MIN_NUM_FORMS": 0,
                 "q-MAX_NUM_FORMS": 1000})
    return data


def test_editor_saves_changed_deleted_moved_and_new_questions(org, cclient, wave):
    page = cclient.get(url("questionnaire_edit", org, pk=wave.pk))
    assert page.status_code == 200 and not page.context["locked"]
    formset = page.context["formset"]
    rows = [dict(form.initial) for form in formset.forms if form.initial]
    by_key = {row["key"]: row for row in rows}
    by_key["why"]["text_nl"] = "Waarom geef je dit cijfer?"
    by_key["snelheid"]["DELETE"] = True
    by_key["improve"]["ORDER"] = 0  # first
    new = {"key": "levertijd", "kind": QuestionKind.DRIVER, "text_nl": "Hoe snel leveren we?",
           "subject": "Levertijd", "scale_max": 5, "ORDER": 99}
    data = formset_data(formset, [new])
    data.update({f"q-{i}-{k}": v for i, row in enumerate(rows) for k, v in
                 (("text_nl", row["text_nl"]), ("ORDER", row.get("ORDER", i + 1)))})
    for i, row in enumerate(rows):
        if row.get("DELETE"):
            data[f"q-{i}-DELETE"] = "on"
    response = cclient.post(url("questionnaire_edit", org, pk=wave.pk), data)
    assert response.status_code == 302, response.context["formset"].errors
    result = keys(wave)
    assert result[0] == "improve" and result[-1] == "levertijd"
    assert "snelheid" not in result
    assert wave.questions.get(key="why").text_nl == "Waarom geef je dit cijfer?"
    assert wave.questions.get(key="levertijd").scale_max == 5


def test_editor_refuses_duplicate_keys(org, cclient, wave):
    formset = cclient.get(url("questionnaire_edit", org, pk=wave.pk)).context["formset"]
    before = keys(wave)
    data = formset_data(formset, [{"key": "why", "kind": QuestionKind.OPEN, "text_nl": "Nog eens?"}])
    response = cclient.post(url("questionnaire_edit", org, pk=wave.pk), data)
    assert response.status_code == 200
    formset = response.context["formset"]
    assert "Two questions have the same key." in formset.non_form_errors(), formset.errors
    assert keys(wave) == before


def test_add_a_question_shows_one_more_empty_form_without_saving(org, cclient, wave):
    formset = cclient.get(url("questionnaire_edit", org, pk=wave.pk)).context["formset"]
    data = formset_data(formset)
    data["add"] = "1"
    response = cclient.post(url("questionnaire_edit", org, pk=wave.pk), data)
    assert response.status_code == 200
    assert len(response.context["formset"].forms) == len(formset.initial) + 1


def test_questionnaire_is_read_only_once_the_wave_has_responses(org, cclient, wave):
    wave.status = WaveStatus.OPEN
    wave.save(update_fields=["status"])
    response_record(wave=wave, answers=Answers(nps=9))
    before = keys(wave)
    page = cclient.get(url("questionnaire_edit", org, pk=wave.pk))
    assert page.context["locked"]
    content = page.content.decode()
    assert 'data-testid="questionnaire-locked"' in content
    assert 'data-testid="questionnaire-form"' not in content
    data = formset_data(page.context["formset"])
    data["q-0-DELETE"] = "on"
    response = cclient.post(url("questionnaire_edit", org, pk=wave.pk), data)
    assert response.status_code == 302
    assert keys(wave) == before
    document = json.dumps({"format": "outside-in/questionnaire@1", "questions": [
        {"key": "nps", "kind": "nps", "text_nl": "Aanbevelen?"}]}).encode()
    response = cclient.post(url("questionnaire_import", org, pk=wave.pk),
                           {"file": SimpleUploadedFile("q.json", document)})
    assert response.status_code == 400
    assert keys(wave) == before


def test_questionnaire_json_round_trip_through_the_pages(org, cclient, wave):
    wave.questions.filter(key="snelheid").update(text_nl="Hoe snel helpen we je?",
                                                 is_required=True)
    export = cclient.get(url("questionnaire_export", org, pk=wave.pk))
    assert export.status_code == 200
    assert export["Content-Disposition"].startswith("attachment;")
    assert export["Content-Type"].startswith("application/json")
    document = json.loads(export.content)

    other = wave_create(organisation=org, actor=None, name="Leeg", copy_previous=False)
    other.questions.exclude(key="nps").delete()
    response = cclient.post(url("questionnaire_import", org, pk=other.pk),
                           {"file": SimpleUploadedFile("vragen.json", export.content,
                                                       content_type="application/json")})
    assert response.status_code == 302
    assert keys(other) == keys(wave)
    copied = other.questions.get(key="snelheid")
    assert copied.text_nl == "Hoe snel helpen we je?" and copied.is_required
    again = json.loads(cclient.get(url("questionnaire_export", org, pk=other.pk)).content)
    assert again["questions"] == document["questions"]


@pytest.mark.parametrize("content,message", [
    (b"\x89PNG not json", "This is not a JSON file"),
    (b'{"format": "iets anders", "questions": []}', "cannot be used"),
    (b"[1, 2, 3]", "not a questionnaire"),
])
def test_questionnaire_import_explains_a_bad_file_and_changes_nothing(org, cclient, wave,
                                                                      content, message):
    before = keys(wave)
    response = cclient.post(url("questionnaire_import", org, pk=wave.pk),
                           {"file": SimpleUploadedFile("kapot.json", content)})
    assert response.status_code == 400
    assert message in " ".join(response.context["form"].errors["file"])
    assert keys(wave) == before


def test_copy_questionnaire_from_another_wave(org, cclient, wave):
    source = wave_create(organisation=org, actor=None, name="Bron", copy_previous=False)
    source.questions.exclude(key__in=["nps", "why"]).delete()
    response = cclient.post(url("questionnaire_copy", org, pk=wave.pk), {"source": source.pk})
    assert response.status_code == 302
    assert keys(wave) == ["nps", "why"]


def test_copy_form_offers_only_the_organisations_other_waves(org, other_org, cclient, wave):
    mine = wave_create(organisation=org, actor=None, name="Andere meting")
    foreign = wave_create(organisation=other_org, actor=None, name="Vreemd", copy_previous=False)
    foreign.questions.exclude(key="nps").delete()
    page = cclient.get(url("questionnaire_edit", org, pk=wave.pk))
    assert list(page.context["copy_form"].fields["source"].queryset) == [mine]
    before = keys(wave)
    cclient.post(url("questionnaire_copy", org, pk=wave.pk), {"source": foreign.pk})
    assert keys(wave) == before


def test_managers_cannot_edit_questionnaires(org, make_member, login, wave):
    client = login(make_member(org, Role.MANAGER))
    assert client.get(url("questionnaire_edit", org, pk=wave.pk)).status_code == 403
    assert client.get(url("questionnaire_export", org, pk=wave.pk)).status_code == 403
    assert client.post(url("questionnaire_copy", org, pk=wave.pk), {}).status_code == 403
