"""Writes to the audit log.

Callers record an event inside the transaction that makes the change, so an import that
rolls back leaves no entry claiming it happened; an event that changes nothing (a login,
an export) is written on its own.

``details`` holds counts, ids and short machine words only (``{"created": 12}``,
``{"from": "employee", "to": "admin"}``); ``audit_record`` refuses anything else, so a
name or an e-mail address cannot slip into the log by accident.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.db import models, transaction
from django.utils.crypto import salted_hmac

from accounts.models import Membership, Organisation
from audit.models import AuditAction, AuditEntry

# A detail that is text must be a short machine word: a status, a role, a format, a table.
_WORD = re.compile(r"^[a-z0-9_.:-]{0,40}$")
_IPV4 = re.compile(r"^\d{1,3}(?:\.\d{1,3}){3}$")
MAX_LIST = 1000


class DetailsInvalid(ValueError):
    """``details`` holds something other than counts, ids and short machine words."""


def email_hash(email: str) -> str:
    """The keyed hash (HMAC-SHA256 with SECRET_KEY) of a normalised e-mail address.

    The same address typed twice gives the same hash, so repeated failures can be grouped
    and an administrator who knows an address can find its failures; the address itself
    cannot be read back. Rotating SECRET_KEY changes every hash.
    """
    normalised = (email or "").strip().lower()
    return salted_hmac("audit.email", normalised, algorithm="sha256").hexdigest()


def _check_value(key: str, value) -> None:
    if value is None or isinstance(value, bool | int | float):
        return
    if isinstance(value, str):
        if not _WORD.match(value) or _IPV4.match(value):
            raise DetailsInvalid(f"details[{key!r}] must be a short machine word, not free text.")
        return
    if isinstance(value, list | tuple):
        if len(value) > MAX_LIST:
            raise DetailsInvalid(f"details[{key!r}] holds more than {MAX_LIST} items.")
        for item in value:
            if isinstance(item, list | tuple | dict):
                raise DetailsInvalid(f"details[{key!r}] may not nest.")
            _check_value(key, item)
        return
    raise DetailsInvalid(f"details[{key!r}] has an unsupported type {type(value).__name__}.")


def details_check(details: dict | None) -> dict:
    """Return ``details`` as a plain dict, or raise ``DetailsInvalid``."""
    details = dict(details or {})
    for key, value in details.items():
        if not isinstance(key, str) or not _WORD.match(key):
            raise DetailsInvalid(f"details key {key!r} must be a short machine word.")
        if isinstance(value, dict):
            for inner_key, inner in value.items():
                if not isinstance(inner_key, str) or not _WORD.match(inner_key):
                    raise DetailsInvalid(f"details[{key!r}] key {inner_key!r} must be a machine word.")
                _check_value(f"{key}.{inner_key}", inner)
        else:
            _check_value(key, value)
    return {k: list(v) if isinstance(v, tuple) else v for k, v in details.items()}


def _target(target) -> tuple[str, int | None]:
    if target is None:
        return "", None
    if isinstance(target, models.Model):
        return target._meta.model_name, target.pk
    kind, pk = target
    return str(kind), (int(pk) if pk is not None else None)


def _user(actor):
    """The user of ``actor`` (a Membership, a User or None)."""
    if actor is None:
        return None
    if isinstance(actor, Membership):
        return actor.user
    return actor if getattr(actor, "is_authenticated", False) else None


def _entry(*, action: str, organisation: Organisation | None, actor, target, details,
           subject_hash: str) -> AuditEntry:
    if action not in AuditAction.values:
        raise ValueError(f"Unknown audit action {action!r}; add it to audit.models.AuditAction.")
    target_type, target_id = _target(target)
    if not _WORD.match(target_type):
        raise DetailsInvalid("target_type must be a short machine word.")
    return AuditEntry(organisation=organisation, actor=_user(actor), action=action,
                      target_type=target_type, target_id=target_id,
                      details=details_check(details), subject_hash=subject_hash)


def audit_record(*, action: str, organisation: Organisation | None = None, actor=None,
                 target=None, details: dict | None = None, subject_hash: str = "") -> AuditEntry:
    """Record one event in the caller's transaction and return the entry.

    ``actor`` is a Membership, a User or None (the system, a command); ``target`` is a model
    instance or a ``("kind", id)`` pair; ``details`` holds counts, ids and machine words only.
    """
    entry = _entry(action=action, organisation=organisation, actor=actor, target=target,
                   details=details, subject_hash=subject_hash)
    entry.save()
    return entry


def audit_record_many(*, action: str, organisation: Organisation | None, actor=None,
                      items: Iterable[tuple[object, dict | None]]) -> int:
    """Record one event per ``(target, details)`` of ``items`` with a few bulk inserts (an
    import that changes thousands of roles); return how many."""
    entries = [_entry(action=action, organisation=organisation, actor=actor, target=target,
                      details=details, subject_hash="") for target, details in items]
    AuditEntry.objects.bulk_create(entries, batch_size=500)
    return len(entries)


def _organisations_of(user) -> list[Organisation | None]:
    """The organisations where ``user`` is an active member; ``[None]`` when there is none."""
    organisations = [m.organisation for m in Membership.objects.filter(user=user, is_active=True)
                     .select_related("organisation").order_by("organisation_id")]
    return organisations or [None]


@transaction.atomic
def login_record(*, user, action: str = AuditAction.LOGIN_SUCCEEDED) -> int:
    """Record a login (or logout) of ``user``: one entry per organisation they are a member of.

    A login is not tied to one organisation, but each organisation's administrators must see
    their members' logins, and only their own: so the event is written once per active
    membership (with no organisation for a user who has none, e.g. a site administrator).
    """
    organisations = _organisations_of(user)
    AuditEntry.objects.bulk_create([
        _entry(action=action, organisation=organisation, actor=user, target=None, details=None,
               subject_hash="") for organisation in organisations])
    return len(organisations)


@transaction.atomic
def login_failed_record(*, email: str) -> int:
    """Record a failed login for the e-mail address typed; keep only its keyed hash.

    When the address belongs to a user, the entry names that user as its target (by id),
    once per organisation they are a member of, so its administrators see attempts on their
    members' accounts. An unknown address is recorded with no organisation.
    """
    from django.contrib.auth import get_user_model

    digest = email_hash(email)
    normalised = (email or "").strip().lower()
    user = (get_user_model().objects.filter(email__iexact=normalised).first()
            if normalised else None)
    organisations = _organisations_of(user) if user is not None else [None]
    target = ("user", user.pk) if user is not None else None
    AuditEntry.objects.bulk_create([
        _entry(action=AuditAction.LOGIN_FAILED, organisation=organisation, actor=None,
               target=target, details=None, subject_hash=digest) for organisation in organisations])
    return len(organisations)
