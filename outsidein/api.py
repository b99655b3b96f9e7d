"""The REST API: one NinjaAPI, bearer-token authentication, a per-token rate limit and
one error shape, ``{"detail": ..., "errors": [...]}``, for every failure.

The OpenAPI schema is served at ``/api/v1/openapi.json``. The interactive docs page is
off: it loads its script from a CDN, which our content security policy forbids.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer
from ninja.throttling import BaseThrottle

from accounts.api_tokens import api_token_authenticate
from research.api import ApiError
from research.api import router as research_router

DEFAULT_RATE_LIMIT_PER_MINUTE = 600


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <token>`` → the token, with ``.membership`` set."""

    def authenticate(self, request, token: str):
        return api_token_authenticate(token.strip())


class TokenRateThrottle(BaseThrottle):
    """At most ``API_RATE_LIMIT_PER_MINUTE`` requests per token per clock minute.

    A fixed window in the cache: cheap, shared by every worker when the cache is
    Redis, and good enough to stop a runaway script (a sliding window would be fairer
    at the window's edge, at the price of a list per token).
    """

    def allow_request(self, request) -> bool:
        token = getattr(request, "auth", None)
        if token is None:
            return True
        limit = getattr(settings, "API_RATE_LIMIT_PER_MINUTE", DEFAULT_RATE_LIMIT_PER_MINUTE)
        now = time.time()
        key = f"api-rate:{token.pk}:{int(now // 60)}"
        cache.add(key, 0, timeout=120)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=120)
            count = 1
        request._api_retry_after = 60 - now % 60
        return count <= limit

    def wait(self) -> float | None:
        return None  # the handler below sets Retry-After from the request


api = NinjaAPI(
    title="Outside-In API",
    version="1",
    description="Read research waves and their responses, and post responses. "
                "Authenticate with `Authorization: Bearer <token>`; an administrator "
                "creates tokens under Research → API tokens.",
    urls_namespace="api",
    docs_url=None,
    auth=TokenAuth(),
    throttle=TokenRateThrottle(),
)
api.add_router("/", research_router)


def _error(request, status: int, detail: str, errors=None):
    return api.create_response(request, {"detail": detail, "errors": errors or []},
                               status=status)


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    if isinstance(exc, AuthenticationError):
        response = _error(request, 401, "Missing, invalid or revoked token.")
        response["WWW-Authenticate"] = 'Bearer realm="api"'
        return response
    if exc.status_code == 429:
        response = _error(request, 429, "Too many requests; slow down.")
        retry = getattr(request, "_api_retry_after", 60)
        response["Retry-After"] = str(max(1, int(retry + 0.999)))
        return response
    return _error(request, exc.status_code, str(exc), getattr(exc, "errors", None))


@api.exception_handler(Http404)
def _not_found(request, exc: Http404):
    return _error(request, 404, "Not found.")


def _validation_item(error: dict) -> dict:
    """Turn a pydantic error location into ``index`` (of a posted list) and ``field``."""
    loc = list(error.get("loc", ()))
    source = loc.pop(0) if loc else ""
    if source == "body" and loc:
        loc.pop(0)  # the body parameter's name
    index = None
    if loc and loc[0] in ("one", "many"):
        if loc.pop(0) == "many" and loc and isinstance(loc[0], int):
            index = loc.pop(0)
    return {"index": index, "field": ".".join(str(part) for part in loc) or str(source),
            "message": str(error.get("msg", "is invalid"))}


@api.exception_handler(ValidationError)
def _invalid(request, exc: ValidationError):
    return _error(request, 422, "The request is invalid.",
                  [_validation_item(e) for e in exc.errors])


__all__ = ["api", "ApiError"]
