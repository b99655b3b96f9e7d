"""Benchmark the live room engine: 500 participants over loopback, beside a bare broadcast server.

    make bench-live
    BENCH_LIVE_PARTICIPANTS=200 make bench-live     # smaller

The load (the same for every run): one arena room in round 2 with 500 connected
participants (480 employees with a staff session, 20 customers with a redeemed arena
magic link) and its facilitator. In the measured 10 s the facilitator posts 20
statements a second (200 in all) while every participant casts one vote on one of five
groups at a random moment (fixed seed). Each statement carries a marker; the
facilitator's process notes when it sends it, every client when the frame carrying it
arrives, and the latency is the difference (one machine, one monotonic clock).

Runs, each against a fresh database and freshly started servers:

* ``reference``: a bare ``websockets`` broadcast server (below, ``--reference``) that
  numbers each action, acks it and broadcasts it to every socket at once with
  ``websockets.broadcast``: no database, no authentication, no channel layer, no
  coalescing.
* ``inmemory``: ``outsidein serve`` (uvicorn, one worker, the in-memory channel layer) on
  SQLite in WAL mode: the embedded configuration, one machine, no setup
  (``BENCH_LIVE_INMEMORY_DB=postgres`` for PostgreSQL instead).
* ``redis``: two ``outsidein serve`` processes sharing the room through Redis (database
  5) on PostgreSQL (database ``bench_live_redis``, dropped afterwards); the participants
  alternate between the two ports, the facilitator is on the first.

The servers run with ``DEBUG`` off (production settings). The clients run in three
processes (the facilitator; two halves of the participants) on uvloop, with a minimal
WebSocket client of their own (``Wire``): frames are handled straight from the
transport and read with regular expressions, not parsed as JSON, so that 250 sockets
per process cost the client little (its CPU time and event-loop lag are printed: a
large lag would mean the client, not the server, was slow). They offer compression,
as browsers do (``BENCH_LIVE_COMPRESSION=0`` not to). A socket may send 10 messages a
second (``LIVE_RATE_PER_SECOND``), so the facilitator posts through two sockets of
the same session (two devices), 10 a second each.

Per run: statement latency p50/p95/p99 over every (client, statement) pair; lost =
events (any type, up to the last acknowledged sequence number) some client never
received, counted per client; duplicated = events a client received twice; refused
votes; the round trips of a statement and a vote (send to ack); frames received by
kind; the server's CPU time in the window and the load average. Targets: p95 <= 250 ms
and nothing lost; the ratio to the reference's p95 is printed. The last line:

    RESULT live participants=500 inmemory_p95_ms=X redis_p95_ms=X lost=N reference_p95_ms=X

(``lost`` counts both engine runs.) ``BENCH_LIVE_ONLY=inmemory,redis`` picks runs;
``BENCH_LIVE_KEEP_LOGS=1`` keeps the servers' logs in var/bench; with py-spy installed,
``BENCH_LIVE_PYSPY=1`` records each server during the window (raw stacks in var/bench).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import resource
import select
import subprocess
import sys
import time
from pathlib import Path

from _common import (  # bench/ is on sys.path
    CONNECT_TIMEOUT,
    Client,
    cpu_seconds,
    django_setup,
    drop_postgres,
    free_port,
    fresh_postgres,
    room_build,
    run_child,
    stop,
    wait_for_port,
)

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
BIN = Path(sys.executable).parent
PG_SERVER = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
PG_DB = "bench_live_redis"
PG_DB_INMEMORY = "bench_live_inmemory"
INMEMORY_DB = os.environ.get("BENCH_LIVE_INMEMORY_DB", "sqlite")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/5")
PARTICIPANTS = int(os.environ.get("BENCH_LIVE_PARTICIPANTS", "500"))
CUSTOMERS = min(20, PARTICIPANTS // 10)
RATE = 20            # statements a second
DURATION = 10.0      # seconds of load
GROUPS = 5
CLIENT_PROCESSES = 2  # for the participants; the facilitator has a process of its own
FACILITATOR_SOCKETS = 2
QUIET_SECONDS = 2.0   # after the load: stop once nothing arrived for this long
DRAIN_MAX = 20.0      # ... or after this long at most
P95_TARGET_MS = 250.0



# --- setup child: the room, its people and their sessions ------------------------------------------

def child(vendor: str, database_url: str, world_path: Path) -> None:
    """Migrate a fresh database and build the room; write the sessions to ``world_path``."""
    django_setup(database_url)
    from django.core.management import call_command
    from django.db import transaction

    from accounts.models import Role
    from accounts.services import membership_create, organisation_create

    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    with transaction.atomic():
        organisation = organisation_create(slug="bench-live", name="Bench Energie")
        facilitator = membership_create(organisation=organisation, email="moderator@bench.nl",
                                        name="Mo Derator", role=Role.MODERATOR)
        world = room_build(organisation=organisation, facilitator=facilitator,
                           employees=PARTICIPANTS - CUSTOMERS, customers=CUSTOMERS, groups=GROUPS)
    world["setup_s"] = time.perf_counter() - start
    world_path.write_text(json.dumps(world))
    print("BENCHJSON " + json.dumps({"room": world["room"], "seq": world["seq"],
                                     "setup_s": world["setup_s"]}), flush=True)

# --- the reference: a bare websockets broadcast server --------------------------------------------

def reference_server(port: int) -> None:
    """Number, ack and broadcast every action; the same frames as the engine's, nothing else."""
    import uvloop
    from websockets.asyncio.server import broadcast, serve

    clients: set = set()
    last = {"seq": 0}

    def stamped(data: dict) -> str:
        return json.dumps({"server_time": int(time.time() * 1000), **data}, separators=(",", ":"))

    async def handler(ws):
        clients.add(ws)
        try:
            async for raw in ws:
                message = json.loads(raw)
                if message.get("type") == "hello":
                    await ws.send(stamped({"type": "snapshot", "seq": last["seq"], "state": {}}))
                elif message.get("type") == "action":
                    last["seq"] += 1
                    seq = last["seq"]
                    event = {"seq": seq, "type": message["action"], "actor": None, "role": "",
                             "payload": message["payload"], "at": int(time.time() * 1000)}
                    await ws.send(stamped({"type": "ack", "client_key": message["client_key"],
                                           "seq": seq}))
                    broadcast(clients, stamped({"type": "event", "event": event}))
        finally:
            clients.discard(ws)

    async def main():
        async with serve(handler, "127.0.0.1", port, max_size=2 ** 20, ping_interval=None):
            print("LISTENING", flush=True)
            await asyncio.Future()

    uvloop.run(main())


# --- the load: client processes ---------------------------------------------------------------------

async def _lag_probe(stop: asyncio.Event, lags: list[float]) -> None:
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        before = loop.time()
        await asyncio.sleep(0.02)
        lags.append(loop.time() - before - 0.02)


async def _clients(spec: dict, index: int) -> None:
    mine = [s for s in spec["sockets"] if s["process"] == index]
    clients = [Client(spec, s) for s in mine]
    gate = asyncio.Semaphore(spec["connect_concurrency"])

    async def connect(client: Client) -> None:
        async with gate:
            await client.connect()
            await asyncio.wait_for(client.synced.wait(), CONNECT_TIMEOUT)
            if client.failed:
                raise client.failed

    started = time.monotonic()
    await asyncio.gather(*(connect(c) for c in clients))
    print(f"READY {len(clients)} {time.monotonic() - started:.1f}", flush=True)
    loop = asyncio.get_running_loop()
    line = await loop.run_in_executor(None, sys.stdin.readline)
    t0 = float(line.split()[1])
    for client in clients:
        client.frames, client.kinds = 0, {}
    rusage_before = resource.getrusage(resource.RUSAGE_SELF)
    stop, lags = asyncio.Event(), []
    probe = asyncio.create_task(_lag_probe(stop, lags))

    async def at(when: float) -> None:
        delay = when - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)

    sends: dict[str, float] = {}

    async def statements(client: Client, offset: int) -> None:
        for k in range(offset, spec["statements"], FACILITATOR_SOCKETS):
            await at(t0 + k / RATE)
            key = f"st-{k}"
            sends[key] = client.send({
                "type": "action", "action": "statement_add", "client_key": key,
                "payload": {"text": f"Stelling BENCH#{k:04d}#: de monteur kwam op tijd en legde "
                                    "alles duidelijk uit", "kind": "experience"}})

    async def vote(client: Client, sock: dict) -> None:
        await at(t0 + sock["vote_at"])
        key = f"vote-{sock['id']}"
        sends[key] = client.send({"type": "action", "action": "vote_cast", "client_key": key,
                                  "payload": {"group": sock["group"]}})

    work = []
    for client, sock in zip(clients, mine, strict=True):
        if sock["role"] == "facilitator":
            work.append(statements(client, sock["offset"]))
        else:
            work.append(vote(client, sock))
    await asyncio.gather(*work)
    await at(t0 + DURATION)
    # Drain: until nothing arrived for QUIET_SECONDS (or DRAIN_MAX passed).
    deadline, quiet_since, last_count = time.monotonic() + DRAIN_MAX, time.monotonic(), -1
    while time.monotonic() < deadline:
        count = sum(len(c.seen) for c in clients) + sum(len(c.replies) for c in clients)
        if count != last_count:
            last_count, quiet_since = count, time.monotonic()
        elif time.monotonic() - quiet_since >= QUIET_SECONDS:
            break
        await asyncio.sleep(0.1)
    stop.set()
    await probe
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (usage.ru_utime + usage.ru_stime) - (rusage_before.ru_utime + rusage_before.ru_stime)
    for client in clients:
        client.close()
    replies = {}
    for client in clients:
        for key, (t, kind, seq, code) in client.replies.items():
            replies[key] = {"sent": sends.get(key), "at": t, "type": kind, "seq": seq, "code": code}
    lags.sort()
    result = {"process": index, "sockets": {str(s["id"]): c.report()
                                            for c, s in zip(clients, mine, strict=True)},
              "replies": replies, "sent": sends, "cpu_s": cpu,
              "lag_max_ms": 1000 * (lags[-1] if lags else 0.0),
              "lag_p99_ms": 1000 * (lags[int(0.99 * (len(lags) - 1))] if lags else 0.0)}
    print("BENCHJSON " + json.dumps(result), flush=True)


def clients_process(spec_path: str, index: int) -> None:
    import uvloop

    uvloop.run(_clients(json.loads(Path(spec_path).read_text()), index))


# --- parent ------------------------------------------------------------------------------------------

def load(label: str, urls: list[str], world: dict, servers: list[subprocess.Popen]) -> dict:
    """Run the clients against ``urls`` and return the run's figures."""
    rng = random.Random(20240611)
    sockets = [{"id": f"f{j}", "role": "facilitator", "session": world["facilitator"],
                "url": urls[0], "process": 0, "offset": j} for j in range(FACILITATOR_SOCKETS)]
    for i, session in enumerate(world["participants"]):
        sockets.append({"id": str(i), "role": "participant", "session": session,
                        "url": urls[i % len(urls)], "process": 1 + i % CLIENT_PROCESSES,
                        "vote_at": rng.uniform(0, DURATION), "group": rng.choice(world["groups"])})
    origin = urls[0].replace("ws://", "http://").split("/ws/")[0]
    spec = {"sockets": sockets, "origin": origin, "statements": int(RATE * DURATION),
            "compression": os.environ.get("BENCH_LIVE_COMPRESSION", "1") != "0",
            "connect_concurrency": 25}
    spec_path = BENCH_DIR / f"live_spec_{label}.json"
    spec_path.write_text(json.dumps(spec))
    processes = [subprocess.Popen([sys.executable, __file__, "--clients", str(spec_path), str(i)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
                 for i in range(CLIENT_PROCESSES + 1)]
    try:
        connect_s = 0.0
        for process in processes:
            ready, _, _ = select.select([process.stdout], [], [], CONNECT_TIMEOUT + 30)
            line = process.stdout.readline() if ready else ""
            if not line.startswith("READY"):
                raise SystemExit(f"{label}: a client process did not get ready ({line!r})")
            connect_s = max(connect_s, float(line.split()[2]))
        time.sleep(1.0)  # let the join storm's presence messages settle
        cpu_before = [cpu_seconds(s.pid) for s in servers]
        profilers = [subprocess.Popen([str(BIN / "py-spy"), "record", "--pid", str(s.pid),
                                       "--threads", "--format", "raw", "--duration", str(int(DURATION) + 3),
                                       "--output", str(BENCH_DIR / f"live_{label}_{s.pid}.txt")],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                     for s in servers] if os.environ.get("BENCH_LIVE_PYSPY") else []
        t0 = time.monotonic() + 0.5
        for process in processes:
            process.stdin.write(f"GO {t0}\n")
            process.stdin.flush()
        outputs = [process.communicate(timeout=DURATION + DRAIN_MAX + 60)[0] for process in processes]
        server_cpu = [cpu_seconds(s.pid) - b for s, b in zip(servers, cpu_before, strict=True)]
        for profiler in profilers:
            profiler.wait()
    finally:
        stop(processes)
        spec_path.unlink(missing_ok=True)
    parts = []
    for output in outputs:
        line = next((x for x in output.splitlines() if x.startswith("BENCHJSON ")), None)
        if line is None:
            raise SystemExit(f"{label}: a client process failed")
        parts.append(json.loads(line[len("BENCHJSON "):]))
    return summarise(label, parts, connect_s, server_cpu)


def summarise(label: str, parts: list[dict], connect_s: float, server_cpu: list[float]) -> dict:
    import numpy as np

    replies, sent, sockets = {}, {}, {}
    for part in parts:
        replies.update(part["replies"])
        sent.update(part["sent"])
        sockets.update(part["sockets"])
    statements = {}  # marker -> (send time, seq)
    for key, reply in replies.items():
        if key.startswith("st-") and reply["type"] == "ack":
            statements[int(key[3:])] = (sent[key], reply["seq"])
    final = max((r["seq"] for r in replies.values() if r["type"] == "ack"), default=0)
    latencies, lost, lost_statements, duplicates, closes, frames, kinds = [], 0, 0, 0, 0, 0, {}
    for sock_id, report in sockets.items():
        if sock_id.startswith("f"):
            continue  # the facilitator's sockets send; the participants are measured
        received = set()
        for first, last in report["ranges"]:
            received.update(range(first, last + 1))
        start = report["start"] or 0
        lost += sum(1 for seq in range(start + 1, final + 1) if seq not in received)
        duplicates += report["dups"]
        frames += report["frames"]
        for kind, n in report["kinds"].items():
            kinds[kind] = kinds.get(kind, 0) + n
        closes += len(report["closes"])
        arrivals = report["arrivals"]
        for marker, (send_t, _seq) in statements.items():
            arrival = arrivals.get(str(marker))
            if arrival is None:
                lost_statements += 1
            else:
                latencies.append(arrival - send_t)
    nan = float("nan")
    votes = [r for k, r in replies.items() if k.startswith("vote-")]
    refused = sum(1 for r in votes if r["type"] == "refused")
    vote_rtt = [r["at"] - r["sent"] for r in votes if r["sent"] is not None]
    # Per worker (participant i is on worker i % workers), to see one lagging behind.
    workers = max(1, len(server_cpu))
    vote_rtt_worker = [[r["at"] - r["sent"] for k, r in replies.items()
                        if k.startswith("vote-") and int(k[5:]) % workers == w and r["sent"]]
                       for w in range(workers)]
    statement_rtt = [r["at"] - r["sent"] for k, r in replies.items()
                     if k.startswith("st-") and r["sent"] is not None]
    lat = np.array(latencies) * 1000 if latencies else np.array([float("nan")])
    return {
        "label": label, "participants": sum(1 for s in sockets if not s.startswith("f")),
        "statements_acked": len(statements), "statements_sent": sum(1 for k in sent if k.startswith("st-")),
        "events": final, "p50": float(np.percentile(lat, 50)), "p95": float(np.percentile(lat, 95)),
        "p99": float(np.percentile(lat, 99)), "max": float(np.max(lat)), "lost": lost,
        "lost_statements": lost_statements, "duplicated": duplicates, "closes": closes,
        "frames": frames, "kinds": kinds,
        "votes": len(votes), "votes_refused": refused,
        "refusal_codes": sorted({r["code"] for r in votes if r["type"] == "refused"}),
        "vote_rtt_p95": 1000 * float(np.percentile(vote_rtt, 95)) if vote_rtt else float("nan"),
        "vote_rtt_p95_worker": [1000 * float(np.percentile(v, 95)) if v else nan
                                for v in vote_rtt_worker],
        "statement_rtt_p50": 1000 * float(np.percentile(statement_rtt, 50)) if statement_rtt else nan,
        "statement_rtt_p95": 1000 * float(np.percentile(statement_rtt, 95)) if statement_rtt else nan,
        "connect_s": connect_s, "server_cpu_s": server_cpu,
        "client_cpu_s": [p["cpu_s"] for p in parts],
        "client_lag_max_ms": max(p["lag_max_ms"] for p in parts),
        "client_lag_p99_ms": max(p["lag_p99_ms"] for p in parts),
        "load": os.getloadavg()[0],
    }


def show(r: dict, reference: dict | None = None) -> None:
    ratio = f"   {r['p95'] / reference['p95']:.1f}x the reference's p95" if reference else ""
    print(f"{r['label']:9s} p50 {r['p50']:.1f} ms  p95 {r['p95']:.1f} ms  p99 {r['p99']:.1f} ms  "
          f"max {r['max']:.0f} ms{ratio}", flush=True)
    print(f"          {r['participants']} participants, {r['events']} events; lost {r['lost']} "
          f"(statements {r['lost_statements']}), duplicated {r['duplicated']}, "
          f"socket closes {r['closes']}; {r['frames']} frames received "
          f"({', '.join(f'{n} {k}' for k, n in sorted(r['kinds'].items(), key=lambda x: -x[1]))})",
          flush=True)
    print(f"          statements: {r['statements_acked']}/{r['statements_sent']} acked, round trip "
          f"p50 {r['statement_rtt_p50']:.0f} ms, p95 {r['statement_rtt_p95']:.0f} ms; votes: "
          f"{r['votes']} answered, {r['votes_refused']} refused"
          f"{' (' + ', '.join(r['refusal_codes']) + ')' if r['refusal_codes'] else ''}, "
          f"round trip p95 {r['vote_rtt_p95']:.0f} ms"
          + (f" (per worker {', '.join(f'{v:.0f}' for v in r['vote_rtt_p95_worker'])})"
             if len(r["vote_rtt_p95_worker"]) > 1 else ""), flush=True)
    print(f"          connect {r['connect_s']:.1f} s; CPU in the window: server "
          f"{' + '.join(f'{c:.1f}' for c in r['server_cpu_s'])} s, clients "
          f"{' + '.join(f'{c:.1f}' for c in r['client_cpu_s'])} s; client loop lag "
          f"p99 {r['client_lag_p99_ms']:.0f} ms, max {r['client_lag_max_ms']:.0f} ms; "
          f"load average {r['load']:.1f}", flush=True)


def serve(label: str, port: int, env: dict) -> tuple[subprocess.Popen, Path]:
    log = BENCH_DIR / f"live_{label}_{port}.log"
    with log.open("w") as out:
        process = subprocess.Popen([str(BIN / "outsidein"), "serve", "--host", "127.0.0.1",
                                    "--port", str(port)], env=env, stdout=out,
                                   stderr=subprocess.STDOUT, cwd=ROOT)
    return process, log


def engine_run(label: str, vendor: str, database_url: str, workers: int, redis_url: str = "") -> dict:
    # Production settings, and the same secret key for the sessions made by the setup child
    # and the servers that read them.
    os.environ.update({"DEBUG": "0", "SECRET_KEY": "bench-live-" + "x" * 50,
                       "ALLOWED_HOSTS": "127.0.0.1", "LOG_LEVEL": "WARNING",
                       "DJANGO_SETTINGS_MODULE": "outsidein.settings"})
    world_path = BENCH_DIR / f"live_world_{label}.json"
    run_child(__file__, vendor, database_url, world_path)
    world = json.loads(world_path.read_text())
    world_path.unlink()
    env = {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url}
    servers, logs = [], []
    try:
        for _ in range(workers):
            process, log = serve(label, free_port(), env)
            servers.append(process)
            logs.append(log)
        ports = [int(log.stem.rsplit("_", 1)[1]) for log in logs]
        for port, process, log in zip(ports, servers, logs, strict=True):
            wait_for_port(port, process, log)
        urls = [f"ws://127.0.0.1:{port}/ws/live/rooms/{world['room']}/" for port in ports]
        return load(label, urls, world, servers)
    finally:
        stop(servers)
        for log in logs:
            text = log.read_text()
            if os.environ.get("BENCH_LIVE_KEEP_LOGS"):
                print(f"{label}: server log kept in {log}", file=sys.stderr)
            elif "Traceback" in text or "ERROR" in text:
                print(f"{label}: the server logged errors ({log}):\n{text[-2000:]}", file=sys.stderr)
            else:
                log.unlink()


def reference_run() -> dict:
    port = free_port()
    process = subprocess.Popen([sys.executable, __file__, "--reference", str(port)],
                               stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        process.stdout.readline()  # LISTENING
        world = {"facilitator": None, "participants": [None] * PARTICIPANTS,
                 "groups": [str(g) for g in range(1, GROUPS + 1)]}
        return load("reference", [f"ws://127.0.0.1:{port}/ws/live/rooms/1/"], world, [process])
    finally:
        stop([process])


def redis_flush() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def main() -> None:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    print(f"live: {PARTICIPANTS} participants, {RATE} statements/s for {DURATION:.0f} s, "
          f"one vote each; {os.cpu_count()} cores", flush=True)
    only = os.environ.get("BENCH_LIVE_ONLY", "reference,inmemory,redis").split(",")
    results = {}
    if "reference" in only:
        results["reference"] = reference_run()
        show(results["reference"])
    reference = results.get("reference")
    if "inmemory" in only and INMEMORY_DB == "sqlite":
        sqlite_file = BENCH_DIR / "live.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(f"{sqlite_file}{suffix}").unlink(missing_ok=True)
        try:
            results["inmemory"] = engine_run("inmemory", "sqlite", f"sqlite:///{sqlite_file}", 1)
        finally:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{sqlite_file}{suffix}").unlink(missing_ok=True)
        show(results["inmemory"], reference)
    elif "inmemory" in only:
        try:
            results["inmemory"] = engine_run("inmemory", "postgres",
                                             fresh_postgres(PG_SERVER, PG_DB_INMEMORY), 1)
        finally:
            drop_postgres(PG_DB_INMEMORY)
        show(results["inmemory"], reference)
    if "redis" in only:
        redis_flush()
        try:
            results["redis"] = engine_run("redis", "postgres", fresh_postgres(PG_SERVER, PG_DB), 2,
                                          REDIS_URL)
        finally:
            drop_postgres(PG_DB)
            redis_flush()
        show(results["redis"], reference)
    nan = float("nan")
    inmemory, redis_r = results.get("inmemory", {}), results.get("redis", {})
    for r in (inmemory, redis_r):
        if r:
            verdict = "meets" if r["p95"] <= P95_TARGET_MS and r["lost"] == 0 else "MISSES"
            print(f"{r['label']:9s} {verdict} the target (p95 <= {P95_TARGET_MS:.0f} ms, nothing lost)",
                  flush=True)
    if reference:
        print("ratio to the reference's p95: " + ", ".join(
            f"{r['label']} {r['p95'] / reference['p95']:.2f}" for r in (inmemory, redis_r) if r),
            flush=True)
    lost = inmemory.get("lost", 0) + redis_r.get("lost", 0)
    print(f"RESULT live participants={PARTICIPANTS} inmemory_p95_ms={inmemory.get('p95', nan):.1f} "
          f"redis_p95_ms={redis_r.get('p95', nan):.1f} lost={lost} "
          f"reference_p95_ms={(reference or {}).get('p95', nan):.1f}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], Path(sys.argv[4]))
    elif len(sys.argv) > 1 and sys.argv[1] == "--reference":
        reference_server(int(sys.argv[2]))
    elif len(sys.argv) > 1 and sys.argv[1] == "--clients":
        clients_process(sys.argv[2], int(sys.argv[3]))
    else:
        main()
