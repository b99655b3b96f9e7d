"""Rate limits per IP address or per user, counted in the cache in fixed windows.

The limits come from ``settings.RATE_LIMITS`` as ``"requests/seconds"`` per scope
(``"0/60"`` turns a scope off). A fixed window is cheap and shared by every worker when
the cache is Redis; it lets at most twice the limit through around a window's edge,
which is enough to stop guessing and scraping. Only a keyed hash of the IP address or
user id is used in the cache key: nothing personal is stored or logged.

Use ``@rate_limited("scope")`` on a view method; an exceeded limit answers 429 with a
Dutch page and ``Retry-After``.
"""

import functools
import hashlib
import hmac
import logging
import time

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.core.cache import cache
from django.shortcuts import render

logger = logging.getLogger(__name__)

DEFAULT_LIMITS = {"login": "100/600", "magic_link": "60/600", "survey": "600/600", "export": "30/600"}


def limit_for(scope: str) -> tuple[int, int]:
    """Return (requests, seconds) for ``scope`` from the settings."""
    value = getattr(settings, "RATE_LIMITS", {}).get(scope) or DEFAULT_LIMITS.get(scope, "0/60")
    count, _sep, seconds = str(value).partition("/")
    return int(count), max(1, int(seconds or 60))


def client_ip(request) -> str:
    return get_client_ip_address(request) or request.META.get("REMOTE_ADDR", "") or "unknown"


def rate_limit_hit(*, scope: str, key: str) -> int | None:
    """Count one request for ``key`` in ``scope``; return the seconds to wait when it is
    over the limit, else None."""
    limit, window = limit_for(scope)
    if limit <= 0:
        return None
    now = time.time()
    digest = hmac.new(settings.SECRET_KEY.encode(), f"{scope}:{key}".encode(),
                      hashlib.sha256).hexdigest()[:32]
    cache_key = f"rl:{scope}:{digest}:{int(now // window)}"
    try:
        count = _count(cache_key, window)
    except Exception:  # noqa: BLE001 - the cache (Redis) is down
        # Open, not closed: survey answers and logins keep working while Redis is away;
        # failed logins are still counted by axes, in the database.
        logger.warning("rate limit %s not counted: the cache is unreachable", scope)
        return None
    if count <= limit:
        return None
    return max(1, int(window - now % window))


def _count(cache_key: str, window: int) -> int:
    if cache.add(cache_key, 1, window + 5):
        return 1
    try:
        return cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.add(cache_key, 1, window + 5)
        return 1


def request_key(request, by: str) -> str:
    if by == "user" and getattr(request, "user", None) is not None and request.user.is_authenticated:
        return f"user:{request.user.pk}"
    return f"ip:{client_ip(request)}"


def too_many_requests(request, retry_after: int):
    response = render(request, "accounts/rate_limited.html",
                      {"retry_minutes": max(1, round(retry_after / 60))}, status=429)
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    return response


def rate_limited(scope: str, *, by: str = "ip"):
    """Decorate a class-based view's method: count each call per IP address (``by="ip"``)
    or per logged-in user (``by="user"``) and answer 429 over the limit."""

    def decorate(method):
        @functools.wraps(method)
        def wrapper(self, request, *args, **kwargs):
            retry_after = rate_limit_hit(scope=scope, key=request_key(request, by))
            if retry_after is not None:
                return too_many_requests(request, retry_after)
            return method(self, request, *args, **kwargs)

        return wrapper

    return decorate
