"""Erasure of a person (AVG/GDPR right to be forgotten).

``person_erase`` removes or irreversibly anonymises everything held about one person in
one organisation, in one transaction, while keeping every figure that counts: survey
scores, unit and wave stay (NPS per unit and wave is unchanged), actions keep their owner
(the anonymised membership), room logs keep their events.

Room events are append-only (``live.models.AppendOnly``). Erasure is the one sanctioned
exception: the law requires the name to go, so the text inside the payloads of events that
name the person (and the room's cached state) is rewritten through
``live.services.room_text_redact``. Nothing else of an event changes (type, sequence,
actor role), so the log replays to the same state with the name replaced.
"""

from __future__ import annotations

import datetime
import logging
import re
import secrets
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils import timezone

from accounts.models import Membership
from accounts.permissions import Capability, role_can
from audit.models import AuditAction
from audit.services import audit_record
from privacy import selectors
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


def _sweep(person: Person, pattern: re.Pattern, placeholder: str) -> None:
    """Replace the person's name and e-mail in every text column of the organisation's rows.

    Room logs go through the live engine's redaction (one call per room).
    """
    from live.models import Room, RoomEvent
    from live.services import room_text_redact

    events: dict[int, dict[int, dict]] = {}
    states: dict[int, dict] = {}
    for obj in list(rows_mentioning(person)):
        model = type(obj)
        if model is RoomEvent:
            events.setdefault(obj.room_id, {})[obj.pk] = _scrub(obj.payload, pattern, placeholder)
            continue
        if model is Room:
            states[obj.pk] = _scrub(obj.state, pattern, placeholder)
            obj.state = states[obj.pk]  # the generic pass below sees no change in it
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
        models.QuerySet(model=model).filter(pk=obj.pk).update(**changes)
    for room_id in events.keys() | states.keys():
        room_text_redact(room_id=room_id, events=events.get(room_id, {}), state=states.get(room_id))


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

    _sweep(person, pattern, placeholder)

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
    log.info("privacy: a person was erased in %s as %s", organisation.slug, placeholder)
    _audit(AuditAction.ERASURE, organisation=organisation, actor=actor,
           ids={"contacts": person.ids(CONTACT), "customers": person.ids("customer"),
                "memberships": person.ids("membership")})
    return placeholder


def person_export_record(*, organisation, data: dict, fmt: str, actor=None) -> None:
    """Record in the audit log that ``data`` (``selectors.person_data``) was exported."""
    tables = data.get("tables", {})
    ids = {"contacts": [r["id"] for r in tables.get("org.Contact", [])],
           "memberships": [r["id"] for r in tables.get("accounts.Membership", [])]}
    _audit(AuditAction.EXPORT_PERSONAL_DATA, organisation=organisation, actor=actor, ids=ids,
           extra={"format": fmt, "tables": len(tables),
                  "rows": sum(len(rows) for rows in tables.values())})


def _audit(action: str, *, organisation, actor, ids: dict[str, list[int]], extra=None) -> None:
    # The person is named by ids only: their membership if they have one, else a contact.
    target = (("membership", ids["memberships"][0]) if ids["memberships"]
              else ("contact", ids["contacts"][0]) if ids["contacts"] else None)
    audit_record(action=action, organisation=organisation, actor=actor, target=target,
                 details={**ids, **(extra or {})})


# --- Retention -------------------------------------------------------------------------------

STRIPPED = "[verwijderd]"
# Any e-mail address, and a run of digits, spaces, dashes and brackets that holds a phone
# number's 9 to 15 digits (fewer is a date range or an amount, left alone).
EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+(?![\w-])")
PHONE = re.compile(r"(?<![\w+])(?:\+|00)?\d[\d \-()./]{6,}\d(?!\w)")
BATCH = 500


def _phone(match: re.Match) -> str:
    digits = sum(c.isdigit() for c in match.group())
    return STRIPPED if 9 <= digits <= 15 else match.group()


class _Redactor:
    """Replace names and e-mail addresses of the organisation's people in free text.

    The names are those of the contacts of the response's customer (all of them: a
    company's comment may name a colleague), the customer's own e-mail address, and the
    organisation's employees; any e-mail address and phone number goes as well. A name
    is a full name as stored (first names alone are too common to find safely).
    """

    def __init__(self, organisation):
        from org.models import Contact, Customer

        staff = (Membership.objects.filter(organisation=organisation)
                 .values_list("user__name", "user__email"))
        self.staff = selectors.words_pattern(
            [w for name, email in staff for w in (name if len((name or "").strip()) >= 3 else "",
                                                  email)])
        self._contacts = Contact.objects.filter(customer__organisation=organisation)
        self._customers = Customer.objects.filter(organisation=organisation)
        self._by_customer: dict[int, re.Pattern | None] = {}

    def load(self, customer_ids: set[int]) -> None:
        """Build the name patterns of these customers (two queries for a batch)."""
        todo = {c for c in customer_ids if c is not None and c not in self._by_customer}
        if not todo:
            return
        words: dict[int, list[str]] = {c: [] for c in todo}
        for customer_id, name, email in self._contacts.filter(customer_id__in=todo).values_list(
                "customer_id", "name", "email"):
            words[customer_id] += [name if len((name or "").strip()) >= 3 else "", email]
        for customer_id, email in self._customers.filter(pk__in=todo).values_list("pk", "email"):
            words[customer_id].append(email)
        for customer_id, found in words.items():
            self._by_customer[customer_id] = selectors.words_pattern(found)

    def patterns(self, customer_id: int | None) -> list[re.Pattern]:
        found = [self._by_customer.get(customer_id), self.staff, EMAIL]
        return [p for p in found if p is not None]

    def text(self, value, customer_id: int | None):
        """``value`` (a string, or strings in JSON) with every name, address and number replaced."""
        for pattern in self.patterns(customer_id):
            value = _scrub(value, pattern, STRIPPED)
        if isinstance(value, str):
            value = PHONE.sub(_phone, value)
        return value

    def names_someone(self, value, customer_id: int | None) -> bool:
        return self.text(value, customer_id) != value


@dataclass(frozen=True)
class RetentionSummary:
    """What one retention run did (or, with ``dry_run``, would do) in one organisation.

    Counts and wave names only: no personal data, so it may be logged and shown.
    """

    organisation: str
    active: bool
    months: int
    dry_run: bool
    cutoff: datetime.datetime | None
    waves: tuple[selectors.WaveCount, ...] = ()

    @property
    def total(self) -> int:
        return sum(w.responses for w in self.waves)

    def as_dict(self) -> dict:
        return {"organisation": self.organisation, "active": self.active, "months": self.months,
                "dry_run": self.dry_run, "cutoff": self.cutoff.isoformat() if self.cutoff else None,
                "total": self.total,
                "waves": [{"wave": w.wave, "responses": w.responses} for w in self.waves]}


def _strip_batch(responses: list, redactor: _Redactor, now) -> None:
    """Strip one batch of responses (see ``RetentionPolicy``) and mark them stripped."""
    from django.contrib.contenttypes.models import ContentType

    from improvements.models import Evidence
    from privacy.models import StrippedResponse
    from research.models import FollowUp, Invitation, Response

    ids = [r.pk for r in responses]
    redactor.load({r.customer_id for r in responses})
    customer_of = {r.pk: r.customer_id for r in responses}
    for r in responses:
        customer_id = r.customer_id
        r.comment = redactor.text(r.comment, customer_id)
        r.improvement = redactor.text(r.improvement, customer_id)
        r.attributes = {key: value for key, value in (r.attributes or {}).items()
                        if not redactor.names_someone(value, customer_id)}
        r.customer_id = r.contact_id = None
        r.external_id = ""
    # One prepared UPDATE per row (executemany): ``bulk_update``'s CASE expressions cost
    # 3 ms a row to build, 20 times the rest of the work.
    from django.db import connection

    attributes = Response._meta.get_field("attributes")
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {quote(Response._meta.db_table)} SET comment = %s, improvement = %s, "
            "attributes = %s, customer_id = NULL, contact_id = NULL, external_id = '' WHERE id = %s",
            [(r.comment, r.improvement, attributes.get_db_prep_save(r.attributes, connection), r.pk)
             for r in responses])
    # The invitation is the other link between a contact and their answers.
    Invitation.objects.filter(response_id__in=ids).update(response=None)
    follow_ups = list(FollowUp.objects.filter(response_id__in=ids).exclude(outcome=""))
    for f in follow_ups:
        f.outcome = redactor.text(f.outcome, customer_of[f.response_id])
    FollowUp.objects.bulk_update(follow_ups, ["outcome"])
    evidence = list(Evidence.objects.filter(content_type=ContentType.objects.get_for_model(Response),
                                            object_id__in=ids).exclude(quote=""))
    for e in evidence:
        e.quote = redactor.text(e.quote, customer_of[e.object_id])
    Evidence.objects.bulk_update(evidence, ["quote"])
    stripped_at = StrippedResponse._meta.get_field("stripped_at").get_db_prep_save(now, connection)
    with connection.cursor() as cursor:
        # A run racing another (cron and the scheduler) marks a response once.
        cursor.executemany(
            f"INSERT INTO {quote(StrippedResponse._meta.db_table)} "
            "(response_id, organisation_id, wave_id, stripped_at) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT DO NOTHING",
            [(r.pk, r.organisation_id, r.wave_id, stripped_at) for r in responses])


def retention_run(*, organisation, now=None, dry_run: bool = False) -> RetentionSummary:
    """Strip the personal data of the organisation's responses older than its policy allows.

    Waves with a current exception are left alone; a response is stripped once (later runs
    skip it), so running again changes nothing. Scores, unit and wave stay: every figure per
    unit and wave is unchanged; the insights of the waves touched are refreshed (text
    analyses follow the anonymised comments). Without a saved, active policy nothing happens.
    """
    from privacy.models import RetentionPolicy
    from research.models import Wave

    now = now or timezone.now()
    policy = RetentionPolicy.objects.filter(organisation=organisation).first()
    if policy is None or not policy.is_active:
        months = policy.months if policy else selectors.DEFAULT_RETENTION_MONTHS
        return RetentionSummary(organisation.slug, False, months, dry_run, None)
    kept = selectors.kept_wave_ids(selectors.retention_exceptions(organisation),
                                   timezone.localdate(now))
    cutoff = selectors.months_before(now, policy.months)
    waves = tuple(selectors.retention_preview(organisation, months=policy.months, now=now,
                                              kept_waves=kept))
    summary = RetentionSummary(organisation.slug, True, policy.months, dry_run, cutoff, waves)
    if dry_run or not waves:
        return summary
    from audit.models import AuditAction
    from audit.services import audit_record
    from insights.services import responses_changed

    redactor = _Redactor(organisation)
    done = []
    for count in waves:
        # One short transaction per batch, walking the wave by primary key: SQLite's one
        # writer is never held for a whole wave, and a failure keeps the batches done
        # (they are marked; the next run goes on from there). Figures cannot move between
        # batches: scores and units are never touched.
        wave = Wave.objects.get(pk=count.wave_id)
        due = (selectors.retention_due(organisation, months=policy.months, now=now, kept_waves=kept)
               .filter(wave=wave).order_by("pk")
               .only("pk", "organisation_id", "wave_id", "customer_id", "contact_id", "comment",
                     "improvement", "attributes", "external_id"))
        stripped, last = 0, 0
        while True:
            with transaction.atomic():
                batch = list(due.filter(pk__gt=last)[:BATCH])
                if not batch:
                    break
                _strip_batch(batch, redactor, now)
            stripped += len(batch)
            last = batch[-1].pk
        if stripped:
            # Text analyses follow the anonymised comments; figures are recomputed equal.
            responses_changed(wave=wave)
            audit_record(action=AuditAction.RETENTION_STRIPPED, organisation=organisation,
                         target=("wave", wave.pk), details={"responses": stripped,
                                                            "months": policy.months})
        done.append(selectors.WaveCount(count.wave_id, count.wave, stripped))
    summary = RetentionSummary(organisation.slug, True, policy.months, False, cutoff,
                               tuple(w for w in done if w.responses))
    log.info("privacy: retention stripped %d responses in %s (%d waves)", summary.total,
             organisation.slug, len(summary.waves))
    return summary


def retention_run_all(*, now=None) -> dict:
    """Run retention for every organisation with an active policy; counts per organisation.

    One organisation's failure is logged and does not stop the others.
    """
    from privacy.models import RetentionPolicy

    result = {}
    policies = RetentionPolicy.objects.filter(is_active=True).select_related("organisation")
    for policy in policies.order_by("organisation__slug"):
        try:
            summary = retention_run(organisation=policy.organisation, now=now)
        except Exception:
            log.exception("privacy: retention failed in %s", policy.organisation.slug)
            result[policy.organisation.slug] = None
        else:
            result[policy.organisation.slug] = summary.total
    return result


@transaction.atomic
def retention_policy_save(*, organisation, actor, months: int, is_active: bool,
                          exceptions: list[dict]):
    """Save the organisation's policy and replace its per-wave exceptions.

    ``exceptions`` are dicts with ``wave`` (a wave of the organisation), ``keep_until``
    (a date, or None for never) and ``reason``.
    """
    from privacy.models import RetentionPolicy, WaveRetention

    _check_admin(organisation, actor)
    if not 1 <= int(months) <= 240:
        raise ValueError("Months must be from 1 to 240.")
    for item in exceptions:
        if item["wave"].organisation_id != organisation.pk:
            raise ValueError("A wave of another organisation.")
        if not (item.get("reason") or "").strip():
            raise ValueError("An exception needs a reason.")
    user = actor.user if actor is not None else None
    policy, _created = RetentionPolicy.objects.update_or_create(
        organisation=organisation,
        defaults={"months": int(months), "is_active": bool(is_active), "updated_by": user,
                  "updated_at": timezone.now()})
    from audit.models import AuditAction
    from audit.services import audit_record

    audit_record(action=AuditAction.RETENTION_POLICY_CHANGED, organisation=organisation,
                 actor=actor, target=policy, details={
                     "months": policy.months, "active": policy.is_active,
                     "exceptions": len(exceptions)})
    keep = {item["wave"].pk for item in exceptions}
    WaveRetention.objects.filter(organisation=organisation).exclude(wave_id__in=keep).delete()
    for item in exceptions:
        WaveRetention.objects.update_or_create(
            wave=item["wave"], defaults={"organisation": organisation,
                                         "keep_until": item.get("keep_until"),
                                         "reason": item["reason"].strip()[:300],
                                         "created_by": user})
    return policy


def _check_admin(organisation, actor) -> None:
    if actor is not None and (actor.organisation_id != organisation.pk
                              or not role_can(actor.role, Capability.MANAGE_PERSONAL_DATA)):
        raise PermissionDenied("Only an administrator may manage personal data.")


__all__ = ["PersonNotFound", "RetentionSummary", "person_erase", "person_export_record",
           "retention_policy_save", "retention_run", "retention_run_all"]
