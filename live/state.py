"""A room's state as a pure function of its event log (no Django here).

An event is a plain dict, exactly as stored and as sent to clients::

    {"seq": 7, "type": "statement_add", "actor": "c:12", "role": "customer",
     "payload": {...}, "at": 1718000000000}

``actor`` is ``"m:<membership id>"`` for staff and ``"c:<contact id>"`` for customers;
``at`` is the server's time in epoch milliseconds. The state is JSON through and
through (string keys, lists, ints), so a state stored in the database or in a
browser and read back compares equal to the one computed here.

Three functions make the reconnect guarantee:

* ``apply(state, event)`` — the reducer; ``derive(events)`` folds it.
* ``visible(state, viewer)`` — what one participant may see: private notes only to
  their author, prepared questions only to their author until a phase reveals them.
* ``redact(event, before, viewer)`` — the event as that participant receives it.

For every valid log, ``visible(apply(s, e), v) == apply(visible(s, v), redact(e, s, v))``:
a client that applies what it is sent to what it has always holds exactly its view of
the fresh state. ``check`` validates an action against the state before it is stored.

Server events (``SERVER_TYPES``) are never a client's action: the server appends them
through ``live.services.room_organiser_event`` after ``check_server``, with figures it
computed itself (the real answers of a 1-2-3 session's guessing round).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

# Events only their author sees (until revealed): everyone else receives a stub with
# the sequence number, so that nobody sees a gap.
PRIVATE_TYPES = frozenset({"note_add", "question_prepare"})
HIDDEN = "hidden"
# Events everyone sees happen, but only their author sees the contents of (until revealed):
# the others receive the event with an empty payload, so that "who has guessed" shows.
SEALED_TYPES = frozenset({"guess_submit"})
# Appended by the server only (``check_server``), never accepted from a client.
SERVER_TYPES = frozenset({"guess_setup", "answers_reveal"})

# A guess in a 1-2-3 session: the unit's NPS, its share of promoters, the driver that
# matters most and the theme that pulls the NPS down most.
GUESS_FIELDS = ("nps", "promoters", "driver", "theme")
GUESS_POINTS = 25  # per field; a perfect guess scores 100
MAX_CHOICES = 60

STATEMENT_KINDS = ("experience", "wish", "expectation", "complaint", "answer")
SENTIMENTS = ("positive", "negative", "")
MAX_TEXT = 2000
MAX_TITLE = 200
MAX_TIMER_SECONDS = 4 * 3600


class ActionRefused(Exception):
    """An action the room's rules do not allow now; ``code`` is stable, ``reason`` readable."""

    def __init__(self, code: str, reason: str):
        super().__init__(reason)
        self.code = code
        self.reason = reason


def initial() -> dict:
    """Return the state of a room before its first event."""
    return {
        "seq": 0, "format": None, "title": "", "plan": {"phases": [], "vote_budget": 0},
        "phase": None, "phase_index": 0, "facilitator": None, "locked": False, "closed": False,
        "timer": {"running": False, "ends_at": None, "remaining_ms": 0},
        "statements": {}, "notes": {}, "questions": {}, "current_question": None,
        "groups": {}, "votes": {}, "evaluations": {}, "commitments": {}, "actions": {},
        "choices": {"drivers": [], "themes": [], "route": []}, "guesses": {}, "reveal": None,
        "quotes": {}, "current_quote": None,
    }


# The reducer -------------------------------------------------------------------------------

def _timer_reset(state: dict, index: int) -> dict:
    phases = state["plan"]["phases"]
    seconds = phases[index]["timer"] if 0 <= index < len(phases) else None
    return {"running": False, "ends_at": None, "remaining_ms": (seconds or 0) * 1000}


def _target_index(state: dict, event_type: str) -> int:
    step = 1 if event_type == "phase_next" else -1
    last = len(state["plan"]["phases"]) - 1
    return max(0, min(last, state["phase_index"] + step))


def _with(state: dict, key: str, item_id: str, item: dict) -> dict:
    """Return a copy of collection ``key`` with ``item_id`` set (copy on write)."""
    return {**state[key], item_id: item}


def _room_created(s: dict, e: dict) -> None:
    p = e["payload"]
    s["format"] = p["plan"]["format"]
    s["title"] = p.get("title", "")
    s["plan"] = {"phases": p["plan"]["phases"], "vote_budget": p["plan"]["vote_budget"]}
    s["phase_index"] = 0
    s["phase"] = s["plan"]["phases"][0]["key"] if s["plan"]["phases"] else None
    s["facilitator"] = p.get("facilitator")
    s["timer"] = _timer_reset(s, 0)


def _phase_move(s: dict, e: dict) -> None:
    index = _target_index(s, e["type"])
    s["phase_index"] = index
    s["phase"] = s["plan"]["phases"][index]["key"]
    s["timer"] = _timer_reset(s, index)
    if s["plan"]["phases"][index].get("reveals"):
        questions = dict(s["questions"])
        # A client that never saw the hidden questions receives them with the event.
        for q in e["payload"].get("revealed", []):
            questions[q["id"]] = dict(q)
        for qid, q in questions.items():
            if q["hidden"]:
                questions[qid] = {**q, "hidden": False}
        s["questions"] = questions


def _timer_start(s: dict, e: dict) -> None:
    s["timer"] = {"running": True, "ends_at": e["at"] + e["payload"]["seconds"] * 1000,
                  "remaining_ms": e["payload"]["seconds"] * 1000}


def _timer_stop(s: dict, e: dict) -> None:
    timer = s["timer"]
    if timer["running"]:
        s["timer"] = {"running": False, "ends_at": None,
                      "remaining_ms": max(0, timer["ends_at"] - e["at"])}


def _statement_add(s: dict, e: dict) -> None:
    p, sid = e["payload"], str(e["seq"])
    s["statements"] = _with(s, "statements", sid, {
        "id": sid, "text": p["text"], "by": e["actor"], "customer": p.get("customer"),
        "kind": p.get("kind", "experience"), "sentiment": p.get("sentiment", ""),
        "theme": p.get("theme", ""), "question": p.get("question"), "phase": s["phase"],
        "group": None, "at": e["at"],
    })


def _text_item(key: str):
    def add(s: dict, e: dict) -> None:
        iid = str(e["seq"])
        s[key] = _with(s, key, iid, {"id": iid, "text": e["payload"]["text"], "by": e["actor"],
                                     "phase": s["phase"], "at": e["at"]})
    return add


def _question_add(prepared: bool):
    def add(s: dict, e: dict) -> None:
        qid = str(e["seq"])
        s["questions"] = _with(s, "questions", qid, {
            "id": qid, "text": e["payload"]["text"], "by": e["actor"], "phase": s["phase"],
            "prepared": prepared, "hidden": prepared, "status": "queued", "upvotes": [],
            "at": e["at"],
        })
    return add


def _question_upvote(s: dict, e: dict) -> None:
    q = s["questions"].get(e["payload"]["question"])
    if q is not None and e["actor"] not in q["upvotes"]:
        s["questions"] = _with(s, "questions", q["id"],
                               {**q, "upvotes": sorted([*q["upvotes"], e["actor"]])})


def _question_pick(s: dict, e: dict) -> None:
    q = s["questions"].get(e["payload"]["question"])
    if q is None:
        return
    questions = dict(s["questions"])
    previous = s["current_question"]
    if previous in questions:
        questions[previous] = {**questions[previous], "status": "answered"}
    questions[q["id"]] = {**q, "status": "current"}
    s["questions"], s["current_question"] = questions, q["id"]


def _move_statements(s: dict, statement_ids: Iterable[str], group_id: str | None) -> None:
    statements, groups = dict(s["statements"]), dict(s["groups"])
    for sid in statement_ids:
        st = statements.get(sid)
        if st is None:
            continue
        old = st["group"]
        if old in groups:
            groups[old] = {**groups[old],
                           "statements": [x for x in groups[old]["statements"] if x != sid]}
        if group_id in groups:
            groups[group_id] = {**groups[group_id],
                                "statements": [*groups[group_id]["statements"], sid]}
        statements[sid] = {**st, "group": group_id if group_id in groups else None}
    s["statements"], s["groups"] = statements, groups


def _group_create(s: dict, e: dict) -> None:
    gid = str(e["seq"])
    s["groups"] = _with(s, "groups", gid, {"id": gid, "title": e["payload"]["title"],
                                           "statements": [], "owner": None, "by": e["actor"],
                                           "point": e["payload"].get("point")})
    _move_statements(s, e["payload"].get("statements", []), gid)


def _statement_group(s: dict, e: dict) -> None:
    _move_statements(s, [e["payload"]["statement"]], e["payload"].get("group"))


def _vote(delta: int):
    def vote(s: dict, e: dict) -> None:
        gid = e["payload"]["group"]
        if gid not in s["groups"]:
            return
        mine = dict(s["votes"].get(gid, {}))
        count = mine.get(e["actor"], 0) + delta
        if count > 0:
            mine[e["actor"]] = count
        else:
            mine.pop(e["actor"], None)
        s["votes"] = {**s["votes"], gid: mine}
    return vote


def _owner_assign(s: dict, e: dict) -> None:
    g = s["groups"].get(e["payload"]["group"])
    if g is not None:
        s["groups"] = _with(s, "groups", g["id"], {**g, "owner": e["payload"]["owner"]})


def _action_confirm(s: dict, e: dict) -> None:
    p, aid = e["payload"], str(e["seq"])
    s["actions"] = _with(s, "actions", aid, {
        "id": aid, "title": p["title"], "owner": p["owner"], "due": p.get("due", ""),
        "group": p.get("group"), "by": e["actor"],
    })


def _guess_setup(s: dict, e: dict) -> None:
    # ``route``: the improvement route's points, which a session below the strategic one
    # may put on the table as proposals of its own (``group_create`` with a ``point``).
    s["choices"] = {"drivers": e["payload"]["drivers"], "themes": e["payload"]["themes"],
                    "route": e["payload"].get("route", [])}


def _guess_submit(s: dict, e: dict) -> None:
    # Keyed by the participant: a new guess replaces their previous one. A sealed copy
    # (``redact``) has an empty payload and so gives the contents as None.
    p = e["payload"]
    s["guesses"] = _with(s, "guesses", e["actor"], {
        "by": e["actor"], **{key: p.get(key) for key in GUESS_FIELDS}, "hidden": True, "at": e["at"],
    })


def _answers_reveal(s: dict, e: dict) -> None:
    p = e["payload"]
    guesses = dict(s["guesses"])
    # A client that only saw sealed guesses receives their contents with the event.
    for g in p.get("revealed", []):
        guesses[g["by"]] = dict(g)
    for by, g in guesses.items():
        if g["hidden"]:
            guesses[by] = {**g, "hidden": False}
    s["guesses"] = guesses
    s["reveal"] = {"actual": p["actual"], "scores": p["scores"], "winners": p["winners"],
                   "at": e["at"]}


def _quote_show(s: dict, e: dict) -> None:
    qid = str(e["seq"])
    s["quotes"] = _with(s, "quotes", qid, {"id": qid, "text": e["payload"]["text"],
                                           "unit": e["payload"].get("unit", ""), "by": e["actor"],
                                           "at": e["at"]})
    s["current_quote"] = qid


def _set(key: str, value):
    def handler(s: dict, e: dict) -> None:
        s[key] = value
    return handler


def _handover(s: dict, e: dict) -> None:
    s["facilitator"] = f"m:{e['payload']['to']}"


def _room_close(s: dict, e: dict) -> None:
    _timer_stop(s, e)
    s["closed"] = True


REDUCERS = {
    "room_created": _room_created,
    "phase_next": _phase_move,
    "phase_back": _phase_move,
    "timer_start": _timer_start,
    "timer_stop": _timer_stop,
    "input_lock": _set("locked", True),
    "input_unlock": _set("locked", False),
    "facilitator_handover": _handover,
    "room_close": _room_close,
    "statement_add": _statement_add,
    "note_add": _text_item("notes"),
    "question_prepare": _question_add(prepared=True),
    "question_ask": _question_add(prepared=False),
    "question_upvote": _question_upvote,
    "question_pick": _question_pick,
    "group_create": _group_create,
    "statement_group": _statement_group,
    "vote_cast": _vote(+1),
    "vote_retract": _vote(-1),
    "owner_assign": _owner_assign,
    "evaluation_add": _text_item("evaluations"),
    "commitment_add": _text_item("commitments"),
    "action_confirm": _action_confirm,
    "guess_setup": _guess_setup,
    "guess_submit": _guess_submit,
    "answers_reveal": _answers_reveal,
    "quote_show": _quote_show,
}
ACTION_TYPES = frozenset(REDUCERS) - {"room_created"} - SERVER_TYPES


def apply(state: dict, event: dict) -> dict:
    """Return the state after ``event``; ``state`` itself is never changed.

    Unknown types (and ``hidden`` stubs) only advance the sequence number, so an old
    client survives a newer server.
    """
    new = dict(state)
    handler = REDUCERS.get(event["type"])
    if handler is not None:
        handler(new, event)
    new["seq"] = event["seq"]
    return new


def derive(events: Iterable[dict], state: dict | None = None) -> dict:
    """Fold ``events`` into ``state`` (a fresh room when omitted)."""
    state = initial() if state is None else state
    for event in events:
        state = apply(state, event)
    return state


# Per-viewer views --------------------------------------------------------------------------

def visible(state: dict, viewer: str | None) -> dict:
    """Return what ``viewer`` (an actor key) may see of ``state``."""
    view = dict(state)
    view["notes"] = {k: n for k, n in state["notes"].items() if n["by"] == viewer}
    view["questions"] = {k: q for k, q in state["questions"].items()
                         if not q["hidden"] or q["by"] == viewer}
    if "guesses" in state:  # rooms stored before guesses existed have none
        view["guesses"] = {k: g if not g["hidden"] or g["by"] == viewer else _sealed(g)
                           for k, g in state["guesses"].items()}
    return view


def _sealed(guess: dict) -> dict:
    return {**guess, **dict.fromkeys(GUESS_FIELDS)}


def redact(event: dict, before: dict, viewer: str | None) -> dict:
    """Return ``event`` as ``viewer`` receives it, given the state ``before`` it.

    The result depends only on whether ``viewer`` is the event's author, so a
    broadcast needs at most two serialisations.
    """
    if event["type"] in PRIVATE_TYPES and viewer != event["actor"]:
        return {"seq": event["seq"], "type": HIDDEN, "at": event["at"]}
    if event["type"] in SEALED_TYPES and viewer != event["actor"]:
        return {**event, "payload": {}}
    if event["type"] == "answers_reveal":
        hidden = [g for g in before.get("guesses", {}).values() if g["hidden"]]
        if hidden:
            revealed = [{**g, "hidden": False} for g in sorted(hidden, key=lambda g: g["by"])]
            return {**event, "payload": {**event["payload"], "revealed": revealed}}
    if event["type"] in ("phase_next", "phase_back"):
        target = before["plan"]["phases"][_target_index(before, event["type"])] \
            if before["plan"]["phases"] else {}
        hidden = [q for q in before["questions"].values() if q["hidden"]]
        if target.get("reveals") and hidden:
            revealed = [{**q, "hidden": False} for q in sorted(hidden, key=lambda q: int(q["id"]))]
            return {**event, "payload": {**event["payload"], "revealed": revealed}}
    return event


def is_private(event: dict) -> bool:
    return event["type"] in PRIVATE_TYPES


# Validation --------------------------------------------------------------------------------

def _text(payload: dict, key: str = "text", limit: int = MAX_TEXT, required: bool = True) -> str:
    value = payload.get(key, "")
    if not isinstance(value, str):
        raise ActionRefused("invalid", f"{key} must be text")
    value = value.strip()
    if required and not value:
        raise ActionRefused("invalid", f"{key} is required")
    if len(value) > limit:
        raise ActionRefused("invalid", f"{key} is longer than {limit} characters")
    return value


def _int(payload: dict, key: str, required: bool = True) -> int | None:
    value = payload.get(key)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ActionRefused("invalid", f"{key} must be a positive whole number")
    return value


def _ref(payload: dict, key: str, collection: dict, required: bool = True) -> str | None:
    value = payload.get(key)
    if value is None and not required:
        return None
    value = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(value, str) or value not in collection:
        raise ActionRefused("invalid", f"unknown {key}")
    return value


def _visible_question(state: dict, payload: dict) -> dict:
    qid = _ref(payload, "question", state["questions"])
    question = state["questions"][qid]
    if question["hidden"]:
        raise ActionRefused("invalid", "unknown question")
    return question


def _choice(payload: dict, key: str, choices: tuple[str, ...], default: str) -> str:
    value = payload.get(key, default)
    if value not in choices:
        raise ActionRefused("invalid", f"{key} must be one of {', '.join(c for c in choices if c)}")
    return value


def _clean(state: dict, actor: str, role: str, action: str, payload: dict) -> dict:
    """Return the payload to store for ``action``: checked, trimmed and with defaults."""
    if action in ("phase_next", "phase_back"):
        if _target_index(state, action) == state["phase_index"]:
            raise ActionRefused("invalid", "there is no phase in that direction")
        return {}
    if action == "timer_start":
        seconds = payload.get("seconds")
        if seconds is None:
            seconds = state["plan"]["phases"][state["phase_index"]]["timer"]
            if not seconds:
                raise ActionRefused("invalid", "this phase has no default timer; give seconds")
        if isinstance(seconds, bool) or not isinstance(seconds, int) \
                or not 0 < seconds <= MAX_TIMER_SECONDS:
            raise ActionRefused("invalid", "seconds must be between 1 and 14400")
        return {"seconds": seconds}
    if action == "timer_stop":
        if not state["timer"]["running"]:
            raise ActionRefused("invalid", "the timer is not running")
        return {}
    if action in ("input_lock", "input_unlock", "room_close"):
        return {}
    if action == "facilitator_handover":
        to = _int(payload, "to")
        if f"m:{to}" == state["facilitator"]:
            raise ActionRefused("invalid", "that person is already the facilitator")
        return {"to": to}
    if action == "statement_add":
        cleaned = {
            "text": _text(payload),
            "kind": _choice(payload, "kind", STATEMENT_KINDS, "experience"),
            "sentiment": _choice(payload, "sentiment", SENTIMENTS, ""),
            "theme": _text(payload, "theme", 80, required=False),
            "customer": _int(payload, "customer", required=False),
            "question": None,
        }
        if role == "customer":  # a customer speaks for themselves only
            cleaned["customer"] = int(actor.split(":", 1)[1])
        if payload.get("question") is not None:
            cleaned["question"] = _visible_question(state, payload)["id"]
        return cleaned
    if action in ("note_add", "question_prepare", "question_ask", "evaluation_add",
                  "commitment_add"):
        return {"text": _text(payload, limit=500 if action.startswith("question") else MAX_TEXT)}
    if action == "question_upvote":
        question = _visible_question(state, payload)
        if question["by"] == actor:
            raise ActionRefused("invalid", "you cannot upvote your own question")
        if actor in question["upvotes"]:
            raise ActionRefused("invalid", "you already upvoted this question")
        if question["status"] != "queued":
            raise ActionRefused("invalid", "this question is no longer in the queue")
        return {"question": question["id"]}
    if action == "question_pick":
        question = _visible_question(state, payload)
        if question["status"] == "current":
            raise ActionRefused("invalid", "this question is already being discussed")
        return {"question": question["id"]}
    if action == "group_create":
        ids = payload.get("statements", [])
        if not isinstance(ids, list) or len(ids) > 500:
            raise ActionRefused("invalid", "statements must be a list")
        refs = [_ref({"statement": i}, "statement", state["statements"]) for i in ids]
        stored = {"title": _text(payload, "title", MAX_TITLE), "statements": list(dict.fromkeys(refs))}
        if payload.get("point") is not None:  # a point of the improvement route, once
            route = state["choices"].get("route", [])
            stored["point"] = _choice_key(payload, "point", route)
            if any(g.get("point") == stored["point"] for g in state["groups"].values()):
                raise ActionRefused("invalid", "that route point is on the table already")
        return stored
    if action == "statement_group":
        return {"statement": _ref(payload, "statement", state["statements"]),
                "group": _ref(payload, "group", state["groups"], required=False)}
    if action == "vote_cast":
        group = _ref(payload, "group", state["groups"])
        used = sum(votes.get(actor, 0) for votes in state["votes"].values())
        if used >= state["plan"]["vote_budget"]:
            raise ActionRefused("invalid", "you have used all your votes")
        return {"group": group}
    if action == "vote_retract":
        group = _ref(payload, "group", state["groups"])
        if not state["votes"].get(group, {}).get(actor):
            raise ActionRefused("invalid", "you have no vote on this group")
        return {"group": group}
    if action == "owner_assign":
        return {"group": _ref(payload, "group", state["groups"]), "owner": _int(payload, "owner")}
    if action == "action_confirm":
        due = payload.get("due") or ""
        if due:
            try:
                datetime.date.fromisoformat(due)
            except (TypeError, ValueError):
                raise ActionRefused("invalid", "due must be a date (YYYY-MM-DD)") from None
        return {"title": _text(payload, "title", MAX_TITLE), "owner": _int(payload, "owner"),
                "due": due, "group": _ref(payload, "group", state["groups"], required=False)}
    if action == "guess_submit":
        if state["reveal"] is not None:
            raise ActionRefused("invalid", "the answers have been revealed")
        return {
            "nps": _whole(payload, "nps", -100, 100),
            "promoters": _whole(payload, "promoters", 0, 100),
            "driver": _choice_key(payload, "driver", state["choices"]["drivers"]),
            "theme": _choice_key(payload, "theme", state["choices"]["themes"]),
        }
    if action == "quote_show":
        return {"text": _text(payload), "unit": _text(payload, "unit", MAX_TITLE, required=False)}
    raise ActionRefused("unknown_action", f"unknown action {action!r}")


def _whole(payload: dict, key: str, low: int, high: int, required: bool = True) -> int | None:
    value = payload.get(key)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ActionRefused("invalid", f"{key} must be a whole number from {low} to {high}")
    return value


def _choice_key(payload: dict, key: str, choices: list[dict]) -> str | None:
    """Return the key chosen from ``choices`` (required when there is anything to choose)."""
    value = payload.get(key)
    if value is None and not choices:
        return None
    if not isinstance(value, str) or value not in {c["key"] for c in choices}:
        raise ActionRefused("invalid", f"{key} must be one of the choices")
    return value


# Server events -------------------------------------------------------------------------------

def _choice_list(payload: dict, key: str) -> list[dict]:
    items = payload.get(key, [])
    if not isinstance(items, list) or len(items) > MAX_CHOICES:
        raise ActionRefused("invalid", f"{key} must be a list of at most {MAX_CHOICES}")
    out, seen = [], set()
    for item in items:
        if not isinstance(item, dict):
            raise ActionRefused("invalid", f"each of {key} must be an object")
        choice = {"key": _text(item, "key", 80), "label": _text(item, "label", MAX_TITLE)}
        if choice["key"] in seen:
            raise ActionRefused("invalid", f"{key} repeats {choice['key']!r}")
        seen.add(choice["key"])
        out.append(choice)
    return out


def guess_score(guess: dict, actual: dict) -> dict:
    """Return the points of one guess against the actual answers: closer scores more.

    Each field is worth ``GUESS_POINTS``: the NPS loses a point for every two points
    off, the promoter share a point for every percentage point off; the driver and the
    theme score all or nothing. A field without an actual answer scores nothing for
    anyone. Integers only, so every client computes the same.
    """
    points = {}
    for key, per_point in (("nps", 2), ("promoters", 1)):
        g, a = guess.get(key), actual.get(key)
        points[key] = (0 if g is None or a is None
                       else max(0, GUESS_POINTS - abs(g - a) // per_point))
    for key in ("driver", "theme"):
        g, a = guess.get(key), actual.get(key)
        points[key] = GUESS_POINTS if g is not None and g == a else 0
    points["total"] = sum(points[key] for key in GUESS_FIELDS)
    return points


def check_server(state: dict, *, type: str, payload: dict, allowed: frozenset[str]) -> dict:
    """Validate a server event for the room's ``state``; return the payload to store.

    ``allowed`` is the room format's server events. For ``answers_reveal`` the payload
    carries the actual answers only; the scores are computed here, from every guess
    in the room at that moment, under the room's lock.
    """
    if type not in SERVER_TYPES:
        raise ActionRefused("unknown_action", f"{type!r} is not a server event")
    if type not in allowed:
        raise ActionRefused("not_allowed", f"{type} is not part of this format")
    if not isinstance(payload, dict):
        raise ActionRefused("invalid", "payload must be an object")
    if state["closed"]:
        raise ActionRefused("closed", "the room is closed")
    if type == "guess_setup":
        if state["guesses"]:
            raise ActionRefused("invalid", "guessing has started")
        return {"drivers": _choice_list(payload, "drivers"), "themes": _choice_list(payload, "themes"),
                "route": _choice_list(payload, "route")}
    # answers_reveal
    if state["reveal"] is not None:
        raise ActionRefused("invalid", "the answers have been revealed")
    given = payload.get("actual")
    if not isinstance(given, dict):
        raise ActionRefused("invalid", "actual must be an object")
    actual = {
        "nps": _whole(given, "nps", -100, 100, required=False),
        "promoters": _whole(given, "promoters", 0, 100, required=False),
        "driver": None, "theme": None,
        "responses": _whole(given, "responses", 0, 10**9, required=False),
    }
    for key, choices in (("driver", "drivers"), ("theme", "themes")):
        if given.get(key) is not None:
            actual[key] = _choice_key(given, key, state["choices"][choices])
    scores = {by: guess_score(g, actual) for by, g in sorted(state["guesses"].items())}
    best = max((points["total"] for points in scores.values()), default=0)
    winners = [by for by, points in scores.items() if best > 0 and points["total"] == best]
    return {"actual": actual, "scores": scores, "winners": winners}


def check(state: dict, *, actor: str, role: str, action: str, payload: dict,
          allowed: frozenset[str]) -> dict:
    """Validate ``action`` by ``actor`` in ``role``; return the payload to store.

    ``allowed`` is what the room's format grants ``role`` in the current phase.
    Raise ``ActionRefused`` when the rules say no.
    """
    if action not in ACTION_TYPES:
        raise ActionRefused("unknown_action", f"unknown action {action!r}")
    if not isinstance(payload, dict):
        raise ActionRefused("invalid", "payload must be an object")
    if state["closed"]:
        raise ActionRefused("closed", "the room is closed")
    if action not in allowed:
        raise ActionRefused("not_allowed",
                            f"a {role} may not do {action} in phase {state['phase']}")
    if state["locked"] and role != "facilitator":
        raise ActionRefused("locked", "input is locked by the facilitator")
    return _clean(state, actor, role, action, payload)
