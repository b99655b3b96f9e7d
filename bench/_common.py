"""Pieces every benchmark shares: a fresh PostgreSQL database and a child process per
database, whose one ``BENCHJSON`` line carries its figures back to the parent; Django set
up in a child, staff and customer sessions made without a login form, a live room with
its participants; a minimal WebSocket client (``Wire``, ``Client``); starting and stopping
servers."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import re
import socket
import subprocess
import sys
import time
import zlib
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
PG_SERVER = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
CONNECT_TIMEOUT = 180.0

TYPE = re.compile(rb'"type":"(\w+)"')
SEQ = re.compile(rb'"seq":(\d+)')
MARK = re.compile(rb"BENCH#(\d+)#")


def fresh_postgres(server: str, database: str) -> str:
    """Drop and create ``database`` on ``server``; return its URL."""
    import psycopg

    with psycopg.connect(f"{server}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {database}")
    return f"{server}/{database}"


def run_child(script: str, vendor: str, database_url: str, data_path: Path) -> dict:
    """Run ``script --child VENDOR URL PATH`` and return the figures it printed."""
    process = subprocess.run(
        [sys.executable, script, "--child", vendor, database_url, str(data_path)],
        capture_output=True, text=True, cwd=ROOT,
    )
    for line in process.stdout.splitlines():
        if line.startswith("BENCHJSON "):
            return json.loads(line[len("BENCHJSON "):])
    sys.stderr.write(process.stdout + process.stderr)
    raise SystemExit(f"{vendor} run failed")


# --- in a setup child: Django, sessions, a live room ------------------------------------------------

def django_setup(database_url: str) -> None:
    """Set Django up in this (child) process against ``database_url``."""
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "outsidein.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _session_store():
    from importlib import import_module

    from django.conf import settings

    return import_module(settings.SESSION_ENGINE).SessionStore()


def staff_session(membership) -> str:
    """Return the key of a logged-in session of ``membership``'s user (no login form)."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    store = _session_store()
    store[SESSION_KEY] = str(membership.user.pk)
    store[BACKEND_SESSION_KEY] = "accounts.backends.EmailBackend"
    store[HASH_SESSION_KEY] = membership.user.get_session_auth_hash()
    store.save()
    return store.session_key


def customer_session(contact, purpose: str) -> str:
    """Return the key of the session a redeemed magic link of ``purpose`` leaves behind."""
    from accounts.services import magic_link_issue, magic_link_redeem
    from accounts.views import CUSTOMER_SESSION_KEY

    issued = magic_link_issue(contact=contact, purpose=purpose)
    link = magic_link_redeem(token=issued.token)
    store = _session_store()
    store[CUSTOMER_SESSION_KEY] = {"contact": contact.pk, "organisation": link.organisation_id,
                                   "purpose": purpose, "link": link.pk}
    store.save()
    return store.session_key


def room_build(*, organisation, facilitator, employees: int, customers: int, groups: int,
               tag: str = "bench") -> dict:
    """Open an arena room in round 2 with ``employees`` new staff members and ``customers``
    new customers (a redeemed arena link each) and ``groups`` groups to vote on; return
    the room's id, the sessions (facilitator, participants: employees first) and groups."""
    from accounts.models import MagicLinkPurpose, Role
    from accounts.services import membership_create
    from live import services
    from live.formats import RoomRole
    from org.services import contact_create, customer_create

    room = services.room_create(organisation=organisation, format_key="arena",
                                title="Klantarena (benchmark)", facilitator=facilitator)
    sessions = []
    for i in range(employees):
        member = membership_create(organisation=organisation, email=f"medewerker{i}@{tag}.nl",
                                   name=f"Medewerker {i:03d}", role=Role.EMPLOYEE)
        services.room_participant_add(room=room, role=RoomRole.EMPLOYEE, membership=member)
        sessions.append(staff_session(member))
    for i in range(customers):
        customer = customer_create(organisation=organisation, name=f"Klant {i:02d}",
                                   customer_number=f"{tag.upper()}-K{i:04d}")
        contact = contact_create(customer=customer, name=f"Klant {i:02d}",
                                 email=f"klant{i}@{tag}-klant.nl")
        services.room_participant_add(room=room, role=RoomRole.CUSTOMER, contact=contact)
        sessions.append(customer_session(contact, MagicLinkPurpose.ARENA))
    for step in ("phase_next", "phase_next"):  # welcome -> round 1 -> round 2
        services.event_append(room=room, actor=facilitator, type=step, payload={},
                              client_key=f"setup-{step}-{room.last_seq}")
    group_ids = []
    for g in range(groups):
        event = services.event_append(room=room, actor=facilitator, type="group_create",
                                      payload={"title": f"Thema {g + 1}"},
                                      client_key=f"setup-group-{g}")
        group_ids.append(str(event.seq))
    return {"room": room.pk, "facilitator": staff_session(facilitator), "participants": sessions,
            "groups": group_ids, "seq": room.last_seq}


# --- a minimal WebSocket client ----------------------------------------------------------------------

class Wire(asyncio.Protocol):
    """A minimal WebSocket client on a raw transport: the handshake, unmasked server frames
    (permessage-deflate when the server takes the offer, as with a browser), masked client
    frames. Frames go to ``on_frame(payload, arrival)`` straight from ``data_received``, with
    no task switch, so that 250 sockets per process cost the client little."""

    def __init__(self, host: str, path: str, headers: list[tuple[str, str]], compression: bool,
                 on_frame, on_close):
        self.on_frame, self.on_close = on_frame, on_close
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [f"GET {path} HTTP/1.1", f"Host: {host}", "Upgrade: websocket",
                 "Connection: Upgrade", f"Sec-WebSocket-Key: {key}", "Sec-WebSocket-Version: 13",
                 *(f"{name}: {value}" for name, value in headers)]
        if compression:
            lines.append("Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits")
        self.request = ("\r\n".join(lines) + "\r\n\r\n").encode()
        self.opened: asyncio.Future = asyncio.get_running_loop().create_future()
        self.buffer = bytearray()
        self.handshaken = False
        self.inflater = None
        self.reset_inflater = False
        self.fragments: list[bytes] = []
        self.compressed = False
        self.transport = None
        self.closed = False

    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.write(self.request)

    def connection_lost(self, exc) -> None:
        if not self.opened.done():
            self.opened.set_exception(ConnectionError(f"closed during the handshake ({exc})"))
        if not self.closed:
            self.closed = True
            self.on_close(None)

    def _handshake(self) -> bool:
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return False
        head = bytes(self.buffer[:end]).decode("latin-1")
        del self.buffer[:end + 4]
        status = head.split("\r\n", 1)[0]
        if " 101 " not in status + " ":
            self.opened.set_exception(ConnectionError(status))
            self.transport.close()
            return False
        for line in head.split("\r\n")[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "sec-websocket-extensions" and "permessage-deflate" in value:
                self.inflater = zlib.decompressobj(-15)
                self.reset_inflater = "server_no_context_takeover" in value
        self.handshaken = True
        self.opened.set_result(None)
        return True

    def data_received(self, data: bytes) -> None:
        arrival = time.monotonic()
        buffer = self.buffer
        buffer += data
        if not self.handshaken and not self._handshake():
            return
        pos, size = 0, len(buffer)
        while size - pos >= 2:
            b0, b1 = buffer[pos], buffer[pos + 1]
            length, header = b1 & 0x7F, 2
            if length == 126:
                if size - pos < 4:
                    break
                length, header = int.from_bytes(buffer[pos + 2:pos + 4], "big"), 4
            elif length == 127:
                if size - pos < 10:
                    break
                length, header = int.from_bytes(buffer[pos + 2:pos + 10], "big"), 10
            if size - pos < header + length:
                break
            payload = bytes(buffer[pos + header:pos + header + length])
            pos += header + length
            self._frame(b0, payload, arrival)
        del buffer[:pos]

    def _frame(self, b0: int, payload: bytes, arrival: float) -> None:
        opcode = b0 & 0x0F
        if opcode in (0, 1, 2):
            if opcode:
                self.compressed = bool(b0 & 0x40)
            if not b0 & 0x80:
                self.fragments.append(payload)
                return
            if self.fragments:
                payload = b"".join([*self.fragments, payload])
                self.fragments = []
            if self.compressed:
                payload = self.inflater.decompress(payload + b"\x00\x00\xff\xff")
                if self.reset_inflater:
                    self.inflater = zlib.decompressobj(-15)
            self.on_frame(payload, arrival)
        elif opcode == 8:
            code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else None
            self.closed = True
            self._write(0x88, payload[:2])
            self.transport.close()
            self.on_close(code)
        elif opcode == 9:
            self._write(0x8A, payload)

    def _write(self, first: int, payload: bytes) -> None:
        n = len(payload)
        if n < 126:
            header = bytes([first, 0x80 | n])
        elif n < 65536:
            header = bytes([first, 0x80 | 126]) + n.to_bytes(2, "big")
        else:
            header = bytes([first, 0x80 | 127]) + n.to_bytes(8, "big")
        mask = os.urandom(4)
        repeated = (mask * (n // 4 + 1))[:n]
        masked = (int.from_bytes(payload, "big") ^ int.from_bytes(repeated, "big")).to_bytes(n, "big")
        self.transport.write(header + mask + masked)

    def send_text(self, text: str) -> None:
        if not self.closed:
            self._write(0x81, text.encode())

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._write(0x88, (1000).to_bytes(2, "big"))
            self.transport.close()


class Client:
    """One socket: connects, resyncs after a close, records what arrives and when."""

    def __init__(self, spec: dict, sock: dict):
        parsed = urlsplit(sock["url"])
        self.host, self.port, self.path = parsed.hostname, parsed.port, parsed.path
        self.headers = [("Origin", spec["origin"])]
        if sock.get("session"):
            self.headers.append(("Cookie", f"sessionid={sock['session']}"))
        self.compression = spec["compression"]
        self.start_seq: int | None = None
        self.seen: set[int] = set()
        self.contiguous = 0
        self.duplicates = 0
        self.frames = 0
        self.kinds: dict[bytes, int] = {}
        self.arrivals: dict[int, float] = {}
        # When each event first arrived, by sequence number (only with ``seq_times``).
        self.seq_arrivals: dict[int, float] | None = {} if sock.get("seq_times") else None
        self.replies: dict[str, tuple] = {}
        self.closes: list[int | None] = []
        self.synced = asyncio.Event()
        self.wire: Wire | None = None
        self.stopping = False
        self.failed: BaseException | None = None

    def _note(self, seq: int, t: float) -> None:
        if seq in self.seen:
            self.duplicates += 1
        else:
            self.seen.add(seq)
            if self.seq_arrivals is not None:
                self.seq_arrivals[seq] = t

    def last_contiguous(self) -> int:
        while self.contiguous + 1 in self.seen:
            self.contiguous += 1
        return self.contiguous

    async def connect(self) -> None:
        loop = asyncio.get_running_loop()
        _, wire = await loop.create_connection(
            lambda: Wire(f"{self.host}:{self.port}", self.path, self.headers, self.compression,
                         self.on_frame, self.on_close), self.host, self.port)
        await asyncio.wait_for(wire.opened, CONNECT_TIMEOUT)
        self.wire = wire
        last = self.last_contiguous() if self.start_seq is not None else None
        wire.send_text(json.dumps({"type": "hello", "last_seq": last}))

    def on_frame(self, frame: bytes, t: float) -> None:
        self.frames += 1
        match = TYPE.search(frame)
        kind = match.group(1) if match else b""
        self.kinds[kind] = self.kinds.get(kind, 0) + 1
        if kind == b"event":
            self._note(int(SEQ.search(frame, match.end()).group(1)), t)
            if b"BENCH#" in frame:
                for mark in MARK.findall(frame):
                    self.arrivals.setdefault(int(mark), t)
        elif kind == b"events":
            for seq in SEQ.findall(frame, match.end())[1:]:  # the first is the batch's own
                self._note(int(seq), t)
            if b"BENCH#" in frame:
                for mark in MARK.findall(frame):
                    self.arrivals.setdefault(int(mark), t)
            self.synced.set()
        elif kind in (b"ack", b"refused"):
            reply = json.loads(frame)
            self.replies[reply["client_key"]] = (t, reply["type"], reply.get("seq"),
                                                 reply.get("code"))
        elif kind == b"snapshot":
            self.start_seq = self.contiguous = json.loads(frame)["seq"]
            self.synced.set()

    def on_close(self, code: int | None) -> None:
        if self.stopping:
            return
        self.closes.append(code)
        if self.start_seq is None or len(self.closes) > 5:
            self.failed = ConnectionError(f"socket closed with {code}")
            self.synced.set()
            return
        # Reconnect and resync from the last sequence number seen, as a browser would.
        asyncio.get_running_loop().call_later(0.2, lambda: asyncio.ensure_future(self.connect()))

    def send(self, message: dict) -> float:
        sent = time.monotonic()
        self.wire.send_text(json.dumps(message, separators=(",", ":")))
        return sent

    def close(self) -> None:
        self.stopping = True
        if self.wire is not None:
            self.wire.close()

    def report(self) -> dict:
        seqs = sorted(self.seen)
        ranges, first = [], None
        for i, seq in enumerate(seqs):
            if first is None:
                first = seq
            if i + 1 == len(seqs) or seqs[i + 1] != seq + 1:
                ranges.append([first, seq])
                first = None
        return {"start": self.start_seq, "ranges": ranges, "dups": self.duplicates,
                "frames": self.frames, "kinds": {k.decode(): n for k, n in self.kinds.items()},
                "arrivals": {str(k): v for k, v in self.arrivals.items()}, "closes": self.closes}


# --- servers ---------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process: subprocess.Popen, log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"server on port {port} exited:\n{log.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"server on port {port} did not start")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def drop_postgres(database: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
