"""Erasure of a person (AVG/GDPR right to be forgotten).

``person_erase`` removes or irreversibly anonymises everything held about one person in
one organisation, in one transaction, while keeping every figure that counts: survey
scores, unit and wave stay (NPS per unit and wave is unchanged), actions keep their owner
(the anonymised membership), room logs keep their events.

Room events are append-only (``live.models.AppendOnly``). Erasure is the one sanctioned
exception: the law requires the name to go, so ``_redact_events`` rewrites only the text
inside the payload of events that name the person (and the room's cached state), through
the plain ``QuerySet`` that bypasses the append-only guard. Nothing else of an event
changes (type, sequence, actor role), so the log replays to the same state with the name
replaced; the process's fold checkpoints of those rooms are dropped.
"""

from __future__ import annotations

import logging
import re
import secrets

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import models, transaction

from accounts.models import Membership
from accounts.permissions import Capability, role_can
from privacy.selectors import (
    CONTACT,
    Person,
    PersonNotFound,
    mention_pattern,
    person_find,
    person_rows,
    rows_mentioning,
    text_fields,
)

log = logging.getLogger(__name__)

PLACEHOLDER = "Verwijderd persoon #{}"


def _placeholder() -> str:
    return PLACEHOLDER.format(secrets.token_hex(3))


def _scrub(value, pattern: re.Pattern, placeholder: str):
    """``value`` with every match replaced (strings, and strings inside JSON lists and dicts)."""
    if isinstance(value, str):
        return pattern.sub(placeholder, value)
    if isinstance(value, list):
        return [_scrub(v, pattern, placeholder) for v in value]
    if isinstance(value, dict):
        return {_scrub(k, pattern, placeholder): _scrub(v, pattern, placeholder) for k, v in value.items()}
    return value


def _sweep(person: Person, pattern: re.Pattern, placeholder: str) -> set[int]:
    """Replace the person's name and e-mail in every text column of the organisation's rows.

    Returns the ids of rooms whose events or state changed.
    """
    from live.models import Room, RoomEvent

    rooms: set[int] = set()
    for obj in list(rows_mentioning(person)):
        model = type(obj)
        changes = {}
        for f in text_fields(model):
            old = getattr(obj, f.attname)
            new = _scrub(old, pattern, placeholder)
            if new != old:
                if isinstance(f, models.EmailField):
                    new = f"verwijderd-{secrets.token_hex(4)}@example.invalid"
                changes[f.attname] = new
        if not changes:
            continue
        # A plain QuerySet: for room events this is the sanctioned redaction path (see above).
        models.QuerySet(model=model).filter(pk=obj.pk).update(**changes)
        if model is RoomEvent:
            rooms.add(obj.room_id)
        elif model is Room:
            rooms.add(obj.pk)
    return rooms


def _forget_checkpoints(rooms: set[int]) -> None:
    from live import selectors as live_selectors

    checkpoints = getattr(live_selectors, "_checkpoints", None)
    lock = getattr(live_selectors, "_checkpoints_lock", None)
    if checkpoints is None or lock is None:
        return
    with lock:
        for room_id in rooms:
            checkpoints.pop(room_id, None)


@transaction.atomic
def person_erase(*, organisation, email: str, actor=None) -> str:
    """Erase the person with ``email`` from ``organisation``; return the placeholder used.

    Erasing someone who was erased already raises ``PersonNotFound`` (their e-mail address
    is gone), so a second run changes nothing.
    """
    if actor is not None and (actor.organisation_id != organisation.pk
                              or not role_can(actor.role, Capability.MANAGE_PERSONAL_DATA)):
        raise PermissionDenied("Only an administrator may erase personal data.")
    person = person_find(organisation, email)
    if actor is not None and actor.pk in person.ids("membership"):
        raise ValueError("You cannot erase yourself; ask another administrator.")
    placeholder = _placeholder()
    pattern = mention_pattern(person)
    rows = person_rows(person)

    from accounts.models import ApiToken, MagicLink
    from portal.models import Contribution, PortalPreference
    from research.models import Response

    contact_ids = person.ids(CONTACT)
    # Survey answers: free text goes, scores, unit and wave stay (NPS unchanged).
    Response.objects.filter(pk__in=list(rows.get("research.Response", {}))).filter(
        contact_id__in=contact_ids).update(comment="", improvement="", external_id="")
    Contribution.objects.filter(contact_id__in=contact_ids).delete()
    PortalPreference.objects.filter(contact_id__in=contact_ids).delete()
    MagicLink.objects.filter(contact_id__in=contact_ids).delete()

    rooms = _sweep(person, pattern, placeholder)

    for contact in person.contacts:
        contact.name, contact.email, contact.phone, contact.job_title = placeholder, "", "", ""
        contact.save(update_fields=["name", "email", "phone", "job_title"])
    for customer in person.customers:
        if customer.email.lower() == person.email.lower():
            customer.email = ("" if customer.customer_number
                              else f"verwijderd-{secrets.token_hex(4)}@example.invalid")
            customer.save(update_fields=["email"])

    from safari.models import CalendarToken

    User = get_user_model()
    for membership in person.memberships:
        Membership.objects.filter(pk=membership.pk).update(is_active=False)
        CalendarToken.objects.filter(membership=membership).delete()
        user = membership.user
        elsewhere = user.memberships.exclude(organisation=organisation).filter(is_active=True).exists()
        if elsewhere:
            # The user works for another organisation too: only this membership ends.
            continue
        ApiToken.objects.filter(user=user).delete()
        user.set_unusable_password()
        User.objects.filter(pk=user.pk).update(
            name=placeholder, email=f"verwijderd-{secrets.token_hex(6)}@example.invalid",
            is_active=False, password=user.password)
    _forget_checkpoints(rooms)
    log.info("privacy: a person was erased in %s as %s", organisation.slug, placeholder)
    return placeholder


__all__ = ["PersonNotFound", "person_erase"]
