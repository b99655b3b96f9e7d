"""Real servers for the operations tests: PostgreSQL databases of their own, Redis, ASGI worker
processes, websocket clients, and child commands that build a world in such a database.

The parent side (``Cluster``, ``Room``, ``pg_template`` ...) runs in pytest; the child side runs as
``python -m ops.tests.cluster COMMAND`` with the test's environment and prints one JSON line.
Every process is started with a deadline and killed in a ``finally``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from email.message import Message
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "postgres"}
PG_BASE = f"postgres://{PG['user']}@{PG['host']}:{PG['port']}"
REDIS_SERVER = "/usr/bin/redis-server"
# The shared Redis's databases: 3 and 4 are live/tests', 5 the live benchmark's.
REDIS_DB = 9
SECRET_KEY = "ops-cluster-tests-" + secrets.token_urlsafe(48)


# --- parent: PostgreSQL and Redis ---------------------------------------------------------------

def pg_admin():
    """An autocommit connection to the server's ``postgres`` database, or a skip."""
    import pytest

    psycopg = pytest.importorskip("psycopg")
    try:
        return psycopg.connect(**PG, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        pytest.skip(f"PostgreSQL is unreachable: {error}")


def redis_reachable(url: str) -> bool:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateRedis:
    """A ``redis-server`` of the test's own on a free port, keeping nothing on disk."""

    def __init__(self, folder: Path):
        self.port = free_port()
        self.folder = folder
        self.process: subprocess.Popen | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while not redis_reachable(self.url):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise AssertionError("the private redis-server did not start")
            time.sleep(0.05)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


def environment(tmp: Path, database_url: str, redis_url: str = "", **extra: str) -> dict:
    """A production environment (DEBUG off) for servers and children alike."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(DATABASE_URL=database_url, REDIS_URL=redis_url, DEBUG="0", SECRET_KEY=SECRET_KEY,
               ALLOWED_HOSTS="127.0.0.1,localhost", OUTSIDEIN_VAR_DIR=str(tmp / "var"),
               IMPORT_DIR=str(tmp / "var" / "imports"), STATIC_ROOT=str(tmp / "static"),
               EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
               JOBS_EAGER="0", LOG_LEVEL="WARNING", DJANGO_SETTINGS_MODULE="outsidein.settings",
               PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


def run(env: dict, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)
    if done.returncode != 0:
        raise AssertionError(f"{args} failed ({done.returncode}):\n{done.stdout[-3000:]}\n"
                             f"{done.stderr[-3000:]}")
    return done


def child(env: dict, command: str, *args: str, timeout: float = 120) -> dict:
    """Run ``python -m ops.tests.cluster COMMAND ARGS`` and return the JSON it printed last."""
    done = run(env, "-m", "ops.tests.cluster", command, *args, timeout=timeout)
    return json.loads(done.stdout.strip().splitlines()[-1])


@contextlib.contextmanager
def pg_database(template: str | None = None):
    """Yield the URL of a new database (a copy of ``template``), dropped afterwards."""
    admin = pg_admin()
    name = f"outsidein_ops_{uuid.uuid4().hex[:12]}"
    try:
        admin.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        yield f"{PG_BASE}/{name}"
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def pg_connect(database_url: str):
    """An autocommit connection to one of the tests' databases (to look, not to write)."""
    import psycopg

    name = database_url.rsplit("/", 1)[1]
    return psycopg.connect(**{**PG, "dbname": name}, autocommit=True, connect_timeout=3,
                           application_name="ops-tests")


def pg_terminate(database_url: str) -> int:
    """Terminate every server backend of the database (as a failing network would); return how many."""
    admin = pg_admin()
    try:
        name = database_url.rsplit("/", 1)[1]
        row = admin.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                            "WHERE datname = %s AND pid <> pg_backend_pid() "
                            "AND application_name <> 'ops-tests'", [name]).fetchone()
        return row[0]
    finally:
        admin.close()


# --- parent: servers ---------------------------------------------------------------------------

class Server:
    """One ``outsidein serve`` (uvicorn) process on its own port, logging to a file."""

    def __init__(self, env: dict, log: Path, workers: int = 1):
        self.port = free_port()
        self.env, self.log, self.workers = env, log, workers
        self.process: subprocess.Popen | None = None

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def ws(self, room: int) -> str:
        return f"ws://127.0.0.1:{self.port}/ws/live/rooms/{room}/"

    def start(self) -> Server:
        with self.log.open("a") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "outsidein.cli", "serve", "--host", "127.0.0.1",
                 "--port", str(self.port), "--workers", str(self.workers)],
                env=self.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                start_new_session=True)  # its own process group: the workers die with it
        return self

    def wait_ready(self, timeout: float = 40) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the server exited:\n{self.log.read_text()[-3000:]}")
            try:
                status, _headers, _body = get(self.http + "/accounts/login/", timeout=2)
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"the server did not answer within {timeout} s:\n"
                             f"{self.log.read_text()[-3000:]}")

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, sig)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        self.kill(signal.SIGTERM)


def get(url: str, *, cookie: str | None = None, timeout: float = 10, headers: dict | None = None
        ) -> tuple[int, Message, bytes]:
    """GET through the reverse proxy's eyes (it says the request came over HTTPS)."""
    request = urllib.request.Request(url, headers={"X-Forwarded-Proto": "https", **(headers or {})})
    if cookie:
        request.add_header("Cookie", f"sessionid={cookie}")

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


# --- parent: websocket clients -----------------------------------------------------------------

class Client:
    """One participant's room socket, as ``static/js/live-room.js`` speaks it."""

    def __init__(self, url: str, session: str):
        self.url, self.session = url, session
        self.ws = None
        self.seq: int | None = None
        self.events: list[dict] = []  # every event applied, in order
        self.acks: dict[str, int] = {}
        self.closed: int | None = None

    async def connect(self, timeout: float = 10) -> Client:
        from websockets.asyncio.client import connect

        self.ws = await asyncio.wait_for(connect(
            self.url, origin="http://127.0.0.1", open_timeout=timeout, close_timeout=2,
            additional_headers={"Cookie": f"sessionid={self.session}"}), timeout)
        self.closed = None
        welcome = await self.next(timeout)
        assert welcome["type"] == "welcome", welcome
        await self.ws.send(json.dumps({"type": "hello", "last_seq": self.seq}))
        while (await self.next(timeout))["type"] not in ("snapshot", "events"):
            pass  # the catch-up comes first after the hello (presence may precede it)
        return self

    async def next(self, timeout: float = 10) -> dict:
        """Receive, apply and return one message (raise ConnectionClosed when the socket closes)."""
        from websockets.exceptions import ConnectionClosed

        try:
            message = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
        except ConnectionClosed as closed:
            self.closed = closed.rcvd.code if closed.rcvd else 1006
            raise
        kind = message["type"]
        if kind == "snapshot":
            self.seq = message["seq"]
        elif kind == "events":
            self.apply(message["events"])
        elif kind == "event":
            self.apply([message["event"]])
        elif kind == "ack":
            self.acks[message["client_key"]] = message["seq"]
        return message

    def apply(self, events: list[dict]) -> None:
        for event in events:
            if self.seq is None or event["seq"] > self.seq:
                assert self.seq is None or event["seq"] == self.seq + 1, (self.seq, event["seq"])
                self.seq = event["seq"]
                self.events.append(event)

    async def act(self, action: str, timeout: float = 10, **payload) -> dict:
        """Send an action; return its answer (ack or refused)."""
        client_key = uuid.uuid4().hex
        await self.ws.send(json.dumps({"type": "action", "action": action, "payload": payload,
                                       "client_key": client_key}))
        deadline = time.monotonic() + timeout
        while True:
            message = await self.next(max(0.05, deadline - time.monotonic()))
            if message["type"] in ("ack", "refused") and message.get("client_key") == client_key:
                return message

    async def send_action(self, action: str, **payload) -> str:
        """Send an action without waiting for its answer; return its client key."""
        client_key = uuid.uuid4().hex
        await self.ws.send(json.dumps({"type": "action", "action": action, "payload": payload,
                                       "client_key": client_key}))
        return client_key

    async def until_closed(self, timeout: float = 10) -> int:
        """Read on (taking acks and events) until the server closes the socket; return its code."""
        from websockets.exceptions import ConnectionClosed

        deadline = time.monotonic() + timeout
        with contextlib.suppress(ConnectionClosed):
            while True:
                await self.next(max(0.05, deadline - time.monotonic()))
        return self.closed

    async def reconnect(self, timeout: float = 20) -> int:
        """Reconnect with back-off until let in and resynced (as the page does); return the
        number of attempts turned away meanwhile."""
        from websockets.exceptions import ConnectionClosed, InvalidHandshake

        deadline, refused = time.monotonic() + timeout, 0
        while True:
            await self.close()
            try:
                await self.connect(timeout=5)
                return refused
            except (ConnectionClosed, InvalidHandshake, OSError, TimeoutError):
                refused += 1
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.25)

    async def until_seq(self, seq: int, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while self.seq is None or self.seq < seq:
            await self.next(max(0.05, deadline - time.monotonic()))

    async def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self.ws.close(), 3)


# --- parent: a migrated template database ------------------------------------------------------

def migrated_template(tmp: Path) -> str:
    """Create and migrate a template database; return its name (the caller drops it)."""
    admin = pg_admin()
    name = f"outsidein_ops_template_{uuid.uuid4().hex[:12]}"
    try:
        admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        admin.close()
    run(environment(tmp, f"{PG_BASE}/{name}"), "manage.py", "migrate", "--noinput", "-v", "0",
        timeout=180)
    return name


def drop_database(name: str) -> None:
    admin = pg_admin()
    try:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        admin.close()


def collect_static(tmp: Path, env: dict) -> None:
    if not (tmp / "static" / "staticfiles.json").exists():
        run(env, "manage.py", "collectstatic", "--noinput", "-v", "0", timeout=180)


def remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


# --- child commands ----------------------------------------------------------------------------

def _setup() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "outsidein.settings")
    import django

    django.setup()


def _staff_session(user) -> str:
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "accounts.backends.EmailBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.save()
    return store.session_key


def world_room() -> dict:
    """An arena room in its first round: a facilitator and two employees, with their sessions."""
    from accounts.models import Role
    from accounts.services import membership_create, organisation_create
    from live import services
    from live.formats import RoomRole

    org = organisation_create(slug="ops-cluster", name="Ops Cluster Energie")
    facilitator = membership_create(organisation=org, email="mo@ops.nl", name="Mo Derator",
                                    role=Role.MODERATOR)
    employees = [membership_create(organisation=org, email=f"eva{i}@ops.nl", name=f"Eva {i}",
                                   role=Role.EMPLOYEE) for i in range(2)]
    room = services.room_create(organisation=org, format_key="arena", title="Klantarena Ops",
                                facilitator=facilitator)
    for member in employees:
        services.room_participant_add(room=room, role=RoomRole.EMPLOYEE, membership=member)
    services.event_append(room=room, actor=facilitator, type="phase_next", payload={},
                          client_key="ops-setup-1")
    room.refresh_from_db()
    return {"room": room.pk, "org": org.slug, "seq": room.last_seq,
            "facilitator": _staff_session(facilitator.user),
            "employees": [_staff_session(m.user) for m in employees]}


def room_log(room: str) -> dict:
    """The room's log as stored: every event's sequence number, type and client key."""
    from live.models import RoomEvent

    rows = list(RoomEvent.objects.filter(room_id=int(room)).order_by("seq")
                .values_list("seq", "type", "client_key"))
    return {"events": [list(row) for row in rows]}


def world_import(rows: str) -> dict:
    """An organisation, a wave and a CSV of ``rows`` survey responses, uploaded as a job (queued)."""
    import csv

    from django.conf import settings

    from accounts.models import Role
    from accounts.services import membership_create, organisation_create
    from research.importing import ImportOptions, import_configure, import_prepare
    from research.importing.mapping import Mapping
    from research.services import wave_create

    org = organisation_create(slug="ops-import", name="Ops Import Verzekeringen")
    admin = membership_create(organisation=org, email="admin@ops.nl", name="Ad Min", role=Role.ADMIN)
    wave = wave_create(organisation=org, name="Najaar", actor=admin)
    path = Path(settings.IMPORT_DIR) / "big.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(["respondent", "nps", "opmerking"])
        for i in range(int(rows)):
            writer.writerow([f"R{i:07d}", i % 11, f"Opmerking nummer {i} over de service"])
    job = import_prepare(organisation=org, wave=wave, actor=admin, upload=path, original_name="big.csv")
    mapping = Mapping.from_json(job.mapping)
    job = import_configure(job=job, mapping=mapping, options=ImportOptions(), actor=admin)
    return {"job": job.pk, "wave": wave.pk, "status": job.status, "mapping": job.mapping}


def import_run_job(job: str, stall_file: str = "") -> dict:
    """Run the job; with ``stall_file``, stop inside the import's transaction once it has
    written rows (the rows done go to that file) and wait there to be killed."""
    from research.importing import import_run
    from research.models import ImportJob

    def stall(done: int, total: int | None) -> None:
        if done and (total is None or done < total):
            Path(stall_file).write_text(str(done))
            time.sleep(600)

    result = import_run(ImportJob.objects.get(pk=int(job)), progress=stall if stall_file else None)
    return {"imported": result.get("imported"), "ok": result.get("ok")}


def import_requeue(job: str) -> dict:
    """Start the job again with the mapping and options it had (as the import page does)."""
    from research.importing import ImportOptions, import_configure
    from research.importing.mapping import Mapping
    from research.models import ImportJob

    found = ImportJob.objects.get(pk=int(job))
    found = import_configure(job=found, mapping=Mapping.from_json(found.mapping),
                             options=ImportOptions.from_json(found.options))
    return {"status": found.status}


def import_state(job: str) -> dict:
    from research.models import ImportJob, Response

    found = ImportJob.objects.get(pk=int(job))
    return {"status": found.status, "rows_done": found.rows_done, "result": found.result,
            "responses": Response.objects.filter(wave_id=found.wave_id).count()}


COMMANDS = {"world-room": world_room, "room-log": room_log, "world-import": world_import,
            "import-run": import_run_job, "import-requeue": import_requeue,
            "import-state": import_state}


if __name__ == "__main__":
    _setup()
    print(json.dumps(COMMANDS[sys.argv[1]](*sys.argv[2:])), flush=True)
