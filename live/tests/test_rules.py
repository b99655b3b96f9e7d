"""Every phase × room role × action of the arena, enforced by ``services.event_append``.

The expected outcomes are written out below as a table of their own, from the method
(the seed text of the klantarena), not computed from ``live.formats``: if the format
data drifts from the method, these tests say so.
"""

import pytest
from django.db import transaction

from live import services
from live.formats import RoomRole
from live.state import ACTION_TYPES, ActionRefused

F, C, E, S, OB = (RoomRole.FACILITATOR, RoomRole.CUSTOMER, RoomRole.EMPLOYEE, RoomRole.SCRIBE,
                 RoomRole.OBSERVER)
CONTROLS = {"phase_next", "phase_back", "timer_start", "timer_stop", "input_lock", "input_unlock",
            "facilitator_handover", "room_close"}

# What each role may do, per phase, by the method.
EXPECTED = {
    "welcome": {
        F: CONTROLS | {"note_add"},
        S: {"note_add"},
        E: {"note_add", "question_prepare"},
        C: set(),
        OB: set(),
    },
    "round_1": {  # only customers speak; the moderator or a scribe captures what they say
        F: CONTROLS | {"statement_add", "note_add"},
        S: {"statement_add", "note_add"},
        C: {"statement_add"},
        E: {"note_add", "question_prepare"},  # nothing visible
        OB: set(),
    },
    "round_2": {  # employees ask; answers become statements; grouping, dot votes, owners
        F: CONTROLS | {"question_pick", "statement_add", "group_create", "statement_group",
                       "owner_assign", "note_add"},
        S: {"statement_add", "group_create", "statement_group", "note_add"},
        C: {"statement_add", "vote_cast", "vote_retract"},
        E: {"question_ask", "question_upvote", "note_add", "vote_cast", "vote_retract"},
        OB: set(),
    },
    "round_3": {  # employees evaluate and commit; the moderator confirms the actions
        F: CONTROLS | {"action_confirm", "owner_assign", "note_add"},
        S: {"note_add"},
        E: {"evaluation_add", "commitment_add", "note_add"},
        C: set(),
        OB: set(),
    },
}
# Actions of the 1-2-3 session that no one may use in an arena.
CASCADE_ONLY = {"guess_submit", "quote_show"}
# Allowed by role, but there is nowhere to go.
NO_SUCH_PHASE = {("welcome", "phase_back"), ("round_3", "phase_next")}
PHASES = list(EXPECTED)


def payloads(a, seeded) -> dict[str, dict]:
    sid, gid, qid = seeded["statement"], seeded["group"], seeded["question"]
    return {
        "statement_add": {"text": "Ik word snel geholpen", "kind": "experience",
                          "sentiment": "positive", "customer": a.customer.pk},
        "note_add": {"text": "Navragen bij planning"},
        "question_prepare": {"text": "Wat verwacht u van de monteur?"},
        "question_ask": {"text": "Hoe vaak belt u ons?"},
        "question_upvote": {"question": qid},
        "question_pick": {"question": qid},
        "group_create": {"title": "Bereikbaarheid", "statements": [sid]},
        "statement_group": {"statement": sid, "group": None},
        "vote_cast": {"group": gid},
        "vote_retract": {"group": gid},
        "owner_assign": {"group": gid, "owner": a.employee.pk},
        "evaluation_add": {"text": "Goed om het rechtstreeks te horen"},
        "commitment_add": {"text": "Ik bel klanten binnen een dag terug"},
        "action_confirm": {"title": "Terugbelnorm invoeren", "owner": a.employee.pk,
                           "due": "2026-01-31", "group": gid},
        "phase_next": {}, "phase_back": {}, "timer_start": {"seconds": 60}, "timer_stop": {},
        "input_lock": {}, "input_unlock": {}, "facilitator_handover": {"to": a.employee2.pk},
        "room_close": {},
        # The 1-2-3 session's own actions (live/tests/test_rules_cascade.py): never in an arena.
        "guess_submit": {"nps": 10, "promoters": 40},
        "quote_show": {"text": "Nooit teruggebeld"},
    }


def seed(a, phase: str) -> dict:
    """Fill the room with one of everything an action can refer to, then go to ``phase``."""
    a.do(a.facilitator, "phase_next")
    statement = a.do(a.customer, "statement_add", text="De monteur kwam te laat")
    a.do(a.facilitator, "phase_next")
    question = a.do(a.employee2, "question_ask", text="Wanneer belt u ons het liefst?")
    group = a.do(a.facilitator, "group_create", title="Op tijd", statements=[str(statement.seq)])
    a.do(a.customer, "vote_cast", group=str(group.seq))
    a.do(a.employee, "vote_cast", group=str(group.seq))
    while a.room.phase != phase:
        step = "phase_next" if PHASES.index(a.room.phase) < PHASES.index(phase) else "phase_back"
        a.do(a.facilitator, step)
    a.do(a.facilitator, "timer_start", seconds=300)
    return {"statement": str(statement.seq), "group": str(group.seq), "question": str(question.seq)}


class _Undo(Exception):
    pass


def attempt(a, actor, action: str, payload: dict) -> str:
    """Try one action and undo it, so every action meets the same room."""
    outcome = "ok"
    try:
        with transaction.atomic():
            try:
                services.event_append(room=a.room, actor=actor, type=action, payload=payload,
                                      client_key=f"try-{action}")
            except ActionRefused as refusal:
                outcome = refusal.code
            raise _Undo
    except _Undo:
        pass
    a.room.refresh_from_db()
    return outcome


def expected_outcome(phase: str, role: str, action: str) -> str:
    if action not in EXPECTED[phase][role]:
        return "not_allowed"
    if (phase, action) in NO_SUCH_PHASE:
        return "invalid"
    return "ok"


def test_the_table_covers_every_action_the_engine_knows():
    assert set().union(*(roles[F] for roles in EXPECTED.values())) | {
        "question_prepare", "question_ask", "question_upvote", "vote_cast", "vote_retract",
        "evaluation_add", "commitment_add"} | CASCADE_ONLY == ACTION_TYPES


@pytest.mark.parametrize("role", [F, C, E, S, OB])
@pytest.mark.parametrize("phase", PHASES)
def test_every_action_of_a_role_in_a_phase_is_allowed_or_refused_by_the_method(arena, phase,
                                                                                role):
    seeded = seed(arena, phase)
    actor = arena.actor(role)
    outcomes = {action: attempt(arena, actor, action, payload)
                for action, payload in payloads(arena, seeded).items()}
    assert set(outcomes) == ACTION_TYPES
    assert outcomes == {action: expected_outcome(phase, role, action) for action in outcomes}


def test_round_one_rejects_an_employee_statement(arena):
    arena.do(arena.facilitator, "phase_next")
    with pytest.raises(ActionRefused) as refused:
        arena.do(arena.employee, "statement_add", text="Dat klopt niet, wij bellen altijd terug")
    assert refused.value.code == "not_allowed"
    assert arena.room.state["statements"] == {}


def test_locked_input_refuses_everyone_but_the_facilitator(arena):
    arena.do(arena.facilitator, "phase_next")
    arena.do(arena.facilitator, "input_lock")
    with pytest.raises(ActionRefused) as refused:
        arena.do(arena.customer, "statement_add", text="Mag ik nog iets zeggen?")
    assert refused.value.code == "locked"
    arena.do(arena.facilitator, "statement_add", text="Samenvatting van de ronde")
    arena.do(arena.facilitator, "input_unlock")
    arena.do(arena.customer, "statement_add", text="Mag ik nog iets zeggen?")


def test_a_closed_room_refuses_everything(arena):
    arena.do(arena.facilitator, "room_close")
    with pytest.raises(ActionRefused) as refused:
        arena.do(arena.facilitator, "phase_next")
    assert refused.value.code == "closed"
    arena.room.refresh_from_db()
    assert arena.room.status == "closed"


def test_an_unlisted_employee_takes_no_part(arena):
    with pytest.raises(ActionRefused) as refused:
        arena.do(arena.outsider, "note_add", text="Ik kijk even mee")
    assert refused.value.code == "not_participant"


def test_a_customer_of_another_organisation_takes_no_part(arena, other_org, make_contact):
    stranger = make_contact(other_org, "Vreemde Klant")
    arena.do(arena.facilitator, "phase_next")
    with pytest.raises(ActionRefused) as refused:
        arena.do(stranger, "statement_add", text="Hallo")
    assert refused.value.code == "not_participant"


def test_an_owner_must_be_an_active_member_of_the_organisation(arena, other_org, make_member):
    seeded = seed(arena, "round_2")
    stranger = make_member(other_org)
    with pytest.raises(ActionRefused) as refused:
        arena.do(arena.facilitator, "owner_assign", group=seeded["group"], owner=stranger.pk)
    assert refused.value.code == "invalid"
