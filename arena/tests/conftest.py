"""An organisation with a research wave, a planned arena and people in every arena role."""

import datetime
import itertools
import uuid
from dataclasses import dataclass

import pytest
from django.utils import timezone

from accounts.models import Role
from arena import services
from live import services as live
from research.models import ResponseSource
from research.services import Answers, response_record
from research.tests.survey_world import build_survey_world

_keys = itertools.count(1)


def key() -> str:
    return f"t{next(_keys)}-{uuid.uuid4().hex[:8]}"


@dataclass
class ArenaWorld:
    survey: object
    org: object
    arena: object
    planner: object
    moderator: object
    employee: object
    employee2: object
    board: object

    def do(self, actor, action: str, **payload):
        self.arena.room.refresh_from_db()
        return live.event_append(room=self.arena.room, actor=actor, type=action, payload=payload,
                                 client_key=key())


@pytest.fixture
def world(org, make_member):
    """Noord and Zuid with three surveyed customers; an arena for Noord planned by its manager."""
    survey = build_survey_world(org, make_member)
    for contact, score, comment in zip(survey.contacts, (3, 8, 10), ("Nooit bereikbaar", "", "Top"),
                                       strict=True):
        response_record(wave=survey.wave, answers=Answers(nps=score, comment=comment),
                        source=ResponseSource.SURVEY, contact=contact)
    moderator = make_member(org, Role.MODERATOR, name="Mo Gespreksleider")
    employee = make_member(org, Role.EMPLOYEE, unit=survey.groningen, name="Eva Buitenring")
    employee2 = make_member(org, Role.EMPLOYEE, unit=survey.groningen, name="Erik Buitenring")
    board = make_member(org, Role.BOARD, name="Bea Bestuur")
    arena = services.arena_plan(
        organisation=org, actor=survey.manager, title="Klantarena Noord",
        starts_at=timezone.now() + datetime.timedelta(days=14), place="Groningen",
        moderator=moderator, units=[survey.noord], topic="Bereikbaarheid")
    services.arena_employee_add(arena=arena, membership=employee)
    services.arena_employee_add(arena=arena, membership=employee2)
    return ArenaWorld(survey=survey, org=org, arena=arena, planner=survey.manager,
                      moderator=moderator, employee=employee, employee2=employee2, board=board)


def run_rounds(w: ArenaWorld):
    """Play an arena through its three rounds; return the ids of what was created."""
    anja, piet = w.survey.contacts[0], w.survey.contacts[1]
    for contact in (anja, piet):
        services.arena_customer_add(arena=w.arena, contact=contact)
    m, e = w.moderator, w.employee
    w.do(e, "question_prepare", text="Wanneer belt u het liefst?")
    w.do(m, "phase_next")
    s1 = w.do(m, "statement_add", text="Ik kom er telefonisch nooit doorheen", customer=anja.pk,
              kind="complaint", sentiment="negative", theme="bereikbaarheid").seq
    s2 = w.do(anja, "statement_add", text="De monteur was heel vriendelijk", sentiment="positive").seq
    w.do(e, "note_add", text="Terugbelfunctie?")
    w.do(m, "phase_next")
    q = next(iter(w.arena.room.state["questions"]))
    w.do(w.employee2, "question_upvote", question=q)
    w.do(m, "question_pick", question=q)
    s3 = w.do(m, "statement_add", text="'s Avonds na zessen", customer=piet.pk, kind="answer",
              question=q).seq
    g1 = w.do(m, "group_create", title="Telefonische bereikbaarheid",
              statements=[str(s1), str(s3)]).seq
    g2 = w.do(m, "group_create", title="Vriendelijkheid vasthouden", statements=[str(s2)]).seq
    w.do(e, "vote_cast", group=str(g1))
    w.do(anja, "vote_cast", group=str(g1))
    w.do(piet, "vote_cast", group=str(g2))
    w.do(m, "owner_assign", group=str(g1), owner=e.pk)
    w.do(m, "owner_assign", group=str(g2), owner=w.employee2.pk)
    w.do(m, "phase_next")
    w.do(e, "evaluation_add", text="Eerlijke verhalen gehoord")
    w.do(e, "commitment_add", text="Ik bel mijn klanten voortaan terug")
    a1 = w.do(m, "action_confirm", title="Terugbelservice invoeren", owner=e.pk, due="2027-03-01",
              group=str(g1)).seq
    return {"s1": s1, "s2": s2, "s3": s3, "g1": g1, "g2": g2, "a1": a1, "anja": anja, "piet": piet}
