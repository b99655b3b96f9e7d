"""The room socket end to end (ASGI stack, real sessions), with the in-memory and Redis layers."""

import asyncio
import json

import pytest
from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async

from live import hub, services
from live import state as rs
from live.models import RoomEvent, RoomParticipant

from .communicator import WebsocketCommunicator
from .conftest import key

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("channel_layer")]


def application():
    from outsidein.asgi import application

    return application


def socket(room, session_key=None, origin=b"http://localhost"):
    headers = [(b"origin", origin), (b"host", b"localhost")]
    if session_key:
        headers.append((b"cookie", f"sessionid={session_key}".encode()))
    comm = WebsocketCommunicator(application(), f"/ws/live/rooms/{room.pk}/", headers=headers)
    comm.held = []
    return comm


async def receive(comm, timeout=3.0):
    """Return the next JSON message, or ``("closed", code)``."""
    if comm.held:
        return comm.held.pop(0)
    output = await comm.receive_output(timeout)
    if output["type"] == "websocket.close":
        return ("closed", output.get("code"))
    return json.loads(output["text"])


async def until(comm, kind, timeout=5.0):
    """Return the next message of ``kind`` (or the close), skipping presence and the like."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        message = await receive(comm, max(0.05, deadline - asyncio.get_running_loop().time()))
        if isinstance(message, tuple) or message["type"] == kind:
            return message


async def joined(comm, last_seq=None):
    """Connect, say hello and return the catch-up message (snapshot or events)."""
    connected, _ = await comm.connect()
    assert connected
    welcome = await until(comm, "welcome")
    await comm.send_json_to({"type": "hello", "last_seq": last_seq})
    catch_up = await receive(comm)
    while catch_up["type"] == "presence":
        catch_up = await receive(comm)
    return welcome, catch_up


async def act(comm, action, **payload):
    client_key = key()
    await comm.send_json_to({"type": "action", "action": action, "payload": payload,
                             "client_key": client_key})
    skipped = []
    while True:
        message = await receive(comm)
        if isinstance(message, tuple) or (message["type"] in ("ack", "refused")
                                           and message["client_key"] == client_key):
            comm.held[:0] = skipped  # an event may arrive before its ack: keep it for later
            return message
        skipped.append(message)


def run(scenario):
    async_to_sync(scenario)()


# Who may connect ------------------------------------------------------------------------------

def test_anonymous_sockets_are_refused(arena):
    async def scenario():
        connected, code = await socket(arena.room).connect()
        assert not connected and code == 4003
    run(scenario)


def test_a_member_of_another_organisation_is_refused(arena, other_org, make_member, staff_session):
    stranger = make_member(other_org, role="admin")

    async def scenario():
        connected, _ = await socket(arena.room, staff_session(stranger)).connect()
        assert not connected
    run(scenario)


def test_an_unlisted_employee_and_a_foreign_origin_are_refused(arena, staff_session):
    async def scenario():
        connected, _ = await socket(arena.room, staff_session(arena.outsider)).connect()
        assert not connected
        comm = socket(arena.room, staff_session(arena.employee), origin=b"https://evil.example")
        connected, _ = await comm.connect()
        assert not connected
    run(scenario)


def test_a_customer_enters_with_an_arena_link_but_not_with_a_survey_link(arena, customer_session):
    from accounts.models import MagicLinkPurpose

    async def scenario():
        connected, _ = await socket(arena.room, await database_sync_to_async(customer_session)(
            arena.customer, MagicLinkPurpose.SURVEY)).connect()
        assert not connected
        comm = socket(arena.room, await database_sync_to_async(customer_session)(arena.customer))
        welcome, snapshot = await joined(comm)
        assert welcome["you"]["role"] == "customer" and welcome["you"]["ring"] == "inner"
        assert welcome["format"]["key"] == "arena" and "server_time" in welcome
        assert snapshot["type"] == "snapshot" and snapshot["seq"] == 1
        await comm.disconnect()
    run(scenario)


# The rounds over the socket ---------------------------------------------------------------------

def test_two_clients_see_each_action_and_private_notes_stay_private(arena, staff_session,
                                                                   customer_session):
    a = arena
    a.do(a.facilitator, "phase_next")

    async def scenario():
        customer = socket(a.room, await database_sync_to_async(customer_session)(a.customer))
        employee = socket(a.room, staff_session(a.employee))
        await joined(customer)
        await joined(employee)

        ack = await act(customer, "statement_add", text="De monteur was vriendelijk",
                        sentiment="positive")
        assert ack["type"] == "ack" and ack["seq"] == 3
        for comm in (customer, employee):
            message = await until(comm, "event")
            assert message["event"]["seq"] == 3
            assert message["event"]["payload"]["text"] == "De monteur was vriendelijk"
            assert "server_time" in message

        refused = await act(employee, "statement_add", text="Dat is ons beleid")
        assert refused["type"] == "refused" and refused["code"] == "not_allowed"

        ack = await act(employee, "note_add", text="Beleid uitleggen in ronde 2")
        own = await until(employee, "event")
        assert own["event"]["payload"]["text"] == "Beleid uitleggen in ronde 2"
        stub = await until(customer, "event")
        assert stub["event"] == {"seq": ack["seq"], "type": "hidden", "at": own["event"]["at"]}
        await customer.disconnect()
        await employee.disconnect()
    run(scenario)


def test_presence_shows_who_is_here_per_ring(arena, staff_session, customer_session):
    async def scenario():
        facilitator = socket(arena.room, staff_session(arena.facilitator))
        await joined(facilitator)
        customer = socket(arena.room, await database_sync_to_async(customer_session)(arena.customer))
        await joined(customer)
        while True:
            presence = await until(facilitator, "presence")
            if presence["rings"]["inner"]:
                break
        assert [p["name"] for p in presence["rings"]["inner"]] == ["Karin Klant"]
        assert [p["name"] for p in presence["rings"]["centre"]] == ["Mo Derator"]
        await customer.disconnect()
        presence = await until(facilitator, "presence")
        assert presence["rings"]["inner"] == []
        await facilitator.disconnect()
    run(scenario)


# Reconnect and restart ------------------------------------------------------------------------

def test_a_reconnecting_client_gets_exactly_what_it_missed(arena, staff_session, customer_session):
    a = arena
    a.do(a.facilitator, "phase_next")
    a.do(a.customer, "statement_add", text="Eerste ervaring")

    async def scenario():
        comm = socket(a.room, staff_session(a.employee2))
        _, snapshot = await joined(comm)
        stale, seen = snapshot["state"], snapshot["seq"]
        await comm.disconnect()

        def meanwhile():
            a.do(a.customer2, "statement_add", text="Tweede ervaring")
            a.do(a.employee, "question_prepare", text="Wat verwacht u van ons?")
            a.do(a.employee, "note_add", text="Privé")
            a.do(a.facilitator, "phase_next")  # round 2 reveals the prepared question
            a.do(a.employee2, "question_ask", text="Hoe kunnen we beter bereikbaar zijn?")
        await database_sync_to_async(meanwhile)()

        comm = socket(a.room, staff_session(a.employee2))
        _, missed = await joined(comm, last_seq=seen)
        assert missed["type"] == "events"
        assert [e["seq"] for e in missed["events"]] == list(range(seen + 1, seen + 6))
        assert missed["events"][2]["type"] == "hidden"
        caught_up = rs.derive(missed["events"], stale)

        fresh = socket(a.room, staff_session(a.employee2))
        _, snapshot = await joined(fresh)
        assert caught_up == snapshot["state"]
        assert [q["text"] for q in caught_up["questions"].values()] == [
            "Wat verwacht u van ons?", "Hoe kunnen we beter bereikbaar zijn?"]
        await comm.disconnect()
        await fresh.disconnect()
    run(scenario)


def test_a_server_restart_loses_and_duplicates_nothing(arena, staff_session, customer_session,
                                                       settings):
    a = arena
    a.do(a.facilitator, "phase_next")

    async def first_process():
        comm = socket(a.room, await database_sync_to_async(customer_session)(a.customer))
        await joined(comm)
        acks = []
        for i in range(5):
            acks.append(await act(comm, "statement_add", text=f"Ervaring {i}"))
        await comm.disconnect()
        return acks

    acks = async_to_sync(first_process)()
    assert [ack["seq"] for ack in acks] == [3, 4, 5, 6, 7]

    # The restart: a new event loop, a fresh channel layer, no hubs, no consumers.
    from channels.layers import channel_layers

    channel_layers.backends.clear()
    hub._hubs.clear()
    session = customer_session(a.customer)

    async def second_process():
        comm = socket(a.room, session)
        _, missed = await joined(comm, last_seq=4)
        assert [e["seq"] for e in missed["events"]] == [5, 6, 7]
        # A client that never saw its ack resends: the same event comes back, no duplicate.
        await comm.send_json_to({"type": "action", "action": "statement_add",
                                 "payload": {"text": "Ervaring 4"}, "client_key": acks[4]["client_key"]})
        again = await until(comm, "ack")
        assert again["seq"] == 7
        await comm.disconnect()

    async_to_sync(second_process)()
    seqs = list(RoomEvent.objects.filter(room=a.room).order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, 8))


# Limits ---------------------------------------------------------------------------------------

def test_an_oversized_message_closes_the_socket(arena, staff_session):
    async def scenario():
        comm = socket(arena.room, staff_session(arena.employee))
        await joined(comm)
        await comm.send_to(text_data=json.dumps({"type": "action", "action": "note_add",
                                                 "payload": {"text": "x" * 17_000},
                                                 "client_key": "big"}))
        assert await until(comm, "never") == ("closed", 1009)
        await comm.disconnect()
    run(scenario)
    assert not RoomEvent.objects.filter(client_key="big").exists()


def test_a_flooding_client_is_limited_without_slowing_the_others(arena, staff_session):
    async def scenario():
        flood = socket(arena.room, staff_session(arena.employee))
        calm = socket(arena.room, staff_session(arena.employee2))
        await joined(flood)
        await joined(calm)
        for _ in range(60):
            await flood.send_json_to({"type": "ping"})
        started = asyncio.get_running_loop().time()
        ack = await act(calm, "note_add", text="Gewoon een notitie")
        assert ack["type"] == "ack"
        assert asyncio.get_running_loop().time() - started < 1.0
        replies = []
        while len(replies) < 60:
            message = await receive(flood)
            if message["type"] in ("pong", "error"):
                replies.append(message["type"])
        assert replies.count("pong") <= 21 and replies.count("error") >= 39
        await flood.disconnect()
        await calm.disconnect()
    run(scenario)


# Forced close --------------------------------------------------------------------------------

def test_logging_out_closes_the_socket(arena, staff_session):
    from importlib import import_module

    from django.conf import settings

    session_key = staff_session(arena.employee)

    async def scenario():
        comm = socket(arena.room, session_key)
        await joined(comm)
        store = import_module(settings.SESSION_ENGINE).SessionStore
        await database_sync_to_async(store(session_key).delete)()
        assert await until(comm, "never", timeout=3) == ("closed", 4001)
        await comm.disconnect()
    run(scenario)


def test_deactivating_the_user_closes_the_socket(arena, staff_session):
    async def scenario():
        comm = socket(arena.room, staff_session(arena.employee))
        await joined(comm)

        def deactivate():
            arena.employee.user.is_active = False
            arena.employee.user.save(update_fields=["is_active"])
        await database_sync_to_async(deactivate)()
        assert await until(comm, "never", timeout=3) == ("closed", 4001)
        await comm.disconnect()
    run(scenario)


def test_losing_the_room_role_closes_the_socket(arena, staff_session, customer_session):
    async def scenario():
        employee = socket(arena.room, staff_session(arena.employee))
        customer = socket(arena.room, await database_sync_to_async(customer_session)(arena.customer))
        await joined(employee)
        await joined(customer)

        def remove():
            RoomParticipant.objects.filter(room=arena.room, membership=arena.employee).delete()
            RoomParticipant.objects.filter(room=arena.room, contact=arena.customer).delete()
        await database_sync_to_async(remove)()
        assert await until(employee, "never", timeout=3) == ("closed", 4001)
        assert await until(customer, "never", timeout=3) == ("closed", 4001)
        await employee.disconnect()
        await customer.disconnect()
    run(scenario)


def test_a_handover_tells_both_facilitators_their_new_role(arena, staff_session):
    async def scenario():
        old = socket(arena.room, staff_session(arena.facilitator))
        new = socket(arena.room, staff_session(arena.employee))
        await joined(old)
        await joined(new)
        ack = await act(old, "facilitator_handover", to=arena.employee.pk)
        assert ack["type"] == "ack"
        assert (await until(new, "you"))["role"] == "facilitator"
        assert (await until(old, "you"))["role"] == "observer"
        assert (await act(new, "phase_next"))["type"] == "ack"
        await old.disconnect()
        await new.disconnect()
    run(scenario)


def test_services_broadcast_reaches_sockets(arena, staff_session):
    """An event appended outside any socket (a page, a command) reaches the room too."""
    async def scenario():
        comm = socket(arena.room, staff_session(arena.employee))
        await joined(comm)
        await database_sync_to_async(services.event_append)(
            room=arena.room, actor=arena.facilitator, type="timer_start", payload={"seconds": 90},
            client_key="timer")
        message = await until(comm, "event")
        timer = message["event"]
        assert timer["type"] == "timer_start" and timer["payload"] == {"seconds": 90}
        assert abs(message["server_time"] - timer["at"]) < 5_000
        await comm.disconnect()
    run(scenario)
