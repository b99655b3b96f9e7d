import io
import json
import zipfile

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from accounts.models import Role
from privacy.tests.conftest import MARIEKE, MARIEKE_EMAIL

pytestmark = pytest.mark.django_db


def url(org, name="person", **kwargs):
    return reverse(f"privacy:{name}", kwargs={"org": org.slug, **kwargs})


def test_the_admin_finds_the_person_and_downloads_json_and_zip(pworld, login):
    client = login(pworld.admin)
    page = client.get(url(pworld.org), {"email": MARIEKE_EMAIL})
    assert page.status_code == 200
    body = page.content.decode()
    assert "org.Contact" in body and "research.Response" in body and 'name="confirm"' in body
    data = json.loads(client.get(url(pworld.org, "export_json"), {"email": MARIEKE_EMAIL}).content)
    assert data["tables"]["org.Contact"][0]["name"] == MARIEKE
    archive = client.get(url(pworld.org, "export_zip"), {"email": MARIEKE_EMAIL})
    assert archive["Content-Type"] == "application/zip"
    assert "org.Contact.csv" in zipfile.ZipFile(io.BytesIO(archive.content)).namelist()
    missing = client.get(url(pworld.org), {"email": "nobody@example.nl"})
    assert b'data-testid="privacy-not-found"' in missing.content


def test_erasing_from_the_page_needs_the_typed_confirmation(pworld, login):
    client = login(pworld.admin)
    client.post(url(pworld.org, "erase"), {"email": MARIEKE_EMAIL, "confirm": "iets anders"})
    pworld.marieke.refresh_from_db()
    assert pworld.marieke.name == MARIEKE
    response = client.post(url(pworld.org, "erase"), {"email": MARIEKE_EMAIL, "confirm": MARIEKE_EMAIL})
    assert response.status_code == 302
    pworld.marieke.refresh_from_db()
    assert pworld.marieke.name.startswith("Verwijderd persoon #")


@pytest.mark.parametrize("role", [Role.MANAGER, Role.EMPLOYEE])
def test_only_admins_see_the_page(pworld, login, make_member, role):
    client = login(make_member(pworld.org, role))
    assert client.get(url(pworld.org), {"email": MARIEKE_EMAIL}).status_code == 403
    assert client.post(url(pworld.org, "erase"),
                       {"email": MARIEKE_EMAIL, "confirm": MARIEKE_EMAIL}).status_code == 403
    pworld.marieke.refresh_from_db()
    assert pworld.marieke.name == MARIEKE


def test_an_admin_of_another_organisation_gets_a_404(pworld, login, make_org, make_member):
    other = make_org(slug="elders")
    client = login(make_member(other, Role.ADMIN))
    assert client.get(url(pworld.org), {"email": MARIEKE_EMAIL}).status_code == 404
    # Their own organisation does not hold her.
    assert client.get(url(other, "export_json"), {"email": MARIEKE_EMAIL}).status_code == 404


def test_the_command_exports_and_erases(pworld, tmp_path):
    out = io.StringIO()
    call_command("privacy", "export", pworld.org.slug, MARIEKE_EMAIL, stdout=out)
    assert json.loads(out.getvalue())["tables"]["org.Contact"][0]["name"] == MARIEKE
    target = tmp_path / "m.zip"
    call_command("privacy", "export", pworld.org.slug, MARIEKE_EMAIL, "--format", "csv", "--out", str(target),
                 stdout=io.StringIO())
    assert "org.Contact.csv" in zipfile.ZipFile(target).namelist()
    with pytest.raises(CommandError, match="--yes"):
        call_command("privacy", "erase", pworld.org.slug, MARIEKE_EMAIL)
    pworld.marieke.refresh_from_db()
    assert pworld.marieke.name == MARIEKE
    call_command("privacy", "erase", pworld.org.slug, MARIEKE_EMAIL, "--yes", stdout=io.StringIO())
    pworld.marieke.refresh_from_db()
    assert pworld.marieke.name.startswith("Verwijderd persoon #")
    with pytest.raises(CommandError, match="Nobody"):
        call_command("privacy", "erase", pworld.org.slug, MARIEKE_EMAIL, "--yes")
    with pytest.raises(CommandError, match="Unknown organisation"):
        call_command("privacy", "export", "bestaat-niet", MARIEKE_EMAIL)
