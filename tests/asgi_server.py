"""Serve the project over ASGI (HTTP and WebSockets) to a browser test, on a file database.

The live rooms need WebSockets, so a browser test serves the project's ASGI application
with uvicorn in a thread (Django's ``live_server`` is WSGI only). SQLite's test database
lives in memory, where the server's threads could only share it through SQLite's
shared cache, whose table locks fail at once instead of waiting; so for such a module
the test database is copied to a file (WAL, with a busy timeout, like production).

Bind both fixtures in a module marked ``django_db(transaction=True)``::

    from tests import asgi_server as serving

    file_database = serving.file_database
    asgi_server = serving.asgi_server
"""

import asyncio
import socket
import sqlite3
import threading
import time

import pytest


def _reconnect_loop_connections() -> None:
    """Close the connections Django made in this thread under an event loop.

    Django keeps connections in asgiref's thread-critical ``Local``: plain thread-local
    storage, except while an event loop runs in the thread, when it is a context
    variable of its own. Playwright's sync API runs one during a browser test, so the
    test's own queries use a second connection, opened to whichever database was
    current. Left open, it would serve the next module's test from the previous
    module's database. A coroutine run here reads that same store (a task starts with
    a copy of the context); closing its connections makes them reconnect, on their
    next query, to the database now configured.
    """
    from django.db import connections
    from django.db.backends.base.base import BaseDatabaseWrapper

    async def opened() -> list:
        return connections.all(initialized_only=True)

    for connection in asyncio.run(opened()):
        # SQLite's close() keeps an in-memory database open; this one must go.
        BaseDatabaseWrapper.close(connection)


@pytest.fixture(scope="module", autouse=True)
def file_database(django_db_setup, django_db_blocker, tmp_path_factory):
    """Serve this module's tests from a file copy of the SQLite test database.

    The in-memory database stays open (Django never closes it) and comes back
    afterwards, so the modules that run later see no difference. Other databases
    (PostgreSQL) are shared between threads as they are.
    """
    from django.db import connections

    with django_db_blocker.unblock():
        memory = connections["default"]
        if memory.vendor != "sqlite" or not memory.is_in_memory_db():
            yield None
            return
        path = tmp_path_factory.mktemp("room-db") / "test.sqlite3"
        memory.ensure_connection()
        target = sqlite3.connect(path)
        memory.connection.backup(target)
        target.close()
        shared = memory.settings_dict  # the dict every new connection is made from
        memory.settings_dict = dict(shared)
        memory_name = shared["NAME"]
        shared["NAME"] = str(path)
        connections["default"] = connections.create_connection("default")
        _reconnect_loop_connections()
    try:
        yield path
    finally:
        with django_db_blocker.unblock():
            connections["default"].close()
            shared["NAME"] = memory_name
            memory.settings_dict = shared
            connections["default"] = memory
            _reconnect_loop_connections()


@pytest.fixture
def asgi_server(file_database, transactional_db):
    """Serve the project's ASGI application (HTTP, static files, WebSockets) on a free port."""
    import uvicorn
    from channels.routing import ProtocolTypeRouter
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
    from django.core.asgi import get_asgi_application

    from outsidein.asgi import application as project

    app = ProtocolTypeRouter({
        "http": ASGIStaticFilesHandler(get_asgi_application()),
        "websocket": project.application_mapping["websocket"],
    })
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_level="warning",
                                           timeout_graceful_shutdown=2))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)
    sock.close()
