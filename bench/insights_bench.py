"""Benchmark the insights query layer on a 1,000,000-response wave, beside DuckDB.

    make bench-insights                 # 1,000,000 responses
    BENCH_ROWS=200000 make bench-insights

1. Generates (fixed seed, NumPy) the responses of one wave over 200 units in three
   levels (organisation, 10 business units, 189 teams): NPS, six driver scores with
   blanks, a Dutch comment or none, a segment. Saved to var/bench/ once.
2. For SQLite (a new file) and PostgreSQL (database ``outsidein_bench_insights``,
   dropped and created), in a child process: migrate, build the organisation and wave
   through the services, load the rows with raw bulk inserts (``executemany`` /
   ``COPY``, not the ORM), then measure in-process:
   - ``aggregates_refresh`` of the whole wave (what an import triggers),
   - every unit's insights (``wave_insights``: NPS with interval and change, counts,
     driver means and relative weights, suppression) right after the refresh and
     again when nothing changed (a full refresh computes the figures once more after
     commit and caches them per aggregates version, so both are cache reads; the
     output also shows the computation with an empty cache, "cold"),
   - an ad-hoc filtered view (one segment, live GROUP BY),
   - a dashboard page (median of 20 requests with the test client) when the insights
     app has one, else ``unit_insights`` of the top unit (said in the output).
3. DuckDB computes the same NPS and driver means per team, business unit and
   organisation from the raw rows (loaded into an in-memory table before its clock
   starts); ratio = our time / DuckDB's, the larger of the two databases.
4. Text analysis (``insights.text.analyse``) of 100,000 comments.
The last line: RESULT insights postgres_s=… sqlite_s=… duckdb_ratio=… filtered_postgres_s=…
filtered_sqlite_s=… page_ms=… text_100k_s=…
"""

from __future__ import annotations

import io
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from _common import fresh_postgres, run_child  # noqa: E402  (bench/ is on sys.path)

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
PG_SERVER = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
PG_DB = "outsidein_bench_insights"
BUSINESS_UNITS = 10
TEAMS = 189  # 1 + 10 + 189 = 200 units
DRIVERS = ["bereikbaarheid", "snelheid", "vriendelijkheid", "deskundigheid", "prijs-kwaliteit",
           "communicatie"]
SEGMENTS = ["MKB", "Zakelijk groot", "Particulier", "Overheid"]
COMMENTS = [
    "De medewerker aan de telefoon dacht echt met me mee.",
    "Het duurde drie weken voordat mijn vraag beantwoord was.",
    "Altijd vriendelijk en deskundig, al jaren tevreden.",
    "De factuur klopte weer niet en niemand belde terug.",
    "Snel geholpen via de chat, fijn!",
    "Prijs is aan de hoge kant voor wat je krijgt.",
    "Goede service, maar de website is onduidelijk.",
    "Mijn vaste contactpersoon is vertrokken en niemand heeft het overgenomen.",
    "Prima, niets op aan te merken.",
    "Ze beloven veel maar komen afspraken niet na.",
]
PAGE_CANDIDATES = ("insights:dashboard", "insights:strategic", "insights:overview", "insights:index")


# --- data -----------------------------------------------------------------------------------

def generate(path: Path, rows: int) -> None:
    rng = np.random.default_rng(20240601)
    weights = np.array([2, 1, 2, 3, 4, 6, 8, 14, 22, 20, 18], float)
    team = rng.integers(0, TEAMS, rows)
    # Teams differ a little, so units have different NPS.
    shift = rng.integers(-1, 2, TEAMS)[team]
    nps = np.clip(rng.choice(11, rows, p=weights / weights.sum()) + shift, 0, 10)
    nps = np.where(rng.random(rows) < 0.02, -1, nps)
    base = np.clip(np.where(nps < 0, 6, nps)[:, None] + rng.integers(-2, 3, (rows, 1)), 1, 10)
    drivers = np.clip(base + rng.integers(-2, 2, (rows, len(DRIVERS))), 1, 10)
    drivers = np.where(rng.random(drivers.shape) < 0.08, -1, drivers)
    comment = np.where(rng.random(rows) < 0.5, -1, rng.integers(0, len(COMMENTS), rows))
    segment = rng.integers(0, len(SEGMENTS), rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, team=team.astype(np.int16), nps=nps.astype(np.int8),
             drivers=drivers.astype(np.int8), comment=comment.astype(np.int8),
             segment=segment.astype(np.int8))


def _rows(data, wave_id: int, org_id: int, team_ids: list[int], now: str):
    """Yield research_response rows in the column order of ``COLUMNS``."""
    team, nps, drivers = data["team"], data["nps"], data["drivers"]
    comment, segment = data["comment"], data["segment"]
    segment_json = [json.dumps({"segment": s}) for s in SEGMENTS]
    for i in range(len(team)):
        scores = ", ".join(f'"{key}": {int(v)}' for key, v in zip(DRIVERS, drivers[i], strict=True)
                           if v >= 0)
        yield (org_id, wave_id, team_ids[team[i]], f"R{i:08d}",
               None if nps[i] < 0 else int(nps[i]),
               "" if comment[i] < 0 else COMMENTS[comment[i]], "", "{" + scores + "}", "{}",
               segment_json[segment[i]], False, "nl", "import", "submitted", now, now, now)


COLUMNS = ("organisation_id", "wave_id", "unit_id", "external_id", "nps", "comment",
           "improvement", "scores", "competitors", "attributes", "contact_me", "language",
           "source", "status", "submitted_at", "created_at", "updated_at")


# --- child: one database ----------------------------------------------------------------------

def _setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "outsidein.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _world():
    from accounts.services import organisation_create
    from org.models import Level, Unit, UnitKind
    from org.services import unit_create
    from research.models import WaveStatus
    from research.services import wave_create, wave_set_status

    organisation = organisation_create(slug="bench", name="Bench Verzekeringen")
    root = Unit.objects.get(organisation=organisation, depth=1)
    bus = [unit_create(organisation=organisation, parent=root, name=f"Bedrijfsonderdeel {b}",
                       kind=UnitKind.BUSINESS_UNIT, level=Level.TACTICAL)
           for b in range(BUSINESS_UNITS)]
    teams = [unit_create(organisation=organisation, parent=Unit.objects.get(pk=bus[t % BUSINESS_UNITS].pk),
                         name=f"Team {t:03d}") for t in range(TEAMS)]
    wave = wave_create(organisation=organisation, actor=None, name="Bench-meting")
    wave = wave_set_status(wave=wave, status=WaveStatus.CLOSED)  # pages show non-draft waves
    return organisation, root, wave, [t.pk for t in teams]


def _load(vendor: str, data, organisation, wave, team_ids) -> float:
    from django.db import connection, transaction
    from django.utils import timezone

    now = timezone.now().isoformat()
    start = time.perf_counter()
    rows = _rows(data, wave.pk, organisation.pk, team_ids, now)
    with transaction.atomic(), connection.cursor() as cursor:
        if vendor == "postgres":
            with cursor.cursor.copy(f"COPY research_response ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" * len(COLUMNS))
            cursor.cursor.executemany(
                f"INSERT INTO research_response ({', '.join(COLUMNS)}) VALUES ({marks})", rows)
    if vendor == "postgres":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE research_response")
    return time.perf_counter() - start


def _page(organisation, root, wave) -> tuple[float, str]:
    """Median ms of 20 requests of the insights dashboard, or of unit_insights(top unit)."""
    from django.test import Client
    from django.urls import NoReverseMatch, reverse

    from accounts.models import Role
    from accounts.services import membership_create
    from insights.selectors import unit_insights

    for name in PAGE_CANDIDATES:
        try:
            url = reverse(name, kwargs={"org": organisation.slug})
        except NoReverseMatch:
            continue
        member = membership_create(organisation=organisation, email="bench@example.nl",
                                   name="Bench", role=Role.ADMIN, unit=None,
                                   password="bench-password-123")
        client = Client(HTTP_HOST="localhost", raise_request_exception=False)
        client.force_login(member.user, backend="accounts.backends.EmailBackend")
        url = f"{url}?wave={wave.pk}"
        status = client.get(url).status_code
        if status != 200:
            print(f"{url} answered HTTP {status}; measuring unit_insights instead", file=sys.stderr)
            break
        times = []
        for _ in range(20):
            start = time.perf_counter()
            client.get(url)
            times.append(time.perf_counter() - start)
        return 1000 * statistics.median(times), f"page {name} (HTTP {status})"
    times = []
    for _ in range(20):
        start = time.perf_counter()
        unit_insights(wave, root=root)
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times), "no dashboard page yet: unit_insights(top unit)"


def child(vendor: str, database_url: str, data_path: Path) -> None:
    _setup(database_url)
    from insights.selectors import filtered_unit_insights, wave_insights
    from insights.services import aggregates_refresh
    from research.models import Wave

    data = dict(np.load(data_path))
    organisation, root, wave, team_ids = _world()
    load_s = _load(vendor, data, organisation, wave, team_ids)
    wave = Wave.objects.select_related("organisation").get(pk=wave.pk)

    start = time.perf_counter()
    aggregates_refresh(wave=wave)
    refresh_s = time.perf_counter() - start

    start = time.perf_counter()
    first = wave_insights(wave, themes=False)
    first_s = time.perf_counter() - start
    repeats = []
    for _ in range(5):
        wave = Wave.objects.select_related("organisation").get(pk=wave.pk)
        start = time.perf_counter()
        wave_insights(wave, themes=False)
        repeats.append(time.perf_counter() - start)
    again_s = statistics.median(repeats)

    from django.core.cache import cache

    colds = []
    for _ in range(3):
        cache.clear()
        wave = Wave.objects.select_related("organisation").get(pk=wave.pk)
        start = time.perf_counter()
        wave_insights(wave, themes=False)
        colds.append(time.perf_counter() - start)
    cold_s = statistics.median(colds)

    start = time.perf_counter()
    filtered = filtered_unit_insights(wave, segment="MKB")
    filtered_s = time.perf_counter() - start

    page_ms, page_what = _page(organisation, root, wave)
    top = first.units[0]
    payload = {
        "vendor": vendor, "load_s": load_s, "refresh_s": refresh_s, "first_s": first_s,
        "again_s": again_s, "cold_s": cold_s, "filtered_s": filtered_s, "page_ms": page_ms,
        "page_what": page_what,
        "units": len(first.units), "with_drivers": len(first.drivers), "top_n": top.n,
        "top_nps": top.nps, "filtered_top_n": filtered[0].n,
    }
    print("BENCHJSON " + json.dumps(payload), flush=True)


# --- parent ---------------------------------------------------------------------------------------

def _fresh_postgres() -> str:
    return fresh_postgres(PG_SERVER, PG_DB)


def _run_child(vendor: str, database_url: str, data_path: Path) -> dict:
    return run_child(__file__, vendor, database_url, data_path)


def duckdb_seconds(data) -> tuple[float, float]:
    """Return DuckDB's best-of-3 time for NPS + driver means per team, business unit and
    organisation, and its organisation NPS."""
    import duckdb

    con = duckdb.connect()
    buffer = io.StringIO()
    team = data["team"].astype(np.int64)
    columns = [team, team % BUSINESS_UNITS, data["nps"].astype(np.int64),
               *[data["drivers"][:, j].astype(np.int64) for j in range(len(DRIVERS))]]
    np.savetxt(buffer, np.column_stack(columns), fmt="%d", delimiter=",")
    csv_path = BENCH_DIR / "insights_duckdb.csv"
    csv_path.write_text("team,bu,nps," + ",".join(f"d{j}" for j in range(len(DRIVERS))) + "\n"
                        + buffer.getvalue().replace("-1", ""))
    con.execute(f"CREATE TABLE r AS SELECT * FROM read_csv('{csv_path}', header = true)")
    means = ", ".join(f"avg(d{j}) AS m{j}" for j in range(len(DRIVERS)))
    query = f"""
        SELECT team, bu, count(nps) AS n,
               count(*) FILTER (WHERE nps >= 9) AS promoters,
               count(*) FILTER (WHERE nps <= 6) AS detractors, {means}
        FROM r GROUP BY GROUPING SETS ((team, bu), (bu), ())
    """
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        result = con.execute(query).fetchall()
        best = min(best, time.perf_counter() - start)
    top = next(row for row in result if row[0] is None and row[1] is None)
    csv_path.unlink()
    return best, 100.0 * (top[3] - top[4]) / top[2]


def text_seconds(count: int = 100_000) -> float:
    """Return the seconds ``analyse`` takes for ``count`` varied comments."""
    import random

    sys.path.insert(0, str(ROOT))
    from insights.text import analyse

    rng = random.Random(5)
    words = ["echt", "wel", "ook", "nu", "toen", "daarna", "gelukkig", "helaas", "vandaag", "weer"]
    texts = [f"{rng.choice(COMMENTS)} {rng.choice(words)} {rng.choice(COMMENTS)} #{i}"
             for i in range(count)]
    start = time.perf_counter()
    for _ in analyse(texts):
        pass
    return time.perf_counter() - start


def main() -> None:
    rows = int(os.environ.get("BENCH_ROWS", "1000000"))
    data_path = BENCH_DIR / f"insights_{rows}.npz"
    if not data_path.exists():
        generate(data_path, rows)
    data = dict(np.load(data_path))
    duck_s, duck_nps = duckdb_seconds(data)
    print(f"duckdb   NPS + 6 driver means per team/BU/org: {duck_s:.3f} s "
          f"(organisation NPS {duck_nps:.2f})", flush=True)
    sqlite_file = BENCH_DIR / "insights.sqlite3"
    results = {}
    for vendor in ("sqlite", "postgres"):
        for suffix in ("", "-wal", "-shm"):
            Path(f"{sqlite_file}{suffix}").unlink(missing_ok=True)
        url = f"sqlite:///{sqlite_file}" if vendor == "sqlite" else _fresh_postgres()
        r = _run_child(vendor, url, data_path)
        results[vendor] = r
        print(f"{vendor:8s} load {r['load_s']:.1f} s   aggregates_refresh {r['refresh_s']:.2f} s   "
              f"all {r['units']} units' insights ({r['with_drivers']} with drivers): "
              f"after refresh {r['first_s']:.3f} s, unchanged {r['again_s']:.3f} s "
              f"(cold cache {r['cold_s']:.3f} s)   "
              f"filtered (segment) {r['filtered_s']:.3f} s   {r['page_what']} {r['page_ms']:.1f} ms   "
              f"top n={r['top_n']} NPS {r['top_nps']:.2f}", flush=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{sqlite_file}{suffix}").unlink(missing_ok=True)
    text_s = text_seconds()
    print(f"text     analyse 100,000 comments: {text_s:.1f} s", flush=True)
    s, p = results["sqlite"], results["postgres"]
    sqlite_s = max(s["first_s"], s["again_s"])
    postgres_s = max(p["first_s"], p["again_s"])
    ratio = max(sqlite_s, postgres_s) / duck_s
    page_ms = max(s["page_ms"], p["page_ms"])
    print(f"RESULT insights postgres_s={postgres_s:.3f} sqlite_s={sqlite_s:.3f} "
          f"duckdb_ratio={ratio:.2f} filtered_postgres_s={p['filtered_s']:.3f} "
          f"filtered_sqlite_s={s['filtered_s']:.3f} page_ms={page_ms:.1f} text_100k_s={text_s:.1f}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], Path(sys.argv[4]))
    else:
        main()
