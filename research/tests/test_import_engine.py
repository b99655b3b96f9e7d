"""The import engine: modes, matching, dedupe, validation and follow-ups."""

import csv

import pytest
from django.utils import translation

from org.models import Unit
from research.importing import Mapping, import_progress
from research.models import FollowUp, FollowUpReason, JobStatus, Response
from research.tests._import_support import build_world, import_file, plain_rows, write_csv


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def world(org, make_member):
    return build_world(org, make_member)


def test_plain_file_imports_every_row_linked_to_customer_and_unit(world, tmp_path):
    path = write_csv(tmp_path / "plain.csv", plain_rows(
        ["R1", "K001", "T-N", "9", "Snel geholpen", "8", "9", "MKB"],
        ["R2", "K003", "", "10", "Top", "", "10", "Zorg"],
        ["R3", "piet@devries.nl", "Team Zuid", "7", "", "7,5", "", ""],
    ))
    job = import_file(world, path)
    assert job.status == JobStatus.SUCCEEDED, job.result
    assert job.result["imported"] == 3 and job.result["rows_read"] == 3
    r1, r2, r3 = Response.objects.filter(wave=world.wave).order_by("external_id")
    assert (r1.customer, r1.unit, r1.nps, r1.comment) == (world.customers["K001"], world.noord,
                                                           9, "Snel geholpen")
    assert r1.scores == {"snelheid": 8, "vriendelijkheid": 9}
    assert r1.attributes == {"segment": "MKB"}
    assert r2.unit == world.zuid  # the customer's own unit when the row gives none
    assert r3.customer == world.customers["K002"] and r3.contact.email == "piet@devries.nl"
    assert r3.unit == world.zuid and r3.scores == {"snelheid": 7.5}
    assert r1.import_job == job and r1.source == "import"
    assert import_progress(job) == (3, 3, JobStatus.SUCCEEDED)


def test_all_or_nothing_writes_nothing_when_one_row_is_invalid(world, tmp_path):
    path = write_csv(tmp_path / "bad.csv", plain_rows(
        ["R1", "K001", "T-N", "9", "", "8", "9", ""],
        ["R2", "K002", "T-N", "11", "", "8", "9", ""],
        ["R3", "K999", "T-N", "8", "", "abc", "9", ""],
    ))
    job = import_file(world, path)
    assert job.status == JobStatus.FAILED
    assert Response.objects.filter(wave=world.wave).count() == 0
    assert job.result["imported"] == 0 and job.result["rejected"] == 2
    errors = {(e["line"], e["column"]): e["message"] for e in job.result["errors"]}
    assert errors[(3, "NPS")] == ("'11' is not a recommendation score: use a whole number "
                                  "from 0 to 10.")
    assert errors[(4, "klantnummer")] == "No customer with customer number or e-mail address 'K999'."
    assert errors[(4, "snelheid")] == "'abc' is not a number."
    assert job.result["unmatched_customers"] == {"count": 1, "lines": [4]}


def test_skip_invalid_writes_valid_rows_and_a_rejected_file_with_reasons(world, tmp_path):
    path = write_csv(tmp_path / "mixed.csv", plain_rows(
        ["R1", "K001", "T-N", "9", "", "8", "9", ""],
        ["R2", "K002", "Nergens", "8", "", "8", "9", ""],
        ["R3", "K003", "", "-1", "=HYPERLINK()", "8", "12", ""],
    ))
    job = import_file(world, path, skip_invalid=True)
    assert job.status == JobStatus.SUCCEEDED
    assert list(Response.objects.filter(wave=world.wave).values_list("external_id", flat=True)) == ["R1"]
    assert job.result["imported"] == 1 and job.result["rejected"] == 2
    with open(job.rejected_path, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == [*plain_rows()[0], "reason"]
    assert rows[1][:3] == ["R2", "K002", "Nergens"]
    assert rows[1][-1].startswith("team: Unknown unit 'Nergens'")
    assert rows[2][3] == "-1" and rows[2][4] == "'=HYPERLINK()"
    assert "NPS: '-1' is not a recommendation score" in rows[2][-1]
    assert "vriendelijkheid: '12' is outside the scale: use a number from 0 to 10." in rows[2][-1]


def test_dry_run_reports_every_problem_and_writes_nothing(world, tmp_path):
    path = write_csv(tmp_path / "dry.csv", plain_rows(
        ["R1", "K001", "T-N", "9", "", "8", "9", ""],
        ["R2", "K002", "Nieuw team", "x", "", "8", "9", ""],
    ))
    job = import_file(world, path, dry_run=True, create_units=True)
    assert job.status == JobStatus.SUCCEEDED and job.dry_run
    assert Response.objects.count() == 0
    assert not Unit.objects.filter(name="Nieuw team").exists()
    assert job.result["would_import"] == 1 and job.result["created_units"] == ["Nieuw team"]
    assert [(e["line"], e["column"]) for e in job.result["errors"]] == [(3, "NPS")]


def test_importing_the_same_file_twice_adds_nothing(world, tmp_path):
    rows = plain_rows(["R1", "K001", "T-N", "9", "", "8", "9", ""],
                      ["R2", "K002", "T-N", "6", "", "8", "9", ""])
    first = import_file(world, write_csv(tmp_path / "a.csv", rows))
    second = import_file(world, write_csv(tmp_path / "b.csv", rows))
    assert first.result["imported"] == 2
    assert second.result["imported"] == 0 and second.result["duplicates"] == 2
    assert Response.objects.filter(wave=world.wave).count() == 2


def test_file_without_response_ids_is_deduplicated_by_row_hash(world, tmp_path):
    rows = [["klantnummer", "NPS", "Waarom"], ["K001", "9", "Prima"], ["K001", "9", "Prima"],
            ["K002", "8", ""]]
    first = import_file(world, write_csv(tmp_path / "a.csv", rows))
    assert first.result["imported"] == 3  # two identical rows are two answers
    again = import_file(world, write_csv(tmp_path / "b.csv", rows))
    assert again.result["imported"] == 0 and again.result["duplicates"] == 3
    ids = set(Response.objects.values_list("external_id", flat=True))
    assert len(ids) == 3 and all(i.startswith("sha1:") for i in ids)


def test_row_without_nps_is_kept_and_counts_for_its_other_answers(world, tmp_path):
    path = write_csv(tmp_path / "nonps.csv", plain_rows(
        ["R1", "K001", "T-N", "", "Geen cijfer", "8", "", ""]))
    job = import_file(world, path)
    response = Response.objects.get(wave=world.wave)
    assert job.result["imported"] == 1
    assert response.nps is None and response.scores == {"snelheid": 8}


def test_duplicate_response_ids_in_the_file_are_errors(world, tmp_path):
    path = write_csv(tmp_path / "dup.csv", plain_rows(
        ["R1", "K001", "T-N", "9", "", "", "", ""],
        ["R1", "K002", "T-N", "8", "", "", "", ""]))
    job = import_file(world, path)
    assert job.status == JobStatus.FAILED and Response.objects.count() == 0
    assert job.result["errors"] == [{
        "line": 3, "column": "ResponseId",
        "message": "Response id 'R1' appears twice in the file: on line 2 and on line 3.",
    }]


def test_create_units_adds_unknown_teams_under_the_root(world, tmp_path):
    path = write_csv(tmp_path / "units.csv", plain_rows(
        ["R1", "K001", "Team Oost", "9", "", "", "", ""],
        ["R2", "K002", "team oost", "9", "", "", "", ""]))
    job = import_file(world, path, create_units=True)
    oost = Unit.objects.get(organisation=world.organisation, name="Team Oost")
    assert oost.depth == 2 and oost.kind == "team"
    assert job.result["created_units"] == ["Team Oost"]
    assert set(Response.objects.values_list("unit", flat=True)) == {oost.pk}


def test_created_units_are_rolled_back_with_a_failed_import(world, tmp_path):
    path = write_csv(tmp_path / "units.csv", plain_rows(
        ["R1", "K001", "Team Oost", "9", "", "", "", ""],
        ["R2", "K002", "T-N", "99", "", "", "", ""]))
    job = import_file(world, path, create_units=True)
    assert job.status == JobStatus.FAILED
    assert not Unit.objects.filter(name="Team Oost").exists()


def test_anonymous_wave_stores_no_customer_or_contact(org, make_member, tmp_path):
    world = build_world(org, make_member, anonymous=True)
    path = write_csv(tmp_path / "anon.csv", plain_rows(
        ["R1", "K001", "T-Z", "3", "Slecht", "", "", ""],
        ["R2", "onbekend@example.nl", "", "9", "", "", "", ""]))
    job = import_file(world, path)
    assert job.result["imported"] == 2
    assert not Response.objects.filter(customer__isnull=False).exists()
    assert not Response.objects.filter(contact__isnull=False).exists()
    assert FollowUp.objects.count() == 0


def test_detractors_and_contact_requests_get_follow_ups(world, tmp_path):
    path = write_csv(tmp_path / "fu.csv", [
        ["ResponseId", "klantnummer", "NPS", "Contact opnemen"],
        ["R1", "K001", "4", "nee"], ["R2", "K002", "9", "ja"], ["R3", "K003", "8", ""],
        ["R4", "", "2", ""],
    ])
    job = import_file(world, path)
    assert job.result["follow_ups"] == 2
    follow_ups = {f.response.external_id: f for f in FollowUp.objects.select_related("response")}
    assert set(follow_ups) == {"R1", "R2"}
    assert follow_ups["R1"].reason == FollowUpReason.DETRACTOR
    assert follow_ups["R1"].owner == world.owner
    assert follow_ups["R2"].reason == FollowUpReason.CONTACT_ME


def test_labelled_scores_and_decimal_comma_in_cp1252_semicolon_file(world, tmp_path):
    path = write_csv(tmp_path / "excel.csv", [
        ["Respondent", "Klantnummer", "Hoe waarschijnlijk is het dat u ons aanbeveelt?",
         "Waarom deze score?", "Snelheid", "Opmerking über"],
        ["1", "K001", "10 - Zeer waarschijnlijk", "Uitstekend café", "7,5", ""],
        ["2", "K003", "0 = Helemaal niet waarschijnlijk", "Te duur", "3,0", ""],
    ], encoding="cp1252", delimiter=";")
    job = import_file(world, path)
    assert job.status == JobStatus.SUCCEEDED, job.result
    by_customer = {r.customer.customer_number: r for r in Response.objects.select_related("customer")}
    assert by_customer["K001"].nps == 10 and by_customer["K001"].comment == "Uitstekend café"
    assert by_customer["K001"].scores == {"snelheid": 7.5}
    assert by_customer["K003"].nps == 0 and by_customer["K003"].scores == {"snelheid": 3}


def test_start_refuses_a_mapping_with_unknown_or_doubly_used_columns(world, tmp_path):
    from research.importing import ImportOptions, MappingInvalid, import_prepare, import_start

    path = write_csv(tmp_path / "m.csv", plain_rows(["R1", "K001", "T-N", "9", "", "", "", ""]))
    job = import_prepare(organisation=world.organisation, wave=world.wave, actor=None,
                         upload=path, original_name="m.csv")
    mapping = Mapping(nps="NPS", comment="NPS", customer="Klant")
    with pytest.raises(MappingInvalid) as caught:
        import_start(job=job, mapping=mapping, options=ImportOptions())
    assert caught.value.errors == [
        "Column 'NPS' is mapped twice: to nps and to comment.",
        "Column 'Klant' (for customer) is not in the file.",
    ]
