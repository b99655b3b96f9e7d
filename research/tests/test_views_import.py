"""The import wizard in the pages: upload, mapping screen, dry run, import, progress,
rejected rows, and the export of a wave's responses."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Role
from org.models import Level, UnitKind
from org.services import customer_create, unit_create
from research.models import ImportJob, JobStatus, MappingProfile, Response
from research.services import wave_create

pytestmark = pytest.mark.django_db

@pytest.fixture(autouse=True)
def _english(settings):
    """Assert on the English source strings, whatever the Dutch catalogue says."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


HEADER = ["ResponseId", "klantnummer", "team", "NPS", "Waarom", "snelheid"]


def url(name, org, **kwargs):
    return reverse(f"research:{name}", kwargs={"org": org.slug, **kwargs})


def csv_file(rows, name="export.csv", header=HEADER):
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows([header, *rows])
    return SimpleUploadedFile(name, buffer.getvalue().encode("utf-8"), content_type="text/csv")


GOOD_ROWS = [
    ["R1", "K001", "T-N", "9", "Snel geholpen", "8"],
    ["R2", "K002", "T-N", "4", "Te lang gewacht", "3"],
    ["R3", "K003", "T-Z", "", "Geen cijfer, wel een mening", "7"],
]
BAD_ROWS = [
    ["R1", "K001", "T-N", "11", "Elf!", "8"],
    ["R2", "K999", "T-N", "7", "Wie ben ik?", "6"],
    ["R3", "K003", "T-Z", "10", "Prima", "9"],
]


@pytest.fixture
def world(org, make_member):
    root = org.units.get(depth=1)
    north = unit_create(organisation=org, parent=root, name="Team Noord", code="T-N",
                        kind=UnitKind.TEAM, level=Level.OPERATIONAL)
    south = unit_create(organisation=org, parent=root, name="Team Zuid", code="T-Z",
                        kind=UnitKind.TEAM, level=Level.OPERATIONAL)
    for number, unit in (("K001", north), ("K002", north), ("K003", south)):
        customer_create(organisation=org, name=f"Klant {number}", customer_number=number,
                        unit=unit)
    wave = wave_create(organisation=org, actor=None, name="Meting 2025")
    return wave


@pytest.fixture
def cclient(org, make_member, login):
    return login(make_member(org, Role.CONSULTANT))


def upload(client, org, wave, file):
    response = client.post(url("import_upload", org, pk=wave.pk), {"file": file})
    assert response.status_code == 302, response.context["form"].errors
    return ImportJob.objects.get(pk=int(response.url.rstrip("/").split("/")[-2]))


def mapping_data(form, *, run="check", **overrides):
    """POST data that accepts every proposal of the mapping form, with overrides."""
    data = {field.name: field.value() or "" for field in form.column_fields()}
    data.update(run=run, **overrides)
    return {key: value for key, value in data.items() if value is not False}


def test_upload_page_states_the_size_limit(org, cclient, world, settings):
    settings.IMPORT_MAX_BYTES = 3 * 1024 * 1024
    content = cclient.get(url("import_upload", org, pk=world.pk)).content.decode()
    assert "3.0\xa0MB" in content or "3,0\xa0MB" in content
    assert 'accept=".csv' in content


def test_upload_stores_the_file_and_opens_the_mapping_screen(org, cclient, world):
    job = upload(cclient, org, world, csv_file(GOOD_ROWS))
    assert job.wave == world and job.organisation == org and job.status == JobStatus.UPLOADED
    assert job.original_name == "export.csv"


@pytest.mark.parametrize("content,message", [
    (b"", "empty"),
    (b"\x00\x01\x02\x03" * 100, "binary"),
])
def test_unreadable_upload_is_a_form_error_and_nothing_is_stored(org, cclient, world, settings,
                                                                 content, message):
    response = cclient.post(url("import_upload", org, pk=world.pk),
                            {"file": SimpleUploadedFile("export.csv", content)})
    assert response.status_code == 400
    errors = " ".join(response.context["form"].errors["file"]).lower()
    assert errors, errors
    assert not ImportJob.objects.exists()
    stored = list(settings.IMPORT_DIR.rglob("*")) if settings.IMPORT_DIR.exists() else []
    assert [p for p in stored if p.is_file()] == []


def test_too_large_upload_is_refused_before_anything_is_stored(org, cclient, world, settings):
    settings.IMPORT_MAX_BYTES = 50
    response = cclient.post(url("import_upload", org, pk=world.pk),
                            {"file": csv_file(GOOD_ROWS)})
    assert response.status_code == 400
    assert "limit" in " ".join(response.context["form"].errors["file"])
    assert not ImportJob.objects.exists()


def test_mapping_screen_shows_layout_preview_and_preselected_proposals(org, cclient, world):
    job = upload(cclient, org, world, csv_file(GOOD_ROWS))
    response = cclient.get(url("import_mapping", org, pk=job.pk))
    assert response.status_code == 200
    form = response.context["form"]
    assert form["nps"].value() == "NPS"
    assert form["customer"].value() == "klantnummer"
    assert form["comment"].value() == "Waarom"
    assert form["unit"].value() == "team"
    assert form["driver__snelheid"].value() == "snelheid"
    assert response.context["preview"][0][:2] == ["R1", "K001"]
    content = response.content.decode()
    assert 'data-testid="import-preview"' in content and "Te lang gewacht" in content
    assert '<option value="NPS" selected>' in content


def test_dry_run_writes_nothing_and_saves_the_mapping_for_next_time(org, cclient, world):
    job = upload(cclient, org, world, csv_file(GOOD_ROWS))
    form = cclient.get(url("import_mapping", org, pk=job.pk)).context["form"]
    response = cclient.post(url("import_mapping", org, pk=job.pk),
                            mapping_data(form, save_as="Onze eigen export"))
    assert response.status_code == 302 and response.url == url("import_detail", org, pk=job.pk)
    job.refresh_from_db()
    assert job.dry_run and job.status == JobStatus.SUCCEEDED
    assert job.result["would_import"] == 3
    assert not Response.objects.exists()
    profile = MappingProfile.objects.get(organisation=org, name="Onze eigen export")
    assert profile.layout == job.layout and profile.mapping["nps"] == "NPS"

    detail = cclient.get(url("import_detail", org, pk=job.pk)).content.decode()
    assert 'data-testid="import-for-real"' in detail
    assert 'hx-trigger="every 1s"' not in detail


def test_saved_mapping_is_proposed_for_the_next_file_of_that_layout(org, cclient, world):
    job = upload(cclient, org, world, csv_file(GOOD_ROWS))
    form = cclient.get(url("import_mapping", org, pk=job.pk)).context["form"]
    # The proposal takes "Waarom" as the comment; say it is the improvement instead.
    cclient.post(url("import_mapping", org, pk=job.pk),
                 mapping_data(form, comment="", improvement="Waarom", save_as="Waarom=verbeter"))
    second = upload(cclient, org, world, csv_file(GOOD_ROWS, name="volgende.csv"))
    form = cclient.get(url("import_mapping", org, pk=second.pk)).context["form"]
    assert form["improvement"].value() == "Waarom"
    assert not form["comment"].value()


def test_mapping_screen_offers_only_the_files_columns(org, cclient, world):
    job = upload(cclient, org, world, csv_file(GOOD_ROWS))
    form = cclient.get(url("import_mapping", org, pk=job.pk)).context["form"]
    response = cclient.post(url("import_mapping", org, pk=job.pk),
                            mapping_data(form, nps="Bestaat niet"))
    assert response.status_code == 400
    assert "nps" in response.context["form"].errors
    job.refresh_from_db()
    assert job.status == JobStatus.UPLOADED


def test_a_column_mapped_twice_is_explained(org, cclient, world):
    job = upload(cclient, org, world, csv_file(GOOD_ROWS))
    form = cclient.get(url("import_mapping", org, pk=job.pk)).context["form"]
    response = cclient.post(url("import_mapping", org, pk=job.pk),
                            mapping_data(form, improvement="Waarom"))
    assert response.status_code == 400
    assert "mapped twice" in " ".join(response.context["form"].non_field_errors())


def test_dry_run_lists_every_problem_by_line_and_column(org, cclient, world):
    job = upload(cclient, org, world, csv_file(BAD_ROWS))
    form = cclient.get(url("import_mapping", org, pk=job.pk)).context["form"]
    cclient.post(url("import_mapping", org, pk=job.pk), mapping_data(form))
    response = cclient.get(url("import_detail", org, pk=job.pk))
    errors = {(e["line"], e["column"]) for e in response.context["errors"]}
    assert errors == {(2, "NPS"), (3, "klantnummer")}
    assert response.context["unmatched_count"] == 1
    content = response.content.decode()
    assert 'data-testid="import-errors"' in content and "K999" in content
    assert 'data-testid="import-unmatched"' in content
    assert not Response.objects.exists()


def test_real_import_after_a_dry_run_uses_the_same_mapping(org, cclient, world):
    job = upload(cclient, org, world, csv_file(GOOD_ROWS))
    form = cclient.get(url("import_mapping", org, pk=job.pk)).context["form"]
    cclient.post(url("import_mapping", org, pk=job.pk), mapping_data(form))
    response = cclient.post(url("import_run", org, pk=job.pk))
    assert response.status_code == 302
    job.refresh_from_db()
    assert not job.dry_run and job.status == JobStatus.SUCCEEDED
    assert Response.objects.filter(wave=world).count() == 3
    detail = cclient.get(url("import_detail", org, pk=job.pk))
    assert detail.context["result"]["imported"] == 3
    wave_page = cclient.get(url("wave_detail", org, pk=world.pk))
    assert wave_page.context["counts"].total == 3
    # A finished import cannot be run again; the mapping screen sends you to the result.
    assert cclient.get(url("import_mapping", org, pk=job.pk)).status_code == 302
    cclient.post(url("import_run", org, pk=job.pk))
    assert Response.objects.filter(wave=world).count() == 3


def test_all_or_nothing_import_with_errors_writes_nothing(org, cclient, world):
    job = upload(cclient, org, world, csv_file(BAD_ROWS))
    form = cclient.get(url("import_mapping", org, pk=job.pk)).context["form"]
    cclient.post(url("import_mapping", org, pk=job.pk), mapping_data(form, run="import"))
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and not job.dry_run
    assert not Response.objects.exists()
    content = cclient.get(url("import_detail", org, pk=job.pk)).content.decode()
    assert "Nothing was written" in content


def test_skip_invalid_imports_valid_rows_and_hands_back_the_rejected_ones(org, cclient, world):
    job = upload(cclient, org, world, csv_file(BAD_ROWS))
    form = cclient.get(url("import_mapping", org, pk=job.pk)).context["form"]
    cclient.post(url("import_mapping", org, pk=job.pk),
                 mapping_data(form, run="import", skip_invalid="on"))
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert list(Response.objects.values_list("external_id", flat=True)) == ["R3"]
    detail = cclient.get(url("import_detail", org, pk=job.pk)).content.decode()
    assert 'data-testid="rejected-download"' in detail
    download = cclient.get(url("import_rejected", org, pk=job.pk))
    assert download.status_code == 200
    assert "attachment" in download["Content-Disposition"]
    body = b"".join(download.streaming_content).decode("utf-8-sig")
    assert "K999" in body and "R3" not in body and "reason" in body


def test_import_pages_of_another_organisation_are_not_found(org, other_org, cclient, world,
                                                            make_member, login):
    job = upload(cclient, org, world, csv_file(BAD_ROWS))
    form = cclient.get(url("import_mapping", org, pk=job.pk)).context["form"]
    cclient.post(url("import_mapping", org, pk=job.pk),
                 mapping_data(form, run="import", skip_invalid="on"))
    stranger = login(make_member(other_org, Role.CONSULTANT))
    for name in ("import_mapping", "import_detail", "import_progress", "import_rejected"):
        assert stranger.get(url(name, other_org, pk=job.pk)).status_code == 404, name
    assert stranger.post(url("import_run", other_org, pk=job.pk)).status_code == 404
    assert stranger.get(url("response_export", other_org, pk=world.pk)).status_code == 404


def test_progress_partial_polls_while_running_and_stops_when_done(org, cclient, world):
    job = upload(cclient, org, world, csv_file(GOOD_ROWS))
    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, rows_done=1,
                                               rows_total=4)
    running = cclient.get(url("import_progress", org, pk=job.pk), HTTP_HX_REQUEST="true")
    content = running.content.decode()
    assert running.status_code == 200
    assert 'hx-trigger="every 1s"' in content
    assert url("import_progress", org, pk=job.pk) in content
    assert '<progress id="import-progress-bar" max="100" value="25"' in content
    assert "1 of 4 rows" in content
    assert "<html" not in content  # a partial

    ImportJob.objects.filter(pk=job.pk).update(status=JobStatus.SUCCEEDED, rows_done=4,
                                               result={"rows_read": 4, "imported": 4})
    done = cclient.get(url("import_progress", org, pk=job.pk), HTTP_HX_REQUEST="true")
    content = done.content.decode()
    assert "hx-trigger" not in content
    assert 'value="100"' in content and 'data-testid="import-counts"' in content


def test_detail_of_an_unmapped_upload_goes_to_the_mapping_screen(org, cclient, world):
    job = upload(cclient, org, world, csv_file(GOOD_ROWS))
    response = cclient.get(url("import_detail", org, pk=job.pk))
    assert response.status_code == 302 and response.url == url("import_mapping", org, pk=job.pk)


@pytest.mark.parametrize("role", [Role.BOARD, Role.MANAGER, Role.EMPLOYEE, Role.MODERATOR])
def test_only_admins_and_consultants_import_and_export(org, make_member, login, world, role):
    client = login(make_member(org, role))
    assert client.get(url("import_upload", org, pk=world.pk)).status_code == 403
    assert client.post(url("import_upload", org, pk=world.pk),
                       {"file": csv_file(GOOD_ROWS)}).status_code == 403
    assert client.get(url("response_export", org, pk=world.pk)).status_code == 403
    assert not ImportJob.objects.exists()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_streams_the_waves_responses_with_formulas_neutralised(org, cclient, world, fmt):
    rows = [["R1", "K001", "T-N", "9", "=HYPERLINK(\"http://evil\")", "8"]]
    job = upload(cclient, org, world, csv_file(rows))
    form = cclient.get(url("import_mapping", org, pk=job.pk)).context["form"]
    cclient.post(url("import_mapping", org, pk=job.pk), mapping_data(form, run="import"))
    assert Response.objects.count() == 1
    response = cclient.get(url("response_export", org, pk=world.pk) + f"?format={fmt}")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert f'.{fmt}"' in response["Content-Disposition"]
    body = b"".join(response.streaming_content)
    if fmt == "csv":
        text = body.decode("utf-8-sig")
        assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text
    else:
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(body)).active
        cells = [cell.value for row in sheet.iter_rows() for cell in row]
        assert any(isinstance(c, str) and c.startswith("'=HYPERLINK") for c in cells) or not any(
            isinstance(c, str) and c.startswith("=") for c in cells)
        assert any(isinstance(c, str) and "HYPERLINK" in c for c in cells)


def test_after_a_dry_run_with_problems_the_valid_rows_can_be_imported(org, cclient, world):
    job = upload(cclient, org, world, csv_file(BAD_ROWS))
    form = cclient.get(url("import_mapping", org, pk=job.pk)).context["form"]
    cclient.post(url("import_mapping", org, pk=job.pk), mapping_data(form))
    detail = cclient.get(url("import_detail", org, pk=job.pk)).content.decode()
    assert 'data-testid="import-for-real"' not in detail  # it would fail: all or nothing
    assert 'data-testid="upload-corrected"' in detail
    assert 'data-testid="import-valid-rows"' in detail
    cclient.post(url("import_run", org, pk=job.pk), {"skip_invalid": "1"})
    job.refresh_from_db()
    assert job.options["skip_invalid"] and not job.dry_run
    assert list(Response.objects.values_list("external_id", flat=True)) == ["R3"]
