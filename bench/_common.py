"""Pieces every benchmark shares: a fresh PostgreSQL database and a child process per
database, whose one ``BENCHJSON`` line carries its figures back to the parent."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


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
