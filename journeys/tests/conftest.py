"""A journey with one touchpoint that every source speaks about, and its organisation.

Noord → Team Groningen with two surveyed customers, Zuid with one (``build_survey_world``).
The touchpoint "Schade melden per telefoon" is mapped to the theme ``bereikbaarheid``;
survey comments, an arena and a reported safari visit all land on it.
"""

import datetime
import itertools
import uuid
from dataclasses import dataclass

import pytest
from django.utils import timezone

from accounts.models import Role
from arena import services as arena_services
from insights.models import ResponseAnalysis
from insights.services import responses_changed
from journeys import services
from journeys.models import Channel
from live import services as live
from research.models import ResponseSource
from research.services import Answers, response_record
from research.tests.survey_world import build_survey_world

_keys = itertools.count(1)


@dataclass
class JourneyWorld:
    org: object
    survey: object
    journey: object
    call: object  # the touchpoint every source speaks about
    quiet: object  # a touchpoint nobody mentions
    expert: object  # a second stage's touchpoint
    arena: object
    moderator: object
    visit: object
    responses: list


def say(arena, actor, action, **payload):
    arena.room.refresh_from_db()
    return live.event_append(room=arena.room, actor=actor, type=action, payload=payload,
                             client_key=f"j{next(_keys)}-{uuid.uuid4().hex[:8]}")


def comment(wave, contact, score, text, *, themes, sentiment):
    """Record a response and fix its analysis (the text analysis itself is tested in insights)."""
    response = response_record(wave=wave, answers=Answers(nps=score, comment=text),
                               source=ResponseSource.SURVEY, contact=contact)
    return response, themes, sentiment


def build_journey_world(org, make_member, *, threshold: int = 1) -> JourneyWorld:
    from safari.models import SafariRound, Visit, VisitStatus

    survey = build_survey_world(org, make_member)
    org.anonymity_threshold = threshold
    org.save(update_fields=["anonymity_threshold"])
    anja, piet, zara = survey.contacts
    specs = [
        comment(survey.wave, anja, 2, "Ik kwam er telefonisch niet doorheen, eindeloos keuzemenu.",
                themes=["bereikbaarheid"], sentiment=-0.6),
        comment(survey.wave, piet, 9, "Meteen iemand aan de lijn, top.",
                themes=["bereikbaarheid", "vriendelijkheid"], sentiment=0.7),
        comment(survey.wave, zara, 7, "De premie is prima.", themes=["prijs"], sentiment=0.0),
    ]
    responses_changed(wave=survey.wave)
    for response, themes, sentiment in specs:
        ResponseAnalysis.objects.filter(response=response).update(themes=themes, sentiment=sentiment)

    journey = services.journey_create(organisation=org, actor=survey.admin, name="Autoschade",
                                      stages=["Schade melden", "Expertise"])
    melden, expertise = list(journey.stages.order_by("position"))
    call = services.touchpoint_add(stage=melden, name="Schade melden per telefoon",
                                   channel=Channel.PHONE, unit=survey.noord, moment_of_truth=True,
                                   themes=["bereikbaarheid"])
    quiet = services.touchpoint_add(stage=melden, name="Bevestigingsmail", channel=Channel.EMAIL)
    expert = services.touchpoint_add(stage=expertise, name="Expert komt langs", channel=Channel.VISIT,
                                     themes=["deskundigheid"])

    moderator = make_member(org, Role.MODERATOR, name="Mo Gespreksleider")
    arena = arena_services.arena_plan(organisation=org, actor=survey.admin, title="Klantarena Noord",
                                      starts_at=timezone.now() - datetime.timedelta(days=2),
                                      moderator=moderator, units=[survey.noord])
    arena_services.arena_customer_add(arena=arena, contact=anja)
    say(arena, moderator, "phase_next")
    say(arena, moderator, "statement_add", text="Een half uur in de wacht bij de schadelijn.",
        customer=anja.pk, kind="complaint", sentiment="negative", theme="Bereikbaarheid")
    say(arena, moderator, "statement_add", text="Het keuzemenu aan de telefoon is te lang.",
        sentiment="negative", theme="schade melden per telefoon ")
    say(arena, moderator, "statement_add", text="De expert wist waar hij het over had.",
        sentiment="positive", theme="deskundigheid")
    say(arena, moderator, "statement_add", text="Over de premie niets te klagen.",
        sentiment="positive", theme="prijs")

    safari_round = SafariRound.objects.create(organisation=org, name="Safari voorjaar",
                                              starts_on=datetime.date(2026, 3, 1),
                                              ends_on=datetime.date(2026, 5, 31))
    visit = Visit.objects.create(
        organisation=org, round=safari_round, visitor=survey.manager, customer=survey.customers[1],
        contact=piet, status=VisitStatus.DONE, went_wrong="Niemand belde terug na de melding.",
        advice="Bel de klant binnen een dag terug.", quotes="Ik voelde me van het kastje naar de muur.",
        reported_at=timezone.now())
    visit.touchpoints.add(call)
    planned = Visit.objects.create(organisation=org, round=safari_round, visitor=survey.manager,
                                   customer=survey.customers[0], contact=anja,
                                   went_wrong="Nog niet geweest.")
    planned.touchpoints.add(call)  # planned, not reported: not evidence
    return JourneyWorld(org, survey, journey, call, quiet, expert, arena, moderator, visit,
                        [r for r, _t, _s in specs])


@pytest.fixture
def world(org, make_member):
    return build_journey_world(org, make_member)
