"""Load test: customers submitting the survey, staff browsing dashboards and a live room, at once.

    make bench-load
    BENCH_LOAD_SECONDS=60 make bench-load          # shorter, while developing

The app is served as in production: ``outsidein serve --workers 4`` (two uvicorn worker
processes per core behind one address; ``BENCH_LOAD_WORKERS`` to change) with ``DEBUG``
off, on PostgreSQL (database ``bench_load``, created and dropped here) with Redis
(database 6: channel layer and cache), static files collected, the clients posing as a
TLS-terminating proxy's traffic (``X-Forwarded-Proto``). Everything is on loopback.

The data: the demo organisation (``outsidein demo``: 3,000 customers, two closed waves of
~12,500 responses, 177 staff) plus an open wave inviting every contact (~9,000), a magic
link issued for as many invitations as the run can use, and an arena room in round 2 with
300 participants (270 new employees, 30 new customers) and the demo's moderator.

The load, for ``BENCH_LOAD_SECONDS`` (default 300), all at once:

* 300 customers (``BENCH_LOAD_CUSTOMERS``), each in a loop with a fresh invitation: open
  the personal link (GET the magic link, which redirects to ``/survey/`` and then to the
  form), answer for 60-180 s while the page autosaves after a few answers (htmx POSTs to
  ``save/``; ``BENCH_LOAD_AUTOSAVES`` per form, default 3), submit (POST with the CSRF
  token) and read the thank-you page, then 0-10 s until the next customer (a new device
  and address). Arrivals are spread and the first customers start part-way through the
  form, so that the ~2.4 submissions a second run from the start to the end.
* 50 staff (``BENCH_LOAD_STAFF``: the demo's 6 board members, 18 managers and 26
  employees), each with a session made directly in the session store (no login form, so
  no second factor), looping over the dashboards of their role (organisation dashboard,
  strategic page, unit and team pages, verbatims, my customers) with 5-20 s between pages.
* 300 room participants connected (``BENCH_LOAD_PARTICIPANTS``) and acting, one action in
  flight each: customers add a statement every 20-60 s, employees act every 30-90 s (a
  vote while they have votes left, else a question or a vote retracted), the facilitator
  adds a statement every 10 s. About 5 actions a second, each broadcast to the room.

The customers start ``RAMP_SECONDS`` (60) before the measured window, at random points of
their round, so that the window sees the steady rate from its first second (the ramp's
requests are not counted). The staff and the room start with the window.

The reference, measured in the same run before the load on the idle server: one client at
a time does 20 survey rounds without think time, each role's pages twice (after one
unmeasured pass), and 20 statements by the facilitator (one at a time) to the connected
but silent room. The table gives each kind's ratio loaded/idle.

Per kind (survey GET, survey autosave, survey POST = the submission, dashboard GET, live
action -> broadcast): count, throughput, p50/p95/p99/max and errors (any status but
2xx/3xx, timeouts, connection errors; for the live room: dropped sockets, actions
refused or unanswered, events some participant never received). Target: no errors and
survey submission p99 < 500 ms. The last line:

    RESULT load errors=N survey_p99_ms=X dashboard_p95_ms=X live_p95_ms=X

``live_p95_ms`` is over every (action, receiving participant) pair: from the moment the
sender's socket sent the action to the moment the event arrived at the other socket
(one machine, one monotonic clock). Mail goes to Django's dummy backend. The whole run is
bounded (``BENCH_LOAD_TIMEOUT``, default the run plus 20 minutes); every process started
here is stopped in ``finally``. With py-spy installed, ``BENCH_LOAD_PYSPY=1`` records the
two workers for 30 s in the middle of the run (raw stacks in var/bench).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

from _common import (  # bench/ is on sys.path
    Client,
    django_setup,
    drop_postgres,
    free_port,
    fresh_postgres,
    room_build,
    run_child,
    staff_session,
    stop,
    wait_for_port,
)

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
BIN = Path(sys.executable).parent
PG_SERVER = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
PG_DB = "bench_load"
REDIS_URL = os.environ.get("BENCH_LOAD_REDIS_URL", "redis://127.0.0.1:6379/6")
LOAD_SECONDS = float(os.environ.get("BENCH_LOAD_SECONDS", "300"))
TIMEOUT = float(os.environ.get("BENCH_LOAD_TIMEOUT", str(LOAD_SECONDS + 1200)))
WORKERS = int(os.environ.get("BENCH_LOAD_WORKERS", "4"))
CUSTOMERS = int(os.environ.get("BENCH_LOAD_CUSTOMERS", "300"))
STAFF = int(os.environ.get("BENCH_LOAD_STAFF", "50"))
PARTICIPANTS = int(os.environ.get("BENCH_LOAD_PARTICIPANTS", "300"))
ROOM_CUSTOMERS = PARTICIPANTS // 10
AUTOSAVES = int(os.environ.get("BENCH_LOAD_AUTOSAVES", "3"))
GROUPS = 5

# Think times (seconds, uniform): a customer on the form (it says "about three minutes";
# these are quicker), the gap before the next customer, a member of staff reading a
# page, the room's rhythm.
FORM_THINK = (60.0, 180.0)
NEXT_CUSTOMER = (0.0, 10.0)
STAFF_THINK = (5.0, 20.0)
ROOM_CUSTOMER_EVERY = (20.0, 60.0)
ROOM_EMPLOYEE_EVERY = (30.0, 90.0)
FACILITATOR_EVERY = 10.0
VOTE_BUDGET = 3  # the arena format's

# Customers start this long before the measured window, at random points of their round,
# so that the window sees the steady rate from its first second; samples taken before it
# are not counted.
RAMP_SECONDS = 60.0
REFERENCE_SURVEYS = 20
REFERENCE_STATEMENTS = 20
HTTP_TIMEOUT = 30.0      # a request taking longer is a timeout (an error)
ACTION_TIMEOUT = 15.0    # a live action without an answer by then is unanswered (an error)
DRAIN_SECONDS = 10.0     # after the load: let the room's last events arrive
TARGET_SURVEY_P99_MS = 500.0

CSRF = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
COMMENTS = (
    "De schademelding ging snel en de medewerker was vriendelijk.",
    "Ik moest drie keer bellen voordat iemand mij terugbelde.",
    "Duidelijke polisvoorwaarden, maar de premie is flink gestegen.",
    "De expert kwam pas na twee weken langs.",
    "Prima geholpen via de app, foto's uploaden werkte goed.",
)


# --- setup child: the demo, an open wave with links, staff sessions, the room ---------------------

def child(vendor: str, database_url: str, world_path: Path) -> None:
    """Migrate a fresh database and build the world; write it to ``world_path``."""
    django_setup(database_url)
    from datetime import timedelta
    from io import StringIO

    from django.core.management import call_command
    from django.db import connection, transaction
    from django.urls import reverse
    from django.utils import timezone

    from accounts.models import MagicLinkPurpose, Membership, Organisation, Role
    from accounts.services import magic_link_issue
    from org.models import Contact, Unit, UnitKind
    from research import selectors as research_selectors
    from research.models import Invitation, WaveStatus
    from research.services import wave_create, wave_set_status
    from research.survey import invitations_create
    from research.survey_views import survey_fields

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    call_command("collectstatic", "--no-input", verbosity=0)
    call_command("demo", stdout=StringIO())
    demo_s = time.perf_counter() - started
    organisation = Organisation.objects.get(slug="demo")
    members = Membership.objects.filter(organisation=organisation).select_related("user", "unit")
    consultant = members.get(role=Role.CONSULTANT)

    # The open wave, every contact invited, a link for as many as the run can use.
    today = timezone.localdate()
    with transaction.atomic():
        wave = wave_create(organisation=organisation, actor=consultant,
                           name="Klantonderzoek benchmark", period_start=today,
                           period_end=today + timedelta(days=30))
        wave_set_status(wave=wave, status=WaveStatus.OPEN)
        contacts = list(Contact.objects.filter(customer__organisation=organisation)
                        .exclude(email="").select_related("customer__organisation"))
        invitations_create(wave=wave, contacts=contacts)
    per_customer = int((LOAD_SECONDS + RAMP_SECONDS) / FORM_THINK[0]) + 2
    wanted = REFERENCE_SURVEYS + 2 + CUSTOMERS * per_customer
    invitations = list(Invitation.objects.filter(wave=wave).select_related(
        "contact__customer__organisation").order_by("?")[:wanted])
    tokens = []
    with transaction.atomic():
        for invitation in invitations:
            issued = magic_link_issue(contact=invitation.contact, purpose=MagicLinkPurpose.SURVEY,
                                      max_age=timedelta(days=7))
            tokens.append(issued.token)
    fields = [{"name": f.name, "widget": f.widget, "required": f.required,
               "choices": [value for value, _label in f.choices]}
              for f in survey_fields(research_selectors.survey_questions(wave), language="nl")]

    # Staff: board, managers, then employees with a team; the pages of their role.
    org = organisation.slug
    tactical = list(Unit.objects.filter(organisation=organisation, depth=2).order_by("pk"))

    def url(name: str, **kwargs) -> str:
        return reverse(name, kwargs={"org": org, **kwargs})

    def pages(member) -> list[str]:
        common = [url("org:dashboard"), url("insights:home")]
        if member.role == Role.BOARD or (member.role == Role.MANAGER and member.unit is None):
            return [*common, url("insights:strategic"), url("insights:verbatims"),
                    *(url("insights:unit", pk=u.pk) for u in tactical)]
        if member.role == Role.MANAGER and member.unit.kind != UnitKind.TEAM:
            teams = member.unit.get_children().order_by("pk")[:4]
            return [*common, url("insights:unit", pk=member.unit_id), url("insights:verbatims"),
                    *(url("insights:team", pk=t.pk) for t in teams)]
        if member.role == Role.MANAGER:
            return [*common, url("insights:team", pk=member.unit_id), url("insights:verbatims")]
        return [*common, url("insights:team", pk=member.unit_id), url("insights:my_customers")]

    chosen = (list(members.filter(role=Role.BOARD).order_by("pk"))
              + list(members.filter(role=Role.MANAGER).order_by("pk"))
              + list(members.filter(role=Role.EMPLOYEE, unit__isnull=False).order_by("pk")))[:STAFF]
    staff = [{"role": m.role, "session": staff_session(m), "pages": pages(m)} for m in chosen]

    # The live room, chaired by the demo's moderator.
    with transaction.atomic():
        moderator = members.get(role=Role.MODERATOR)
        room = room_build(organisation=organisation, facilitator=moderator,
                          employees=PARTICIPANTS - ROOM_CUSTOMERS, customers=ROOM_CUSTOMERS,
                          groups=GROUPS, tag="bench-load")
    # Fresh statistics, as autovacuum would have after a bulk load like the demo's.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    world = {"wave": wave.pk, "tokens": tokens, "fields": fields, "staff": staff, "room": room,
             "setup_s": time.perf_counter() - started, "demo_s": demo_s,
             "invited": len(contacts)}
    world_path.write_text(json.dumps(world))
    print("BENCHJSON " + json.dumps({"setup_s": world["setup_s"], "demo_s": demo_s,
                                     "tokens": len(tokens), "invited": len(contacts),
                                     "fields": len(fields), "staff": len(staff)}), flush=True)


# --- HTTP clients: customers and staff (one process, aiohttp on uvloop) ---------------------------

class Browser:
    """One person's browser behind the TLS proxy: its own address (``X-Forwarded-For``,
    which uvicorn takes from a proxy on 127.0.0.1, so per-IP rate limits see each person),
    its own cookies (set by hand: the server marks them Secure), one keep-alive
    connection, every request timed on its own."""

    def __init__(self, http, base: str, samples: list, *, ip: str, cookies: dict | None = None):
        self.http, self.base, self.samples, self.ip = http, base, samples, ip
        self.cookies = dict(cookies or {})
        self.measure = True

    async def request(self, method: str, path: str, kind: str, name: str,
                      data: dict | None = None) -> tuple[int, bytes, str | None]:
        import aiohttp

        headers = {"X-Forwarded-Proto": "https", "X-Forwarded-For": self.ip}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if method == "POST":
            headers["Origin"] = self.base.replace("http://", "https://")
            headers["Referer"] = headers["Origin"] + path
        started = time.monotonic()
        status, body, location, error = 0, b"", None, ""
        try:
            async with self.http.request(method, self.base + path, data=data, headers=headers,
                                         allow_redirects=False) as response:
                body = await response.read()
                status = response.status
                location = response.headers.get("Location")
                for key, morsel in response.cookies.items():
                    if morsel.value and morsel.get("max-age") != "0":
                        self.cookies[key] = morsel.value
                    else:
                        self.cookies.pop(key, None)
        except TimeoutError:
            error = "timeout"
        except aiohttp.ClientError as exc:
            error = type(exc).__name__
        elapsed = time.monotonic() - started
        if not error and not 200 <= status < 400:
            error = str(status)
        if self.measure:
            self.samples.append((kind, name, started, elapsed, error))
        return status, body, location if not error else None

    async def get_following(self, path: str, kind: str, names: list[str]) -> bytes:
        """GET ``path`` and follow its redirects, one sample per request."""
        body = b""
        for hop in range(5):
            name = names[min(hop, len(names) - 1)]
            _status, body, location = await self.request("GET", path, kind, name)
            if not location:
                return body
            path = location
        return body


def answers(fields: list[dict], rng: random.Random, *, part: float = 1.0) -> dict:
    """A customer's answers to the first ``part`` of the questionnaire."""
    data = {}
    for f in fields[:max(1, round(len(fields) * part))]:
        if f["widget"] == "scale":
            values = [v for v in f["choices"] if v != "na"]
            data[f["name"]] = (str(min(10, max(0, round(rng.gauss(7.3, 2.0)))))
                               if values[-1] == "10" and values[0] == "0" else rng.choice(values))
        elif f["widget"] in ("choice", "select") and f["choices"]:
            data[f["name"]] = rng.choice(f["choices"])
        elif f["widget"] == "textarea" and (f["required"] or rng.random() < 0.6):
            data[f["name"]] = rng.choice(COMMENTS)
        elif f["widget"] == "checkbox" and rng.random() < 0.15:
            data[f["name"]] = "1"
        elif f["required"]:
            data[f["name"]] = "nvt"
    return data


async def survey_round(browser: Browser, token: str, form_path: str, fields: list[dict],
                       rng: random.Random, *, think: float = 0.0, autosaves: int = 0,
                       end: float = float("inf")) -> bool:
    """One customer: open the link, answer (autosaving now and then), submit, read thanks.
    Return whether the form was submitted: one still open at ``end`` is left unsent."""
    body = await browser.get_following(f"/accounts/m/{token}/", "survey GET",
                                       ["link", "start", "form"])
    match = CSRF.search(body)
    if match is None:
        return False  # the failing request is already counted
    csrf = match.group(1).decode()
    step = think / (autosaves + 1)
    for k in range(autosaves):
        if time.monotonic() + step > end:
            await asyncio.sleep(max(0.0, end - time.monotonic()))  # still answering at the end
            return False
        await asyncio.sleep(step)
        await browser.request("POST", form_path + "save/", "survey autosave", "save",
                              {"csrfmiddlewaretoken": csrf,
                               **answers(fields, rng, part=(k + 1) / (autosaves + 1))})
    if time.monotonic() + step > end:
        await asyncio.sleep(max(0.0, end - time.monotonic()))
        return False
    await asyncio.sleep(step)
    _status, _body, location = await browser.request(
        "POST", form_path, "survey POST", "submit",
        {"csrfmiddlewaretoken": csrf, "action": "submit", **answers(fields, rng)})
    if location:
        await browser.request("GET", location, "survey GET", "thanks")
    return True


async def _http(spec: dict) -> None:
    import aiohttp

    base, fields, end = spec["base"], spec["fields"], None
    tokens = list(spec["tokens"])
    samples: list = []
    rng = random.Random(20261129)
    loop = asyncio.get_running_loop()
    timeout = aiohttp.ClientTimeout(total=HTTP_TIMEOUT)

    def session():
        return aiohttp.ClientSession(timeout=timeout, cookie_jar=aiohttp.DummyCookieJar(),
                                     connector=aiohttp.TCPConnector(limit=2))

    visitors = iter(range(1, 1 << 24))

    def address(n: int) -> str:
        return f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"

    async def customer_round(browser: Browser, token: str, think: float, autosaves: int,
                             end: float = float("inf")) -> None:
        browser.cookies.clear()  # a new customer: a new browser, another address
        browser.ip = address(next(visitors))
        await survey_round(browser, token, f"/survey/{spec['wave']}/", fields, rng, think=think,
                           autosaves=autosaves, end=end)

    print("READY", flush=True)
    await loop.run_in_executor(None, sys.stdin.readline)  # REF
    reference: list = []
    async with session() as http:
        browser = Browser(http, base, reference, ip="")
        browser.measure = False
        for _ in range(WORKERS):  # warm the workers up, unmeasured
            await customer_round(browser, tokens.pop(), 0.0, AUTOSAVES)
        browser.measure = True
        for _ in range(REFERENCE_SURVEYS):
            await customer_round(browser, tokens.pop(), 0.0, AUTOSAVES)
        seen_roles = set()
        for member in spec["staff"]:
            key = (member["role"], len(member["pages"]))
            if key in seen_roles:
                continue
            seen_roles.add(key)
            browser = Browser(http, base, reference, ip="172.16.0.1",
                              cookies={"sessionid": member["session"]})
            for measured in (False, True, True):
                browser.measure = measured
                for page in member["pages"]:
                    await browser.request("GET", page, "dashboard GET", page_name(page))
    print("REFDONE", flush=True)
    line = await loop.run_in_executor(None, sys.stdin.readline)  # GO t0
    t0 = float(line.split()[1])
    end = t0 + spec["seconds"]

    async def at(when: float) -> None:
        delay = when - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)

    ran_out = {"n": 0}

    async def customer(i: int) -> None:
        own = random.Random(i)
        async with session() as http:
            browser = Browser(http, base, samples, ip="")
            # Arrivals spread over the ramp, the first round part-way through the form.
            await at(t0 - RAMP_SECONDS + own.uniform(0, RAMP_SECONDS))
            think = own.uniform(5.0, FORM_THINK[1])
            while time.monotonic() < end:
                if not tokens:
                    ran_out["n"] += 1
                    return
                await customer_round(browser, tokens.pop(), think, AUTOSAVES, end)
                await asyncio.sleep(own.uniform(*NEXT_CUSTOMER))
                think = own.uniform(*FORM_THINK)

    async def member(i: int, m: dict) -> None:
        own = random.Random(1000 + i)
        async with session() as http:
            browser = Browser(http, base, samples, ip=f"172.16.{i // 250}.{i % 250 + 1}",
                              cookies={"sessionid": m["session"]})
            await at(t0 + own.uniform(0, STAFF_THINK[1]))
            while time.monotonic() < end:
                page = own.choice(m["pages"])
                await browser.request("GET", page, "dashboard GET", page_name(page))
                await asyncio.sleep(min(own.uniform(*STAFF_THINK), max(0.0, end - time.monotonic())))

    await asyncio.gather(*(customer(i) for i in range(spec["customers"])),
                         *(member(i, m) for i, m in enumerate(spec["staff"])))
    samples = [s for s in samples if s[2] >= t0]  # not the ramp's
    print("BENCHJSON " + json.dumps({"samples": samples, "reference": reference, "t0": t0,
                                     "ran_out": ran_out["n"], "tokens_left": len(tokens)}),
          flush=True)


def page_name(path: str) -> str:
    """The page's kind, for the detail table: 'insights:team' rather than its unit."""
    parts = [p for p in path.split("/") if p and not p.isdigit()]
    return "/".join(parts[2:]) or "dashboard"


# --- WebSocket clients: the live room (one process) -------------------------------------------------

class Participant(Client):
    """A room socket that also acts: one action in flight, its reply awaited."""

    def __init__(self, spec: dict, sock: dict):
        super().__init__(spec, sock)
        self.waiting: dict[str, asyncio.Future] = {}
        self.sent: dict[str, float] = {}
        self.unanswered = 0

    def on_frame(self, frame: bytes, t: float) -> None:
        super().on_frame(frame, t)
        if self.waiting and (b'"type":"ack"' in frame or b'"type":"refused"' in frame):
            for key in [k for k in self.waiting if k in self.replies]:
                future = self.waiting.pop(key)
                if not future.done():
                    future.set_result(self.replies[key])

    async def act(self, action: str, payload: dict, key: str) -> tuple | None:
        future = asyncio.get_running_loop().create_future()
        self.waiting[key] = future
        self.sent[key] = self.send({"type": "action", "action": action, "client_key": key,
                                    "payload": payload})
        try:
            return await asyncio.wait_for(future, ACTION_TIMEOUT)
        except TimeoutError:
            self.waiting.pop(key, None)
            self.unanswered += 1
            return None


async def _ws(spec: dict) -> None:
    import numpy as np

    room = spec["room"]
    url = spec["ws_url"]
    socks = [{"id": "f", "role": "facilitator", "session": room["facilitator"], "url": url,
              "seq_times": True}]
    employees = len(room["participants"]) - spec["room_customers"]
    for i, session in enumerate(room["participants"]):
        socks.append({"id": str(i), "role": "employee" if i < employees else "customer",
                      "session": session, "url": url, "seq_times": True})
    clients = [Participant(spec, s) for s in socks]
    gate = asyncio.Semaphore(25)

    async def connect(client: Participant) -> None:
        async with gate:
            await client.connect()
            await asyncio.wait_for(client.synced.wait(), 180)
            if client.failed:
                raise client.failed

    started = time.monotonic()
    await asyncio.gather(*(connect(c) for c in clients))
    connect_s = time.monotonic() - started
    print("READY", flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.readline)  # REF
    facilitator = clients[0]
    for k in range(REFERENCE_STATEMENTS):
        await facilitator.act("statement_add", {"text": f"Samenvatting {k}: wat we horen",
                                                "kind": "experience"}, f"ref-{k}")
        await asyncio.sleep(0.5)
    print("REFDONE", flush=True)
    line = await loop.run_in_executor(None, sys.stdin.readline)  # GO t0
    t0 = float(line.split()[1])
    end = t0 + spec["seconds"]
    refused: dict[str, int] = {}

    def note(reply: tuple | None) -> None:
        if reply is not None and reply[1] == "refused":
            refused[reply[3] or "?"] = refused.get(reply[3] or "?", 0) + 1

    async def facilitate() -> None:
        k = 0
        await asyncio.sleep(max(0.0, t0 - time.monotonic()) + FACILITATOR_EVERY / 2)
        while time.monotonic() < end:
            note(await facilitator.act("statement_add", {
                "text": f"Samengevat {k}: de klant wil sneller teruggebeld worden",
                "kind": "experience"}, f"load-f-{k}"))
            k += 1
            await asyncio.sleep(min(FACILITATOR_EVERY, max(0.0, end - time.monotonic())))

    async def participant(i: int, client: Participant, role: str) -> None:
        own = random.Random(5000 + i)
        every = ROOM_CUSTOMER_EVERY if role == "customer" else ROOM_EMPLOYEE_EVERY
        votes: list[str] = []
        k = 0
        await asyncio.sleep(max(0.0, t0 - time.monotonic()) + own.uniform(0, every[1]))
        while time.monotonic() < end:
            key = f"load-{i}-{k}"
            k += 1
            if role == "customer":
                note(await client.act("statement_add", {"text": own.choice(COMMENTS),
                                                        "kind": "experience"}, key))
            elif len(votes) < VOTE_BUDGET and own.random() < 0.7:
                group = own.choice(room["groups"])
                reply = await client.act("vote_cast", {"group": group}, key)
                note(reply)
                if reply is not None and reply[1] == "ack":
                    votes.append(group)
            elif votes and own.random() < 0.5:
                group = votes.pop(own.randrange(len(votes)))
                note(await client.act("vote_retract", {"group": group}, key))
            else:
                note(await client.act("question_ask", {
                    "text": "Wat had u op dat moment van ons verwacht?"}, key))
            await asyncio.sleep(min(own.uniform(*every), max(0.0, end - time.monotonic())))

    await asyncio.gather(facilitate(), *(participant(i, c, s["role"]) for i, (c, s)
                                         in enumerate(zip(clients[1:], socks[1:], strict=True))))
    await asyncio.sleep(DRAIN_SECONDS)
    for client in clients:
        client.close()

    # Every acked action's send time by sequence number; latency to every other socket.
    def latencies(prefix: str) -> tuple[list[float], int, int]:
        sent_at, sender = {}, {}
        for index, client in enumerate(clients):
            for key, (_t, kind, seq, _code) in client.replies.items():
                if key.startswith(prefix) and kind == "ack":
                    sent_at[seq], sender[seq] = client.sent[key], index
        values = []
        for index, client in enumerate(clients):
            arrivals = client.seq_arrivals
            for seq, when in sent_at.items():
                if sender[seq] != index and seq in arrivals:
                    values.append(when_ms(arrivals[seq] - when))
        return values, len(sent_at), sum(1 for c in clients for k in c.sent if k.startswith(prefix))

    def when_ms(seconds: float) -> float:
        return 1000.0 * seconds

    load_lat, acked, sent = latencies("load-")
    ref_lat, _ref_acked, _ref_sent = latencies("ref-")
    final = max(seq for c in clients for seq in c.seen)
    lost = 0
    for client in clients:
        start = client.start_seq or 0
        lost += sum(1 for seq in range(start + 1, final + 1) if seq not in client.seen)
    result = {
        "load": load_lat, "reference": ref_lat, "acked": acked, "sent": sent,
        "refused": refused, "unanswered": sum(c.unanswered for c in clients),
        "closes": sum(len(c.closes) for c in clients), "lost": lost,
        "duplicated": sum(c.duplicates for c in clients), "connect_s": connect_s,
        "sockets": len(clients), "events": final,
        "ack_p95_ms": float(np.percentile([1000 * (t - c.sent[k]) for c in clients
                                           for k, (t, kind, _s, _c) in c.replies.items()
                                           if k.startswith("load-")] or [float("nan")], 95)),
    }
    print("BENCHJSON " + json.dumps(result), flush=True)


def client_process(kind: str, spec_path: str) -> None:
    import uvloop

    spec = json.loads(Path(spec_path).read_text())
    uvloop.run(_http(spec) if kind == "--http" else _ws(spec))


# --- parent ------------------------------------------------------------------------------------------

def children_of(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def tree_cpu(pid: int) -> float:
    """CPU seconds of ``pid``'s worker processes (uvicorn's children) and itself."""
    total = 0.0
    for p in [pid, *children_of(pid)]:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def pg_connections(database: str) -> dict:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        rows = conn.execute("SELECT state, count(*) FROM pg_stat_activity WHERE datname = %s "
                            "GROUP BY state", (database,)).fetchall()
    return {state or "?": n for state, n in rows}


def read_line(process: subprocess.Popen, expected: str, timeout: float) -> str:
    ready, _, _ = select.select([process.stdout], [], [], timeout)
    line = process.stdout.readline() if ready else ""
    if not line.startswith(expected):
        raise SystemExit(f"a client process did not say {expected} ({line!r})")
    return line


def percentiles(values: list[float]) -> dict:
    import numpy as np

    if not values:
        return {"p50": float("nan"), "p95": float("nan"), "p99": float("nan"), "max": float("nan")}
    a = np.array(values)
    return {"p50": float(np.percentile(a, 50)), "p95": float(np.percentile(a, 95)),
            "p99": float(np.percentile(a, 99)), "max": float(a.max())}


KINDS = ("survey GET", "survey autosave", "survey POST", "dashboard GET")


def report(http: dict, ws: dict, seconds: float, extra: dict) -> None:
    rows = {}
    for kind in KINDS:
        loaded = [s for s in http["samples"] if s[0] == kind]
        idle = [1000 * s[3] for s in http["reference"] if s[0] == kind and not s[4]]
        rows[kind] = {"count": len(loaded), "errors": sum(1 for s in loaded if s[4]),
                      **percentiles([1000 * s[3] for s in loaded if not s[4]]),
                      "idle": percentiles(idle)}
    live_errors = (ws["unanswered"] + sum(ws["refused"].values()) + ws["closes"] + ws["lost"])
    rows["live action->broadcast"] = {"count": len(ws["load"]), "errors": live_errors,
                                      **percentiles(ws["load"]),
                                      "idle": percentiles(ws["reference"])}
    print(f"\n{'kind':24s}{'count':>8s}{'per s':>8s}{'p50':>8s}{'p95':>8s}{'p99':>8s}{'max':>8s}"
          f"{'errors':>8s}   idle p50/p95   loaded/idle p95", flush=True)
    for kind, r in rows.items():
        rate = (ws["acked"] if kind.startswith("live") else r["count"]) / seconds
        ratio = r["p95"] / r["idle"]["p95"] if r["idle"]["p95"] == r["idle"]["p95"] else float("nan")
        print(f"{kind:24s}{r['count']:8d}{rate:8.1f}{r['p50']:8.0f}{r['p95']:8.0f}{r['p99']:8.0f}"
              f"{r['max']:8.0f}{r['errors']:8d}   {r['idle']['p50']:5.0f}/{r['idle']['p95']:<5.0f}"
              f"      {ratio:6.1f}x", flush=True)
    print("(milliseconds; live: count = (action, receiver) pairs, per s = actions acked a second)")
    print("\nper page (loaded p50/p95/p99 ms, count):", flush=True)
    names = sorted({(s[0], s[1]) for s in http["samples"]})
    for kind, name in names:
        values = [1000 * s[3] for s in http["samples"] if s[0] == kind and s[1] == name and not s[4]]
        errors = [s[4] for s in http["samples"] if s[0] == kind and s[1] == name and s[4]]
        p = percentiles(values)
        shown = f"  errors {len(errors)} ({', '.join(sorted(set(errors)))})" if errors else ""
        print(f"  {kind:16s} {name:28s} {p['p50']:6.0f} {p['p95']:6.0f} {p['p99']:6.0f}  "
              f"{len(values) + len(errors):6d}{shown}", flush=True)
    submissions = rows["survey POST"]["count"] - rows["survey POST"]["errors"]
    print(f"\nsurvey: {submissions} submissions ({submissions / seconds:.1f}/s); customers who ran "
          f"out of invitations {http['ran_out']}, links left {http['tokens_left']}", flush=True)
    print(f"live: {ws['sockets']} sockets (connected in {ws['connect_s']:.1f} s), {ws['acked']}/"
          f"{ws['sent']} actions acked, {ws['events']} events in the log; refused "
          f"{ws['refused'] or 0}, unanswered {ws['unanswered']}, socket drops {ws['closes']}, "
          f"events lost {ws['lost']}, duplicated {ws['duplicated']}; ack round trip p95 "
          f"{ws['ack_p95_ms']:.0f} ms", flush=True)
    print(f"server: {WORKERS} workers, CPU {extra['server_cpu']:.0f} s in {seconds:.0f} s "
          f"({extra['server_cpu'] / seconds:.2f} cores; the two client processes "
          f"{extra['client_cpu'] / seconds:.2f}); PostgreSQL connections of the database "
          f"at most {extra['pg_max']} ({extra['pg_last']}); load average {extra['load_before']:.1f} "
          f"before the run, {os.getloadavg()[0]:.1f} at its end ({os.cpu_count()} cores, shared)",
          flush=True)
    print(extra["log"], flush=True)
    errors = sum(r["errors"] for r in rows.values())
    survey_p99 = rows["survey POST"]["p99"]
    verdict = "meets" if errors == 0 and survey_p99 < TARGET_SURVEY_P99_MS else "MISSES"
    print(f"{verdict} the target (no errors, survey submission p99 < {TARGET_SURVEY_P99_MS:.0f} ms)",
          flush=True)
    print(f"RESULT load errors={errors} survey_p99_ms={survey_p99:.0f} "
          f"dashboard_p95_ms={rows['dashboard GET']['p95']:.0f} "
          f"live_p95_ms={rows['live action->broadcast']['p95']:.0f}", flush=True)


def logged_errors(log: Path) -> list[str]:
    """The last line of each traceback and each ERROR line the servers logged."""
    lines = log.read_text().splitlines()
    found = [line for line in lines if line.startswith("ERROR")]
    for i, line in enumerate(lines):
        if line.startswith("Traceback"):
            end = next((j for j in range(i + 1, len(lines)) if lines[j] and lines[j][0] != " "),
                       len(lines) - 1)
            found.append(lines[end])
    return found


def server_log_note(log: Path) -> str:
    """Say what the servers logged as errors (kept in ``log`` if any)."""
    errors = logged_errors(log)
    if not errors:
        return "the servers logged no errors"
    counts: dict[str, int] = {}
    for line in errors:
        counts[line[:160]] = counts.get(line[:160], 0) + 1
    return (f"the servers logged {len(errors)} errors (log kept in {log}): "
            + "; ".join(f"{n} x {line}" for line, n in counts.items()))


def redis_flush() -> None:
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()


def _timeout(_signum, _frame):
    raise SystemExit(f"load: the run took longer than {TIMEOUT:.0f} s; stopped")


def main() -> None:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGALRM, _timeout)
    signal.alarm(int(TIMEOUT))
    load_before = os.getloadavg()[0]
    print(f"load: {CUSTOMERS} customers, {STAFF} staff, {PARTICIPANTS} room participants for "
          f"{LOAD_SECONDS:.0f} s; {WORKERS} workers on PostgreSQL and Redis; {os.cpu_count()} "
          f"cores, load average {load_before:.1f}", flush=True)
    os.environ.update({"DEBUG": "0", "SECRET_KEY": "bench-load-" + "x" * 50,
                       "ALLOWED_HOSTS": "127.0.0.1", "LOG_LEVEL": "WARNING",
                       "STATIC_ROOT": str(BENCH_DIR / "load_static"), "REDIS_URL": REDIS_URL,
                       "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
                       "DJANGO_SETTINGS_MODULE": "outsidein.settings"})
    processes: list[subprocess.Popen] = []
    server = None
    log = BENCH_DIR / "load_server.log"
    paths = [BENCH_DIR / "load_world.json", BENCH_DIR / "load_http.json", BENCH_DIR / "load_ws.json"]
    try:
        redis_flush()
        database_url = fresh_postgres(PG_SERVER, PG_DB)
        setup = run_child(__file__, "postgres", database_url, paths[0])
        world = json.loads(paths[0].read_text())
        print(f"setup: {setup['setup_s']:.0f} s (demo {setup['demo_s']:.0f} s); {setup['invited']} "
              f"contacts invited, {setup['tokens']} links, {setup['fields']} questions, "
              f"{setup['staff']} staff", flush=True)
        port = free_port()
        env = {**os.environ, "DATABASE_URL": database_url}
        with log.open("w") as out:
            server = subprocess.Popen([str(BIN / "outsidein"), "serve", "--host", "127.0.0.1",
                                       "--port", str(port), "--workers", str(WORKERS)],
                                      env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
        wait_for_port(port, server, log)
        base = f"http://127.0.0.1:{port}"
        common = {"seconds": LOAD_SECONDS, "base": base}
        paths[1].write_text(json.dumps({**common, "tokens": world["tokens"], "wave": world["wave"],
                                        "fields": world["fields"], "staff": world["staff"],
                                        "customers": CUSTOMERS}))
        paths[2].write_text(json.dumps({**common, "room": world["room"], "origin": base,
                                        "compression": True, "room_customers": ROOM_CUSTOMERS,
                                        "ws_url": f"ws://127.0.0.1:{port}/ws/live/rooms/"
                                                  f"{world['room']['room']}/"}))
        http = subprocess.Popen([sys.executable, __file__, "--http", str(paths[1])],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
        processes.append(http)
        ws = subprocess.Popen([sys.executable, __file__, "--ws", str(paths[2])],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
        processes.append(ws)
        for process in processes:
            read_line(process, "READY", 300)
        # The reference: the live room first, then the pages, one client at a time.
        for process in (ws, http):
            process.stdin.write("REF\n")
            process.stdin.flush()
            read_line(process, "REFDONE", 600)
        print(f"reference measured; customers ramp up for {RAMP_SECONDS:.0f} s, then the "
              f"measured {LOAD_SECONDS:.0f} s", flush=True)
        t0 = time.monotonic() + RAMP_SECONDS + 1.0
        for process in processes:
            process.stdin.write(f"GO {t0}\n")
            process.stdin.flush()
        time.sleep(max(0.0, t0 - time.monotonic()))  # the customers' ramp
        cpu_before = tree_cpu(server.pid)
        client_cpu_before = [tree_cpu(process.pid) for process in processes]
        pg_max, pg_last = 0, {}
        profilers = []
        while time.monotonic() < t0 + LOAD_SECONDS:
            time.sleep(5.0)
            pg_last = pg_connections(PG_DB)
            pg_max = max(pg_max, sum(pg_last.values()))
            if (os.environ.get("BENCH_LOAD_PYSPY") and not profilers
                    and time.monotonic() > t0 + LOAD_SECONDS / 2 - 15):
                profilers = [subprocess.Popen(
                    [str(BIN / "py-spy"), "record", "--pid", str(pid), "--format", "raw",
                     "--duration", "30", "--output", str(BENCH_DIR / f"load_{pid}.txt")],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                    for pid in children_of(server.pid)]
                processes.extend(profilers)
        server_cpu = tree_cpu(server.pid) - cpu_before
        client_cpu = sum(tree_cpu(p.pid) - c for p, c in zip(processes, client_cpu_before, strict=False))
        outputs = {}
        for name, process in (("http", http), ("ws", ws)):
            output = process.communicate(timeout=HTTP_TIMEOUT + DRAIN_SECONDS + 120)[0]
            line = next((x for x in output.splitlines() if x.startswith("BENCHJSON ")), None)
            if line is None:
                raise SystemExit(f"the {name} client process failed")
            outputs[name] = json.loads(line[len("BENCHJSON "):])
        stop(processes + [server])
        report(outputs["http"], outputs["ws"], LOAD_SECONDS,
               {"server_cpu": server_cpu, "client_cpu": client_cpu, "pg_max": pg_max,
                "pg_last": pg_last, "load_before": load_before, "log": server_log_note(log)})
    finally:
        signal.alarm(0)
        stop(processes + ([server] if server else []))
        for path in paths:
            path.unlink(missing_ok=True)
        if log.exists() and not os.environ.get("BENCH_LOAD_KEEP_LOGS") and not logged_errors(log):
            log.unlink()
        drop_postgres(PG_DB)
        redis_flush()


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], Path(sys.argv[4]))
    elif len(sys.argv) > 1 and sys.argv[1] in ("--http", "--ws"):
        client_process(sys.argv[1], sys.argv[2])
    else:
        main()
