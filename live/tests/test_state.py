"""The pure reducer: derivation, per-viewer views and the reconnect guarantee (no database)."""

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from live import state as rs
from live.formats import ARENA, RoomRole
from live.state import ActionRefused

FACILITATOR, EMP1, EMP2, SCRIBE, OBSERVER = "m:1", "m:2", "m:3", "m:4", "m:5"
CUST1, CUST2 = "c:1", "c:2"
BASE_ROLE = {FACILITATOR: RoomRole.OBSERVER, EMP1: RoomRole.EMPLOYEE, EMP2: RoomRole.EMPLOYEE,
             SCRIBE: RoomRole.SCRIBE, OBSERVER: RoomRole.OBSERVER, CUST1: RoomRole.CUSTOMER,
             CUST2: RoomRole.CUSTOMER}
ACTORS = list(BASE_ROLE)
VIEWERS = [*ACTORS, None]


def role_of(state: dict, actor: str) -> str:
    return RoomRole.FACILITATOR if state["facilitator"] == actor else BASE_ROLE[actor]


def created(at: int = 1_000) -> dict:
    return {"seq": 1, "type": "room_created", "actor": FACILITATOR, "role": "facilitator",
            "at": at, "payload": {"plan": ARENA.plan(), "title": "Arena",
                                  "facilitator": FACILITATOR}}


def roundtrip(value):
    """What a database column or a browser gives back."""
    return json.loads(json.dumps(value))


class Log:
    """Build a valid log the way the server does: check, then apply."""

    def __init__(self):
        self.events = [created()]
        self.state = rs.derive(self.events)

    def try_add(self, actor: str, action: str, payload: dict) -> bool:
        role = role_of(self.state, actor)
        try:
            cleaned = rs.check(self.state, actor=actor, role=role, action=action, payload=payload,
                               allowed=ARENA.allowed(self.state["phase"], role))
        except ActionRefused:
            return False
        last = self.events[-1]
        event = {"seq": last["seq"] + 1, "type": action, "actor": actor, "role": role,
                 "payload": cleaned, "at": last["at"] + 1_500}
        self.events.append(event)
        self.state = rs.apply(self.state, event)
        return True

    def add(self, actor: str, action: str, **payload) -> dict:
        assert self.try_add(actor, action, payload), (actor, action, payload)
        return self.events[-1]


@st.composite
def valid_logs(draw, max_steps=80):
    log = Log()
    for _ in range(draw(st.integers(0, max_steps))):
        actor = draw(st.sampled_from(ACTORS))
        s = log.state
        # Mostly what the actor's role may do now (so logs get rich), sometimes anything
        # (so refusals are exercised); closing the room is rare, as it ends the log.
        allowed = sorted(ARENA.allowed(s["phase"], role_of(s, actor)) - {"room_close"})
        if allowed and draw(st.integers(0, 9)) > 0:
            action = draw(st.sampled_from(allowed))
        else:
            action = draw(st.sampled_from(sorted(rs.ACTION_TYPES)))
        pick = lambda collection: draw(st.sampled_from(sorted(collection) or ["0"]))  # noqa: E731
        text = draw(st.text("abc é", min_size=0, max_size=5))
        payload = {
            "text": text, "title": text, "kind": draw(st.sampled_from(rs.STATEMENT_KINDS)),
            "sentiment": draw(st.sampled_from(rs.SENTIMENTS)), "customer": 1,
            "question": pick(s["questions"]), "statement": pick(s["statements"]),
            "group": pick(s["groups"]), "statements": [pick(s["statements"])],
            "seconds": draw(st.sampled_from([None, 30, 600])), "owner": 2,
            "to": draw(st.sampled_from([1, 2, 4])), "due": "2026-03-01",
        }
        if action == "statement_add" and draw(st.booleans()):
            payload["question"] = None
        log.try_add(actor, action, payload)
    return log.events


# Derivation ---------------------------------------------------------------------------------

def test_arena_starts_in_the_welcome_phase_with_its_timer():
    s = rs.derive([created()])
    assert s["phase"] == "welcome" and s["facilitator"] == FACILITATOR
    assert s["timer"] == {"running": False, "ends_at": None, "remaining_ms": 600_000}


def test_timer_counts_in_server_time_and_stops_with_what_was_left():
    log = Log()
    log.add(FACILITATOR, "timer_start", seconds=60)
    started = log.events[-1]["at"]
    assert log.state["timer"] == {"running": True, "ends_at": started + 60_000,
                                  "remaining_ms": 60_000}
    log.add(FACILITATOR, "timer_stop")
    assert log.state["timer"] == {"running": False, "ends_at": None, "remaining_ms": 58_500}


def test_apply_never_changes_the_state_it_is_given():
    log = Log()
    before = roundtrip(log.state)
    snapshot = log.state
    log.add(FACILITATOR, "phase_next")
    log.add(CUST1, "statement_add", text="Ik word snel geholpen")
    assert roundtrip(snapshot) == before


def test_customer_statement_is_attributed_to_that_customer_whatever_the_payload_says():
    log = Log()
    log.add(FACILITATOR, "phase_next")
    event = log.add(CUST1, "statement_add", text="Prima", customer=2)
    assert event["payload"]["customer"] == 1


def test_dot_votes_stop_at_the_budget():
    log = Log()
    log.add(FACILITATOR, "phase_next")
    sid = str(log.add(CUST1, "statement_add", text="Wachttijd")["seq"])
    log.add(FACILITATOR, "phase_next")
    gid = str(log.add(FACILITATOR, "group_create", title="Bereikbaarheid", statements=[sid])["seq"])
    for _ in range(ARENA.vote_budget):
        log.add(EMP1, "vote_cast", group=gid)
    assert not log.try_add(EMP1, "vote_cast", {"group": gid})
    assert log.state["votes"][gid] == {EMP1: 3}
    assert log.state["groups"][gid]["statements"] == [sid]
    assert log.state["statements"][sid]["group"] == gid


# Views --------------------------------------------------------------------------------------

def test_private_notes_are_seen_by_their_author_only():
    log = Log()
    log.add(EMP1, "note_add", text="Nagaan bij planning")
    assert list(rs.visible(log.state, EMP1)["notes"].values())[0]["text"] == "Nagaan bij planning"
    for viewer in (EMP2, FACILITATOR, CUST1, None):
        assert rs.visible(log.state, viewer)["notes"] == {}


def test_prepared_questions_stay_hidden_until_round_two():
    log = Log()
    log.add(FACILITATOR, "phase_next")
    log.add(EMP1, "question_prepare", text="Wat verwacht u van de monteur?")
    assert len(rs.visible(log.state, EMP1)["questions"]) == 1
    assert rs.visible(log.state, CUST1)["questions"] == {}
    assert rs.redact(log.events[-1], log.state, CUST1)["type"] == "hidden"
    before = log.state
    log.add(FACILITATOR, "phase_next")
    revealed = rs.redact(log.events[-1], before, CUST1)["payload"]["revealed"]
    assert [q["text"] for q in revealed] == ["Wat verwacht u van de monteur?"]
    assert [q["hidden"] for q in rs.visible(log.state, CUST1)["questions"].values()] == [False]


def test_hidden_questions_can_not_be_upvoted_or_picked():
    log = Log()
    log.add(FACILITATOR, "phase_next")
    qid = str(log.add(EMP1, "question_prepare", text="Vraag")["seq"])
    log.add(FACILITATOR, "phase_back")
    log.add(FACILITATOR, "phase_next")
    assert log.state["questions"][qid]["hidden"]
    assert not log.try_add(FACILITATOR, "question_pick", {"question": qid})


# The reconnect guarantee -----------------------------------------------------------------------

@settings(max_examples=150, deadline=None)
@given(valid_logs(), st.data())
def test_deriving_a_prefix_then_applying_the_rest_equals_deriving_everything(log, data):
    k = data.draw(st.integers(0, len(log)))
    stale = roundtrip(rs.derive(log[:k]))
    assert rs.derive(log[k:], stale) == roundtrip(rs.derive(log))


@settings(max_examples=150, deadline=None)
@given(valid_logs(), st.data())
def test_a_client_applying_what_it_missed_to_its_view_holds_the_fresh_view(log, data):
    k = data.draw(st.integers(1, len(log)))
    viewer = data.draw(st.sampled_from(VIEWERS))
    client = roundtrip(rs.visible(rs.derive(log[:k]), viewer))
    server = rs.derive(log[:k])
    for event in log[k:]:
        client = rs.apply(client, roundtrip(rs.redact(event, server, viewer)))
        server = rs.apply(server, event)
    assert client == roundtrip(rs.visible(server, viewer))


@settings(max_examples=100, deadline=None)
@given(valid_logs(), st.sampled_from(VIEWERS))
def test_a_view_never_contains_someone_elses_private_items(log, viewer):
    view = rs.visible(rs.derive(log), viewer)
    assert all(note["by"] == viewer for note in view["notes"].values())
    assert all(not q["hidden"] or q["by"] == viewer for q in view["questions"].values())
