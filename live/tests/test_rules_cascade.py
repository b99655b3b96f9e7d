"""Every phase × room role × action of the 1-2-3 session, enforced by ``services.event_append``.

The expected outcomes are written out below from the method (the seed text of the
1-2-3-spel and the issue that describes the live session), not computed from
``live.formats``: the participants first guess on their phones, then see the
customer's answer, hear the customers' own words from the consultant, propose and
dot-vote what to work on, and commit. The real answers are the server's alone.
"""

import pytest

from accounts.models import Role
from live import services
from live.formats import RoomRole
from live.state import ACTION_TYPES, SERVER_TYPES, ActionRefused
from live.tests.conftest import key
from live.tests.test_rules import CONTROLS, attempt

F, C, E, S, OB = (RoomRole.FACILITATOR, RoomRole.CUSTOMER, RoomRole.EMPLOYEE, RoomRole.SCRIBE,
                 RoomRole.OBSERVER)

# What each role may do, per phase, by the method. Participants take part as employees.
EXPECTED = {
    "guess": {  # everyone guesses on their phone; the consultant only runs the clock
        F: CONTROLS,
        E: {"guess_submit"},
        S: set(), C: set(), OB: set(),
    },
    "reveal": {  # the answers come from the server: nobody does anything but look
        F: CONTROLS,
        E: set(),
        S: set(), C: set(), OB: set(),
    },
    "voice": {  # the consultant voices the customer, one quote card at a time
        F: CONTROLS | {"quote_show"},
        E: set(),
        S: set(), C: set(), OB: set(),
    },
    "choose": {  # the room proposes and dot-votes; the consultant may propose too
        F: CONTROLS | {"group_create"},
        E: {"group_create", "vote_cast", "vote_retract"},
        S: set(), C: set(), OB: set(),
    },
    "commit": {  # the consultant records the agreed actions; everyone their own contribution
        F: CONTROLS | {"action_confirm"},
        E: {"commitment_add"},
        S: set(), C: set(), OB: set(),
    },
}
NO_SUCH_PHASE = {("guess", "phase_back"), ("commit", "phase_next")}
PHASES = list(EXPECTED)
CHOICES = {"drivers": [{"key": "advies", "label": "Advies"}, {"key": "prijs", "label": "Prijs"}],
           "themes": [{"key": "wachttijd", "label": "Wachttijd"}]}


class Session:
    """A 1-2-3 room with a consultant, two participants, a scribe, a customer and a watcher."""

    def __init__(self, org, make_member, make_contact):
        self.facilitator = make_member(org, role=Role.CONSULTANT, name="Carla Consultant")
        self.employee = make_member(org, role=Role.EMPLOYEE, name="Eva Deelnemer")
        self.employee2 = make_member(org, role=Role.EMPLOYEE, name="Erik Deelnemer")
        self.scribe = make_member(org, role=Role.EMPLOYEE, name="Sam Notulist")
        self.observer = make_member(org, role=Role.ADMIN, name="Anna Admin")  # watches unlisted
        self.outsider = make_member(org, role=Role.EMPLOYEE, name="Otto Buitenstaander")
        self.customer = make_contact(org, "Karin Klant")
        self.room = services.room_create(organisation=org, format_key="cascade",
                                         title="1-2-3-sessie Noord", facilitator=self.facilitator)
        for member in (self.employee, self.employee2):
            services.room_participant_add(room=self.room, role=E, membership=member)
        services.room_participant_add(room=self.room, role=S, membership=self.scribe)
        services.room_participant_add(room=self.room, role=C, contact=self.customer)
        self.server("guess_setup", **CHOICES)

    def actor(self, role: str):
        return {F: self.facilitator, E: self.employee, S: self.scribe, OB: self.observer,
                C: self.customer}[role]

    def do(self, actor, action: str, **payload):
        return services.event_append(room=self.room, actor=actor, type=action, payload=payload,
                                     client_key=key())

    def server(self, type: str, **payload):
        return services.room_organiser_event(room=self.room, by=self.facilitator, type=type,
                                             payload=payload, client_key=key())


@pytest.fixture
def session(org, make_member, make_contact):
    return Session(org, make_member, make_contact)


def payloads(s: Session, seeded) -> dict[str, dict]:
    gid = seeded["group"]
    return {
        "guess_submit": {"nps": 10, "promoters": 40, "driver": "advies", "theme": "wachttijd"},
        "quote_show": {"text": "Ik word nooit teruggebeld", "unit": "Noord"},
        "group_create": {"title": "Terugbellen binnen een dag"},
        "vote_cast": {"group": gid},
        "vote_retract": {"group": gid},
        "commitment_add": {"text": "Ik bel mijn drie detractors deze week"},
        "action_confirm": {"title": "Terugbelnorm invoeren", "owner": s.employee.pk,
                           "due": "2026-06-30", "group": gid},
        # Everything else the engine knows: no one may use it in a 1-2-3 session.
        "statement_add": {"text": "Ik word snel geholpen"},
        "note_add": {"text": "Navragen"},
        "question_prepare": {"text": "Vraag"},
        "question_ask": {"text": "Vraag"},
        "question_upvote": {"question": "1"},
        "question_pick": {"question": "1"},
        "statement_group": {"statement": "1", "group": None},
        "owner_assign": {"group": gid, "owner": s.employee.pk},
        "evaluation_add": {"text": "Goed"},
        "phase_next": {}, "phase_back": {}, "timer_start": {"seconds": 60}, "timer_stop": {},
        "input_lock": {}, "input_unlock": {}, "facilitator_handover": {"to": s.employee2.pk},
        "room_close": {},
        # The server's own events are no action of anyone in the room.
        "answers_reveal": {"actual": {"nps": 50}},
        "guess_setup": CHOICES,
    }


def seed(s: Session, phase: str) -> dict:
    """Give the room a guess, a proposal with a vote each and a quote card, then go to ``phase``."""
    s.do(s.employee, "guess_submit", nps=-10, promoters=30, driver="prijs", theme="wachttijd")
    for _ in range(2):
        s.do(s.facilitator, "phase_next")
    s.do(s.facilitator, "quote_show", text="De monteur kwam te laat", unit="Noord")
    s.do(s.facilitator, "phase_next")
    group = s.do(s.employee2, "group_create", title="Op tijd komen")
    s.do(s.employee, "vote_cast", group=str(group.seq))
    while s.room.phase != phase:
        step = "phase_next" if PHASES.index(s.room.phase) < PHASES.index(phase) else "phase_back"
        s.do(s.facilitator, step)
    s.do(s.facilitator, "timer_start", seconds=300)
    return {"group": str(group.seq)}


def expected_outcome(phase: str, role: str, action: str) -> str:
    if action in SERVER_TYPES:
        return "unknown_action"
    if action not in EXPECTED[phase][role]:
        return "not_allowed"
    if (phase, action) in NO_SUCH_PHASE:
        return "invalid"
    return "ok"


@pytest.mark.parametrize("role", [F, E, S, C, OB])
@pytest.mark.parametrize("phase", PHASES)
def test_every_action_of_a_role_in_a_phase_is_allowed_or_refused_by_the_method(session, phase,
                                                                                role):
    seeded = seed(session, phase)
    actor = session.actor(role)
    outcomes = {action: attempt(session, actor, action, payload)
                for action, payload in payloads(session, seeded).items()}
    assert set(outcomes) == ACTION_TYPES | SERVER_TYPES
    assert outcomes == {action: expected_outcome(phase, role, action) for action in outcomes}


def test_after_the_reveal_a_guess_is_refused_even_back_in_the_guessing_phase(session):
    session.do(session.employee, "guess_submit", nps=5, promoters=40, driver="advies",
               theme="wachttijd")
    session.do(session.facilitator, "phase_next")
    session.server("answers_reveal", actual={"nps": -8, "promoters": 31, "driver": "prijs",
                                             "theme": "wachttijd", "responses": 80})
    session.do(session.facilitator, "phase_back")
    with pytest.raises(ActionRefused) as refused:
        session.do(session.employee2, "guess_submit", nps=0, promoters=30, driver="prijs",
                   theme="wachttijd")
    assert refused.value.code == "invalid"
    assert list(session.room.state["reveal"]["scores"]) == [f"m:{session.employee.pk}"]


def test_the_answers_are_revealed_once(session):
    session.server("answers_reveal", actual={"nps": -8})
    with pytest.raises(ActionRefused) as refused:
        session.server("answers_reveal", actual={"nps": 40})
    assert refused.value.code == "invalid"
    assert session.room.state["reveal"]["actual"]["nps"] == -8


def test_an_unlisted_employee_may_not_guess(session):
    with pytest.raises(ActionRefused) as refused:
        session.do(session.outsider, "guess_submit", nps=0, promoters=30, driver="prijs",
                   theme="wachttijd")
    assert refused.value.code == "not_participant"


def test_an_arena_takes_no_server_events(arena):
    with pytest.raises(ActionRefused) as refused:
        services.room_organiser_event(room=arena.room, by=arena.facilitator, type="answers_reveal",
                                      payload={"actual": {"nps": 10}}, client_key=key())
    assert refused.value.code == "not_allowed"
    assert arena.room.state["reveal"] is None
