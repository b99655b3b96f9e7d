"""The production set-up of the README, for real: PostgreSQL, Redis, several ASGI workers.

Each test copies a migrated template database of its own (never the suite's test database),
starts ``outsidein serve`` processes with DEBUG off and talks to them over HTTP and WebSocket.
PostgreSQL only (skipped on SQLite); bounded by process and socket time-outs.
"""

import asyncio
import gzip
import json
import re

import pytest

from ops.tests import cluster

pytestmark = pytest.mark.timeout(180)  # the first test also migrates the template database


def no_errors_in(*logs) -> None:
    for log in logs:
        text = log.read_text()
        assert "Traceback" not in text and "ERROR" not in text, text[-3000:]


def test_two_workers_share_a_live_room(ops_base, shared_redis, tmp_path):
    with cluster.pg_database(ops_base.template) as database:
        env = ops_base.env(tmp_path, database, shared_redis)
        world = cluster.child(env, "world-room")
        a = cluster.Server(env, tmp_path / "a.log").start()
        b = cluster.Server(env, tmp_path / "b.log").start()
        try:
            a.wait_ready()
            b.wait_ready()
            asyncio.run(asyncio.wait_for(_shared_room(a, b, world), 60))
        finally:
            a.kill()
            b.kill()
        no_errors_in(a.log, b.log)


async def _shared_room(a, b, world) -> None:
    room = world["room"]
    facilitator = await cluster.Client(a.ws(room), world["facilitator"]).connect()
    employee = await cluster.Client(b.ws(room), world["employees"][0]).connect()
    watcher = await cluster.Client(b.ws(room), world["employees"][1]).connect()
    try:
        assert facilitator.seq == employee.seq == world["seq"]
        # Worker A appends; the sockets on worker B hear it through Redis.
        ack = await facilitator.act("statement_add", text="Wachttijden aan de telefoon")
        assert ack["type"] == "ack"
        for client in (employee, watcher):
            await client.until_seq(ack["seq"])
            assert client.events[-1]["type"] == "statement_add"
            assert client.events[-1]["seq"] == ack["seq"]
        # And the other way round: a private note on B reaches A as a hidden event.
        note = await employee.act("note_add", text="Terugbellen voorstellen")
        assert note["type"] == "ack" and note["seq"] == ack["seq"] + 1
        await facilitator.until_seq(note["seq"])
        assert facilitator.events[-1]["seq"] == note["seq"]
        assert facilitator.events[-1]["type"] == "hidden"
        assert "Terugbellen" not in json.dumps(facilitator.events)
    finally:
        for client in (facilitator, employee, watcher):
            await client.close()


def test_one_address_with_two_workers_serves_pages_static_files_and_rooms(ops_base, shared_redis,
                                                                         tmp_path):
    """``outsidein serve --workers 2``: one port, two worker processes sharing its socket."""
    with cluster.pg_database(ops_base.template) as database:
        env = ops_base.env(tmp_path, database, shared_redis)
        world = cluster.child(env, "world-room")
        # The check the README asks for before serving: configuration and every connection.
        checked = cluster.run({**env, "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                               "EMAIL_HOST": "smtp.example.nl"},
                              "-m", "outsidein.cli", "check", "--production").stdout
        assert "All 10 checks passed." in checked, checked
        for expected in ("with deployment checks", "DEBUG off", "postgresql reachable, all migrations "
                         "applied", "RedisChannelLayer", "manifest present"):
            assert expected in checked, checked
        server = cluster.Server(env, tmp_path / "serve.log", workers=2).start()
        try:
            server.wait_ready()
            workers = _children(server.process.pid)
            assert len(workers) >= 2, f"expected two worker processes, found {workers}"

            # Plain HTTP is sent to HTTPS; through the proxy (X-Forwarded-Proto) pages are served.
            status, headers, _body = cluster.get(server.http + "/accounts/login/",
                                                 headers={"X-Forwarded-Proto": "http"})
            assert status == 301 and headers["Location"].startswith("https://")
            status, headers, body = cluster.get(server.http + "/accounts/login/")
            assert status == 200 and "Strict-Transport-Security" in headers

            # Static files: hashed names, compressed, cached for a year by the browser.
            href = re.search(rb'href="(/static/css/app\.[0-9a-f]{12}\.css)"', body)
            assert href, "the login page links the hashed stylesheet"
            status, headers, css = cluster.get(server.http + href.group(1).decode(),
                                               headers={"Accept-Encoding": "gzip"})
            assert status == 200 and headers.get("Content-Encoding") == "gzip"
            assert "immutable" in headers["Cache-Control"] and "max-age=315360000" in headers[
                "Cache-Control"]
            assert b"{" in gzip.decompress(css)

            # The room works through the one address, whichever worker takes each socket.
            asyncio.run(asyncio.wait_for(_one_address(server, world), 60))
        finally:
            server.kill()
        no_errors_in(server.log)


def _children(pid: int) -> list[int]:
    from pathlib import Path

    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


async def _one_address(server, world) -> None:
    room = world["room"]
    clients = [await cluster.Client(server.ws(room), world["facilitator"]).connect()]
    for session in world["employees"] * 3:
        clients.append(await cluster.Client(server.ws(room), session).connect())
    try:
        acks = [await clients[0].act("statement_add", text=f"Ervaring {i}") for i in range(3)]
        assert [a["type"] for a in acks] == ["ack"] * 3
        for client in clients[1:]:
            await client.until_seq(acks[-1]["seq"])
            assert [e["seq"] for e in client.events] == [a["seq"] for a in acks]
    finally:
        for client in clients:
            await client.close()
