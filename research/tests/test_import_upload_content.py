"""A survey export is judged by its content: a CSV named .xlsx or a program named .csv is
refused at upload, before anything is stored."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Role
from research.models import ImportJob
from research.services import wave_create
from tests.test_uploads import EXE, xlsx_bytes


@pytest.fixture
def wave(org):
    return wave_create(organisation=org, actor=None, name="Meting 2025")


def post(client, org, wave, name, content):
    return client.post(reverse("research:import_upload", kwargs={"org": org.slug, "pk": wave.pk}),
                       {"file": SimpleUploadedFile(name, content)})


@pytest.mark.parametrize("name, content", [
    ("export.xlsx", b"ResponseId,NPS\r\nR1,9\r\n"),  # a CSV named .xlsx
    ("export.csv", EXE),                              # a program named .csv
    ("export.csv", xlsx_bytes()),                     # a workbook named .csv
])
def test_upload_whose_content_does_not_match_its_name_is_refused(client, login, org, make_member,
                                                                 wave, settings, name, content):
    login(make_member(org, Role.CONSULTANT))
    response = post(client, org, wave, name, content)
    assert response.status_code == 400
    assert response.context["form"].errors["file"]
    assert not ImportJob.objects.exists()
    stored = list(settings.IMPORT_DIR.rglob("*")) if settings.IMPORT_DIR.exists() else []
    assert [p for p in stored if p.is_file()] == []


def test_a_real_workbook_and_a_real_csv_are_taken(client, login, org, make_member, wave):
    login(make_member(org, Role.CONSULTANT))
    assert post(client, org, wave, "export.xlsx", xlsx_bytes()).status_code == 302
    assert post(client, org, wave, "export.csv", b"ResponseId,NPS\r\nR1,9\r\n").status_code == 302
    assert ImportJob.objects.count() == 2
