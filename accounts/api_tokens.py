"""Writes and lookups for REST API tokens.

A token acts as its user, with that user's role, inside the one organisation it was
created for. Only the token's SHA-256 is stored; the token itself is shown once.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.db import transaction
from django.http import Http404
from django.utils import timezone

from accounts.models import ApiToken, Membership, Organisation, User
from audit.models import AuditAction
from audit.services import audit_record

TOKEN_PREFIX = "oi_"
# Writing last_used_at on every request would turn each read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiTokenInvalid(ValueError):
    """A token request that cannot be honoured, with the reason."""


@transaction.atomic
def api_token_create(*, organisation: Organisation, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token for ``user`` in ``organisation``; return it and the token text.

    The token text is returned only here: it carries 256 bits from the operating
    system's CSPRNG and only its hash is stored.
    """
    name = (name or "").strip()
    if not name:
        raise ApiTokenInvalid("A token needs a name.")
    if len(name) > ApiToken._meta.get_field("name").max_length:
        raise ApiTokenInvalid("The name is too long.")
    if not Membership.objects.active().filter(organisation=organisation, user=user).exists():
        raise ApiTokenInvalid("Only an active member of the organisation can hold a token.")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    api_token = ApiToken.objects.create(organisation=organisation, user=user, name=name,
                                        token_hash=ApiToken.hash_token(token))
    audit_record(action=AuditAction.API_TOKEN_CREATED, organisation=organisation, actor=user,
                 target=api_token)
    return api_token, token


@transaction.atomic
def api_token_revoke(*, api_token: ApiToken, actor=None) -> ApiToken:
    """Revoke a token; it stops working on the next request. Revoking twice is harmless."""
    if api_token.revoked_at is None:
        api_token.revoked_at = timezone.now()
        revoked = ApiToken.objects.filter(pk=api_token.pk, revoked_at__isnull=True).update(
            revoked_at=api_token.revoked_at)
        if revoked:
            audit_record(action=AuditAction.API_TOKEN_REVOKED, organisation=api_token.organisation,
                         actor=actor, target=api_token)
    return api_token


def api_token_authenticate(token: str) -> ApiToken | None:
    """Return the usable token for ``token`` with ``.membership`` set, else None.

    A token is refused when it is revoked, unknown, or its user or membership is no
    longer active. ``last_used_at`` is written at most once a minute.
    """
    if not token or len(token) > 200:
        return None
    api_token = (ApiToken.objects.usable().select_related("organisation", "user")
                 .filter(token_hash=ApiToken.hash_token(token)).first())
    if api_token is None:
        return None
    membership = (Membership.objects.active().select_related("organisation", "user", "unit")
                  .filter(organisation_id=api_token.organisation_id, user_id=api_token.user_id)
                  .first())
    if membership is None:
        return None
    now = timezone.now()
    if api_token.last_used_at is None or now - api_token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
        api_token.last_used_at = now
    api_token.membership = membership
    return api_token


def api_token_list(organisation: Organisation) -> list[ApiToken]:
    """Return the organisation's tokens, newest first, with their users."""
    return list(ApiToken.objects.filter(organisation=organisation).select_related("user")
                .order_by("-created_at", "-pk"))


def access_api_token_by_id(organisation: Organisation, pk) -> ApiToken:
    """Return the organisation's token ``pk`` or raise 404."""
    api_token = (ApiToken.objects.filter(organisation=organisation).select_related("user")
                 .filter(pk=pk).first())
    if api_token is None:
        raise Http404
    return api_token
