"""The staff session time-outs also hold for the live rooms' sockets."""

import time

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from django.conf import settings
from django.contrib.sessions.backends.db import SessionStore
from django.test import Client

from accounts.middleware import SEEN_KEY, WebSocketSessionTimeout
from accounts.models import Role

pytestmark = pytest.mark.django_db(transaction=True)


class Inner:
    """A stand-in for the room consumer: remembers the user it saw and the messages."""

    def __init__(self):
        self.users, self.messages = [], []

    async def __call__(self, scope, receive, send):
        self.users.append(scope["user"])
        while True:
            message = await receive()
            self.messages.append(message)
            if message["type"] == "websocket.disconnect":
                return


def staff_session_key(membership) -> str:
    browser = Client()
    browser.force_login(membership.user, backend="accounts.backends.EmailBackend")
    return browser.cookies[settings.SESSION_COOKIE_NAME].value


def age(key: str, seen_ago: int) -> None:
    store = SessionStore(key)
    store[SEEN_KEY] = int(time.time()) - seen_ago
    store.save()


def run_socket(key: str, messages: list[dict]) -> Inner:
    inner = Inner()
    scope = {"type": "websocket", "session": SessionStore(key), "user": "the logged-in user"}

    async def scenario():
        app = ApplicationCommunicator(WebSocketSessionTimeout(inner), scope)
        for message in [*messages, {"type": "websocket.disconnect", "code": 1000}]:
            await app.send_input(message)
        await app.wait(2)

    async_to_sync(scenario)()
    return inner


def test_socket_of_an_idle_staff_session_is_anonymous(org, make_member):
    key = staff_session_key(make_member(org, Role.EMPLOYEE))
    age(key, settings.SESSION_IDLE_TIMEOUT + 1)
    inner = run_socket(key, [{"type": "websocket.connect"}])
    assert not inner.users[0].is_authenticated


def test_messages_over_a_socket_keep_the_session_alive(org, make_member):
    key = staff_session_key(make_member(org, Role.EMPLOYEE))
    age(key, settings.SESSION_IDLE_TIMEOUT - 60)
    inner = run_socket(key, [{"type": "websocket.connect"},
                             {"type": "websocket.receive", "text": "{}"}])
    assert inner.users == ["the logged-in user"]
    assert abs(SessionStore(key)[SEEN_KEY] - time.time()) < 5
    assert [m["type"] for m in inner.messages][-2:] == ["websocket.receive", "websocket.disconnect"]


def test_a_socket_does_not_overwrite_what_a_page_wrote_to_the_session(org, make_member):
    key = staff_session_key(make_member(org, Role.EMPLOYEE))
    age(key, 120)
    loaded = SessionStore(key)
    loaded.load()
    page = SessionStore(key)
    page["current_org"] = "elders"  # a page switched organisation while the socket was open
    page.save()
    inner = Inner()

    async def scenario():
        app = ApplicationCommunicator(WebSocketSessionTimeout(inner),
                                      {"type": "websocket", "session": loaded, "user": "u"})
        await app.send_input({"type": "websocket.connect"})
        await app.send_input({"type": "websocket.receive", "text": "{}"})
        await app.send_input({"type": "websocket.disconnect", "code": 1000})
        await app.wait(2)

    async_to_sync(scenario)()
    fresh = SessionStore(key)
    assert fresh["current_org"] == "elders"
    assert abs(fresh[SEEN_KEY] - time.time()) < 5
