"""What a backup holds and what restore refuses, in this process against SQLite files."""

import io
import json
import sqlite3
import tarfile

import pytest

from ops.backup import FORMAT_VERSION, BackupError, backup_create, backup_restore, read_manifest


@pytest.fixture
def dirs(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    (settings.IMPORT_DIR / "acme").mkdir(parents=True)
    (settings.IMPORT_DIR / "acme" / "a.csv").write_text("x\n")
    return {"imports": settings.IMPORT_DIR, "media": settings.MEDIA_ROOT}


@pytest.fixture
def archive(transactional_db, org, dirs, tmp_path):
    from django.db import connection

    if connection.vendor != "sqlite":  # restored into SQLite files here; PostgreSQL's own
        pytest.skip("SQLite's backup path (PostgreSQL's: test_backup_roundtrip)")  # round trip
    path = tmp_path / "backup.tar.gz"
    backup_create(path)
    return path


def target(path) -> dict:
    return {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)}


def rewrite(path, *, manifest=None, database: bytes | None = None):
    """Rewrite the archive at ``path`` with another manifest or database file."""
    with tarfile.open(path, "r:gz") as old:
        members = [(m, old.extractfile(m).read() if m.isfile() else None) for m in old.getmembers()]
    with tarfile.open(path, "w:gz") as new:
        for member, data in members:
            if member.name == "manifest.json" and manifest is not None:
                data = json.dumps(manifest).encode()
            if member.name == "database/db.sqlite3" and database is not None:
                data = database
            if data is not None:
                member.size = len(data)
                new.addfile(member, io.BytesIO(data))
            else:
                new.addfile(member)


def test_the_manifest_records_engine_migrations_and_files(archive):
    manifest = read_manifest(archive)
    assert manifest["format_version"] == FORMAT_VERSION and manifest["engine"] == "sqlite"
    assert ["accounts", "0001_initial"] in manifest["migrations"]
    assert manifest["files"]["imports"] == 1 and manifest["created_at"]
    assert archive.stat().st_mode & 0o777 == 0o600
    with tarfile.open(archive) as tar:
        assert {"manifest.json", "database/db.sqlite3", "files/imports/acme/a.csv"} <= set(tar.getnames())


def test_restore_into_an_empty_file_brings_the_organisation_and_files_back(archive, dirs, tmp_path):
    (dirs["imports"] / "acme" / "a.csv").write_text("changed since\n")
    result = backup_restore(archive, settings_dict=target(tmp_path / "new.sqlite3"), dirs=dirs)
    assert result.files == ["imports"] and not result.older_migrations
    with sqlite3.connect(tmp_path / "new.sqlite3") as db:
        assert db.execute("SELECT slug FROM accounts_organisation").fetchall() == [("acme",)]
    assert (dirs["imports"] / "acme" / "a.csv").read_text() == "x\n"
    kept = dirs["imports"].with_name("imports.before-restore") / "acme" / "a.csv"
    assert kept.read_text() == "changed since\n"
    with pytest.raises(BackupError, match="not empty"):
        backup_restore(archive, settings_dict=target(tmp_path / "new.sqlite3"), dirs=dirs)


def test_a_backup_newer_than_the_code_is_refused(archive, dirs, tmp_path):
    manifest = read_manifest(archive)
    manifest["migrations"].append(["accounts", "9999_from_the_future"])
    rewrite(archive, manifest=manifest)
    with pytest.raises(BackupError, match="newer than this code.*accounts.9999_from_the_future"):
        backup_restore(archive, settings_dict=target(tmp_path / "new.sqlite3"), dirs=dirs)
    assert not (tmp_path / "new.sqlite3").exists()


def test_a_backup_of_another_engine_or_format_is_refused(archive, dirs, tmp_path):
    manifest = read_manifest(archive)
    rewrite(archive, manifest={**manifest, "engine": "postgresql"})
    with pytest.raises(BackupError, match="same database engine"):
        backup_restore(archive, settings_dict=target(tmp_path / "new.sqlite3"), dirs=dirs)
    rewrite(archive, manifest={**manifest, "format_version": 99})
    with pytest.raises(BackupError, match="format 99"):
        backup_restore(archive, settings_dict=target(tmp_path / "new.sqlite3"), dirs=dirs)
    (tmp_path / "junk.tar.gz").write_bytes(b"not a backup")
    with pytest.raises(BackupError, match="not an Outside-In backup"):
        read_manifest(tmp_path / "junk.tar.gz")


def test_a_damaged_backup_leaves_the_target_and_files_as_they_were(archive, dirs, tmp_path):
    existing = tmp_path / "existing.sqlite3"
    with sqlite3.connect(existing) as db:
        db.execute("CREATE TABLE keep (x)")
        db.execute("INSERT INTO keep VALUES (42)")
    (dirs["imports"] / "acme" / "a.csv").write_text("current\n")
    rewrite(archive, database=b"SQLite format 3\x00" + b"\x07" * 5000)
    with pytest.raises(BackupError, match="database in the backup"):
        backup_restore(archive, settings_dict=target(existing), dirs=dirs, force=True)
    with sqlite3.connect(existing) as db:
        assert db.execute("SELECT x FROM keep").fetchall() == [(42,)]
    assert (dirs["imports"] / "acme" / "a.csv").read_text() == "current\n"


def test_the_commands_report_errors_plainly(archive, tmp_path):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="not empty"):
        call_command("restore", str(archive))
    with pytest.raises(CommandError, match="does not exist"):
        call_command("backup", str(tmp_path / "nowhere" / "b.tar.gz"))


def test_an_older_backup_restores_and_asks_for_migrate(archive, dirs, tmp_path):
    manifest = read_manifest(archive)
    manifest["migrations"] = [m for m in manifest["migrations"] if m != ["arena", "0001_initial"]]
    rewrite(archive, manifest=manifest)
    result = backup_restore(archive, settings_dict=target(tmp_path / "new.sqlite3"), dirs=dirs)
    assert result.older_migrations
