"""Back up and restore the whole installation: the database and the files it refers to.

The method is the database's own, because it is the faithful one: every table, sequence,
index and constraint comes back as it was, with no model code in between (``live.RoomEvent``
forbids updates and deletes through the ORM; a native copy never goes through it).

* SQLite: the online backup API (``sqlite3.Connection.backup``) copies a consistent
  snapshot while the app keeps running; restoring copies it back with the same API,
  which writes the target in one transaction.
* PostgreSQL: ``pg_dump --format=custom``; restoring runs ``pg_restore --clean --if-exists
  --single-transaction --exit-on-error --no-owner --no-privileges``, so a failure rolls
  the whole restore back. ``pg_dump``/``pg_restore`` must be installed and at least the
  server's major version.

The archive is one ``.tar.gz`` holding ``manifest.json`` (format version, database engine,
applied migrations, created at, app version), ``database/`` (the dump) and ``files/``
(the survey import directory ``IMPORT_DIR``, the cascade kits directory and ``MEDIA_ROOT``;
safari photos live in the database itself).

Limits: a backup restores into the same database engine only (SQLite into SQLite,
PostgreSQL into PostgreSQL); import jobs keep the absolute paths of their stored files, so
restore on a host with the same ``IMPORT_DIR``; restore refuses a backup whose migrations
the code does not know (run ``migrate`` after restoring an older one); it refuses a
non-empty database unless forced. Stop the app (``serve`` and its workers) before restoring.
The archive is written readable by its owner only: it holds personal data.
"""

from __future__ import annotations

import datetime
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import connections
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder

FORMAT_VERSION = 1
SQLITE = "sqlite"
POSTGRESQL = "postgresql"
# Tables that an empty, freshly migrated database already holds rows in.
_SEEDED_TABLES = {"django_migrations", "django_content_type", "auth_permission"}


class BackupError(Exception):
    """The backup or restore cannot be done; the message says why."""


@dataclass
class RestoreResult:
    manifest: dict
    files: list[str] = field(default_factory=list)
    older_migrations: bool = False


def _engine(settings_dict: dict) -> str:
    engine = settings_dict["ENGINE"]
    if engine.endswith("sqlite3"):
        return SQLITE
    if engine.endswith("postgresql"):
        return POSTGRESQL
    raise BackupError(f"Unsupported database engine {engine}.")


def file_dirs() -> dict[str, Path]:
    """The directories whose files the database refers to, by their name in the archive."""
    from cascade.kit_jobs import kits_dir

    return {"imports": Path(settings.IMPORT_DIR), "kits": kits_dir(), "media": Path(settings.MEDIA_ROOT)}


def _app_version() -> str:
    try:
        return metadata.version("outsidein")
    except metadata.PackageNotFoundError:
        return "unknown"


def code_migrations() -> set[tuple[str, str]]:
    return set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)


# --- PostgreSQL -----------------------------------------------------------------------

def _pg_env(settings_dict: dict) -> dict:
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"),
                     ("PASSWORD", "PGPASSWORD"), ("NAME", "PGDATABASE")):
        if settings_dict.get(key):
            env[var] = str(settings_dict[key])
    return env


def _run(args: list[str], env: dict) -> None:
    if shutil.which(args[0]) is None:
        raise BackupError(f"{args[0]} is not installed; it is needed for PostgreSQL backups.")
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{args[0]} failed: {done.stderr.strip() or done.returncode}")


def _pg_connect(settings_dict: dict):
    import psycopg

    return psycopg.connect(dbname=settings_dict["NAME"], host=settings_dict.get("HOST") or None,
                           port=settings_dict.get("PORT") or None, user=settings_dict.get("USER") or None,
                           password=settings_dict.get("PASSWORD") or None, autocommit=True)


# --- reading a target database without Django -------------------------------------------

def _raw_connect(settings_dict: dict):
    if _engine(settings_dict) == SQLITE:
        return sqlite3.connect(str(settings_dict["NAME"]), uri=True)
    return _pg_connect(settings_dict)


def _table_exists(cursor, engine: str, table: str) -> bool:
    if engine == SQLITE:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", [table])
        return cursor.fetchone() is not None
    cursor.execute("SELECT to_regclass(%s)", [f'public."{table}"'])
    return cursor.fetchone()[0] is not None


def nonempty_tables(settings_dict: dict) -> list[str]:
    """The model tables of the target database that hold rows (besides what ``migrate`` seeds)."""
    engine = _engine(settings_dict)
    if engine == SQLITE and not str(settings_dict["NAME"]).startswith("file:") \
            and not Path(settings_dict["NAME"]).exists():
        return []
    tables = sorted({m._meta.db_table for m in apps.get_models(include_auto_created=True)} - _SEEDED_TABLES)
    connection = _raw_connect(settings_dict)
    try:
        cursor = connection.cursor()
        found = []
        for table in tables:
            if _table_exists(cursor, engine, table):
                cursor.execute(f'SELECT 1 FROM "{table}" LIMIT 1')  # noqa: S608 (model table names)
                if cursor.fetchone() is not None:
                    found.append(table)
        return found
    finally:
        connection.close()


# --- backup -----------------------------------------------------------------------------

def backup_create(path: Path | str, *, using: str = "default") -> dict:
    """Write a backup of database ``using`` and the stored files to ``path``; return its manifest."""
    path = Path(path)
    connection = connections[using]
    engine = _engine(connection.settings_dict)
    connection.ensure_connection()
    applied = sorted(MigrationRecorder(connection).applied_migrations())
    manifest = {
        "format_version": FORMAT_VERSION,
        "engine": engine,
        "migrations": [list(item) for item in applied],
        "created_at": datetime.datetime.now(datetime.UTC).isoformat(),
        "app_version": _app_version(),
        "files": {},
    }
    with tempfile.TemporaryDirectory(prefix="outsidein-backup-") as work:
        work = Path(work)
        (work / "database").mkdir()
        if engine == SQLITE:
            target = sqlite3.connect(work / "database" / "db.sqlite3")
            try:
                connection.connection.backup(target)
            finally:
                target.close()
            manifest["database"] = "database/db.sqlite3"
        else:
            dump = work / "database" / "db.dump"
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(dump)],
                 _pg_env(connection.settings_dict))
            manifest["database"] = "database/db.dump"
        partial = path.with_name(path.name + ".partial")
        partial.touch(mode=0o600)  # the backup holds personal data: owner only
        partial.chmod(0o600)
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(work / "database", arcname="database")
            for name, folder in file_dirs().items():
                if folder.is_dir():
                    archive.add(folder, arcname=f"files/{name}")
                    manifest["files"][name] = sum(1 for p in folder.rglob("*") if p.is_file())
            data = json.dumps(manifest, indent=2).encode()
            (work / "manifest.json").write_bytes(data)
            archive.add(work / "manifest.json", arcname="manifest.json")
        partial.replace(path)
    return manifest


# --- restore ----------------------------------------------------------------------------

def _safe_extract(archive: tarfile.TarFile, into: Path) -> None:
    try:
        archive.extractall(into, filter="data")
    except (tarfile.TarError, OSError) as error:
        raise BackupError(f"The backup cannot be unpacked: {error}") from error


def read_manifest(path: Path | str) -> dict:
    try:
        with tarfile.open(path, "r:gz") as archive:
            member = archive.extractfile("manifest.json")
            return json.loads(member.read())
    except (OSError, KeyError, tarfile.TarError, ValueError, AttributeError) as error:
        raise BackupError(f"{path} is not an Outside-In backup: {error}") from error


def _check_manifest(manifest: dict, engine: str) -> bool:
    """Raise BackupError when the backup cannot go into this code and engine; return
    whether the backup's migrations are older than the code's."""
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(f"Backup format {manifest.get('format_version')} is not supported "
                          f"(this version reads format {FORMAT_VERSION}).")
    if manifest.get("engine") != engine:
        raise BackupError(f"This is a {manifest.get('engine')} backup; the database is {engine}. "
                          "A backup restores into the same database engine only.")
    backup = {tuple(item) for item in manifest.get("migrations", [])}
    unknown = sorted(backup - code_migrations())
    if unknown:
        listed = ", ".join(f"{app}.{name}" for app, name in unknown[:5])
        raise BackupError(f"The backup is newer than this code: it has migrations the code does not "
                          f"know ({listed}). Upgrade Outside-In first.")
    return bool(code_migrations() - backup)


def _restore_sqlite(source: Path, settings_dict: dict) -> None:
    from django.db.backends.sqlite3._functions import register

    check = sqlite3.connect(source)
    register(check)  # the CHECK constraints Django writes may call REGEXP and the like
    try:
        if check.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError("The database in the backup is damaged (integrity check failed).")
        target = sqlite3.connect(str(settings_dict["NAME"]), uri=True)
        try:
            check.backup(target)
        finally:
            target.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(f"The database in the backup cannot be read: {error}") from error
    finally:
        check.close()


def _restore_postgresql(source: Path, settings_dict: dict) -> None:
    _run(["pg_restore", "--clean", "--if-exists", "--single-transaction", "--exit-on-error",
          "--no-owner", "--no-privileges", "--dbname", settings_dict["NAME"], str(source)],
         _pg_env(settings_dict))


def _swap_dirs(staged: Path, dirs: dict[str, Path], restored: list[str]) -> list[str]:
    """Put the backup's directories in place of the current ones (kept as ``*.before-restore``),
    listing each in ``restored`` once it is in place."""
    for name, folder in dirs.items():
        new = staged / name
        if not new.is_dir():
            continue
        folder.parent.mkdir(parents=True, exist_ok=True)
        if folder.exists():
            old = folder.with_name(folder.name + ".before-restore")
            if old.exists():
                shutil.rmtree(old)
            folder.rename(old)
        shutil.move(str(new), str(folder))
        restored.append(name)
    return restored


def backup_restore(path: Path | str, *, using: str = "default", settings_dict: dict | None = None,
                   force: bool = False, dirs: dict[str, Path] | None = None) -> RestoreResult:
    """Restore the backup at ``path`` into database ``using`` (or the database described by
    ``settings_dict``) and the file directories; all or nothing for the database."""
    if settings_dict is None:
        settings_dict = connections[using].settings_dict
    engine = _engine(settings_dict)
    manifest = read_manifest(path)
    older = _check_manifest(manifest, engine)
    if not force:
        filled = nonempty_tables(settings_dict)
        if filled:
            raise BackupError(f"The database is not empty ({len(filled)} tables hold rows, e.g. "
                              f"{filled[0]}); use --force to replace its contents.")
    dirs = file_dirs() if dirs is None else dirs
    with tempfile.TemporaryDirectory(prefix="outsidein-restore-",
                                     dir=Path(settings.IMPORT_DIR).parent if Path(
                                         settings.IMPORT_DIR).parent.is_dir() else None) as work:
        work = Path(work)
        with tarfile.open(path, "r:gz") as archive:
            _safe_extract(archive, work)
        source = work / manifest["database"]
        if not source.is_file():
            raise BackupError("The backup holds no database dump.")
        connections.close_all()
        for alias in connections:
            close_pool = getattr(connections[alias], "close_pool", None)
            if close_pool:
                close_pool()
        if engine == SQLITE:
            _restore_sqlite(source, settings_dict)
        else:
            _restore_postgresql(source, settings_dict)
        files: list[str] = []
        try:
            files = _swap_dirs(work / "files", dirs, files)
        except OSError as error:
            raise BackupError(f"The database was restored, but putting the files in place failed: {error}. "
                              f"Replaced so far: {', '.join(files) or 'none'}; the previous directories "
                              f"are kept beside them as *.before-restore.") from error
    return RestoreResult(manifest=manifest, files=files, older_migrations=older)
