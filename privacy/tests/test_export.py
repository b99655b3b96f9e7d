import csv
import io
import json
import zipfile

import pytest
from django.apps import apps

from privacy import selectors
from privacy.tests.conftest import JAN_EMAIL, MARIEKE, MARIEKE_EMAIL

pytestmark = pytest.mark.django_db


def exported(data):
    return {label: {r[apps.get_model(label)._meta.pk.attname] for r in rows}
            for label, rows in data["tables"].items()}


def test_every_link_to_a_person_is_covered_or_excluded_with_a_reason():
    uncovered = []
    for model, f, kind in selectors.person_links():
        if (model._meta.label, f.name) in selectors.EXCLUDED:
            assert selectors.EXCLUDED[(model._meta.label, f.name)].strip()
            continue
        # Covered: the table is scoped to an organisation, or it points at the user itself.
        if selectors.organisation_path(model) is None and kind != selectors.USER:
            uncovered.append(f"{model._meta.label}.{f.name}")
    assert uncovered == []
    labels = {(m._meta.label, f.name) for m, f, _k in selectors.person_links()}
    for expected in [("live.RoomEvent", "actor_contact"), ("portal.Contribution", "contact"),
                     ("safari.Visit", "contact"), ("cocreation.Comment", "author_contact"),
                     ("improvements.Action", "owner"), ("accounts.MagicLink", "contact")]:
        assert expected in labels


def test_the_contact_is_found_in_every_table_seeded(pworld):
    data = selectors.person_data(pworld.org, MARIEKE_EMAIL.upper())
    found = exported(data)
    for label, pks in pworld.seeded.items():
        if label in {"accounts.Membership", "accounts.User", "safari.CalendarToken",
                     "improvements.ActionNote", "cocreation.GroupMember", "improvements.Action"}:
            continue  # Jan's, not hers
        assert pks - found.get(label, set()) == set(), label
    assert found["research.FollowUp"] and found["research.Invitation"] and found["portal.PortalPreference"]
    assert sorted(s["text"] for r in data["statements_about"] for s in r["statements"]) == [
        "Ik word nooit teruggebeld.", f"{MARIEKE} wacht drie weken op een monteur."]
    # Secrets stay out: the magic link is there, its token hash is not.
    link = data["tables"]["accounts.MagicLink"][0]
    assert not any("hash" in key for key in link)
    # Free text naming her is found too: the evidence quote, Jan's note about her.
    assert found["improvements.Evidence"] and found["cocreation.Note"]
    # Nothing of another person's response.
    assert len(data["tables"]["research.Response"]) == 1


def test_the_employee_is_found_in_every_table_seeded(pworld):
    data = selectors.person_data(pworld.org, JAN_EMAIL)
    found = exported(data)
    for label in ["accounts.Membership", "accounts.User", "improvements.Action", "improvements.ActionNote",
                  "improvements.ImprovementPoint", "safari.Visit", "safari.CalendarToken",
                  "cocreation.Note", "cocreation.GroupMember"]:
        assert pworld.seeded[label] - found.get(label, set()) == set(), label
    assert [e["type"] for e in data["tables"]["live.RoomEvent"]
            if e["actor_membership_id"] == pworld.jan.pk] == ["question_prepare"]
    assert "password" not in data["tables"]["accounts.User"][0]
    assert data["tables"]["accounts.User"][0]["name"] == "Jan Jansen"


def test_exports_as_json_and_as_a_zip_of_csv_with_formulas_neutralised(pworld):
    pworld.marieke.job_title = "=HYPERLINK(\"http://evil\")"
    pworld.marieke.save()
    data = selectors.person_data(pworld.org, MARIEKE_EMAIL)
    document = json.loads(selectors.export_json(data))
    assert document["tables"]["org.Contact"][0]["name"] == MARIEKE
    with zipfile.ZipFile(io.BytesIO(selectors.export_zip(data))) as archive:
        names = set(archive.namelist())
        assert {f"{label}.csv" for label in data["tables"]} <= names
        assert "live.Room.statements_about.csv" in names
        contacts = list(csv.DictReader(io.StringIO(archive.read("org.Contact.csv").decode())))
        responses = list(csv.DictReader(io.StringIO(archive.read("research.Response.csv").decode())))
    assert contacts[0]["job_title"].startswith("'=")
    assert contacts[0]["email"] == MARIEKE_EMAIL
    assert MARIEKE in responses[0]["comment"]


def test_an_unknown_person_or_another_organisations_person_is_not_found(pworld, make_org):
    with pytest.raises(selectors.PersonNotFound):
        selectors.person_data(pworld.org, "nobody@example.nl")
    with pytest.raises(selectors.PersonNotFound):
        selectors.person_data(make_org(slug="elders"), MARIEKE_EMAIL)


def test_a_company_contacts_export_holds_no_colleague(db, org):
    """The primary contact of a company with more contacts: the colleagues and their
    answers are theirs, not part of this person's export."""
    from org.services import contact_create, customer_create
    from privacy import selectors
    from research import services as research

    company = customer_create(organisation=org, name="Bouwbedrijf Stevig BV", customer_number="C-77")
    me = contact_create(customer=company, name="Rick Stichter", email="rick@stevig.example", is_primary=True)
    colleague = contact_create(customer=company, name="Pien Ruijs", email="pien@stevig.example")
    wave = research.wave_create(organisation=org, actor=None, name="Meting")
    research.wave_set_status(wave=wave, status="open")
    research.response_record(wave=wave, answers=research.Answers(nps=9, comment="Prima geholpen"),
                             source="survey", contact=me)
    research.response_record(wave=wave, answers=research.Answers(nps=2, comment="Pien is boos"),
                             source="survey", contact=colleague)
    data = selectors.person_data(org, "rick@stevig.example")
    text = str(data)
    assert "Prima geholpen" in text and "rick@stevig.example" in text
    assert "pien@stevig.example" not in text and "Pien is boos" not in text
    assert "org.Customer" not in data["tables"]
