"""The command line (wave create, import, export-responses, run_import_jobs) and exports."""

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from accounts.models import Role
from outsidein.cli import main
from research.importing import (
    ImportOptions,
    Mapping,
    import_configure,
    import_prepare,
    import_run,
    responses_export,
)
from research.models import FollowUp, ImportJob, JobStatus, Response, Wave
from research.tests._import_support import build_world, import_file, plain_rows, write_csv


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def world(org, make_member):
    return build_world(org, make_member)


def _import(*args):
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_responses", *args, stdout=out, stderr=err)
        code = 0
    except CommandError as error:
        code, err = error.returncode, io.StringIO(err.getvalue() + str(error))
    return code, out.getvalue(), err.getvalue()


def test_wave_create_command(org, capsys):
    assert main(["wave", "create", org.slug, "Voorjaar 2025", "--start", "2025-03-01",
                 "--end", "2025-04-30", "--anonymous"]) == 0
    wave = Wave.objects.get(organisation=org, name="Voorjaar 2025")
    assert wave.is_anonymous and str(wave.period_end) == "2025-04-30"
    assert "Created wave 'Voorjaar 2025'" in capsys.readouterr().out
    assert main(["wave", "create", org.slug, "Voorjaar 2025"]) == 1


def test_import_json_summary(world, tmp_path):
    path = write_csv(tmp_path / "ok.csv", plain_rows(
        ["R1", "K001", "T-N", "9", "Top", "8", "", "MKB"],
        ["R2", "K002", "T-N", "3", "Traag", "2", "4", ""]))
    code, out, _err = _import(world.organisation.slug, world.wave.name, str(path), "--json")
    summary = json.loads(out)
    assert code == 0
    assert {k: summary[k] for k in ("ok", "rows_read", "imported", "duplicates", "rejected")} == {
        "ok": True, "rows_read": 2, "imported": 2, "duplicates": 0, "rejected": 0}
    assert summary["errors"] == [] and summary["follow_ups"] == 1


def test_import_with_errors_exits_non_zero_and_lists_them(world, tmp_path):
    path = write_csv(tmp_path / "bad.csv", plain_rows(
        ["R1", "K001", "T-N", "9", "", "", "", ""], ["R2", "K777", "T-N", "12", "", "", "", ""]))
    code, out, _err = _import(world.organisation.slug, world.wave.name, str(path), "--json")
    summary = json.loads(out)
    assert code != 0 and summary["imported"] == 0 and Response.objects.count() == 0
    assert {(e["line"], e["column"]) for e in summary["errors"]} == {(3, "klantnummer"), (3, "NPS")}


def test_import_dry_run_writes_nothing(world, tmp_path):
    path = write_csv(tmp_path / "ok.csv", plain_rows(["R1", "K001", "T-N", "9", "", "", "", ""]))
    code, out, _err = _import(world.organisation.slug, world.wave.name, str(path), "--dry-run")
    assert code == 0 and "1 would be imported" in out and "Nothing was written" in out
    assert Response.objects.count() == 0


def test_import_skip_invalid_reports_the_rejected_file(world, tmp_path):
    path = write_csv(tmp_path / "mixed.csv", plain_rows(
        ["R1", "K001", "T-N", "9", "", "", "", ""], ["R2", "K001", "T-N", "x", "", "", "", ""]))
    code, out, _err = _import(world.organisation.slug, world.wave.name, str(path),
                              "--skip-invalid", "--json")
    summary = json.loads(out)
    assert code != 0  # a partial import
    assert summary["imported"] == 1 and summary["rejected"] == 1
    with open(summary["rejected_file"], encoding="utf-8-sig") as handle:
        assert "NPS: 'x' is not a number." in handle.read()


def test_import_map_overrides_and_matches_drivers_by_name(world, tmp_path):
    path = write_csv(tmp_path / "m.csv", [
        ["id", "klant", "Score", "Q5_1", "Q5_2", "Kanaal"],
        ["1", "K001", "8", "7", "6", "Chat"]])
    code, out, err = _import(world.organisation.slug, world.wave.name, str(path),
                             "--map", "nps=Score", "--map", "customer=klant",
                             "--map", "driver=Q5_1", "--json")
    assert code != 0 and "driver=Q5_1: no driver or core-value question matches" in err
    path = write_csv(tmp_path / "m2.csv", [
        ["id", "klant", "Score", "Snelheid (Q5_1)", "Q5_2", "Kanaal"],
        ["1", "K001", "8", "7", "6", "Chat"]])
    code, out, err = _import(world.organisation.slug, world.wave.name, str(path),
                             "--map", "nps=Score", "--map", "customer=klant",
                             "--map", "driver=Snelheid (Q5_1)", "--map", "attribute=Kanaal",
                             "--json")
    summary = json.loads(out)
    assert code == 0, err
    assert summary["mapping"]["drivers"] == {"snelheid": "Snelheid (Q5_1)"}
    assert summary["mapping"]["attributes"] == {"kanaal": "Kanaal"}
    response = Response.objects.get()
    assert (response.nps, response.scores, response.attributes) == (
        8, {"snelheid": 7}, {"kanaal": "Chat"})


def test_import_with_a_mapping_file(world, tmp_path):
    path = write_csv(tmp_path / "f.csv", [["a", "b"], ["K003", "10"]])
    mapping_file = tmp_path / "mapping.json"
    mapping_file.write_text(json.dumps({"customer": "a", "nps": "b"}))
    code, out, err = _import(world.organisation.slug, world.wave.name, str(path),
                             "--mapping", str(mapping_file))
    assert code == 0, err
    assert Response.objects.get().customer == world.customers["K003"]


def test_outsidein_import_and_export_subcommands(world, tmp_path, capsys):
    path = write_csv(tmp_path / "ok.csv", plain_rows(["R1", "K001", "T-N", "9", "", "", "", ""]))
    assert main(["import", world.organisation.slug, world.wave.name, str(path), "--json",
                 "--create-units"]) == 0
    assert json.loads(capsys.readouterr().out)["imported"] == 1
    target = tmp_path / "out.csv"
    assert main(["export-responses", world.organisation.slug, world.wave.name, str(target)]) == 0
    assert "Wrote 1 responses" in capsys.readouterr().out
    assert main(["export-responses", world.organisation.slug, world.wave.name,
                 str(tmp_path / "out.txt")]) == 1


def test_exports_neutralise_formula_injection_in_csv_and_xlsx(world, tmp_path):
    path = write_csv(tmp_path / "evil.csv", plain_rows(
        ["R1", "K001", "T-N", "9", "=HYPERLINK(\"http://x\")", "", "", "+31 6 123"],
        ["R2", "K002", "T-N", "8", "@SUM(A1)", "", "", "-kort"],
        ["R3", "K003", "", "7", "\tTab", "", "", "gewoon"]))
    import_file(world, path)
    Response.objects.filter(external_id="R3").update(comment="\tTab\r")  # imports strip cells
    assert responses_export(wave=world.wave, path=tmp_path / "e.csv", fmt="csv") == 3
    with open(tmp_path / "e.csv", encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    by_id = {r["response_id"]: r for r in rows}
    assert by_id["R1"]["comment"] == "'=HYPERLINK(\"http://x\")"
    assert by_id["R1"]["segment"] == "'+31 6 123"
    assert by_id["R2"]["comment"] == "'@SUM(A1)" and by_id["R2"]["segment"] == "'-kort"
    assert by_id["R3"]["segment"] == "gewoon" and by_id["R3"]["comment"] == "'\tTab\r"
    assert by_id["R1"]["customer_number"] == "K001" and by_id["R1"]["unit_code"] == "T-N"
    assert by_id["R1"]["nps"] == "9"

    from openpyxl import load_workbook

    assert responses_export(wave=world.wave, path=tmp_path / "e.xlsx", fmt="xlsx") == 3
    sheet = load_workbook(tmp_path / "e.xlsx", read_only=True).worksheets[0]
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    header = values[0]
    cells = {row[0]: dict(zip(header, row, strict=True)) for row in values[1:]}
    assert cells["R1"]["comment"] == "'=HYPERLINK(\"http://x\")"
    assert cells["R2"]["segment"] == "'-kort"
    assert cells["R3"]["comment"].startswith("'\tTab")
    assert not any(isinstance(v, str) and v.startswith("=") for row in values for v in row)


def test_progress_callback_reaches_the_total(world, tmp_path):
    rows = plain_rows(*[[f"R{i}", "K001", "T-N", str(i % 11), "", "", "", ""] for i in range(300)])
    job = import_prepare(organisation=world.organisation, wave=world.wave, actor=None,
                         upload=write_csv(tmp_path / "p.csv", rows), original_name="p.csv")
    job = import_configure(job=job, mapping=Mapping.from_json(job.mapping),
                           options=ImportOptions())
    calls = []
    import_run(job, progress=lambda done, total: calls.append((done, total)))
    assert calls[-1] == (300, 300)
    assert len(calls) <= 102 and calls == sorted(calls)
    job.refresh_from_db()
    assert (job.status, job.rows_done, job.percent) == (JobStatus.SUCCEEDED, 300, 100)


def test_run_import_jobs_fails_interrupted_jobs_and_runs_queued_ones(world, tmp_path, settings):
    settings.JOBS_EAGER = False
    path = write_csv(tmp_path / "q.csv", plain_rows(["R1", "K001", "T-N", "9", "", "", "", ""]))
    stuck = import_prepare(organisation=world.organisation, wave=world.wave, actor=None,
                           upload=path, original_name="stuck.csv")
    ImportJob.objects.filter(pk=stuck.pk).update(status=JobStatus.RUNNING)
    queued = import_prepare(organisation=world.organisation, wave=world.wave, actor=None,
                            upload=path, original_name="queued.csv")
    import_configure(job=queued, mapping=Mapping.from_json(queued.mapping),
                     options=ImportOptions())
    call_command("run_import_jobs", stdout=io.StringIO(), stderr=io.StringIO())
    stuck.refresh_from_db()
    queued.refresh_from_db()
    assert stuck.status == JobStatus.FAILED and "interrupted" in stuck.result["error"]
    assert queued.status == JobStatus.SUCCEEDED and Response.objects.count() == 1


def test_follow_up_falls_back_to_the_nearest_manager(world, make_member, tmp_path):
    from org.models import Unit

    root = Unit.objects.get(organisation=world.organisation, depth=1)
    manager = make_member(world.organisation, role=Role.MANAGER, unit=root)
    path = write_csv(tmp_path / "d.csv", [["ResponseId", "klantnummer", "NPS"],
                                          ["R1", "K003", "2"]])  # K003 has no account owner
    import_file(world, path)
    assert FollowUp.objects.get().owner == manager
