"""Proposed mappings for each layout, saved mappings, and the header that matches nothing."""

import pytest
from django.utils import translation

from research.importing import (
    ImportFileError,
    ImportOptions,
    Mapping,
    MappingInvalid,
    import_prepare,
    import_start,
    propose_mapping,
    read_table,
)
from research.models import ImportJob, MappingProfile, Response
from research.services import questionnaire_spec
from research.tests._import_support import build_world, import_file, write_csv
from research.tests.test_import_reading import GOOGLE, LIMESURVEY, QUALTRICS, SURVEYMONKEY, TYPEFORM


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def world(org, make_member):
    return build_world(org, make_member)


def _propose(world, tmp_path, rows, saved=None):
    table = read_table(write_csv(tmp_path / "f.csv", rows))
    return propose_mapping(table, questionnaire_spec(world.wave), saved=saved)


def test_qualtrics_proposal_uses_question_texts(world, tmp_path):
    mapping = _propose(world, tmp_path, QUALTRICS)
    assert (mapping.response_id, mapping.submitted_at, mapping.customer) == (
        "ResponseId", "EndDate", "RecipientEmail")
    assert (mapping.nps, mapping.comment) == ("Q1", "Q2")
    assert mapping.drivers == {"snelheid": "Q3_1", "vriendelijkheid": "Q3_2"}


def test_surveymonkey_limesurvey_typeform_and_google_proposals(world, tmp_path):
    sm = _propose(world, tmp_path, SURVEYMONKEY)
    assert (sm.response_id, sm.customer, sm.nps, sm.comment) == (
        "Respondent ID", "Email Address", "How likely is it that you would recommend us?", "Why?")
    assert sm.drivers == {"snelheid": "Please rate us on: - Snelheid",
                          "vriendelijkheid": "Please rate us on: - Vriendelijkheid"}
    lime = _propose(world, tmp_path, LIMESURVEY)
    assert (lime.response_id, lime.submitted_at, lime.nps, lime.comment, lime.language) == (
        "id", "submitdate", "nps", "waarom", "startlanguage")
    assert lime.drivers == {"snelheid": "snelheid[SQ001]"}
    typeform = _propose(world, tmp_path, TYPEFORM)
    assert (typeform.response_id, typeform.submitted_at, typeform.comment) == (
        "#", "Submit Date (UTC)", "Waarom?")
    assert typeform.nps == "Hoe waarschijnlijk is het dat je ons aanbeveelt?"
    google = _propose(world, tmp_path, GOOGLE)
    assert (google.submitted_at, google.customer, google.comment) == (
        "Tijdstempel", "E-mailadres", "Waarom geeft u deze score?")
    assert google.nps == "Hoe waarschijnlijk is het dat u ons aanbeveelt?"


def test_unit_attributes_and_improvement_are_proposed(world, tmp_path):
    mapping = _propose(world, tmp_path, [
        ["Klantnummer", "Afdeling", "Aanbeveling", "Wat kunnen we verbeteren?", "Kanaal",
         "Segment"], ["K001", "T-N", "8", "Sneller", "Chat", "MKB"]])
    assert (mapping.customer, mapping.unit, mapping.nps, mapping.improvement) == (
        "Klantnummer", "Afdeling", "Aanbeveling", "Wat kunnen we verbeteren?")
    assert mapping.attributes == {"kanaal": "Kanaal", "segment": "Segment"}


def test_saved_mapping_wins_when_all_its_columns_exist(world, tmp_path):
    saved = Mapping(nps="Q3_1", comment="Q2").to_json()
    assert _propose(world, tmp_path, QUALTRICS, saved=saved).nps == "Q3_1"
    stale = Mapping(nps="Q9", comment="Q2").to_json()
    assert _propose(world, tmp_path, QUALTRICS, saved=stale).nps == "Q1"


def test_saved_profile_is_offered_for_the_next_file_of_the_same_layout(world, tmp_path):
    path = write_csv(tmp_path / "q.csv", QUALTRICS)
    job = import_prepare(organisation=world.organisation, wave=world.wave, actor=None,
                         upload=path, original_name="q.csv")
    mapping = Mapping.from_json(job.mapping)
    mapping.nps, mapping.drivers = "Q3_2", {"snelheid": "Q3_1"}
    mapping.customer = None
    import_start(job=job, mapping=mapping, options=ImportOptions(dry_run=True),
                 save_mapping_as="Qualtrics standaard")
    profile = MappingProfile.objects.get(organisation=world.organisation)
    assert profile.layout == "qualtrics" and profile.mapping["nps"] == "Q3_2"
    again = import_prepare(organisation=world.organisation, wave=world.wave, actor=None,
                           upload=path, original_name="q.csv")
    assert again.mapping["nps"] == "Q3_2"


def test_header_matching_nothing_is_refused_with_the_columns_found(world, tmp_path):
    path = write_csv(tmp_path / "x.csv", [["foo", "bar"], ["x", "y"]])
    job = import_prepare(organisation=world.organisation, wave=world.wave, actor=None,
                         upload=path, original_name="x.csv")
    with pytest.raises(MappingInvalid) as caught:
        import_start(job=job, mapping=Mapping.from_json(job.mapping), options=ImportOptions())
    assert caught.value.errors == [
        "No column is mapped to an answer (recommendation score, comments, ratings, "
        "competitors or contact request). The file's columns are: foo, bar."]
    assert Response.objects.count() == 0


def test_unreadable_upload_leaves_no_job_and_no_file(world, tmp_path, settings):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    with pytest.raises(ImportFileError, match="empty"):
        import_prepare(organisation=world.organisation, wave=world.wave, actor=None,
                       upload=empty, original_name="empty.csv")
    settings.IMPORT_MAX_BYTES = 10
    with pytest.raises(ImportFileError, match="largest file"):
        import_prepare(organisation=world.organisation, wave=world.wave, actor=None,
                       upload=write_csv(tmp_path / "big.csv", QUALTRICS), original_name="big")
    assert ImportJob.objects.count() == 0
    folder = settings.IMPORT_DIR / world.organisation.slug
    assert not folder.exists() or not any(folder.iterdir())


def test_uploaded_file_is_stored_with_its_hash(world, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = b"ResponseId,NPS\nR1,9\n"
    job = import_prepare(organisation=world.organisation, wave=world.wave, actor=world.owner,
                         upload=SimpleUploadedFile("s.csv", data), original_name="s.csv")
    import hashlib

    assert job.sha256 == hashlib.sha256(data).hexdigest() and job.size == len(data)
    assert job.created_by == world.owner.user and job.layout == "plain"
    assert job.rows_total == 1 and job.status == "uploaded"


def test_qualtrics_xlsx_imports_end_to_end(world, tmp_path):
    from research.tests._import_support import write_xlsx

    rows = [r[:] for r in QUALTRICS]
    rows[3] = rows[3][:4] + [9, "Snel", 7.5, 8]
    job = import_file(world, write_xlsx(tmp_path / "q.xlsx", rows))
    response = Response.objects.get(wave=world.wave)
    assert job.result["imported"] == 1
    assert (response.nps, response.scores, response.customer) == (
        9, {"snelheid": 7.5, "vriendelijkheid": 8}, world.customers["K001"])
    assert response.submitted_at.year == 2024
