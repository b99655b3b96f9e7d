"""Importing a Qualtrics export in a real browser, as a consultant.

Upload a file with Qualtrics' three header rows, correct the unit column on the mapping
screen, see a dry run list the bad rows, upload a corrected file, import it with the
progress bar in the page, and find the responses counted on the wave page.

The import runs eagerly here (``JOBS_EAGER``, as in every test): the test database is an
in-memory SQLite database in shared-cache mode, where a background import's open write
transaction makes every other request fail at once with "database table is locked"
(there is no busy timeout in shared-cache mode). Polling while a job runs is covered by
``test_views_import.test_progress_partial_polls_while_running_and_stops_when_done``.
"""

import csv
import json

import pytest
from django.urls import reverse

from accounts.models import Role
from conftest import PASSWORD, browser_totp_user, browser_type_code
from org.models import Level, UnitKind
from org.services import customer_create, unit_create
from research.models import ImportJob, JobStatus, MappingProfile, Response
from research.services import wave_create

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = "/usr/bin/chromium"
LAPTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}

# Qualtrics: row 1 the column ids, row 2 the question texts, row 3 the ImportId JSON.
QUALTRICS_HEADER = [
    ["ResponseId", "RecordedDate", "klantnummer", "Locatie", "Q1", "Q2", "Q3_1"],
    ["Response ID", "Recorded Date", "klantnummer", "Locatie",
     "Hoe waarschijnlijk is het dat je Acme aanbeveelt aan vrienden of collega's?",
     "Wat is de belangrijkste reden voor je score?",
     "Hoe beoordeel je onze snelheid?"],
    [json.dumps({"ImportId": i}) for i in
     ("_recordId", "recordedDate", "klantnummer", "Locatie", "QID1", "QID2_TEXT", "QID3_1")],
]
BAD_ROWS = [
    ["R_1", "2025-03-03 10:00:00", "K001", "T-N", "9", "Snel en vriendelijk geholpen", "9"],
    ["R_2", "2025-03-03 11:00:00", "K002", "T-N", "11", "Alles prima", "8"],
    ["R_3", "2025-03-04 09:30:00", "K999", "T-Z", "3", "Niemand belt terug", "2"],
]
FIXED_ROWS = [
    BAD_ROWS[0],
    ["R_2", "2025-03-03 11:00:00", "K002", "T-N", "10", "Alles prima", "8"],
    ["R_3", "2025-03-04 09:30:00", "K003", "T-Z", "3", "Niemand belt terug", "2"],
]


def qualtrics_file(path, rows):
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows([*QUALTRICS_HEADER, *rows])
    return path




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
    consultant = make_member(org, Role.CONSULTANT, name="Carla Consultant")
    wave = wave_create(organisation=org, actor=None, name="Meting voorjaar 2025")
    return consultant, wave


def new_page(browser, errors, viewport):
    context = browser.new_context(viewport=viewport, locale="nl-NL")
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    return page


def log_in(page, live_server, email):
    totp_user = browser_totp_user(email)  # a consultant logs in with a second factor
    page.goto(live_server.url + reverse("accounts:login"))
    page.locator("input[name=username], input[type=email]").first.fill(email)
    page.locator("input[type=password]").fill(PASSWORD)
    page.locator("form button[type=submit]").last.click()
    if totp_user:
        browser_type_code(page, totp_user)
    page.wait_for_url("**/o/acme/**")


def upload(page, path):
    page.locator("input[type=file][name=file]").set_input_files(str(path))
    page.locator("[data-testid=import-upload] button[type=submit]").click()
    page.wait_for_url("**/imports/*/mapping/")


def assert_fits_phone(page):
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page is {overflow}px wider than the phone"


def test_consultant_imports_a_qualtrics_export_after_a_dry_run(
    browser, live_server, world, org, settings, tmp_path
):
    consultant, wave = world
    errors: list[str] = []
    page = new_page(browser, errors, LAPTOP)
    log_in(page, live_server, consultant.email)

    # From the wave page to the upload form.
    page.goto(live_server.url + wave.get_absolute_url())
    page.locator(f"a[href='{reverse('research:import_upload', args=[org.slug, wave.pk])}']"
                 ).first.click()
    upload(page, qualtrics_file(tmp_path / "qualtrics.csv", BAD_ROWS))

    # The mapping screen recognised Qualtrics and proposed the obvious columns ...
    assert "Qualtrics" in page.locator("[data-testid=detected-layout]").inner_text()
    assert page.locator("[data-testid=import-preview] tbody tr").count() == 3
    assert page.locator("select[name=nps]").input_value() == "Q1"
    assert page.locator("select[name=customer]").input_value() == "klantnummer"
    # ... but not the unit, whose column is called "Locatie": correct that by hand.
    assert page.locator("select[name=unit]").input_value() != "Locatie"
    page.locator("select[name=unit]").select_option("Locatie")
    page.locator("input[name=save_as]").fill("Qualtrics NPS")
    page.screenshot(path=str(artifact("import_mapping_laptop.png")), full_page=True)
    page.locator("[data-testid=run-check]").click()
    page.wait_for_url("**/imports/*/")

    # The dry run lists the bad score and the unknown customer, by line and column.
    page.locator("[data-testid=import-status][data-status=succeeded]").wait_for()
    problems = page.locator("[data-testid=import-error-row]")
    assert problems.count() == 2
    text = page.locator("[data-testid=import-errors]").inner_text()
    assert "Q1" in text and "klantnummer" in text and "K999" in text
    # Three header rows, so the second and third data rows are lines 5 and 6 of the file.
    lines = [problems.nth(i).locator("td").first.inner_text().strip() for i in range(2)]
    assert lines == ["5", "6"]
    assert page.locator("[data-testid=import-unmatched]").is_visible()
    page.screenshot(path=str(artifact("import_dry_run_laptop.png")), full_page=True)
    assert Response.objects.count() == 0
    assert MappingProfile.objects.filter(organisation=org, name="Qualtrics NPS").exists()

    # Fix the file and upload it again: the saved mapping is proposed, unit included.
    page.locator("[data-testid=upload-corrected]").click()
    upload(page, qualtrics_file(tmp_path / "qualtrics-verbeterd.csv", FIXED_ROWS))
    assert page.locator("select[name=unit]").input_value() == "Locatie"
    page.locator("[data-testid=run-import]").click()
    page.wait_for_url("**/imports/*/")

    # The progress bar is in the page (htmx would follow a running job until it is done).
    progress = page.locator("progress[data-testid=import-progress]")
    assert progress.is_visible()
    page.locator("[data-testid=import-status][data-status=succeeded]").wait_for()
    assert progress.get_attribute("value") == "100"
    assert "100%" in page.locator("[data-testid=import-progress-text]").inner_text()
    assert page.locator("[data-testid=import-imported]").inner_text().strip() == "3"
    job = ImportJob.objects.filter(wave=wave, dry_run=False).get()
    assert job.status == JobStatus.SUCCEEDED
    assert Response.objects.filter(wave=wave).count() == 3

    # The wave page counts the responses.
    page.locator("[data-testid=back-to-wave]").click()
    page.wait_for_url(f"**{wave.get_absolute_url()}")
    assert page.locator("[data-testid=wave-total-responses]").inner_text().strip() == "3"
    assert "Team Noord" in page.locator("[data-testid=wave-unit-counts]").inner_text()
    page.screenshot(path=str(artifact("import_wave_laptop.png")))
    page.context.close()

    # The same pages fit a phone.
    phone = new_page(browser, errors, PHONE)
    log_in(phone, live_server, consultant.email)
    phone.goto(live_server.url + reverse("research:import_detail", args=[org.slug, job.pk]))
    assert phone.locator("progress[data-testid=import-progress]").is_visible()
    assert_fits_phone(phone)
    phone.goto(live_server.url + wave.get_absolute_url())
    assert_fits_phone(phone)
    phone.goto(live_server.url + reverse("research:response_list", args=[org.slug, wave.pk]))
    assert phone.locator("[data-testid=response-row]").count() == 3
    assert_fits_phone(phone)
    for name in ("wave_list", "survey_settings"):
        phone.goto(live_server.url + reverse(f"research:{name}", args=[org.slug]))
        assert_fits_phone(phone)
    phone.goto(live_server.url + reverse("research:questionnaire_edit", args=[org.slug, wave.pk]))
    assert phone.locator("[data-testid=questionnaire-locked]").is_visible()
    assert_fits_phone(phone)
    draft = wave_create(organisation=org, actor=None, name="Meting najaar 2025")
    phone.goto(live_server.url + reverse("research:questionnaire_edit", args=[org.slug, draft.pk]))
    assert phone.locator("[data-testid=question-form]").count() == draft.questions.count() + 1
    assert_fits_phone(phone)
    phone.screenshot(path=str(artifact("questionnaire_phone.png")))
    phone.goto(live_server.url + reverse("research:import_upload", args=[org.slug, wave.pk]))
    upload(phone, qualtrics_file(tmp_path / "nog-een-keer.csv", FIXED_ROWS))
    assert_fits_phone(phone)  # the preview scrolls sideways inside its frame
    phone.screenshot(path=str(artifact("import_mapping_phone.png")), full_page=True)
    phone.context.close()
    assert errors == [], errors


def artifact(name):
    from pathlib import Path

    folder = Path(__file__).resolve().parents[2] / "test-artifacts"
    folder.mkdir(exist_ok=True)
    return folder / name
