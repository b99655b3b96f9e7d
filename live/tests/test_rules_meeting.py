"""Every phase × room role × action of an improvement-group meeting, enforced by ``services.event_append``.

The expected outcomes are written out below from the method (the seed text "De vuile
was delen": customer delegates work in improvement groups beside employees), not
computed from ``live.formats``: the chair opens the meeting; customers and employees
both say what they experience; both propose and dot-vote what to improve; the chair
records the agreed actions, and everyone, the customers too, says what they will do
themselves. The format reuses the engine's event types only: no reducer change.
"""

import pytest

from accounts.models import Role
from live import services
from live.formats import MEETING, RoomRole
from live.state import ACTION_TYPES, SERVER_TYPES, ActionRefused
from live.tests.conftest import key
from live.tests.test_rules import CONTROLS, attempt

F, C, E, S, OB = (RoomRole.FACILITATOR, RoomRole.CUSTOMER, RoomRole.EMPLOYEE, RoomRole.SCRIBE,
                 RoomRole.OBSERVER)

EXPECTED = {
    "check_in": {  # the chair opens and walks through the agenda
        F: CONTROLS | {"note_add"},
        C: set(), E: set(), S: set(), OB: set(),
    },
    "discuss": {  # customers and employees both speak, as equals
        F: CONTROLS | {"statement_add", "note_add"},
        C: {"statement_add"},
        E: {"statement_add", "note_add"},
        S: set(), OB: set(),
    },
    "choose": {  # everyone at the table proposes and dot-votes; the chair groups what was said
        F: CONTROLS | {"group_create", "statement_group"},
        C: {"group_create", "vote_cast", "vote_retract"},
        E: {"group_create", "vote_cast", "vote_retract"},
        S: set(), OB: set(),
    },
    "agree": {  # the chair records the actions; customers and employees commit themselves
        F: CONTROLS | {"action_confirm"},
        C: {"commitment_add"},
        E: {"commitment_add"},
        S: set(), OB: set(),
    },
}
NO_SUCH_PHASE = {("check_in", "phase_back"), ("agree", "phase_next")}
PHASES = list(EXPECTED)


class Meeting:
    """A meeting room with a chair, two members, a scribe, two delegates and a watcher."""

    def __init__(self, org, make_member, make_contact):
        self.facilitator = make_member(org, role=Role.MANAGER, name="Carla Voorzitter")
        self.employee = make_member(org, role=Role.EMPLOYEE, name="Eva Lid")
        self.employee2 = make_member(org, role=Role.EMPLOYEE, name="Erik Lid")
        self.scribe = make_member(org, role=Role.EMPLOYEE, name="Sam Notulist")
        self.observer = make_member(org, role=Role.CONSULTANT, name="Olga Consultant")
        self.outsider = make_member(org, role=Role.EMPLOYEE, name="Otto Buitenstaander")
        self.customer = make_contact(org, "Karin Afgevaardigde")
        self.customer2 = make_contact(org, "Kees Afgevaardigde")
        self.room = services.room_create(organisation=org, format_key="meeting",
                                         title="Verbetergroep Schade", facilitator=self.facilitator)
        for member in (self.employee, self.employee2):
            services.room_participant_add(room=self.room, role=E, membership=member)
        services.room_participant_add(room=self.room, role=S, membership=self.scribe)
        for contact in (self.customer, self.customer2):
            services.room_participant_add(room=self.room, role=C, contact=contact)

    def actor(self, role: str):
        return {F: self.facilitator, E: self.employee, S: self.scribe, OB: self.observer,
                C: self.customer}[role]

    def do(self, actor, action: str, **payload):
        return services.event_append(room=self.room, actor=actor, type=action, payload=payload,
                                     client_key=key())


@pytest.fixture
def meeting(org, make_member, make_contact):
    return Meeting(org, make_member, make_contact)


def seed(m: Meeting, phase: str) -> dict:
    """Give the room a statement, a proposal with a vote each, then go to ``phase``."""
    m.do(m.facilitator, "phase_next")
    statement = m.do(m.customer2, "statement_add", text="De expert kwam pas na twee weken")
    m.do(m.facilitator, "phase_next")
    group = m.do(m.customer2, "group_create", title="Expert binnen drie dagen")
    m.do(m.customer, "vote_cast", group=str(group.seq))
    m.do(m.employee, "vote_cast", group=str(group.seq))
    while m.room.phase != phase:
        step = "phase_next" if PHASES.index(m.room.phase) < PHASES.index(phase) else "phase_back"
        m.do(m.facilitator, step)
    m.do(m.facilitator, "timer_start", seconds=300)
    return {"group": str(group.seq), "statement": str(statement.seq)}


def payloads(m: Meeting, seeded) -> dict[str, dict]:
    gid = seeded["group"]
    return {
        "statement_add": {"text": "Ik moet steeds opnieuw mijn verhaal doen"},
        "note_add": {"text": "Navragen bij team Wonen"},
        "group_create": {"title": "Eén vaste behandelaar"},
        "statement_group": {"statement": seeded["statement"], "group": gid},
        "vote_cast": {"group": gid},
        "vote_retract": {"group": gid},
        "commitment_add": {"text": "Ik stuur foto's mee bij de melding"},
        "action_confirm": {"title": "Sms bij vertrek expert", "owner": m.employee.pk,
                           "due": "2026-06-30", "group": gid},
        # Everything else the engine knows: no one may use it in a meeting.
        "question_prepare": {"text": "Vraag"},
        "question_ask": {"text": "Vraag"},
        "question_upvote": {"question": "1"},
        "question_pick": {"question": "1"},
        "owner_assign": {"group": gid, "owner": m.employee.pk},
        "evaluation_add": {"text": "Goed"},
        "guess_submit": {"nps": 10, "promoters": 40, "driver": "advies", "theme": "wachttijd"},
        "quote_show": {"text": "Citaat", "unit": "Zuid"},
        "phase_next": {}, "phase_back": {}, "timer_start": {"seconds": 60}, "timer_stop": {},
        "input_lock": {}, "input_unlock": {}, "facilitator_handover": {"to": m.employee2.pk},
        "room_close": {},
        # The server's own events are no action of anyone in the room.
        **{server: {} for server in SERVER_TYPES},
    }


def expected_outcome(phase: str, role: str, action: str) -> str:
    if action in SERVER_TYPES:
        return "unknown_action"
    if action not in EXPECTED[phase][role]:
        return "not_allowed"
    if (phase, action) in NO_SUCH_PHASE:
        return "invalid"
    return "ok"


def test_the_meeting_uses_only_actions_the_engine_knows():
    used = set().union(*(MEETING.allowed(p.key, role) for p in MEETING.phases for role in RoomRole.ALL))
    assert used <= ACTION_TYPES
    assert [p.key for p in MEETING.phases] == PHASES


@pytest.mark.parametrize("role", [F, E, S, C, OB])
@pytest.mark.parametrize("phase", PHASES)
def test_every_action_of_a_role_in_a_phase_is_allowed_or_refused_by_the_method(meeting, phase, role):
    seeded = seed(meeting, phase)
    actor = meeting.actor(role)
    outcomes = {action: attempt(meeting, actor, action, payload)
                for action, payload in payloads(meeting, seeded).items()}
    assert set(outcomes) == ACTION_TYPES | SERVER_TYPES
    assert outcomes == {action: expected_outcome(phase, role, action) for action in outcomes}


def test_in_the_check_in_a_delegate_waits_for_the_discussion(meeting):
    with pytest.raises(ActionRefused) as refused:
        meeting.do(meeting.customer, "statement_add", text="Mag ik al?")
    assert refused.value.code == "not_allowed"


def test_a_delegates_words_are_their_own(meeting):
    meeting.do(meeting.facilitator, "phase_next")
    event = meeting.do(meeting.customer, "statement_add", text="Ik word nooit teruggebeld",
                       customer=meeting.customer2.pk)
    assert event.payload["customer"] == meeting.customer.pk


def test_a_contact_not_seated_in_the_meeting_takes_no_part(meeting, make_contact):
    meeting.do(meeting.facilitator, "phase_next")
    stranger = make_contact(meeting.room.organisation, "Sandra Vreemd")
    with pytest.raises(ActionRefused) as refused:
        meeting.do(stranger, "statement_add", text="Ik ben er ook")
    assert refused.value.code == "not_participant"
    with pytest.raises(ActionRefused) as refused:
        meeting.do(meeting.outsider, "statement_add", text="Ik ook")
    assert refused.value.code == "not_participant"


def test_customers_and_employees_share_the_vote_budget_of_three(meeting):
    seeded = seed(meeting, "choose")
    for _ in range(2):
        meeting.do(meeting.customer, "vote_cast", group=seeded["group"])
    with pytest.raises(ActionRefused) as refused:
        meeting.do(meeting.customer, "vote_cast", group=seeded["group"])
    assert refused.value.code == "invalid"
    assert meeting.room.state["votes"][seeded["group"]][f"c:{meeting.customer.pk}"] == 3
