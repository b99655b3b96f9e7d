"""The page's reducer (``static/js/live-room.js``) is the server's (``live/state.py``), event for event.

The script is loaded into headless Chromium on an empty page (without a room config it
only defines ``window.LiveRoom``), and its ``apply`` is run over logs built the way the
server builds them: rich logs of the arena and of the 1-2-3 session that together use
every event type, and Hypothesis' valid logs of both formats from
``live/tests/test_state.py``. States cross as JSON text both ways, so the
comparison is exact. No Node needed.
"""

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from live import state as rs
from live.formats import CASCADE
from live.tests.test_state import (
    CUST1,
    CUST2,
    DRIVERS,
    EMP1,
    EMP2,
    FACILITATOR,
    SCRIBE,
    THEMES,
    VIEWERS,
    Log,
    any_logs,
    roundtrip,
)

pytestmark = pytest.mark.browser

SCRIPT = Path(__file__).resolve().parents[2] / "static" / "js" / "live-room.js"

DERIVE = """([events, state]) => JSON.stringify(
    LiveRoom.derive(JSON.parse(events), state === null ? null : JSON.parse(state)))"""

# Apply each event and check that the state it was given is left as it was.
APPLY_PURELY = """(events) => {
  let state = LiveRoom.initial();
  for (const event of JSON.parse(events)) {
    const before = JSON.stringify(state);
    const next = LiveRoom.apply(state, event);
    if (JSON.stringify(state) !== before) return "apply changed the state it was given at " + event.seq;
    state = next;
  }
  return JSON.stringify(state);
}"""


@pytest.fixture
def page(browser):
    page = browser.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.set_content("<!doctype html><html lang='nl'><title>reducer</title></html>")
    page.add_script_tag(path=str(SCRIPT))
    yield page
    page.close()
    assert errors == []


def js_derive(page, events, state=None):
    text = page.evaluate(DERIVE, [json.dumps(events), None if state is None else json.dumps(state)])
    return json.loads(text)


def rich_log() -> list[dict]:
    """Return a valid arena log that uses every event type, plus a stub and an unknown type."""
    log = Log()
    log.add(EMP1, "question_prepare", text="Wat verwacht u van de monteur?")
    log.add(EMP1, "note_add", text="Nagaan bij planning")
    log.add(FACILITATOR, "timer_start", seconds=90)
    log.add(FACILITATOR, "timer_stop")
    log.add(FACILITATOR, "input_lock")
    log.add(FACILITATOR, "input_unlock")
    log.add(FACILITATOR, "phase_next")
    s1 = str(log.add(CUST1, "statement_add", text="Ik word snel geholpen", sentiment="positive")["seq"])
    s2 = str(log.add(SCRIBE, "statement_add", text="Ik wacht al weken", customer=2, kind="complaint",
                     sentiment="negative", theme="wachttijd")["seq"])
    log.add(EMP2, "question_prepare", text="Wanneer belt u het liefst?")
    log.add(FACILITATOR, "phase_back")
    log.add(FACILITATOR, "phase_next")
    log.add(FACILITATOR, "phase_next")  # round 2 reveals the prepared questions
    prepared = sorted((q for q in log.state["questions"].values() if q["prepared"]),
                      key=lambda q: int(q["id"]))
    asked = str(log.add(EMP2, "question_ask", text="Hoe vaak moest u terugbellen?")["seq"])
    log.add(EMP1, "question_upvote", question=asked)
    log.add(SCRIBE, "note_add", text="Doorvragen op de wachttijd")
    log.add(FACILITATOR, "question_pick", question=prepared[0]["id"])
    log.add(FACILITATOR, "question_pick", question=asked)  # the first becomes answered
    s3 = str(log.add(CUST2, "statement_add", text="Twee keer", kind="answer", question=asked)["seq"])
    g1 = str(log.add(FACILITATOR, "group_create", title="Bereikbaarheid", statements=[s1, s2])["seq"])
    g2 = str(log.add(SCRIBE, "group_create", title="Vriendelijkheid", statements=[])["seq"])
    log.add(SCRIBE, "statement_group", statement=s3, group=g1)
    log.add(FACILITATOR, "statement_group", statement=s1, group=g2)  # from one group to another
    log.add(FACILITATOR, "statement_group", statement=s2)  # out of every group
    log.add(CUST1, "vote_cast", group=g1)
    log.add(CUST1, "vote_cast", group=g1)
    log.add(CUST1, "vote_retract", group=g1)
    log.add(CUST1, "vote_retract", group=g1)  # back to none: an empty tally stays
    log.add(EMP1, "vote_cast", group=g2)
    log.add(CUST2, "vote_cast", group=g2)
    log.add(FACILITATOR, "owner_assign", group=g1, owner=2)
    log.add(FACILITATOR, "facilitator_handover", to=3)  # EMP2 leads from here
    log.add(EMP2, "phase_next")
    log.add(EMP1, "evaluation_add", text="Eerlijke verhalen")
    log.add(EMP1, "commitment_add", text="Ik bel voortaan terug")
    log.add(EMP2, "action_confirm", title="Terugbelservice", owner=2, due="2031-03-01", group=g1)
    log.add(EMP2, "action_confirm", title="Script aanpassen", owner=3)
    log.add(EMP2, "owner_assign", group=g2, owner=3)
    log.add(EMP2, "timer_start", seconds=600)
    log.add(EMP2, "room_close")  # stops the running timer with what was left
    last = log.events[-1]
    return [
        *log.events,
        {"seq": last["seq"] + 1, "type": "hidden", "at": last["at"] + 10},
        {"seq": last["seq"] + 2, "type": "confetti", "actor": FACILITATOR, "role": "facilitator",
         "payload": {"colour": "orange"}, "at": last["at"] + 20},
    ]


def cascade_rich_log() -> list[dict]:
    """Return a valid 1-2-3 session log: guesses (one changed), the reveal, quote cards,
    proposals and dot votes, commitments and actions."""
    log = Log(CASCADE)
    log.server("guess_setup", drivers=DRIVERS, themes=THEMES,
               route=[{"key": "41", "label": "VP-7 Bereikbaarheid"}])
    log.add(EMP1, "guess_submit", nps=12, promoters=40, driver="advies", theme="wachttijd")
    log.add(EMP2, "guess_submit", nps=-20, promoters=25, driver="prijs", theme="bereikbaarheid")
    log.add(EMP1, "guess_submit", nps=5, promoters=35, driver="prijs", theme="wachttijd")
    log.add(FACILITATOR, "timer_start", seconds=120)
    log.add(FACILITATOR, "phase_next")
    log.server("answers_reveal", actual={"nps": -8, "promoters": 31, "driver": "prijs",
                                         "theme": "wachttijd", "responses": 143})
    log.add(FACILITATOR, "phase_next")
    log.add(FACILITATOR, "quote_show", text="Ik word nooit teruggebeld", unit="Noord")
    log.add(FACILITATOR, "quote_show", text="De monteur is altijd vriendelijk", unit="")
    log.add(FACILITATOR, "phase_next")
    g1 = str(log.add(EMP1, "group_create", title="Terugbellen binnen een dag")["seq"])
    g2 = str(log.add(FACILITATOR, "group_create", title="Monteurs beter inplannen")["seq"])
    log.add(FACILITATOR, "group_create", title="VP-7 Bereikbaarheid", point="41")
    log.add(EMP1, "vote_cast", group=g1)
    log.add(EMP2, "vote_cast", group=g1)
    log.add(EMP2, "vote_cast", group=g2)
    log.add(EMP2, "vote_retract", group=g2)
    log.add(FACILITATOR, "phase_next")
    log.add(EMP2, "commitment_add", text="Ik bel mijn detractors deze week")
    log.add(FACILITATOR, "action_confirm", title="Terugbelnorm", owner=2, due="2031-01-31", group=g1)
    log.add(FACILITATOR, "room_close")
    return log.events


RICH_LOGS = {"arena": rich_log, "cascade": cascade_rich_log}


def test_the_page_knows_every_event_type_and_the_rich_logs_use_them(page):
    assert sorted(page.evaluate("LiveRoom.types")) == sorted(rs.REDUCERS)
    assert {e["type"] for e in rich_log() + cascade_rich_log()} >= set(rs.REDUCERS)


@pytest.mark.parametrize("name", RICH_LOGS)
def test_the_page_derives_the_same_state_as_the_server_without_changing_its_input(page, name):
    log = RICH_LOGS[name]()
    expected = roundtrip(rs.derive(log))
    assert expected["closed"] and expected["seq"] == log[-1]["seq"]
    assert js_derive(page, log) == expected
    for k in (1, 7, 14, min(25, len(log) - 1), len(log) - 3):  # states the page could hold
        assert js_derive(page, log[:k]) == roundtrip(rs.derive(log[:k]))
    result = page.evaluate(APPLY_PURELY, json.dumps(log))
    assert not result.startswith("apply changed"), result
    assert json.loads(result) == expected


@pytest.mark.parametrize("name", RICH_LOGS)
def test_applying_what_each_viewer_is_sent_gives_that_viewers_view(page, name):
    log = RICH_LOGS[name]()
    for viewer in VIEWERS:
        for k in (1, 5, 12, 20):
            server = rs.derive(log[:k])
            view = roundtrip(rs.visible(server, viewer))
            sent = []
            for event in log[k:]:
                sent.append(rs.redact(event, server, viewer))
                server = rs.apply(server, event)
            assert js_derive(page, roundtrip(sent), view) == roundtrip(rs.visible(server, viewer)), \
                (viewer, k)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(log=any_logs, data=st.data())
def test_the_page_agrees_with_the_server_on_any_valid_log(page, log, data):
    assert js_derive(page, log) == roundtrip(rs.derive(log))
    k = data.draw(st.integers(1, len(log)))
    viewer = data.draw(st.sampled_from(VIEWERS))
    server = rs.derive(log[:k])
    view = roundtrip(rs.visible(server, viewer))
    sent = []
    for event in log[k:]:
        sent.append(rs.redact(event, server, viewer))
        server = rs.apply(server, event)
    assert js_derive(page, roundtrip(sent), view) == roundtrip(rs.visible(server, viewer))
