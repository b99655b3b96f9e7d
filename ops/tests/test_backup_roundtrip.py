"""Back up a realistic installation and restore it into an empty database, in child processes
against real SQLite files and real PostgreSQL databases."""

import io
import json
import os
import subprocess
import sys
import tarfile
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PG = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "postgres"}


def run(env: dict, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    done = subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=600, check=False)
    if check and done.returncode != 0:
        raise AssertionError(f"{args} failed:\n{done.stdout}\n{done.stderr}")
    return done


def environment(database_url: str, var: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST"))}
    env.update(DATABASE_URL=database_url, OUTSIDEIN_VAR_DIR=str(var), IMPORT_DIR=str(var / "imports"),
               JOBS_EAGER="1", DEBUG="1", DJANGO_SETTINGS_MODULE="outsidein.settings", REDIS_URL="",
               LOG_LEVEL="WARNING")
    return env


def roundtrip(tmp_path: Path, source_url: str, target_url: str) -> None:
    source = environment(source_url, tmp_path / "source")
    target = environment(target_url, tmp_path / "target")
    run(source, "manage.py", "migrate", "--noinput", "-v", "0")
    run(source, "-m", "ops.tests.world", "build")
    before = json.loads(run(source, "-m", "ops.tests.world", "snapshot").stdout)
    archive = tmp_path / "backup.tar.gz"
    run(source, "manage.py", "backup", str(archive))

    run(target, "manage.py", "restore", str(archive))
    after = json.loads(run(target, "-m", "ops.tests.world", "snapshot").stdout)

    assert before["counts"]["live.RoomEvent"] > 10 and before["counts"]["research.Response"] == 3
    assert before["counts"]["improvements.Action"] == 1 and before["counts"]["org.Unit"] == 4
    assert after["counts"] == before["counts"]
    assert after["units"] == before["units"]
    assert [u[0] for u in after["units"]][:2] == ["0001", "00010001"]
    assert after["answers"] == before["answers"]
    room = after["rooms"]["Klantarena Noord"]
    assert room == before["rooms"]["Klantarena Noord"]
    assert room["derived"]["phase"] == room["state"]["phase"] and room["last_seq"] > 10
    stored = tmp_path / "target" / "imports" / "backup" / "export.csv"
    assert stored.read_text(encoding="utf-8") == "klant;nps\nK-1;3\n"

    # A second restore meets a database that is no longer empty.
    again = run(target, "manage.py", "restore", str(archive), check=False)
    assert again.returncode != 0 and "not empty" in again.stderr
    forced = run(target, "manage.py", "restore", str(archive), "--force")
    assert "Restored" in forced.stdout

    # All or nothing: a dump cut off halfway fails and leaves the database and files as they were.
    stored.write_text("changed after the restore", encoding="utf-8")
    cut = tmp_path / "cut.tar.gz"
    truncate_dump(archive, cut)
    failed = run(target, "manage.py", "restore", str(cut), "--force", check=False)
    assert failed.returncode != 0 and "CommandError" in failed.stderr
    assert json.loads(run(target, "-m", "ops.tests.world", "snapshot").stdout) == after
    assert stored.read_text(encoding="utf-8") == "changed after the restore"


def truncate_dump(archive: Path, into: Path) -> None:
    with tarfile.open(archive, "r:gz") as old, tarfile.open(into, "w:gz") as new:
        for member in old.getmembers():
            data = old.extractfile(member).read() if member.isfile() else None
            if member.name.startswith("database/db."):
                data = data[: len(data) // 2]
                member.size = len(data)
            new.addfile(member, io.BytesIO(data) if data is not None else None)


def test_sqlite_backup_restores_everything_into_an_empty_database(tmp_path):
    roundtrip(tmp_path, f"sqlite:///{tmp_path / 'source.sqlite3'}",
              f"sqlite:///{tmp_path / 'target.sqlite3'}")


def _pg_admin():
    psycopg = pytest.importorskip("psycopg")
    try:
        return psycopg.connect(**PG, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        pytest.skip(f"PostgreSQL is unreachable: {error}")


def test_postgresql_backup_restores_everything_into_an_empty_database(tmp_path):
    admin = _pg_admin()
    names = [f"outsidein_restore_test_{uuid.uuid4().hex[:12]}" for _ in range(2)]
    try:
        for name in names:
            admin.execute(f'CREATE DATABASE "{name}"')
        base = f"postgres://{PG['user']}@{PG['host']}:{PG['port']}"
        roundtrip(tmp_path, f"{base}/{names[0]}", f"{base}/{names[1]}")
    finally:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()
