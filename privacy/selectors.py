"""What Outside-In holds about one person (AVG/GDPR right of access and portability).

A person is found by e-mail address within one organisation: as a customer contact
(``org.Contact``) and/or as an employee (``accounts.Membership`` and its user). Every table
that points at a contact, a customer, a membership or a user is found by introspection
(``apps.get_models()``), so a table added later is exported without anyone listing it
here; ``EXCLUDED`` names the few links left out on purpose, with the reason.
"""

from __future__ import annotations

import csv
import datetime
import decimal
import io
import json
import re
import uuid
import zipfile
from collections import deque
from dataclasses import dataclass, field

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models
from django.db.models.functions import Cast
from django.utils import timezone

from accounts.models import Membership, Organisation
from insights.exports import neutralise
from org.models import Contact, Customer

# (model label, field name) -> why that link is not part of a person's export.
EXCLUDED: dict[tuple[str, str], str] = {
    ("admin.LogEntry", "user"): "Django's site-administration log is for site administrators, "
                                "not organisation data; it is not scoped to an organisation.",
}

# Columns that are never exported: secrets that would let the reader act as the person.
SECRET_WORDS = ("password", "hash", "secret", "token_digest")

CONTACT, CUSTOMER, MEMBERSHIP, USER = "contact", "customer", "membership", "user"


class PersonNotFound(LookupError):
    """Nobody with that e-mail address is held in that organisation."""


def _target_kinds() -> dict[type[models.Model], str]:
    return {Contact: CONTACT, Customer: CUSTOMER, Membership: MEMBERSHIP, get_user_model(): USER}


def person_links() -> list[tuple[type[models.Model], models.Field, str]]:
    """Every (model, field, kind) whose field is a foreign key or many-to-many to a person table."""
    kinds = _target_kinds()
    links = []
    for model in apps.get_models():
        for f in model._meta.get_fields():
            if f.auto_created or not (f.many_to_one or f.one_to_one or f.many_to_many):
                continue
            if not (f.concrete or f.many_to_many):
                continue
            kind = kinds.get(f.related_model)
            if kind:
                links.append((model, f, kind))
    return links


def dependent_links() -> list[tuple[type[models.Model], models.Field]]:
    """Tables that hang off a person's survey responses (follow-ups, analyses)."""
    response = apps.get_model("research", "Response")
    return [(model, f) for model in apps.get_models() for f in model._meta.get_fields()
            if f.concrete and not f.auto_created and (f.many_to_one or f.one_to_one)
            and f.related_model is response]


_org_paths: dict[type[models.Model], str | None] = {}


def organisation_path(model: type[models.Model]) -> str | None:
    """The lookup from ``model`` to its organisation (``organisation``, ``room__organisation``, …)."""
    if model in _org_paths:
        return _org_paths[model]
    if model is Organisation:
        _org_paths[model] = "pk"
        return "pk"
    found = None
    queue = deque([(model, "", 0)])
    seen = {model}
    while queue and found is None:
        current, prefix, depth = queue.popleft()
        fks = [f for f in current._meta.get_fields()
               if f.concrete and (f.many_to_one or f.one_to_one) and f.related_model is not None]
        for f in fks:
            if f.related_model is Organisation:
                found = f"{prefix}{f.name}"
                break
        if found is None and depth < 3:
            for f in fks:
                if f.related_model not in seen and not f.null:
                    seen.add(f.related_model)
                    queue.append((f.related_model, f"{prefix}{f.name}__", depth + 1))
    _org_paths[model] = found
    return found


def scoped(model: type[models.Model], organisation):
    """All rows of ``model`` of ``organisation`` (``None`` when the table has no organisation)."""
    path = organisation_path(model)
    if path is None:
        return None
    manager = model._base_manager
    return manager.filter(**{path: organisation.pk})


@dataclass
class Person:
    organisation: object
    email: str
    contacts: list = field(default_factory=list)
    customers: list = field(default_factory=list)
    memberships: list = field(default_factory=list)
    users: list = field(default_factory=list)

    def ids(self, kind: str) -> list[int]:
        return [obj.pk for obj in getattr(self, kind + "s")]

    @property
    def names(self) -> list[str]:
        names = {c.name.strip() for c in self.contacts} | {u.name.strip() for u in self.users}
        return sorted((n for n in names if len(n) >= 3), key=len, reverse=True)


def person_find(organisation, email: str) -> Person:
    """The contacts and memberships with that e-mail address; ``PersonNotFound`` if none."""
    email = (email or "").strip()
    if not email:
        raise PersonNotFound("No e-mail address given.")
    contacts = list(Contact.objects.filter(customer__organisation=organisation, email__iexact=email)
                    .select_related("customer"))
    memberships = list(Membership.objects.filter(organisation=organisation, user__email__iexact=email)
                       .select_related("user"))
    if not contacts and not memberships:
        raise PersonNotFound(f"Nobody with e-mail address {email} in {organisation.slug}.")
    # The customer record (and what hangs on it) is the person's only when they are its only
    # person: a company's record, its other contacts and their answers belong to others,
    # and an export must not disclose them (being the primary contact does not change that).
    customers = [contact.customer for contact in contacts
                 if not contact.customer.contacts.exclude(pk=contact.pk).exists()]
    return Person(organisation, email, contacts, customers, memberships, [m.user for m in memberships])


def _value(value):
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return None
    return value


def row(obj: models.Model) -> dict:
    """A row as a plain dict of its columns, secrets left out."""
    data = {}
    for f in obj._meta.concrete_fields:
        if any(word in f.name.lower() for word in SECRET_WORDS):
            continue
        data[f.attname] = _value(getattr(obj, f.attname))
    for f in obj._meta.many_to_many:
        data[f.name] = sorted(getattr(obj, f.name).values_list("pk", flat=True))
    return data


def _statement_rooms(person: Person):
    """Rooms whose state holds statements captured about one of the person's contacts."""
    room_model = apps.get_model("live", "Room")
    contact_ids = set(person.ids(CONTACT))
    if not contact_ids:
        return []
    rooms = []
    for room in room_model.objects.filter(organisation=person.organisation):
        held = (room.state or {}).get("statements") or {}
        values = held.values() if isinstance(held, dict) else held
        statements = [s for s in values if isinstance(s, dict) and s.get("customer") in contact_ids]
        if statements:
            rooms.append({"room": room.pk, "title": room.title, "statements": statements})
    return rooms


def person_rows(person: Person) -> dict[str, dict[int, models.Model]]:
    """Every row held about the person, per table label, keyed by primary key."""
    tables: dict[str, dict[int, models.Model]] = {}

    def add(objs):
        for obj in objs:
            tables.setdefault(obj._meta.label, {})[obj.pk] = obj

    add(person.contacts)
    add(person.customers)
    add(person.memberships)
    add(person.users)
    for model, f, kind in person_links():
        if (model._meta.label, f.name) in EXCLUDED:
            continue
        ids = person.ids(kind)
        if not ids:
            continue
        qs = scoped(model, person.organisation)
        if qs is None:
            if kind != USER:
                continue
            qs = model._base_manager.all()
        add(qs.filter(**{f"{f.name}__in": ids}).distinct())
    responses = list(tables.get("research.Response", {}).keys())
    if responses:
        for model, f in dependent_links():
            add(model._base_manager.filter(**{f"{f.name}__in": responses}))
    # Rows that point at any of these through a generic relation (evidence of a response).
    from django.contrib.contenttypes.fields import GenericForeignKey
    from django.contrib.contenttypes.models import ContentType

    held = {label: list(rows) for label, rows in tables.items()}
    for model in apps.get_models():
        for gfk in (f for f in model._meta.private_fields if isinstance(f, GenericForeignKey)):
            qs = scoped(model, person.organisation)
            if qs is None:
                continue
            for label, pks in held.items():
                content_type = ContentType.objects.get_for_model(apps.get_model(label))
                add(qs.filter(**{gfk.ct_field: content_type, f"{gfk.fk_field}__in": pks}))
    # Rows whose free text names the person or their e-mail address.
    add(rows_mentioning(person))
    return tables


TEXT_FIELDS = (models.CharField, models.TextField, models.JSONField)


def text_fields(model) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if isinstance(f, TEXT_FIELDS) and not f.choices]


def words_pattern(words) -> re.Pattern | None:
    """``words`` (names, e-mail addresses) as whole words, case-insensitive; None if none."""
    words = sorted({w.strip() for w in words if w and w.strip()}, key=len, reverse=True)
    if not words:
        return None
    escaped = [re.escape(w) for w in words]
    return re.compile(r"(?<![\w.+-])(?:" + "|".join(escaped) + r")(?![\w-])", re.IGNORECASE)


def mention_pattern(person: Person) -> re.Pattern:
    """The person's full names and e-mail address as whole words, case-insensitive."""
    return words_pattern([*person.names, person.email])


def rows_mentioning(person: Person):
    """Every row of the organisation with the person's name or e-mail address in a text column."""
    words = [w.lower() for w in [*person.names, person.email] if w]
    pattern = mention_pattern(person)
    for model in apps.get_models():
        fields = text_fields(model)
        qs = scoped(model, person.organisation) if fields else None
        if qs is None:
            continue
        # Narrow down in the database: JSON as text, its words both as written and as
        # JSON-escaped (SQLite stores non-ASCII as \\uXXXX, PostgreSQL does not).
        q = models.Q()
        for f in fields:
            column = f.name
            if isinstance(f, models.JSONField):
                column = f"_privacy_{f.name}"
                qs = qs.annotate(**{column: Cast(f.name, models.TextField())})
            for word in words:
                q |= models.Q(**{f"{column}__icontains": word})
                escaped = json.dumps(word)[1:-1]
                if isinstance(f, models.JSONField) and escaped != word:
                    q |= models.Q(**{f"{column}__icontains": escaped})
        qs = qs.filter(q)
        for obj in qs.iterator():
            for f in fields:
                value = getattr(obj, f.attname)
                if value is None:
                    continue
                text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                if pattern.search(text):
                    yield obj
                    break


def person_data(organisation, email: str) -> dict:
    """Everything held about the person with ``email`` in ``organisation``, as one JSON-able dict."""
    person = person_find(organisation, email)
    tables = person_rows(person)
    data = {
        "organisation": organisation.slug,
        "email": person.email,
        "generated_at": timezone.now().isoformat(),
        "tables": {label: [row(obj) for _pk, obj in sorted(rows.items())]
                   for label, rows in sorted(tables.items())},
        "statements_about": _statement_rooms(person),
    }
    return data


def person_summary(data: dict) -> list[tuple[str, str, int]]:
    """(what, table, number of rows) for the page; ``what`` in the reader's language."""
    from django.utils.text import capfirst
    from django.utils.translation import gettext as _

    summary = [(capfirst(apps.get_model(label)._meta.verbose_name_plural), label, len(rows))
               for label, rows in data["tables"].items()]
    if data["statements_about"]:
        summary.append((_("Live statements about them"), "live.Room",
                        sum(len(r["statements"]) for r in data["statements_about"])))
    return sorted(summary, key=lambda item: str(item[0]).lower())


def export_json(data: dict) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True).encode()


def _cell(value):
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return neutralise(value)


def export_zip(data: dict) -> bytes:
    """A ZIP with one CSV per table (formula-like text neutralised)."""
    buffer = io.BytesIO()
    tables = dict(data["tables"])
    if data["statements_about"]:
        tables["live.Room.statements_about"] = [
            {"room": r["room"], "title": r["title"], "statement": s}
            for r in data["statements_about"] for s in r["statements"]]
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for label, rows in tables.items():
            headers = sorted({key for r in rows for key in r})
            out = io.StringIO()
            writer = csv.writer(out)
            writer.writerow(headers)
            for r in rows:
                writer.writerow([_cell(r.get(h)) for h in headers])
            archive.writestr(f"{label}.csv", out.getvalue())
    return buffer.getvalue()


# --- Retention ---------------------------------------------------------------------------

DEFAULT_RETENTION_MONTHS = 24


def months_before(moment: datetime.datetime, months: int) -> datetime.datetime:
    """``moment`` minus whole calendar months (the 31st becomes the month's last day)."""
    import calendar

    index = moment.year * 12 + (moment.month - 1) - months
    year, month = divmod(index, 12)
    month += 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def retention_policy_for(organisation):
    """The organisation's saved policy, or an unsaved default (24 months, on) for the form."""
    from privacy.models import RetentionPolicy

    policy = RetentionPolicy.objects.filter(organisation=organisation).first()
    return policy or RetentionPolicy(organisation=organisation, months=DEFAULT_RETENTION_MONTHS)


def retention_exceptions(organisation):
    from privacy.models import WaveRetention

    return WaveRetention.objects.filter(organisation=organisation).select_related("wave")


def kept_wave_ids(exceptions, today: datetime.date) -> set[int]:
    """The waves an exception keeps today: for good, or until a date not yet passed."""
    return {e.wave_id for e in exceptions if e.keep_until is None or e.keep_until >= today}


def retention_due(organisation, *, months: int, now: datetime.datetime,
                  kept_waves: set[int] | frozenset = frozenset()):
    """The organisation's responses given more than ``months`` before ``now`` that still hold
    their personal data, outside the kept waves.

    A response was given when it was submitted, else (a partial one) when it was created.
    """
    from django.db.models import Exists, OuterRef
    from django.db.models.functions import Coalesce

    from privacy.models import StrippedResponse
    from research.models import Response

    cutoff = months_before(now, months)
    return (Response.objects.filter(organisation=organisation)
            .annotate(_given=Coalesce("submitted_at", "created_at"))
            .filter(_given__lt=cutoff)
            .exclude(wave_id__in=list(kept_waves))
            .exclude(Exists(StrippedResponse.objects.filter(response=OuterRef("pk")))))


@dataclass(frozen=True)
class WaveCount:
    wave_id: int
    wave: str
    responses: int


def retention_preview(organisation, *, months: int, now: datetime.datetime,
                      kept_waves: set[int] | frozenset = frozenset()) -> list[WaveCount]:
    """How many responses per wave a run with these settings would strip now."""
    from django.db.models import Count

    rows = (retention_due(organisation, months=months, now=now, kept_waves=kept_waves)
            .order_by().values("wave_id", "wave__name").annotate(n=Count("pk"))
            .order_by("wave__name"))
    return [WaveCount(r["wave_id"], r["wave__name"], r["n"]) for r in rows]
