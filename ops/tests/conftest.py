"""Fixtures for the tests that start real servers against PostgreSQL and Redis (``cluster``)."""

from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from ops.tests import cluster


@dataclass
class Base:
    template: str  # a migrated database to copy
    static: Path  # collected static files (the manifest storage needs them with DEBUG off)

    def env(self, tmp: Path, database_url: str, redis_url: str = "", **extra: str) -> dict:
        return cluster.environment(tmp, database_url, redis_url, STATIC_ROOT=str(self.static), **extra)


@pytest.fixture(scope="session")
def ops_base(tmp_path_factory):
    """A migrated PostgreSQL template database and collected static files, made once.

    Only in the PostgreSQL half of ``make test``: the SQLite half skips these tests (their
    servers need a database several processes share, which is what production runs on).
    """
    if django_settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("needs PostgreSQL: runs in the PostgreSQL half of make test")
    cluster.pg_admin().close()  # or skip: PostgreSQL is unreachable
    tmp = tmp_path_factory.mktemp("ops-base")
    template = cluster.migrated_template(tmp)
    try:
        base = Base(template=template, static=tmp / "static")
        cluster.collect_static(tmp, base.env(tmp, f"{cluster.PG_BASE}/{template}"))
        yield base
    finally:
        cluster.drop_database(template)


@pytest.fixture
def shared_redis():
    """The shared Redis (``.ci/run`` starts it), database ``cluster.REDIS_DB``, emptied."""
    pytest.importorskip("redis")
    import redis

    url = f"redis://127.0.0.1:6379/{cluster.REDIS_DB}"
    if not cluster.redis_reachable(url):
        pytest.skip("Redis is unreachable at 127.0.0.1:6379")
    client = redis.Redis.from_url(url)
    client.flushdb()
    yield url
    client.flushdb()
    client.close()


@pytest.fixture
def private_redis(tmp_path):
    """A ``redis-server`` of the test's own, which the test may stop and start again."""
    if not Path(cluster.REDIS_SERVER).exists():
        pytest.skip(f"{cluster.REDIS_SERVER} is not installed")
    server = cluster.PrivateRedis(tmp_path / "redis")
    try:
        server.start()
        yield server
    finally:
        server.kill()
