"""Every research page of this module answers 404 for another organisation's objects and
sends anonymous visitors to the login page (the shape of tests/test_access.py's sweep)."""

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Role
from research.importing import import_prepare
from research.models import Competitor, CoreValue, Driver, ImportJob, Question, Wave
from research.services import wave_create
from research.services_settings import competitor_create, core_value_create, driver_create

pytestmark = pytest.mark.django_db

# URL name → which object its pk refers to (None: no pk).
PAGES = {
    "wave_list": None, "wave_create": None, "survey_settings": None,
    "driver_create": None, "core_value_create": None, "competitor_create": None,
    "wave_detail": "wave", "wave_update": "wave", "wave_status": "wave",
    "questionnaire_edit": "wave", "questionnaire_export": "wave",
    "questionnaire_import": "wave", "questionnaire_copy": "wave", "response_list": "wave",
    "response_export": "wave", "import_upload": "wave",
    "import_mapping": "job", "import_detail": "job", "import_run": "job",
    "import_progress": "job", "import_rejected": "job",
    "driver_update": "driver", "core_value_delete": "core_value",
    "competitor_delete": "competitor",
}


def build(organisation, tmp_path):
    wave = wave_create(organisation=organisation, actor=None, name="Meting")
    buffer = io.StringIO()
    csv.writer(buffer).writerows([["klantnummer", "NPS"], ["K1", "9"]])
    path = tmp_path / f"{organisation.slug}.csv"
    path.write_text(buffer.getvalue())
    job = import_prepare(organisation=organisation, wave=wave, actor=None, upload=path,
                         original_name="export.csv")
    return {"wave": wave, "job": job,
            "driver": driver_create(organisation=organisation, name_nl="Snelheid"),
            "core_value": core_value_create(organisation=organisation, name="Eerlijk"),
            "competitor": competitor_create(organisation=organisation, name="Rivaal")}


def page_url(name, slug, objects):
    kwargs = {"org": slug}
    if PAGES[name]:
        kwargs["pk"] = objects[PAGES[name]].pk
    return reverse(f"research:{name}", kwargs=kwargs)


@pytest.mark.parametrize("name", [n for n, obj in PAGES.items() if obj])
def test_another_organisations_object_is_not_found(org, other_org, make_member, client, name,
                                                   tmp_path):
    theirs = build(org, tmp_path)
    client.force_login(make_member(other_org, Role.ADMIN).user)
    target = page_url(name, other_org.slug, theirs)
    upload = SimpleUploadedFile("x.csv", b"klantnummer,NPS\nK1,9\n")
    statuses = {client.get(target).status_code,
                client.post(target, {"file": upload, "status": "open"}).status_code}
    assert statuses <= {404, 405} and 404 in statuses, (target, statuses)
    wave = Wave.objects.get(pk=theirs["wave"].pk)
    assert wave.status == "draft" and Question.objects.filter(wave=wave).exists()
    assert ImportJob.objects.filter(organisation=org).count() == 1
    assert ImportJob.objects.filter(organisation=other_org).count() == 0
    assert Driver.objects.filter(pk=theirs["driver"].pk, name_nl="Snelheid").exists()
    assert CoreValue.objects.filter(pk=theirs["core_value"].pk).exists()
    assert Competitor.objects.filter(pk=theirs["competitor"].pk).exists()


@pytest.mark.parametrize("name", list(PAGES))
def test_anonymous_visitor_is_sent_to_login(org, client, name, tmp_path):
    target = page_url(name, org.slug, build(org, tmp_path))
    for response in (client.get(target), client.post(target, {})):
        assert response.status_code == 302
        assert response.url.startswith(reverse("accounts:login"))
