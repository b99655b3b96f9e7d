import json

import pytest
from django.apps import apps
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import models

from accounts.models import MagicLink, Membership
from insights import selectors as insights
from live import selectors as live_selectors
from live.models import RoomEvent
from portal.models import Contribution, PortalPreference
from privacy import selectors, services
from privacy.tests.conftest import JAN, JAN_EMAIL, MARIEKE, MARIEKE_EMAIL
from research.models import Response
from safari.models import CalendarToken

pytestmark = pytest.mark.django_db


def nps_per_unit(wave):
    wave.organisation.anonymity_threshold = 1
    wave.organisation.save(update_fields=["anonymity_threshold"])
    cache.clear()
    return [(u.unit_id, u.suppressed, getattr(u, "nps", None), getattr(u, "responses", None))
            for u in insights.unit_insights(wave)]


def everything_mentioning(*words):
    """Every (table, column, pk) of every table whose text holds one of ``words``."""
    hits = []
    for model in apps.get_models():
        fields = [f for f in model._meta.concrete_fields
                  if isinstance(f, models.CharField | models.TextField | models.JSONField)]
        for obj in model._base_manager.all():
            for f in fields:
                value = getattr(obj, f.attname)
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                if any(w.lower() in (text or "").lower() for w in words):
                    hits.append((model._meta.label, f.name, obj.pk))
    return hits


def test_erasing_the_contact_leaves_no_name_or_e_mail_anywhere_and_the_nps_unchanged(pworld):
    before = nps_per_unit(pworld.wave)
    scores_before = sorted(Response.objects.values_list("unit_id", "wave_id", "nps"))
    assert everything_mentioning(MARIEKE, MARIEKE_EMAIL)
    placeholder = services.person_erase(organisation=pworld.org, email=MARIEKE_EMAIL, actor=pworld.admin)
    assert placeholder.startswith("Verwijderd persoon #")
    assert everything_mentioning(MARIEKE, MARIEKE_EMAIL, "06-12345678") == []
    assert nps_per_unit(pworld.wave) == before
    assert sorted(Response.objects.values_list("unit_id", "wave_id", "nps")) == scores_before
    assert any(nps is not None for _u, _s, nps, _r in before)
    pworld.marieke.refresh_from_db()
    assert pworld.marieke.name == placeholder and pworld.marieke.email == ""
    response = Response.objects.get(contact=pworld.marieke)
    assert response.comment == "" and response.improvement == "" and response.nps == 3
    assert not MagicLink.objects.filter(contact=pworld.marieke).exists()
    assert not Contribution.objects.filter(contact=pworld.marieke).exists()
    assert not PortalPreference.objects.filter(contact=pworld.marieke).exists()
    # The room log keeps its events; the statement about her names the placeholder now,
    # and the room folds to the same state with the name replaced.
    assert RoomEvent.objects.filter(room=pworld.arena.room).count() == 5
    pworld.arena.room.refresh_from_db()
    texts = sorted(s["text"] for s in pworld.arena.room.state["statements"].values())
    assert texts == ["Ik word nooit teruggebeld.", f"{placeholder} wacht drie weken op een monteur."]
    events = [e for e in live_selectors.events_since(room=pworld.arena.room, after_seq=0, viewer=None)]
    assert placeholder in json.dumps(events) and MARIEKE not in json.dumps(events)
    # Piet is untouched.
    pworld.piet.refresh_from_db()
    assert pworld.piet.name == "Piet Pieters"
    assert Response.objects.get(contact=pworld.piet).comment == "Prima geholpen."


def test_erasing_twice_is_harmless(pworld):
    services.person_erase(organisation=pworld.org, email=MARIEKE_EMAIL, actor=pworld.admin)
    with pytest.raises(selectors.PersonNotFound):
        services.person_erase(organisation=pworld.org, email=MARIEKE_EMAIL, actor=pworld.admin)
    assert everything_mentioning(MARIEKE, MARIEKE_EMAIL) == []


def test_erasing_the_employee_keeps_their_actions_and_counts(pworld):
    before = nps_per_unit(pworld.wave)
    placeholder = services.person_erase(organisation=pworld.org, email=JAN_EMAIL, actor=pworld.admin)
    assert everything_mentioning(JAN, JAN_EMAIL) == []
    membership = Membership.objects.get(pk=pworld.jan.pk)
    assert membership.is_active is False
    assert membership.user.name == placeholder and not membership.user.has_usable_password()
    pworld.action.refresh_from_db()
    assert pworld.action.owner_id == pworld.jan.pk
    assert not CalendarToken.objects.filter(membership=pworld.jan).exists()
    assert pworld.action.notes.count() == 1
    assert nps_per_unit(pworld.wave) == before


def test_only_an_administrator_of_the_organisation_may_erase(pworld, make_org, make_member):
    with pytest.raises(PermissionDenied):
        services.person_erase(organisation=pworld.org, email=MARIEKE_EMAIL, actor=pworld.jan)
    elsewhere = make_member(make_org(slug="elders"), "admin")
    with pytest.raises(PermissionDenied):
        services.person_erase(organisation=pworld.org, email=MARIEKE_EMAIL, actor=elsewhere)
    pworld.marieke.refresh_from_db()
    assert pworld.marieke.name == MARIEKE


def test_a_name_with_accents_inside_json_is_found_and_erased(pworld):
    from org.models import Contact
    from research import services as research
    from research.models import ResponseSource

    jose = Contact.objects.create(customer=pworld.piet.customer, name="José Müller",
                                  email="jose@pieters.example")
    research.response_record(wave=pworld.wave, source=ResponseSource.SURVEY, contact=jose,
                             answers=research.Answers(nps=8, attributes={"contact": "José Müller"}))
    data = selectors.person_data(pworld.org, "jose@pieters.example")
    assert "José Müller" in json.dumps(data["tables"]["research.Response"], ensure_ascii=False)
    services.person_erase(organisation=pworld.org, email="jose@pieters.example", actor=pworld.admin)
    assert everything_mentioning("José Müller", "jose@pieters.example") == []
    assert Response.objects.get(contact=jose).nps == 8


def test_someone_whose_address_ends_like_hers_is_left_alone(pworld):
    from org.models import Contact

    other = Contact.objects.create(customer=pworld.piet.customer, name="Anne Marieke de Vries-Bos",
                                   email="anne.marieke@devries.example")
    services.person_erase(organisation=pworld.org, email="marieke@devries.example", actor=pworld.admin)
    other.refresh_from_db()
    assert (other.name, other.email) == ("Anne Marieke de Vries-Bos", "anne.marieke@devries.example")


def test_an_administrator_cannot_erase_themselves(pworld):
    with pytest.raises(ValueError, match="yourself"):
        services.person_erase(organisation=pworld.org, email=pworld.admin.user.email, actor=pworld.admin)
    assert Membership.objects.get(pk=pworld.admin.pk).is_active
