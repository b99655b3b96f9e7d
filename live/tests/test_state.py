"""The pure reducer: derivation, per-viewer views and the reconnect guarantee (no database)."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from live import state as rs
from live.formats import ARENA, CASCADE, RoomRole
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


def created(at: int = 1_000, fmt=ARENA) -> dict:
    return {"seq": 1, "type": "room_created", "actor": FACILITATOR, "role": "facilitator",
            "at": at, "payload": {"plan": fmt.plan(), "title": fmt.key.title(),
                                  "facilitator": FACILITATOR}}


# The guessing round of a 1-2-3 session: the choices the server sets up.
DRIVERS = [{"key": "advies", "label": "Advies"}, {"key": "prijs", "label": "Prijs"},
           {"key": "levering", "label": "Levering"}]
THEMES = [{"key": "bereikbaarheid", "label": "Bereikbaarheid"},
          {"key": "wachttijd", "label": "Wachttijd"}]


def roundtrip(value):
    """What a database column or a browser gives back."""
    return json.loads(json.dumps(value))


class Log:
    """Build a valid log the way the server does: check, then apply."""

    def __init__(self, fmt=ARENA):
        self.fmt = fmt
        self.events = [created(fmt=fmt)]
        self.state = rs.derive(self.events)

    def _append(self, actor: str, role: str, action: str, payload: dict) -> None:
        last = self.events[-1]
        event = {"seq": last["seq"] + 1, "type": action, "actor": actor, "role": role,
                 "payload": payload, "at": last["at"] + 1_500}
        self.events.append(event)
        self.state = rs.apply(self.state, event)

    def try_add(self, actor: str, action: str, payload: dict) -> bool:
        role = role_of(self.state, actor)
        try:
            cleaned = rs.check(self.state, actor=actor, role=role, action=action, payload=payload,
                               allowed=self.fmt.allowed(self.state["phase"], role))
        except ActionRefused:
            return False
        self._append(actor, role, action, cleaned)
        return True

    def add(self, actor: str, action: str, **payload) -> dict:
        assert self.try_add(actor, action, payload), (actor, action, payload)
        return self.events[-1]

    def try_server(self, type: str, payload: dict) -> bool:
        """Append a server event the way ``live.services.room_organiser_event`` does."""
        try:
            cleaned = rs.check_server(self.state, type=type, payload=payload,
                                      allowed=self.fmt.server_events)
        except ActionRefused:
            return False
        self._append(FACILITATOR, "organiser", type, cleaned)
        return True

    def server(self, type: str, **payload) -> dict:
        assert self.try_server(type, payload), (type, payload)
        return self.events[-1]


def _server_payload(draw, type: str) -> dict:
    if type == "guess_setup":
        return {"drivers": DRIVERS, "themes": THEMES}
    maybe = lambda values: draw(st.one_of(st.none(), values))  # noqa: E731
    return {"actual": {
        "nps": maybe(st.integers(-100, 100)), "promoters": maybe(st.integers(0, 100)),
        "driver": maybe(st.sampled_from([c["key"] for c in DRIVERS])),
        "theme": maybe(st.sampled_from([c["key"] for c in THEMES])),
        "responses": maybe(st.integers(0, 500))}}


@st.composite
def valid_logs(draw, fmt=ARENA, max_steps=80):
    log = Log(fmt)
    if fmt.server_events and draw(st.integers(0, 9)) > 0:
        log.server("guess_setup", drivers=DRIVERS, themes=THEMES)
    for _ in range(draw(st.integers(0, max_steps))):
        if fmt.server_events and draw(st.integers(0, 14)) == 0:
            # The server reveals the answers (or tries to set the choices again).
            type = draw(st.sampled_from(sorted(fmt.server_events)))
            log.try_server(type, _server_payload(draw, type))
            continue
        actor = draw(st.sampled_from(ACTORS))
        s = log.state
        # Mostly what the actor's role may do now (so logs get rich), sometimes anything
        # (so refusals are exercised); closing the room is rare, as it ends the log.
        allowed = sorted(fmt.allowed(s["phase"], role_of(s, actor)) - {"room_close"})
        if fmt is CASCADE and "phase_next" in allowed and draw(st.integers(0, 4)) == 0:
            action = "phase_next"  # a short session still reaches choosing and committing
        elif allowed and draw(st.integers(0, 9)) > 0:
            action = draw(st.sampled_from(allowed))
        else:
            action = draw(st.sampled_from(sorted(rs.ACTION_TYPES)))
        pick = lambda collection: draw(st.sampled_from(sorted(collection) or ["0"]))  # noqa: E731
        text = draw(st.text("abc é", min_size=0, max_size=5))
        payload = {
            "text": text, "title": text, "kind": draw(st.sampled_from(rs.STATEMENT_KINDS)),
            "sentiment": draw(st.sampled_from(rs.SENTIMENTS)), "customer": 1,
            "question": pick(s["questions"]), "statement": pick(s["statements"]),
            "group": pick(s["groups"]), "statements": [pick(s["statements"])] if s["statements"] else [],
            "seconds": draw(st.sampled_from([None, 30, 600])), "owner": 2,
            "to": draw(st.sampled_from([1, 2, 4])), "due": "2026-03-01",
            "nps": draw(st.integers(-110, 110)), "promoters": draw(st.integers(-5, 105)),
            "driver": draw(st.sampled_from([None, "advies", "prijs", "levering", "onbekend"])),
            "theme": draw(st.sampled_from([None, "wachttijd", "bereikbaarheid"])),
            "unit": text,
        }
        if action == "statement_add" and draw(st.booleans()):
            payload["question"] = None
        log.try_add(actor, action, payload)
    return log.events


# Logs of every format: the arena's and the 1-2-3 session's.
any_logs = st.one_of(valid_logs(), valid_logs(CASCADE))


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
@given(any_logs, st.data())
def test_deriving_a_prefix_then_applying_the_rest_equals_deriving_everything(log, data):
    k = data.draw(st.integers(0, len(log)))
    stale = roundtrip(rs.derive(log[:k]))
    assert rs.derive(log[k:], stale) == roundtrip(rs.derive(log))


@settings(max_examples=150, deadline=None)
@given(any_logs, st.data())
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
@given(any_logs, st.sampled_from(VIEWERS))
def test_a_view_never_contains_someone_elses_private_items(log, viewer):
    view = rs.visible(rs.derive(log), viewer)
    assert all(note["by"] == viewer for note in view["notes"].values())
    assert all(not q["hidden"] or q["by"] == viewer for q in view["questions"].values())
    assert all(not g["hidden"] or g["by"] == viewer or all(g[k] is None for k in rs.GUESS_FIELDS)
               for g in view["guesses"].values())


# The 1-2-3 session's guesses -------------------------------------------------------------------

def guessing() -> Log:
    log = Log(CASCADE)
    log.server("guess_setup", drivers=DRIVERS, themes=THEMES)
    return log


def test_a_guess_is_sealed_for_everyone_but_its_author_until_the_reveal():
    log = guessing()
    event = log.add(EMP1, "guess_submit", nps=12, promoters=40, driver="advies", theme="wachttijd")
    mine = rs.visible(log.state, EMP1)["guesses"][EMP1]
    assert (mine["nps"], mine["promoters"], mine["driver"], mine["theme"]) == (12, 40, "advies",
                                                                               "wachttijd")
    for viewer in (EMP2, FACILITATOR, OBSERVER, None):
        sealed = rs.visible(log.state, viewer)["guesses"][EMP1]
        assert sealed["hidden"] and all(sealed[k] is None for k in rs.GUESS_FIELDS)
        assert rs.redact(event, log.state, viewer)["payload"] == {}
    assert rs.redact(event, log.state, EMP1) == event


def test_a_participant_may_change_their_guess_until_the_reveal_and_not_after():
    log = guessing()
    log.add(EMP1, "guess_submit", nps=12, promoters=40, driver="advies", theme="wachttijd")
    log.add(EMP1, "guess_submit", nps=-5, promoters=30, driver="prijs", theme="wachttijd")
    assert list(log.state["guesses"]) == [EMP1] and log.state["guesses"][EMP1]["nps"] == -5
    log.add(FACILITATOR, "phase_next")
    assert not log.try_add(EMP1, "guess_submit", {"nps": 0, "promoters": 30, "driver": "prijs",
                                                  "theme": "wachttijd"})  # not in this phase
    log.add(FACILITATOR, "phase_back")
    log.server("answers_reveal", actual={"nps": -8, "promoters": 31, "driver": "prijs",
                                         "theme": "wachttijd", "responses": 120})
    with pytest.raises(ActionRefused, match="revealed"):
        rs.check(log.state, actor=EMP1, role=RoomRole.EMPLOYEE, action="guess_submit",
                 payload={"nps": 0, "promoters": 30, "driver": "prijs", "theme": "wachttijd"},
                 allowed=CASCADE.allowed("guess", RoomRole.EMPLOYEE))


@pytest.mark.parametrize("payload", [
    {"nps": 101, "promoters": 40, "driver": "advies", "theme": "wachttijd"},
    {"nps": 10, "promoters": -1, "driver": "advies", "theme": "wachttijd"},
    {"nps": 10.5, "promoters": 40, "driver": "advies", "theme": "wachttijd"},
    {"nps": 10, "promoters": 40, "driver": "onbekend", "theme": "wachttijd"},
    {"nps": 10, "promoters": 40, "driver": "advies"},
])
def test_a_guess_must_be_within_range_and_from_the_choices(payload):
    log = guessing()
    assert not log.try_add(EMP1, "guess_submit", payload)


def test_the_reveal_shows_every_guess_and_scores_the_closest_highest():
    log = guessing()
    log.add(EMP1, "guess_submit", nps=12, promoters=40, driver="advies", theme="wachttijd")
    log.add(EMP2, "guess_submit", nps=-10, promoters=30, driver="prijs", theme="wachttijd")
    before = log.state
    event = log.server("answers_reveal", actual={"nps": -8, "promoters": 31, "driver": "prijs",
                                                 "theme": "bereikbaarheid", "responses": 120})
    reveal = log.state["reveal"]
    assert reveal["scores"][EMP1] == {"nps": 15, "promoters": 16, "driver": 0, "theme": 0,
                                      "total": 31}
    assert reveal["scores"][EMP2] == {"nps": 24, "promoters": 24, "driver": 25, "theme": 0,
                                      "total": 73}
    assert reveal["winners"] == [EMP2]
    assert all(not g["hidden"] for g in rs.visible(log.state, None)["guesses"].values())
    sent = rs.redact(event, before, None)
    assert [g["by"] for g in sent["payload"]["revealed"]] == [EMP1, EMP2]
    assert sent == rs.redact(event, before, EMP1)  # the same for everyone: one serialisation


def test_a_field_without_an_answer_scores_nothing_and_ties_share_the_win():
    actual = {"nps": None, "promoters": 50, "driver": None, "theme": None}
    assert rs.guess_score({"nps": 0, "promoters": 50, "driver": "a", "theme": "b"}, actual) == {
        "nps": 0, "promoters": 25, "driver": 0, "theme": 0, "total": 25}
    log = guessing()
    for actor in (EMP1, EMP2):
        log.add(actor, "guess_submit", nps=0, promoters=50, driver="advies", theme="wachttijd")
    log.server("answers_reveal", actual=actual)
    assert log.state["reveal"]["winners"] == [EMP1, EMP2]


def test_only_the_server_reveals_and_only_once():
    log = guessing()
    for action in ("answers_reveal", "guess_setup"):
        with pytest.raises(ActionRefused) as refused:
            rs.check(log.state, actor=FACILITATOR, role=RoomRole.FACILITATOR, action=action,
                     payload={"actual": {"nps": 10}}, allowed=frozenset({action}))
        assert refused.value.code == "unknown_action"
    log.server("answers_reveal", actual={"nps": 10})
    assert not log.try_server("answers_reveal", {"actual": {"nps": 11}})
    arena = Log()
    assert not arena.try_server("answers_reveal", {"actual": {"nps": 10}})


def test_quote_cards_are_shown_one_at_a_time():
    log = guessing()
    for _ in range(2):
        log.add(FACILITATOR, "phase_next")
    first = log.add(FACILITATOR, "quote_show", text="Nooit teruggebeld", unit="Noord")
    second = log.add(FACILITATOR, "quote_show", text="Heel vriendelijk")
    assert log.state["current_quote"] == str(second["seq"])
    assert log.state["quotes"][str(first["seq"])]["unit"] == "Noord"
    assert log.state["quotes"][str(second["seq"])]["unit"] == ""
