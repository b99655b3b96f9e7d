"""``outsidein check`` (the ops_check command) on a good and a bad configuration."""

import io
import json
import secrets

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from ops import checks


def run_check() -> tuple[dict[str, str], str | None]:
    """Run the command; return {check name: its line} and the error, if it failed."""
    out, error = io.StringIO(), None
    try:
        call_command("ops_check", stdout=out)
    except CommandError as failed:
        error = str(failed)
    lines = [line for line in out.getvalue().splitlines() if line.startswith(("OK", "FAIL"))]
    return {line[5:].split(":")[0]: line for line in lines}, error


@pytest.fixture
def production(settings, tmp_path):
    """A configuration fit for production (DEBUG off)."""
    static = tmp_path / "static"
    static.mkdir()
    paths = {path: path for path in checks._static_sources()}
    (static / "staticfiles.json").write_text(json.dumps({"paths": paths, "version": "1.1"}))
    settings.DEBUG = False
    settings.SECRET_KEY = secrets.token_urlsafe(60)
    settings.ALLOWED_HOSTS = ["cx.example.nl"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "smtp.example.nl"
    settings.STATIC_ROOT = static
    settings.STORAGES = {**settings.STORAGES, "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}}
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    settings.SESSION_COOKIE_SECURE = True
    settings.CSRF_COOKIE_SECURE = True
    settings.REDIS_URL = ""
    return settings


def test_a_production_configuration_passes_every_check(db, production):
    lines, error = run_check()
    assert error is None
    assert len(lines) == len(checks.CHECKS) and all(line.startswith("OK") for line in lines.values())
    assert "deployment checks" in lines["Django system checks (with deployment checks)"]
    assert "all migrations applied" in lines["database"]
    assert "manifest present" in lines["static files"]
    assert lines["DEBUG and ALLOWED_HOSTS"].endswith(": DEBUG off; serving cx.example.nl")


def test_development_defaults_pass_while_debug_is_on(db, settings):
    settings.DEBUG = True
    settings.REDIS_URL = ""
    lines, error = run_check()
    assert error is None and lines["e-mail"].startswith("OK") and "DEBUG is on" in lines["secret key"]


def test_development_defaults_fail_in_production(db, production, tmp_path):
    production.SECRET_KEY = "dev-only-insecure-key-never-used-in-production-0123456789abcdef"
    production.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    production.STATIC_ROOT = tmp_path / "not-collected"
    production.SECURE_HSTS_SECONDS = 0
    (tmp_path / "a-file").write_text("")
    production.IMPORT_DIR = tmp_path / "a-file" / "imports"
    lines, error = run_check()
    assert error is not None and error.startswith("5 of 10 checks failed")
    assert lines["secret key"].startswith("FAIL") and "development key" in lines["secret key"]
    assert lines["e-mail"].startswith("FAIL") and "console backend" in lines["e-mail"]
    assert lines["static files"].startswith("FAIL") and "collectstatic" in lines["static files"]
    assert lines["import directory"].startswith("FAIL") and "not writable" in lines["import directory"]
    system = lines["Django system checks (with deployment checks)"]
    assert system.startswith("FAIL") and "security.W004" in system
    assert lines["database"].startswith("OK") and lines["cache"].startswith("OK")


def test_unapplied_migrations_fail_the_database_check(db, production, monkeypatch):
    from django.db.migrations import Migration
    from django.db.migrations.executor import MigrationExecutor

    monkeypatch.setattr(MigrationExecutor, "migration_plan",
                        lambda self, targets: [(Migration("0099_later", "accounts"), False)])
    lines, error = run_check()
    assert error == "1 of 10 checks failed: database."
    assert "1 migration(s) not applied (first accounts.0099_later)" in lines["database"]


def test_unreachable_redis_fails_redis_and_the_channel_layer(db, production):
    production.REDIS_URL = "redis://127.0.0.1:1/0"
    production.CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer",
                                             "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]}}}
    lines, error = run_check()
    assert lines["Redis"].startswith("FAIL") and "not reachable" in lines["Redis"]
    assert lines["channel layer"].startswith("FAIL")
    assert error == "2 of 10 checks failed: Redis, channel layer."


def test_a_reachable_redis_round_trips_a_message(db, production):
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/0"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("Redis is unreachable")
    production.REDIS_URL = url
    production.CHANNEL_LAYERS = {"default": {"BACKEND": "channels_redis.core.RedisChannelLayer",
                                             "CONFIG": {"hosts": [url]}}}
    lines, error = run_check()
    assert error is None
    assert lines["Redis"] == "OK   Redis: reachable"
    assert "RedisChannelLayer" in lines["channel layer"]


def test_production_mode_fails_debug_and_open_hosts(db, production, settings):
    settings.DEBUG = True
    out = io.StringIO()
    with pytest.raises(CommandError, match="DEBUG and ALLOWED_HOSTS"):
        call_command("ops_check", "--production", stdout=out)
    assert "FAIL DEBUG and ALLOWED_HOSTS: DEBUG is on" in out.getvalue()
    lines, error = run_check()  # without --production, DEBUG on is development
    assert lines["DEBUG and ALLOWED_HOSTS"].startswith("OK") and "development" in lines[
        "DEBUG and ALLOWED_HOSTS"]

    settings.DEBUG = False
    settings.ALLOWED_HOSTS = ["*"]
    lines, error = run_check()
    assert lines["DEBUG and ALLOWED_HOSTS"].startswith("FAIL") and "'*'" in lines[
        "DEBUG and ALLOWED_HOSTS"]


def test_static_files_collected_before_an_upgrade_fail(db, production):
    manifest = production.STATIC_ROOT / "staticfiles.json"
    paths = json.loads(manifest.read_text())["paths"]
    del paths["js/live-room.js"]
    manifest.write_text(json.dumps({"paths": paths, "version": "1.1"}))
    lines, error = run_check()
    assert error == "1 of 10 checks failed: static files."
    assert "1 file(s) missing from the manifest (first js/live-room.js)" in lines["static files"]
