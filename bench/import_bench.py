"""Benchmark the survey import against a raw bulk load, on SQLite and PostgreSQL.

    make bench-import                 # 1,000,000 rows
    BENCH_ROWS=50000 make bench-import

1. Generates a survey export (fixed seed) in var/bench/: response id, customer number,
   team code, NPS, six driver scores with blanks, two Dutch comments, segment, product
   and channel.
2. For each database, in a child process with a fresh database (a new SQLite file;
   PostgreSQL database ``outsidein_bench`` dropped and created): creates an
   organisation with 40 teams and 20,000 customers and a wave, then
   - imports the file through the real path (``import_run``, all or nothing), and
   - as reference loads the same file read by Python's ``csv`` module, written without
     validation by ``COPY`` / ``executemany`` in one transaction into a table with the
     same columns, indexes and foreign keys. The reference fills the customer and unit
     columns from dictionaries built before its clock starts (the import looks them up
     itself, inside its time), so both write the same foreign keys.
3. Prints rows/s, the ratio import time / raw time, peak memory, and a RESULT line.
"""

from __future__ import annotations

import csv
import json
import os
import random
import resource
import sys
import time
from pathlib import Path

from _common import fresh_postgres, run_child  # noqa: E402  (bench/ is on sys.path)

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
PG_SERVER = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")
PG_DB = "outsidein_bench"
TEAMS = 40
CUSTOMERS = 20_000
DRIVERS = ["Bereikbaarheid", "Snelheid", "Vriendelijkheid", "Deskundigheid", "Prijs/kwaliteit",
           "Communicatie"]
HEADER = ["ResponseId", "Klantnummer", "Teamcode", "NPS", *DRIVERS, "Waarom deze score",
          "Wat kunnen we verbeteren", "Segment", "Product", "Kanaal"]
WHY = [
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
    "",
]
IMPROVE = [
    "Sneller reageren op e-mail.", "Eén vast aanspreekpunt.", "Duidelijkere facturen.",
    "Betere bereikbaarheid na 17:00 uur.", "Minder doorverbinden.",
    "De app gebruiksvriendelijker maken.", "Afspraken nakomen.", "", "",
]
SEGMENTS = ["MKB", "Zakelijk groot", "Particulier", "Overheid"]
PRODUCTS = ["Schadeverzekering", "Zorgverzekering", "Pensioen", "Leasing", "Onderhoud"]
CHANNELS = ["Telefoon", "E-mail", "Chat", "Balie", "Accountmanager"]


def generate(path: Path, rows: int) -> None:
    rng = random.Random(20240331)
    nps_weights = [2, 1, 2, 3, 4, 6, 8, 14, 22, 20, 18]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for n in range(1, rows + 1):
            nps = rng.choices(range(11), nps_weights)[0]
            base = min(10, max(1, nps + rng.randint(-2, 2)))
            scores = ["" if rng.random() < 0.08 else str(min(10, max(1, base + rng.randint(-2, 1))))
                      for _ in DRIVERS]
            writer.writerow([
                f"R_{n:08d}", f"C{rng.randint(1, CUSTOMERS):06d}", f"T{rng.randint(1, TEAMS):02d}",
                "" if rng.random() < 0.02 else str(nps), *scores, rng.choice(WHY),
                rng.choice(IMPROVE), rng.choice(SEGMENTS), rng.choice(PRODUCTS),
                rng.choice(CHANNELS),
            ])
    tmp.replace(path)


# --- child: one database -------------------------------------------------------------------

def _setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["JOBS_EAGER"] = "1"
    os.environ["IMPORT_DIR"] = str(BENCH_DIR / "imports")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "outsidein.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def _world():
    from accounts.services import organisation_create
    from org.models import Customer, Level, Unit, UnitKind
    from org.services import unit_create
    from research.services import wave_create

    organisation = organisation_create(slug="bench", name="Bench Verzekeringen")
    root = Unit.objects.get(organisation=organisation, depth=1)
    teams = [unit_create(organisation=organisation, parent=root, name=f"Team {i:02d}",
                         code=f"T{i:02d}", kind=UnitKind.TEAM, level=Level.OPERATIONAL)
             for i in range(1, TEAMS + 1)]
    Customer.objects.bulk_create(
        [Customer(organisation=organisation, name=f"Klant {i}", customer_number=f"C{i:06d}",
                  unit=teams[i % TEAMS]) for i in range(1, CUSTOMERS + 1)], batch_size=5000)
    return organisation, wave_create(organisation=organisation, actor=None, name="Bench-meting")


def _raw_table(vendor: str) -> str:
    from django.db import connection

    raw = "bench_raw_response"
    with connection.cursor() as cursor:
        if vendor == "postgresql":
            cursor.execute(f"CREATE TABLE {raw} (LIKE research_response INCLUDING ALL)")
            cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                           "WHERE conrelid = 'research_response'::regclass AND contype = 'f'")
            for name, definition in cursor.fetchall():
                cursor.execute(f'ALTER TABLE {raw} ADD CONSTRAINT "raw_{name}" {definition}')
        else:
            # Table and indexes, not our triggers (PostgreSQL's LIKE copies none either).
            cursor.execute("SELECT type, sql FROM sqlite_master WHERE tbl_name = "
                           "'research_response' AND sql IS NOT NULL AND type != 'trigger' "
                           "ORDER BY type DESC")
            for kind, sql in cursor.fetchall():
                sql = sql.replace('"research_response"', f'"{raw}"')
                if kind == "index":
                    sql = sql.replace('INDEX "', 'INDEX "raw_', 1)
                cursor.execute(sql)
    return raw


def _raw_load(path: Path, organisation, wave) -> float:
    """The reference: csv module + the database's bulk path, no validation, one transaction."""
    from django.db import connection, transaction
    from django.utils import timezone

    from org.models import Customer, Unit
    from research.importing.jobs import _json_object as encode  # the import's fast encoder
    from research.importing.writing import RESPONSE_COLUMNS, ResponseWriter

    customers = dict(Customer.objects.filter(organisation=organisation)
                     .values_list("customer_number", "pk"))
    units = dict(Unit.objects.filter(organisation=organisation).exclude(code="")
                 .values_list("code", "pk"))
    table = _raw_table(connection.vendor)
    start = time.perf_counter()
    with transaction.atomic():
        writer = ResponseWriter(table=table, columns=RESPONSE_COLUMNS)
        now = writer.adapt_datetime(timezone.now())
        org_id, wave_id = organisation.pk, wave.pk
        keys = [d.lower() for d in DRIVERS]
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            next(reader)
            batch = []
            for cells in reader:
                batch.append((
                    org_id, wave_id, customers.get(cells[1]), None, units.get(cells[2]),
                    cells[0], cells[3] or None, cells[10], cells[11],
                    encode({k: v for k, v in zip(keys, cells[4:10], strict=True) if v}),
                    "{}", encode({"segment": cells[12], "product": cells[13],
                                  "kanaal": cells[14]}),
                    False, "", "import", "submitted", None, None, now, now,
                ))
                if len(batch) >= 5000:
                    writer.write(batch)
                    batch = []
            writer.write(batch)
    return time.perf_counter() - start


def child(vendor: str, database_url: str, csv_path: Path) -> None:
    _setup(database_url)
    from research.importing import Mapping, import_run
    from research.importing.jobs import ImportOptions, import_configure, import_prepare
    from research.models import FollowUp, Response

    organisation, wave = _world()
    raw_seconds = _raw_load(csv_path, organisation, wave)

    job = import_prepare(organisation=organisation, wave=wave, actor=None, upload=csv_path,
                         original_name=csv_path.name)
    mapping = Mapping.from_json(job.mapping)
    job = import_configure(job=job, mapping=mapping, options=ImportOptions())
    start = time.perf_counter()
    result = import_run(job)
    import_seconds = time.perf_counter() - start
    if not result["ok"]:
        raise SystemExit(f"import failed: {result.get('error') or result['errors'][:5]}")
    payload = {
        "vendor": vendor, "rows": result["imported"], "import_s": import_seconds,
        "raw_s": raw_seconds, "follow_ups": FollowUp.objects.count(),
        "responses": Response.objects.filter(wave=wave).count(),
        "mapping": mapping.to_json(),
        "maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    print("BENCHJSON " + json.dumps(payload), flush=True)


# --- parent ---------------------------------------------------------------------------------

def _fresh_postgres() -> str:
    return fresh_postgres(PG_SERVER, PG_DB)


def _run_child(vendor: str, database_url: str, csv_path: Path) -> dict:
    return run_child(__file__, vendor, database_url, csv_path)


def main() -> None:
    rows = int(os.environ.get("BENCH_ROWS", "1000000"))
    csv_path = BENCH_DIR / f"survey_{rows}.csv"
    if not csv_path.exists():
        start = time.perf_counter()
        generate(csv_path, rows)
        print(f"generated {csv_path} ({csv_path.stat().st_size / 2**20:.0f} MiB) in "
              f"{time.perf_counter() - start:.1f} s", flush=True)
    sqlite_file = BENCH_DIR / "bench.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{sqlite_file}{suffix}").unlink(missing_ok=True)
    results = {}
    for vendor, url in (("sqlite", f"sqlite:///{sqlite_file}"), ("postgres", None)):
        url = url or _fresh_postgres()
        r = _run_child(vendor, url, csv_path)
        results[vendor] = r
        print(f"{vendor:8s} import {r['rows'] / r['import_s']:>9,.0f} rows/s ({r['import_s']:.1f} s, "
              f"{r['follow_ups']:,} follow-ups)   raw {rows / r['raw_s']:>9,.0f} rows/s "
              f"({r['raw_s']:.1f} s)   ratio {r['import_s'] / r['raw_s']:.2f}   "
              f"peak {r['maxrss_mib']:.0f} MiB", flush=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{sqlite_file}{suffix}").unlink(missing_ok=True)
    peak = max(r["maxrss_mib"] for r in results.values())
    s, p = results["sqlite"], results["postgres"]
    print(f"RESULT import rows={rows} sqlite_rows_per_s={s['rows'] / s['import_s']:.0f} "
          f"sqlite_ratio={s['import_s'] / s['raw_s']:.2f} "
          f"postgres_rows_per_s={p['rows'] / p['import_s']:.0f} "
          f"postgres_ratio={p['import_s'] / p['raw_s']:.2f} peak_mib={peak:.0f}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], Path(sys.argv[4]))
    else:
        main()
