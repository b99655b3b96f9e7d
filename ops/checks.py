"""``outsidein check``: is this installation configured and connected as it should be?

Each check returns a ``Check`` (name, ok, reason). Checks that only matter in production
(static files collected, a real e-mail backend, a real secret key, Django's deployment
checks) pass with "not needed while DEBUG is on" in development; ``run_all(production=True)``
(``outsidein check --production``) fails DEBUG itself.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

DEV_SECRET_MARKERS = ("dev-only-insecure", "django-insecure")
NOT_REAL_MAIL = {
    "django.core.mail.backends.console.EmailBackend":
        "the console backend prints e-mail instead of sending it",
    "django.core.mail.backends.dummy.EmailBackend": "the dummy backend drops every e-mail",
    "django.core.mail.backends.locmem.EmailBackend": "the in-memory backend keeps e-mail in the process",
    "django.core.mail.backends.filebased.EmailBackend": "the file backend writes e-mail to files",
}


@dataclass
class Check:
    name: str
    ok: bool
    reason: str

    def line(self) -> str:
        return f"{'OK  ' if self.ok else 'FAIL'} {self.name}: {self.reason}"


def _system() -> Check:
    from django.core import checks

    deploy = not settings.DEBUG
    messages = [m for m in checks.run_checks(include_deployment_checks=deploy)
                if m.level >= checks.WARNING and not m.is_silenced()]
    name = "Django system checks" + (" (with deployment checks)" if deploy else "")
    if messages:
        shown = "; ".join(f"{m.id}: {m.msg}" for m in messages[:3])
        more = f" (and {len(messages) - 3} more)" if len(messages) > 3 else ""
        return Check(name, False, f"{len(messages)} issue(s): {shown}{more}")
    return Check(name, True, "no issues")


def _mode(production: bool = False) -> Check:
    name = "DEBUG and ALLOWED_HOSTS"
    if settings.DEBUG:
        if production:
            return Check(name, False, "DEBUG is on: error pages would show code and settings; "
                                      "set DEBUG=0")
        return Check(name, True, "DEBUG is on (development); set DEBUG=0 in production")
    hosts = list(settings.ALLOWED_HOSTS)
    if not hosts:
        return Check(name, False, "ALLOWED_HOSTS is empty; set it to the site's host name")
    if "*" in hosts:
        return Check(name, False, "ALLOWED_HOSTS allows any host ('*'); name the site's hosts")
    return Check(name, True, f"DEBUG off; serving {', '.join(hosts)}")


def _database() -> Check:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    name = "database"
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        executor = MigrationExecutor(connection)
        plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as error:  # noqa: BLE001 - any failure to reach the database is the answer
        return Check(name, False, f"not reachable: {error}")
    if plan:
        first = plan[0][0]
        return Check(name, False, f"{len(plan)} migration(s) not applied (first {first.app_label}."
                                  f"{first.name}); run 'outsidein manage migrate'")
    return Check(name, True, f"{connection.vendor} reachable, all migrations applied")


def _redis() -> Check:
    url = getattr(settings, "REDIS_URL", "")
    if not url:
        return Check("Redis", True, "not configured (REDIS_URL unset): live rooms work in one "
                                    "process only; set it to serve with --workers 2 or more")
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
    try:
        client.ping()
    except redis.RedisError as error:
        return Check("Redis", False, f"not reachable at the configured REDIS_URL: {error}")
    finally:
        client.close()
    return Check("Redis", True, "reachable")


def _channel_layer() -> Check:
    from channels.layers import ChannelLayerManager

    name = "channel layer"
    try:
        layer = ChannelLayerManager()["default"]
    except Exception as error:  # noqa: BLE001
        return Check(name, False, f"cannot be set up: {error}")
    if layer is None:
        return Check(name, False, "not configured (CHANNEL_LAYERS has no default)")
    token = secrets.token_hex(8)

    async def roundtrip():
        try:
            channel = await layer.new_channel()
            await layer.send(channel, {"type": "ops.check", "token": token})
            return await asyncio.wait_for(layer.receive(channel), timeout=5)
        finally:
            close = getattr(layer, "close_pools", None)
            if close:
                await close()

    try:
        message = asyncio.run(roundtrip())
    except Exception as error:  # noqa: BLE001
        return Check(name, False, f"a message did not make the round trip: {error!r}")
    if message.get("token") != token:
        return Check(name, False, "a different message came back")
    return Check(name, True, f"a message made the round trip ({type(layer).__name__})")


def _cache() -> Check:
    from django.core.cache import cache

    key, value = f"outsidein-check-{secrets.token_hex(8)}", secrets.token_hex(8)
    try:
        cache.set(key, value, 30)
        found = cache.get(key)
        cache.delete(key)
    except Exception as error:  # noqa: BLE001
        return Check("cache", False, f"not reachable: {error}")
    if found != value:
        return Check("cache", False, "a stored value did not come back")
    return Check("cache", True, "stores and returns a value")


def _static() -> Check:
    name = "static files"
    if settings.DEBUG:
        return Check(name, True, "not needed while DEBUG is on")
    from django.contrib.staticfiles.storage import staticfiles_storage

    read = getattr(staticfiles_storage, "read_manifest", None)
    if read is None:
        root = Path(settings.STATIC_ROOT)
        if root.is_dir() and any(root.iterdir()):
            return Check(name, True, f"collected in {root}")
        return Check(name, False, f"{root} is empty; run 'outsidein manage collectstatic'")
    try:
        manifest = read()
    except Exception as error:  # noqa: BLE001
        return Check(name, False, f"the manifest cannot be read: {error}")
    if not manifest:
        return Check(name, False,
                     f"no manifest in {settings.STATIC_ROOT}; run 'outsidein manage collectstatic'")
    try:
        listed = set(json.loads(manifest).get("paths", {}))
    except (ValueError, AttributeError):
        return Check(name, False, "the manifest is not valid JSON; run 'outsidein manage collectstatic'")
    missing = sorted(set(_static_sources()) - listed)
    if missing:
        # A page naming one of these would fail with a server error.
        return Check(name, False, f"collected before an upgrade: {len(missing)} file(s) missing "
                                  f"from the manifest (first {missing[0]}); run "
                                  f"'outsidein manage collectstatic'")
    return Check(name, True, f"collected (manifest present, {len(listed)} files)")


def _static_sources() -> list[str]:
    """Every static file the finders know of (what collectstatic would collect)."""
    from django.contrib.staticfiles.finders import get_finders

    found = []
    for finder in get_finders():
        for path, _storage in finder.list(["CVS", ".*", "*~"]):
            found.append(path.replace("\\", "/"))
    return found


def _email() -> Check:
    name = "e-mail"
    backend = settings.EMAIL_BACKEND
    if settings.DEBUG:
        return Check(name, True, f"not needed while DEBUG is on ({backend.rsplit('.', 2)[-2]})")
    if backend in NOT_REAL_MAIL:
        return Check(name, False, f"{NOT_REAL_MAIL[backend]}; set EMAIL_BACKEND and EMAIL_HOST")
    if backend.endswith("smtp.EmailBackend") and not settings.EMAIL_HOST:
        return Check(name, False, "SMTP without EMAIL_HOST")
    return Check(name, True, f"{backend} via {settings.EMAIL_HOST}:{settings.EMAIL_PORT}")


def _secret_key() -> Check:
    name = "secret key"
    if settings.DEBUG:
        return Check(name, True, "not needed while DEBUG is on")
    key = settings.SECRET_KEY
    if any(marker in key for marker in DEV_SECRET_MARKERS):
        return Check(name, False, "the development key is in use; set SECRET_KEY")
    if len(key) < 50 or len(set(key)) < 5:
        return Check(name, False, "too short or too simple (at least 50 characters)")
    return Check(name, True, "set")


def _import_dir() -> Check:
    folder = Path(settings.IMPORT_DIR)
    name = "import directory"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".check-") as handle:
            handle.write(b"ok")
            handle.flush()
    except OSError as error:
        return Check(name, False, f"{folder} is not writable: {error}")
    return Check(name, True, f"{folder} is writable")


CHECKS: list[Callable[[], Check]] = [_system, _mode, _database, _redis, _channel_layer, _cache,
                                     _static, _email, _secret_key, _import_dir]


def run_all(*, production: bool = False) -> list[Check]:
    """Run every check; ``production``: the installation must be in production mode."""
    results = []
    for check in CHECKS:
        try:
            results.append(check(production) if check is _mode else check())
        except Exception as error:  # noqa: BLE001 - a broken check is a failed check, not a crash
            results.append(Check(check.__name__.strip("_"), False, f"the check itself failed: {error!r}"))
    return results
