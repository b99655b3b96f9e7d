"""Benchmark building every 1-2-3 session kit of the demo's latest wave (target: < 60 s).

    make bench-kits

1. In a child process, builds the demo organisation (``outsidein demo``: 32 units, two
   waves of about 6,000 responses each, insights refreshed) into a fresh SQLite
   database in var/bench/.
2. Takes the latest wave's cascade (the demo creates it; else ``cascade_create``).
3. Times the background job as the page starts it: ``kits_build_later`` queues the
   build on the job thread, and the progress is polled from the cache every 0.2 s, as
   the page's progress bar does (drawn on stderr here). The job writes one zip with a
   PPTX deck and a PDF handout per session.
4. Reference: the same work in the foreground, part by part (the figures of every
   session, the decks alone, the handouts alone); the ratios say what the job adds and
   how the whole compares with the handouts alone.
The last line: RESULT kits sessions=N seconds=X per_session_ms=X
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "var" / "bench"
TARGET_SECONDS = 60


def _bar(done: int, total: int, seconds: float) -> None:
    width = 30
    filled = round(width * done / total) if total else 0
    sys.stderr.write(f"\rkits [{'#' * filled}{'.' * (width - filled)}] {done}/{total} {seconds:5.1f} s")
    sys.stderr.flush()


def child(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ["JOBS_EAGER"] = "0"
    os.environ["IMPORT_DIR"] = str(BENCH_DIR / "imports")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "outsidein.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import translation

    from accounts.models import Organisation
    from cascade import kit_jobs, kits
    from cascade.models import Cascade
    from cascade.services import cascade_create
    from insights.view_selectors import insight_waves
    from research.models import Response

    call_command("migrate", verbosity=0)
    start = time.perf_counter()
    call_command("demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    demo_s = time.perf_counter() - start
    organisation = Organisation.objects.get(slug="demo")
    wave = insight_waves(organisation)[0]
    cascade = (Cascade.objects.filter(wave=wave).first()
               or cascade_create(organisation=organisation, wave=wave, actor=None))
    cascade = Cascade.objects.select_related("organisation", "wave").get(pk=cascade.pk)

    start = time.perf_counter()
    kit_jobs.kits_build_later(cascade=cascade, language="nl")
    shown = -1
    while True:
        status = kit_jobs.kits_status(cascade)
        if status.done != shown:
            _bar(status.done, status.total, time.perf_counter() - start)
            shown = status.done
        if not status.running:
            break
        time.sleep(0.2)
    job_s = time.perf_counter() - start
    sys.stderr.write("\n")
    if status.state != kit_jobs.DONE:
        raise SystemExit(f"the build failed: {status.error}")
    zip_path = kit_jobs.kits_zip_path(cascade)

    parts = {"data": 0.0, "pptx": 0.0, "pdf": 0.0}
    slowest = (0.0, "")
    with translation.override("nl"):
        for session in kits.cascade_sessions(cascade):
            t0 = time.perf_counter()
            data = kits.session_kit_data(session)
            t1 = time.perf_counter()
            kits.session_pptx(data)
            t2 = time.perf_counter()
            kits.session_pdf(data)
            t3 = time.perf_counter()
            parts["data"] += t1 - t0
            parts["pptx"] += t2 - t1
            parts["pdf"] += t3 - t2
            slowest = max(slowest, (t3 - t0, data.file_stem))
    payload = {"sessions": status.total, "job_s": job_s, "demo_s": demo_s,
               "zip_mib": zip_path.stat().st_size / 2**20,
               "responses": Response.objects.filter(wave=wave).count(),
               "wave": wave.name, "slowest_s": slowest[0], "slowest": slowest[1],
               **{f"{k}_s": v for k, v in parts.items()}}
    print("BENCHJSON " + json.dumps(payload), flush=True)


def main() -> None:
    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    sqlite_file = BENCH_DIR / "cascade_kits.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{sqlite_file}{suffix}").unlink(missing_ok=True)
    try:
        # The child's stderr (the progress bar) goes straight to ours.
        process = subprocess.run([sys.executable, __file__, "--child", f"sqlite:///{sqlite_file}"],
                                 stdout=subprocess.PIPE, text=True, cwd=ROOT)
        lines = [line for line in process.stdout.splitlines() if line.startswith("BENCHJSON ")]
        if process.returncode or not lines:
            sys.stdout.write(process.stdout)
            raise SystemExit("the benchmark's child failed")
        r = json.loads(lines[-1][len("BENCHJSON "):])
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{sqlite_file}{suffix}").unlink(missing_ok=True)
    n = r["sessions"]
    foreground = r["data_s"] + r["pptx_s"] + r["pdf_s"]
    print(f"demo built in {r['demo_s']:.1f} s; wave {r['wave']!r} with {r['responses']:,} responses")
    print(f"background job: {n} sessions, {2 * n} files, zip {r['zip_mib']:.1f} MiB in "
          f"{r['job_s']:.1f} s ({1000 * r['job_s'] / n:.0f} ms per session; target "
          f"< {TARGET_SECONDS} s: {'met' if r['job_s'] < TARGET_SECONDS else 'MISSED'})")
    print(f"foreground, part by part: figures {r['data_s']:.1f} s, decks {r['pptx_s']:.1f} s, "
          f"handouts {r['pdf_s']:.1f} s (sum {foreground:.1f} s); slowest session "
          f"{r['slowest_s']:.2f} s ({r['slowest']})")
    print(f"ratio job / foreground sum {r['job_s'] / foreground:.2f}; "
          f"job / handouts alone {r['job_s'] / r['pdf_s']:.2f}")
    print(f"RESULT kits sessions={n} seconds={r['job_s']:.1f} "
          f"per_session_ms={1000 * r['job_s'] / n:.0f}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2])
    else:
        main()
