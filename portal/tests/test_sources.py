"""Contributions are recorded where customers' words become points: arenas and survey comments."""

import importlib

import pytest
from django.apps import apps as django_apps
from django.urls import reverse

from arena import services as arena_services
from arena.tests.conftest import run_rounds, world  # noqa: F401  (the arena's world fixture)
from improvements import services as improvements
from portal.models import Contribution, ContributionKind
from research.models import ResponseSource
from research.services import Answers, response_record, wave_create, wave_set_status


def contributions(point=None):
    rows = Contribution.objects.select_related("contact", "point").order_by("contact__name", "point__title")
    if point is not None:
        rows = rows.filter(point=point)
    return [(c.contact.name, c.point.title, c.kind) for c in rows]


def test_finishing_an_arena_records_each_speaker_on_the_points_of_their_words(world):  # noqa: F811
    run_rounds(world)
    arena_services.arena_finish(arena=world.arena, actor=world.planner)
    assert contributions() == [
        ("Anja Jansen", "Telefonische bereikbaarheid", ContributionKind.ARENA),
        ("Anja Jansen", "Vriendelijkheid vasthouden", ContributionKind.ARENA),
        ("Piet de Vries", "Telefonische bereikbaarheid", ContributionKind.ARENA),
    ]
    label = Contribution.objects.first().label
    assert label.startswith("“Klantarena Noord”, ")  # not "Klantarena “Klantarena Noord”"
    # Finishing again records nothing twice.
    arena_services.arena_finish(arena=world.arena, actor=world.planner)
    assert Contribution.objects.count() == 3


def test_the_backfill_records_arenas_finished_before_the_portal(world):  # noqa: F811
    run_rounds(world)
    arena_services.arena_finish(arena=world.arena, actor=world.planner)
    before = contributions()
    Contribution.objects.all().delete()
    migration = importlib.import_module("portal.migrations.0002_backfill_arena_contributions")
    migration.backfill(django_apps, None)
    assert contributions() == before
    migration.backfill(django_apps, None)  # and it can run again
    assert contributions() == before


def test_the_arena_customer_follows_her_points_in_the_portal(world, client):  # noqa: F811
    ids = run_rounds(world)
    arena_services.arena_finish(arena=world.arena, actor=world.planner)
    from accounts.models import MagicLinkPurpose
    from accounts.services import magic_link_issue

    issued = magic_link_issue(contact=ids["piet"], purpose=MagicLinkPurpose.PORTAL)
    page = client.get(reverse("accounts:magic_link", args=[issued.token]), follow=True).content.decode()
    assert "Telefonische bereikbaarheid" in page
    assert "Vriendelijkheid vasthouden" not in page  # Anja's point, not his
    assert "Anja" not in page and "nooit doorheen" not in page


@pytest.fixture
def survey(org, make_member):
    from research.tests.survey_world import build_survey_world

    return build_survey_world(org, make_member)


def test_a_survey_comment_that_becomes_evidence_records_its_respondent(survey):
    anja = survey.contacts[0]
    response = response_record(wave=survey.wave, answers=Answers(nps=2, comment="Nooit bereikbaar"),
                               source=ResponseSource.SURVEY, contact=anja)
    point = improvements.point_create(organisation=survey.org, actor=survey.manager, title="Bereikbaarheid")
    improvements.evidence_add(point=point, actor=survey.manager, label="Meting 2025", quote=response.comment,
                              source=response)
    assert contributions(point) == [("Anja Jansen", "Bereikbaarheid", ContributionKind.SURVEY)]
    assert "Meting 2025" in Contribution.objects.get().label


def test_anonymous_and_contactless_comments_record_nobody(survey, org):
    anonymous = wave_create(organisation=org, actor=survey.admin, name="Anoniem", is_anonymous=True)
    wave_set_status(wave=anonymous, status="open")
    point = improvements.point_create(organisation=org, actor=survey.manager, title="Bereikbaarheid")
    nameless = response_record(wave=survey.wave, answers=Answers(nps=2, comment="Slecht"),
                               source=ResponseSource.SURVEY, customer=survey.customers[1])
    # An anonymous wave's answers carry no contact at all (the service and the database
    # refuse one: research/tests/test_anonymous_waves.py).
    hidden = response_record(wave=anonymous, answers=Answers(nps=2, comment="Slecht"),
                             source=ResponseSource.SURVEY)
    for response in (nameless, hidden):
        improvements.evidence_add(point=point, actor=survey.manager, label="x", source=response)
    improvements.evidence_add(point=point, actor=survey.manager, label="x", quote="los citaat")
    assert Contribution.objects.count() == 0
