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
