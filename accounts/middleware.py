"""Staff session time-outs: after a period without requests, and a fixed time after login.

Django's own expiry slides: every session write moves it forward. Here a staff session
remembers when its user logged in (``LOGIN_AT_KEY``) and when it last saw a request
(``SEEN_KEY``); past ``SESSION_COOKIE_AGE`` after login or ``SESSION_IDLE_TIMEOUT``
without a request the user is logged out and sent to the login page with a message.
The login also pins the session's expiry to an absolute moment, so the cookie and the
stored session end at the same time.

Customers who came in through a magic link have no user in their session and are left
alone: their session lasts as long as their link allowed (``accounts.views.MagicLinkView``).
"""

import time
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout, user_logged_in
from django.dispatch import receiver
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django_htmx.http import HttpResponseClientRedirect

LOGIN_AT_KEY = "_login_at"
SEEN_KEY = "_seen_at"
# The last-seen time is written at most once a minute: a session save on every request
# would contend with long writes for SQLite's single writer (see accounts.tenancy).
SEEN_RESOLUTION = 60


@receiver(user_logged_in, dispatch_uid="accounts.session_login_time")
def _remember_login_time(sender, request, user, **kwargs):
    """Stamp the new session with its login time and pin its expiry to an absolute moment."""
    if request is None or not hasattr(request, "session"):
        return
    now = int(time.time())
    request.session[LOGIN_AT_KEY] = now
    request.session[SEEN_KEY] = now
    request.session.set_expiry(timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE))


def session_expired(session, now: int) -> str | None:
    """Return why the staff ``session`` has ended ("idle" or "absolute"), or None."""
    login_at = session.get(LOGIN_AT_KEY)
    seen = session.get(SEEN_KEY)
    if login_at is not None and now - login_at > settings.SESSION_COOKIE_AGE:
        return "absolute"
    if seen is not None and now - seen > settings.SESSION_IDLE_TIMEOUT:
        return "idle"
    return None


class SessionTimeoutMiddleware:
    """Log a staff user out after inactivity or a fixed time after login."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and SESSION_KEY in session:
            now = int(time.time())
            reason = session_expired(session, now)
            if reason is not None:
                return self.expired(request, reason)
            if LOGIN_AT_KEY not in session:  # a session from before the time-outs existed
                session[LOGIN_AT_KEY] = now
            if now - session.get(SEEN_KEY, 0) >= SEEN_RESOLUTION:
                session[SEEN_KEY] = now
        return self.get_response(request)

    def expired(self, request, reason: str):
        logout(request)
        if reason == "idle":
            messages.info(request, _("You were logged out after a period of inactivity. "
                                     "Log in again to continue."))
        else:
            messages.info(request, _("Your session has ended. Log in again to continue."))
        login_url = reverse("accounts:login")
        if request.method == "GET" and not request.headers.get("HX-Request"):
            login_url += "?" + urlencode({"next": request.get_full_path()})
        if request.headers.get("HX-Request"):
            return HttpResponseClientRedirect(login_url)
        return HttpResponseRedirect(login_url)


class WebSocketSessionTimeout:
    """The same time-outs for the live rooms' sockets (ASGI middleware inside channels'
    ``AuthMiddlewareStack``).

    A socket of a staff session that has ended is anonymous (the room refuses it as it
    refuses a visitor who is not logged in), and messages over an open socket count as
    activity: a facilitator may run a room for an hour without loading a page, and must not
    find themselves logged out when they do.
    """

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        from channels.db import database_sync_to_async
        from django.contrib.auth.models import AnonymousUser

        session = scope.get("session")
        if session is None:
            return await self.app(scope, receive, send)
        touch = database_sync_to_async(_touch_session)
        expired, seen = await database_sync_to_async(_socket_session_state)(session)
        if expired:
            scope = dict(scope, user=AnonymousUser())
            return await self.app(scope, receive, send)
        last = {"at": seen}

        async def receive_and_touch():
            message = await receive()
            if message.get("type") == "websocket.receive" and time.time() - last["at"] >= SEEN_RESOLUTION:
                last["at"] = time.time()
                await touch(session.session_key)
            return message

        return await self.app(scope, receive_and_touch, send)


def _socket_session_state(session) -> tuple[bool, float]:
    """Return whether the socket's staff session has ended, and when it last saw a request."""
    expired = SESSION_KEY in session and session_expired(session, int(time.time())) is not None
    return expired, session.get(SEEN_KEY, 0)


def _touch_session(session_key: str | None) -> None:
    """Note a request now in the stored session, read afresh so that nothing a page wrote
    to it meanwhile is overwritten."""
    from importlib import import_module

    if not session_key:
        return
    store = import_module(settings.SESSION_ENGINE).SessionStore(session_key)
    if SESSION_KEY not in store or session_expired(store, int(time.time())) is not None:
        return
    store[SEEN_KEY] = int(time.time())
    store.save()
