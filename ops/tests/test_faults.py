"""Faults, for real: Redis stopped mid-session, the server killed mid-import, PostgreSQL's
connections cut. Real server processes on a database of the test's own (PostgreSQL only;
skipped on SQLite), each bounded by process and socket time-outs well under a minute.
"""

import asyncio
import collections
import signal
import subprocess
import sys
import time

import pytest

from ops.tests import cluster

pytestmark = pytest.mark.timeout(180)  # the first test also migrates the template database


# --- Redis stopped during a live session -----------------------------------------------------

def test_redis_stopped_during_a_live_session(ops_base, private_redis, tmp_path):
    with cluster.pg_database(ops_base.template) as database:
        env = ops_base.env(tmp_path, database, private_redis.url)
        world = cluster.child(env, "world-room")
        a = cluster.Server(env, tmp_path / "a.log").start()
        b = cluster.Server(env, tmp_path / "b.log").start()
        try:
            a.wait_ready()
            b.wait_ready()
            acked, seen = asyncio.run(asyncio.wait_for(_redis_outage(a, b, world, private_redis), 60))
        finally:
            a.kill()
            b.kill()
        log = cluster.child(env, "room-log", str(world["room"]))["events"]
    seqs = [seq for seq, _type, _key in log]
    assert seqs == list(range(1, len(seqs) + 1)), "the log has no gaps"
    keys = [key for _seq, _type, key in log]
    assert len(keys) == len(set(keys)), "no action was appended twice"
    stored = {key: seq for seq, _type, key in log}
    assert acked and all(stored.get(key) == seq for key, seq in acked.items()), \
        "every acknowledged action is in the log under the sequence number it was acknowledged with"
    for events in seen:  # and every client, after its resync, has the whole log in order
        assert [e["seq"] for e in events] == seqs[world["seq"]:]
    for server in (a, b):
        assert "Exception in ASGI application" not in server.log.read_text()


async def _redis_outage(a, b, world, redis):
    room = world["room"]
    facilitator = await cluster.Client(a.ws(room), world["facilitator"]).connect()
    employee = await cluster.Client(b.ws(room), world["employees"][0]).connect()
    try:
        for i in range(3):
            await facilitator.act("statement_add", text=f"Voor de storing {i}")
        # Actions in flight while Redis goes away: those acknowledged must not be lost.
        for i in range(5):
            await facilitator.send_action("statement_add", text=f"Tijdens de storing {i}")
        redis.kill()
        # Both sockets are told: closed with 1012, which the page turns into "connection lost,
        # reconnecting" (static/js/live-room.js retries every code but 4001 and 4003).
        assert await facilitator.until_closed(10) == 1012
        assert await employee.until_closed(10) == 1012
        # While Redis is away a socket is let in no further than its welcome.
        with pytest.raises(Exception):  # noqa: B017,PT011 - closed or refused, either will do
            await cluster.Client(b.ws(room), world["employees"][1]).connect(timeout=5)

        redis.start()  # back, on the same port, empty
        await facilitator.reconnect(timeout=20)
        await employee.reconnect(timeout=20)
        for i in range(3):
            await facilitator.act("statement_add", text=f"Na de storing {i}")
        note = await employee.act("note_add", text="Weer verbonden")
        assert note["type"] == "ack"
        await facilitator.until_seq(note["seq"])
        await employee.until_seq(note["seq"])
        return {**facilitator.acks, **employee.acks}, [facilitator.events, employee.events]
    finally:
        await facilitator.close()
        await employee.close()


# --- the server killed mid-import --------------------------------------------------------------

IMPORT_ROWS = 50_000  # a few seconds of importing on this machine


def test_a_server_killed_mid_import_leaves_nothing_and_the_job_can_be_rerun(ops_base, tmp_path):
    with cluster.pg_database(ops_base.template) as database:
        env = ops_base.env(tmp_path, database)
        world = cluster.child(env, "world-import", str(IMPORT_ROWS))
        job, wave = world["job"], world["wave"]
        db = cluster.pg_connect(database)
        server = None
        try:
            # The import runs in a process of its own (as in the server's import thread); it
            # stops inside its transaction once it has written rows, and is killed -9 there
            # (a fast machine would otherwise finish before the kill).
            stalled = tmp_path / "stalled"
            with (tmp_path / "import.log").open("w") as out:
                importer = subprocess.Popen([sys.executable, "-m", "ops.tests.cluster", "import-run",
                                             str(job), str(stalled)], env=env, cwd=cluster.ROOT,
                                            stdout=out, stderr=subprocess.STDOUT)
            try:
                deadline = time.monotonic() + 40
                while not (stalled.exists() and stalled.read_text()):
                    assert importer.poll() is None, "the import ended before it could be killed"
                    assert time.monotonic() < deadline, "the import did not start"
                    time.sleep(0.02)
                rows_done = int(stalled.read_text())
                assert db.execute("SELECT status FROM research_importjob WHERE id = %s",
                                  [job]).fetchone()[0] == "running"
                importer.send_signal(signal.SIGKILL)
                importer.wait(timeout=10)
            finally:
                if importer.poll() is None:
                    importer.kill()
                    importer.wait(timeout=10)
            assert 0 < rows_done < IMPORT_ROWS
            assert _responses(db, wave) == 0, "the import's one transaction left nothing behind"
            assert _job(db, job)[0] == "running"  # as the killed process left it

            # The server starting again marks the job as interrupted (before taking requests).
            server = cluster.Server(env, tmp_path / "serve.log").start()
            server.wait_ready()
            status, result = _job(db, job)
            assert status == "failed" and result["ok"] is False
            assert any(word in result["error"] for word in ("interrupted", "onderbroken"))
            assert _responses(db, wave) == 0
            server.kill()

            # Rerun: queued again with the same mapping, it imports every row once.
            assert cluster.child(env, "import-requeue", str(job))["status"] == "queued"
            rerun = cluster.child(env, "import-run", str(job), timeout=90)
            assert rerun == {"imported": IMPORT_ROWS, "ok": True}
            assert _job(db, job)[0] == "succeeded" and _responses(db, wave) == IMPORT_ROWS
        finally:
            if server is not None:
                server.kill()
            db.close()


def _responses(db, wave: int) -> int:
    return db.execute("SELECT count(*) FROM research_response WHERE wave_id = %s", [wave]).fetchone()[0]


def _job(db, job: int) -> tuple[str, dict]:
    return db.execute("SELECT status, result FROM research_importjob WHERE id = %s", [job]).fetchone()


# --- PostgreSQL's connections cut while requests run ---------------------------------------------

def test_lost_database_connections_fail_requests_cleanly_and_the_server_recovers(ops_base, tmp_path):
    with cluster.pg_database(ops_base.template) as database:
        env = ops_base.env(tmp_path, database)
        world = cluster.child(env, "world-room")
        server = cluster.Server(env, tmp_path / "serve.log").start()
        try:
            server.wait_ready()
            outcome = asyncio.run(asyncio.wait_for(_cut(server, world, database), 90))
        finally:
            server.kill()
        log = cluster.child(env, "room-log", str(world["room"]))["events"]
    pages, cut, acked, after = outcome
    print(f"terminated {cut} backends; pages {collections.Counter(s for s, _b in pages)}; "
          f"{len(acked)} actions acknowledged")
    assert sum(cut) > 0, "backends were terminated while requests ran"
    assert pages and {status for status, _body in pages} <= {200, 500, 503}
    for status, body in pages:
        if status != 200:  # a plain error page: no traceback, no SQL, no driver message
            assert b"Traceback" not in body and b"psycopg" not in body and b"SELECT" not in body
    assert after == [200] * 10, "the next requests succeed without a restart"
    seqs = [seq for seq, _type, _key in log]
    assert seqs == list(range(1, len(seqs) + 1))
    keys = [key for _seq, _type, key in log]
    assert len(keys) == len(set(keys))
    stored = {key: seq for seq, _type, key in log}
    assert acked and all(stored.get(key) == seq for key, seq in acked.items())
    assert "Exception in ASGI application" not in server.log.read_text()


async def _cut(server, world, database):
    from websockets.exceptions import ConnectionClosed

    page = f"{server.http}/o/{world['org']}/"
    pages, cut, stop = [], [], asyncio.Event()
    client = await cluster.Client(server.ws(world["room"]), world["facilitator"]).connect()

    async def browse():
        while not stop.is_set():
            # A request caught by the cut may wait for the pool's fresh connection (up to
            # its 30 s timeout); the point here is that it ends cleanly, not how fast.
            status, _headers, body = await asyncio.to_thread(cluster.get, page, timeout=40,
                                                             cookie=world["facilitator"])
            pages.append((status, body))

    async def speak():
        n = 0
        while not stop.is_set():
            n += 1
            try:
                await client.act("statement_add", text=f"Uitspraak {n}")
            except (ConnectionClosed, TimeoutError):
                await client.reconnect(timeout=15)  # closed with 1011: the page reconnects

    async def terminate():
        for _ in range(4):
            await asyncio.sleep(0.5)
            cut.append(await asyncio.to_thread(cluster.pg_terminate, database))
        await asyncio.sleep(0.5)
        stop.set()

    try:
        await asyncio.gather(browse(), browse(), speak(), terminate())
        after = [(await asyncio.to_thread(cluster.get, page, cookie=world["facilitator"]))[0]
                 for _ in range(10)]
        if client.closed is not None:
            await client.reconnect(timeout=15)
        assert (await client.act("statement_add", text="Weer in orde"))["type"] == "ack"
        return pages, cut, client.acks, after
    finally:
        await client.close()
