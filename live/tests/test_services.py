"""Appending to a room's log: idempotency, sequence numbers, caches, broadcast after commit."""

import json
import threading

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connection, connections, transaction

from live import formats, services
from live import state as rs
from live.formats import Format, Phase, RoomRole
from live.hub import group_name
from live.models import AppendOnly, RoomEvent, RoomParticipant
from live.state import ActionRefused

from .conftest import key


def log_of(room) -> list[dict]:
    return [e.as_event() for e in RoomEvent.objects.filter(room=room).order_by("seq")]


def test_room_create_writes_the_format_plan_as_the_first_event(arena):
    (first,) = log_of(arena.room)
    assert first["seq"] == 1 and first["type"] == "room_created"
    assert [p["key"] for p in first["payload"]["plan"]["phases"]] == [
        "welcome", "round_1", "round_2", "round_3"]
    assert arena.room.phase == "welcome" and arena.room.last_seq == 1


def test_the_same_client_key_appends_once(arena):
    arena.do(arena.facilitator, "phase_next")
    first = services.event_append(room=arena.room, actor=arena.customer, type="statement_add",
                                  payload={"text": "Vriendelijk personeel"}, client_key="abc")
    again = services.event_append(room=arena.room, actor=arena.customer, type="statement_add",
                                  payload={"text": "Vriendelijk personeel"}, client_key="abc")
    assert again.pk == first.pk
    assert RoomEvent.objects.filter(room=arena.room).count() == 3
    assert arena.room.last_seq == 3


def test_someone_elses_client_key_is_refused(arena):
    arena.do(arena.facilitator, "phase_next")
    services.event_append(room=arena.room, actor=arena.customer, type="statement_add",
                          payload={"text": "Prima"}, client_key="same")
    with pytest.raises(ActionRefused) as refused:
        services.event_append(room=arena.room, actor=arena.customer2, type="statement_add",
                              payload={"text": "Ook prima"}, client_key="same")
    assert refused.value.code == "conflict"


def test_events_can_not_be_changed_or_deleted(arena):
    event = RoomEvent.objects.get(room=arena.room, seq=1)
    event.type = "something_else"
    with pytest.raises(AppendOnly):
        event.save()
    with pytest.raises(AppendOnly):
        event.delete()
    with pytest.raises(AppendOnly):
        RoomEvent.objects.filter(room=arena.room).update(type="x")
    with pytest.raises(AppendOnly):
        RoomEvent.objects.filter(room=arena.room).delete()


def test_deleting_the_organisation_still_removes_its_rooms(arena):
    arena.organisation.delete()
    assert not RoomEvent.objects.exists()


def test_the_cached_state_is_what_the_log_derives(arena):
    a = arena
    a.do(a.employee, "note_add", text="Let op toon")
    a.do(a.facilitator, "phase_next")
    a.do(a.employee, "question_prepare", text="Wat zou u missen?")
    s = a.do(a.scribe, "statement_add", text="Factuur onduidelijk", kind="complaint",
             sentiment="negative", customer=a.customer2.pk, theme="Facturatie")
    a.do(a.facilitator, "phase_next")
    a.do(a.facilitator, "group_create", title="Facturen", statements=[str(s.seq)])
    a.room.refresh_from_db()
    assert a.room.state == rs.derive(log_of(a.room))
    assert a.room.phase == "round_2" and a.room.last_seq == 7
    assert [q["hidden"] for q in a.room.state["questions"].values()] == [False]


def test_facilitator_handover_moves_the_controls(arena):
    a = arena
    a.do(a.facilitator, "facilitator_handover", to=a.employee.pk)
    a.room.refresh_from_db()
    assert a.room.facilitator == a.employee
    assert a.room.state["facilitator"] == f"m:{a.employee.pk}"
    a.do(a.employee, "phase_next")
    with pytest.raises(ActionRefused):
        a.do(a.facilitator, "phase_next")
    former = RoomParticipant.objects.get(room=a.room, membership=a.facilitator)
    assert former.role == RoomRole.OBSERVER


def test_timer_start_without_seconds_takes_the_phase_default(arena):
    event = arena.do(arena.facilitator, "timer_start")
    assert event.payload == {"seconds": 600}


@pytest.mark.django_db(transaction=True)
def test_an_event_is_broadcast_once_per_room_after_commit(arena):
    layer = get_channel_layer()
    channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(group_name(arena.room.pk), channel)

    with pytest.raises(RuntimeError), transaction.atomic():
        arena.do(arena.facilitator, "input_lock")
        raise RuntimeError("rolled back: nothing may be sent")
    arena.do(arena.facilitator, "note_add", text="Privé")

    async def received():
        import asyncio

        messages = []
        while True:
            try:
                messages.append(await asyncio.wait_for(layer.receive(channel), 0.3))
            except TimeoutError:
                return messages

    (message,) = async_to_sync(received)()
    assert message["type"] == "room.event" and message["seq"] == 2
    assert '"Priv\\u00e9"' in message["author"] and "Priv" not in message["others"]
    assert '"type":"hidden"' in message["others"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql",
                    reason="SQLite's shared in-memory test database has no busy wait; needs real row locks")
def test_concurrent_appends_get_gap_free_increasing_numbers(arena):
    a = arena
    a.do(a.facilitator, "phase_next")
    errors, barrier = [], threading.Barrier(4)

    def speak(actor):
        try:
            barrier.wait()
            for i in range(10):
                services.event_append(room=a.room, actor=actor, type="statement_add",
                                      payload={"text": f"Punt {i}"}, client_key=key())
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=speak, args=(actor,))
               for actor in (a.customer, a.customer2, a.scribe, a.facilitator)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    seqs = list(RoomEvent.objects.filter(room=a.room).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, 43))
    a.room.refresh_from_db()
    assert a.room.last_seq == 42 and len(a.room.state["statements"]) == 40
    assert a.room.state == rs.derive(log_of(a.room))


# A second format: formats are data ----------------------------------------------------------

IMPROVEMENT_MEETING = Format(
    key="improvement_meeting",
    label="Improvement group meeting",
    vote_budget=1,
    phases=(
        Phase(key="check_in", label="Check-in", may={"employee": frozenset({"note_add"})}),
        Phase(key="review", label="Review", timer_seconds=900,
              may={"employee": frozenset({"statement_add"}),
                   "customer": frozenset({"statement_add"}),
                   "facilitator": frozenset({"group_create"})}),
        Phase(key="decide", label="Decide",
              may={"employee": frozenset({"vote_cast"}), "customer": frozenset({"vote_cast"}),
                   "facilitator": frozenset({"action_confirm"})}),
    ),
)


def test_a_second_format_runs_on_the_same_engine(org, make_member, make_contact, monkeypatch):
    monkeypatch.setitem(formats.FORMATS, IMPROVEMENT_MEETING.key, IMPROVEMENT_MEETING)
    chair, member = make_member(org, name="Voorzitter"), make_member(org, name="Lid")
    delegate = make_contact(org, "Klantafgevaardigde")
    room = services.room_create(organisation=org, format_key="improvement_meeting",
                                title="Verbetergroep", facilitator=chair)
    services.room_participant_add(room=room, role=RoomRole.EMPLOYEE, membership=member)
    services.room_participant_add(room=room, role=RoomRole.CUSTOMER, contact=delegate)

    def do(actor, action, **payload):
        return services.event_append(room=room, actor=actor, type=action, payload=payload,
                                     client_key=key())

    with pytest.raises(ActionRefused):
        do(member, "statement_add", text="Te vroeg")
    do(chair, "phase_next")
    s = do(member, "statement_add", text="Offertes duren te lang")
    do(delegate, "statement_add", text="Eens")
    g = do(chair, "group_create", title="Doorlooptijd offertes", statements=[str(s.seq)])
    do(chair, "phase_next")
    do(delegate, "vote_cast", group=str(g.seq))
    with pytest.raises(ActionRefused):
        do(delegate, "vote_cast", group=str(g.seq))  # a budget of one
    do(chair, "action_confirm", title="Offerte binnen 5 dagen", owner=member.pk)
    room.refresh_from_db()
    assert room.phase == "decide" and len(room.state["actions"]) == 1


def test_a_fold_from_the_checkpoint_gives_what_a_fold_from_the_start_gives(arena):
    from live import selectors

    a = arena
    a.do(a.employee, "note_add", text="Eigen notitie")
    a.do(a.facilitator, "phase_next")
    a.do(a.employee, "question_prepare", text="Wat mist u?")
    a.do(a.scribe, "statement_add", text="Lange wachttijd", kind="complaint",
         sentiment="negative", customer=a.customer.pk)
    a.room.refresh_from_db()
    viewer = f"m{a.employee.pk}"
    selectors._checkpoints.pop(a.room.pk, None)
    fresh = selectors.events_since(room=a.room, after_seq=2, viewer=viewer)
    assert selectors._checkpoints[a.room.pk][0] == a.room.last_seq
    a.do(a.facilitator, "phase_next")  # round 2 reveals the prepared question
    a.room.refresh_from_db()
    from_checkpoint = selectors.events_since(room=a.room, after_seq=a.room.last_seq - 1,
                                             viewer=viewer)
    selectors._checkpoints.pop(a.room.pk, None)
    from_start = selectors.events_since(room=a.room, after_seq=a.room.last_seq - 1, viewer=viewer)
    assert from_checkpoint == from_start and len(from_start) == 1
    assert selectors.events_since(room=a.room, after_seq=2, viewer=viewer)[:len(fresh)] == fresh

    # A checkpoint that does not match the stored log (a rebuilt database) is dropped.
    seq, event, state, redactions = selectors._checkpoints[a.room.pk]
    selectors._checkpoints[a.room.pk] = (seq, {**event, "payload": {"forged": True}}, state,
                                         redactions)
    assert selectors.events_since(room=a.room, after_seq=seq, viewer=viewer) == []
    assert selectors._checkpoints[a.room.pk][1] == event


def test_a_redaction_voids_the_checkpoints_of_every_process(arena):
    """Erasure rewrites text earlier in the log: a fold from a checkpoint another worker took
    before would still carry the old text (here: a prepared question revealed in round 2)."""
    from live import selectors
    from live.models import RoomEvent

    a = arena
    a.do(a.facilitator, "phase_next")
    a.do(a.employee, "question_prepare", text="Waarom belde Jan de Vries niet terug?")
    said = a.do(a.scribe, "statement_add", text="Lange wachttijd", kind="complaint")
    a.do(a.facilitator, "phase_next")  # round 2 reveals the prepared question
    viewer = f"m{a.employee.pk}"
    list(selectors._folded(a.room.pk, 0, said.seq))  # a checkpoint after the prepared question
    stale = selectors._checkpoints[a.room.pk]  # as another worker holds it
    assert "Jan de Vries" in json.dumps(stale[2])

    prepared = RoomEvent.objects.get(room=a.room, type="question_prepare")
    services.room_text_redact(room_id=a.room.pk, events={prepared.pk: {
        **prepared.payload, "text": "Waarom belde Verwijderd persoon #1 niet terug?"}})
    prepared.refresh_from_db()
    assert prepared.payload["text"] == "Waarom belde Verwijderd persoon #1 niet terug?"
    assert a.room.pk not in selectors._checkpoints  # this process's own is gone at once

    selectors._checkpoints[a.room.pk] = stale
    reveal = selectors.events_since(room=a.room, after_seq=said.seq, viewer=viewer)
    assert [e["type"] for e in reveal] == ["phase_next"] and reveal[0]["payload"]["revealed"]
    assert "Verwijderd persoon #1" in json.dumps(reveal) and "Jan de Vries" not in json.dumps(reveal)

    # Only events of the room itself: otherwise nothing is written.
    with pytest.raises(ValueError):
        services.room_text_redact(room_id=a.room.pk, events={prepared.pk: {"text": "x"},
                                                             prepared.pk + 10**6: {"text": "x"}})
    prepared.refresh_from_db()
    assert prepared.payload["text"] == "Waarom belde Verwijderd persoon #1 niet terug?"
