"""CSV imports of customers and people: all or nothing, every error reported.

Both importers read the whole file, validate every row against lookups fetched
once, and write only when no row has an error — in one transaction, with bulk
inserts and updates, so a few thousand rows take a second or two. The pages and the
``import_customers`` / ``import_people`` commands share them.

Files come from Excel as often as from other tools: UTF-8 with or without a byte
order mark, or Windows-1252 from a Dutch Excel, separated by commas, semicolons or
tabs. Header names are matched without regard to case, spaces or underscores.
"""

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.models import Membership, Organisation, Role, User
from audit.models import AuditAction
from audit.services import audit_record, audit_record_many
from org.models import Contact, Customer, CustomerKind, Unit

MAX_FILE_BYTES = 10 * 1024 * 1024
BATCH = 500
DELIMITERS = (",", ";", "\t")


@dataclass(frozen=True)
class RowError:
    """One problem in an import file; ``line`` is None for a problem with the whole file."""

    line: int | None
    column: str
    message: str

    def __str__(self) -> str:
        where = _("line %(line)s") % {"line": self.line} if self.line else _("file")
        if self.column:
            where = f"{where}, {self.column}"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    errors: list[RowError]
    dry_run: bool

    @property
    def ok(self) -> bool:
        return not self.errors


class _FileProblem(Exception):
    def __init__(self, error: RowError):
        super().__init__(error.message)
        self.error = error


# ---------------------------------------------------------------------------
# Reading the file


def decode(data: bytes) -> str:
    """Decode UTF-8 (with or without BOM), else Windows-1252; raise _FileProblem otherwise."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as error:
        raise _FileProblem(RowError(None, "", _(
            "The file is neither UTF-8 nor Windows-1252 text (unreadable byte at position "
            "%(position)s). Save it from your spreadsheet as “CSV UTF-8” and try again."
        ) % {"position": error.start + 1})) from error


def sniff_delimiter(text: str) -> str:
    """Pick the delimiter (comma, semicolon or tab) that occurs most in the header line."""
    header = text.lstrip("\r\n").splitlines()[0] if text.strip() else ""
    # Ignore delimiters inside quoted header names.
    header = re.sub(r'"[^"]*"', "", header)
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def normalise_header(name: str) -> str:
    """Return a header name lower-cased with spaces, hyphens and underscores unified."""
    return re.sub(r"[\s_\-]+", "_", name.strip().lower()).strip("_")


@dataclass(frozen=True)
class _Row:
    line: int
    values: dict[str, str]

    def get(self, column: str) -> str:
        return (self.values.get(column) or "").strip()


def read_rows(data: bytes, *, required: Iterable[str | tuple[str, ...]],
              known: Iterable[str], aliases: dict[str, str] | None = None) -> list[_Row]:
    """Parse ``data`` into rows keyed by normalised column names.

    ``required`` holds column names, or tuples of which at least one must be present.
    Raise _FileProblem for an unreadable or empty file and for missing columns.
    """
    text = decode(data)
    if "\x00" in text:
        raise _FileProblem(RowError(None, "", _(
            "This is not a CSV text file (it may be an Excel workbook). Save it from your "
            "spreadsheet as “CSV UTF-8” and try again."
        )))
    empty = _FileProblem(RowError(None, "", _("The file is empty.")))
    if not text.strip():
        raise empty
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text))
    try:
        header: list[str] = []
        while not any(cell.strip() for cell in header):
            header = next(reader, None)
            if header is None:
                raise empty
        header_line = reader.line_num
        aliases = aliases or {}
        columns = [aliases.get(normalise_header(h), normalise_header(h)) for h in header]
        present = set(columns)
        missing = []
        for need in required:
            options = (need,) if isinstance(need, str) else need
            if not present.intersection(options):
                missing.append(_(" or ").join(options))
        if missing:
            found = ", ".join(h.strip() for h in header if h.strip()) or "—"
            raise _FileProblem(RowError(header_line, "", _(
                "Missing required column(s): %(missing)s. The file has these columns: "
                "%(found)s. Expected columns: %(expected)s."
            ) % {"missing": ", ".join(missing), "found": found,
                 "expected": ", ".join(known)}))
        rows = []
        line = reader.line_num
        for cells in reader:
            start, line = line + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            values: dict[str, str] = {}
            for column, cell in zip(columns, cells, strict=False):
                if column and column not in values:
                    values[column] = cell
            rows.append(_Row(start, values))
    except csv.Error as error:
        raise _FileProblem(RowError(reader.line_num or None, "", _(
            "The file could not be read as CSV: %(error)s"
        ) % {"error": error})) from error
    if not rows:
        raise _FileProblem(RowError(None, "", _(
            "The file has a header line but no data rows."
        )))
    return rows


# ---------------------------------------------------------------------------
# Lookups shared by both importers


def _unit_lookup(organisation: Organisation):
    """Return a function mapping a unit code or name to (unit, error message)."""
    units = list(Unit.objects.for_organisation(organisation).order_by("path"))
    by_path = {u.path: u for u in units}
    by_code = {u.code.lower(): u for u in units if u.code}
    by_name: dict[str, list[Unit]] = {}
    for unit in units:
        by_name.setdefault(unit.name.strip().lower(), []).append(unit)

    def describe(unit: Unit) -> str:
        steps = [by_path[unit.path[:i]].name for i in range(Unit.steplen, len(unit.path),
                                                                Unit.steplen)
                 if unit.path[:i] in by_path]
        place = " › ".join([*steps[1:], unit.name]) if len(steps) > 1 else unit.name
        return f"{place} ({unit.code})" if unit.code else place

    def find(value: str) -> tuple[Unit | None, str]:
        key = value.strip().lower()
        if key in by_code:
            return by_code[key], ""
        matches = by_name.get(key, [])
        if len(matches) == 1:
            return matches[0], ""
        if matches:
            return None, _(
                "Unit name %(name)r matches more than one unit: %(units)s. Use the unit's code."
            ) % {"name": value, "units": _(" and ").join(describe(u) for u in matches)}
        return None, _("Unknown unit %(name)r: no unit of this organisation has that code "
                       "or name.") % {"name": value}

    return find


def _email_error(email: str) -> str:
    try:
        validate_email(email)
    except ValidationError:
        return _("%(email)r is not a valid e-mail address.") % {"email": email}
    return ""


def _too_long(row: _Row, column: str, limit: int, errors: list[RowError]) -> None:
    if len(row.get(column)) > limit:
        errors.append(RowError(row.line, column, _(
            "Longer than %(limit)s characters."
        ) % {"limit": limit}))


def _check_duplicates(rows: list[_Row], column: str, errors: list[RowError],
                      normalise=str.lower) -> None:
    first_line: dict[str, int] = {}
    for row in rows:
        value = normalise(row.get(column))
        if not value:
            continue
        if value in first_line:
            errors.append(RowError(row.line, column, _(
                "%(value)r appears twice in the file: on line %(first)s and on line %(line)s."
            ) % {"value": row.get(column), "first": first_line[value], "line": row.line}))
        else:
            first_line[value] = row.line


def _chunks(items: list, size: int = BATCH):
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _run(importer, *, organisation: Organisation, data: bytes, dry_run: bool,
         actor=None) -> ImportResult:
    if len(data) > MAX_FILE_BYTES:
        return ImportResult(0, 0, [RowError(None, "", _(
            "The file is larger than 10 MB. Split it into smaller files."
        ))], dry_run)
    try:
        return importer(organisation=organisation, data=data, dry_run=dry_run, actor=actor)
    except _FileProblem as problem:
        return ImportResult(0, 0, [problem.error], dry_run)


# ---------------------------------------------------------------------------
# Customers

CUSTOMER_COLUMNS = ("name", "email", "customer_number", "segment", "unit", "account_owner",
                    "kind")
CUSTOMER_ALIASES = {"e_mail": "email", "customernumber": "customer_number"}
KIND_VALUES = {
    "company": CustomerKind.COMPANY, "business": CustomerKind.COMPANY,
    "bedrijf": CustomerKind.COMPANY, "zakelijk": CustomerKind.COMPANY,
    "person": CustomerKind.PERSON, "private": CustomerKind.PERSON,
    "persoon": CustomerKind.PERSON, "particulier": CustomerKind.PERSON,
}


def import_customers(*, organisation: Organisation, data: bytes,
                     dry_run: bool = False, actor=None) -> ImportResult:
    """Create or update the organisation's customers from CSV ``data``.

    A row updates the customer with the same customer number, else the one with the
    same e-mail address (unless that one has another number); otherwise it creates
    one. Empty optional cells leave an existing customer's value as it is. A row with
    an e-mail address gives a customer without contacts a primary contact. An import
    that writes is recorded in the audit log (by ``actor``), in its own transaction.
    """
    return _run(_import_customers, organisation=organisation, data=data, dry_run=dry_run,
                actor=actor)


def _import_customers(*, organisation: Organisation, data: bytes, dry_run: bool,
                      actor=None) -> ImportResult:
    rows = read_rows(data, required=("name", ("email", "customer_number")),
                     known=CUSTOMER_COLUMNS, aliases=CUSTOMER_ALIASES)
    errors: list[RowError] = []
    find_unit = _unit_lookup(organisation)
    owners = {
        email.lower(): pk
        for pk, email in Membership.objects.active().for_organisation(organisation)
        .values_list("pk", "user__email")
    }

    numbers = {r.get("customer_number") for r in rows} - {""}
    emails = {r.get("email").lower() for r in rows} - {""}
    existing: dict[int, Customer] = {}
    for chunk_numbers, chunk_emails in _zip_chunks(sorted(numbers), sorted(emails)):
        found = (
            Customer.objects.for_organisation(organisation)
            .annotate(email_lower=Lower("email"))
            .filter(Q(customer_number__in=chunk_numbers) | Q(email_lower__in=chunk_emails))
        )
        existing.update({c.pk: c for c in found})
    by_number = {c.customer_number: c for c in existing.values() if c.customer_number}
    by_email: dict[str, Customer] = {}
    for customer in sorted(existing.values(), key=lambda c: c.pk):
        by_email.setdefault(customer.email.lower(), customer)

    _check_duplicates(rows, "customer_number", errors, normalise=str.strip)
    _check_duplicates(rows, "email", errors)

    plans: list[tuple[_Row, Customer | None, dict]] = []
    claimed: dict[int, int] = {}
    for row in rows:
        row_errors: list[RowError] = []
        name, email, number = row.get("name"), row.get("email").lower(), row.get("customer_number")
        if not name:
            row_errors.append(RowError(row.line, "name", _("A name is required.")))
        if not email and not number:
            row_errors.append(RowError(row.line, "email", _(
                "Give an e-mail address or a customer number (or both)."
            )))
        if email and (message := _email_error(email)):
            row_errors.append(RowError(row.line, "email", message))
        for column, limit in (("name", 200), ("customer_number", 60), ("segment", 80),
                              ("email", 254)):
            _too_long(row, column, limit, row_errors)
        values: dict = {}
        if kind := row.get("kind"):
            if kind.lower() in KIND_VALUES:
                values["kind"] = KIND_VALUES[kind.lower()]
            else:
                row_errors.append(RowError(row.line, "kind", _(
                    "Unknown kind %(kind)r: use company (bedrijf, zakelijk) or person "
                    "(persoon, particulier)."
                ) % {"kind": kind}))
        if unit_name := row.get("unit"):
            unit, message = find_unit(unit_name)
            if message:
                row_errors.append(RowError(row.line, "unit", message))
            values["unit"] = unit
        if owner := row.get("account_owner"):
            if owner.lower() in owners:
                values["account_owner_id"] = owners[owner.lower()]
            else:
                row_errors.append(RowError(row.line, "account_owner", _(
                    "No active person with e-mail address %(email)r in this organisation."
                ) % {"email": owner}))
        if segment := row.get("segment"):
            values["segment"] = segment
        if row_errors:
            errors.extend(row_errors)
            continue
        target = by_number.get(number) if number else None
        if target is None and email:
            candidate = by_email.get(email)
            if candidate is not None and (not number or not candidate.customer_number):
                target = candidate
        if target is not None:
            if target.pk in claimed:
                errors.append(RowError(row.line, "email" if not number else "customer_number", _(
                    "This row and line %(line)s both match existing customer %(name)r."
                ) % {"line": claimed[target.pk], "name": target.name}))
                continue
            claimed[target.pk] = row.line
        values["name"] = name
        if email:
            values["email"] = email
        if number:
            values["customer_number"] = number
        plans.append((row, target, values))

    if errors:
        return ImportResult(0, 0, sorted(errors, key=_error_order), dry_run)
    created = sum(1 for _row, target, _values in plans if target is None)
    updated = len(plans) - created
    if not dry_run:
        try:
            _write_customers(organisation, plans, actor=actor)
        except IntegrityError:
            return ImportResult(0, 0, [RowError(None, "", _(
                "Customers changed while the file was being imported; nothing was written. "
                "Try again."
            ))], dry_run)
    return ImportResult(created, updated, [], dry_run)


def _bulk_update(model, objs: list, fields: list[str]) -> None:
    """Write ``fields`` of ``objs`` with one ``UPDATE ... FROM (VALUES ...)`` per batch.

    Django's ``bulk_update`` builds a CASE WHEN per row and field: several seconds for a
    few thousand rows. SQLite (3.33+) and PostgreSQL both accept this form, and both
    name the columns of a VALUES list column1, column2, ...
    """
    if not objs:
        return
    meta, quote = model._meta, connection.ops.quote_name
    columns = [meta.pk, *(meta.get_field(name) for name in fields)]
    numeric = (models.AutoField, models.BigAutoField, models.ForeignKey, models.IntegerField)
    cells = ", ".join("CAST(%s AS bigint)" if isinstance(f, numeric) else "%s" for f in columns)
    assignments = ", ".join(f"{quote(f.column)} = v.column{i}"
                            for i, f in enumerate(columns[1:], start=2))
    table = quote(meta.db_table)
    batch = max(1, 999 // len(columns))  # SQLite's conservative parameter limit
    with connection.cursor() as cursor:
        for chunk in _chunks(objs, batch):
            params = [f.get_db_prep_save(getattr(obj, f.attname), connection)
                      for obj in chunk for f in columns]
            rows = ", ".join([f"({cells})"] * len(chunk))
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM (VALUES {rows}) AS v "
                f"WHERE {table}.{quote(meta.pk.column)} = v.column1",
                params,
            )


def _zip_chunks(a: list, b: list):
    steps = max(len(a), len(b), 1)
    for start in range(0, steps, BATCH):
        yield a[start:start + BATCH], b[start:start + BATCH]


@transaction.atomic
def _write_customers(organisation: Organisation, plans, *, actor=None) -> None:
    now = timezone.now()
    fields = ["name", "kind", "email", "customer_number", "segment", "unit", "account_owner",
              "updated_at"]
    new, changed, customers = [], [], []
    for _row, target, values in plans:
        customer = target or Customer(organisation=organisation)
        for key, value in values.items():
            setattr(customer, key, value)
        customer.updated_at = now
        (changed if target else new).append(customer)
        customers.append(customer)
    # SQLite (3.35+) and PostgreSQL both return the new ids from a bulk insert.
    Customer.objects.bulk_create(new, batch_size=BATCH)
    _bulk_update(Customer, changed, fields)

    # A row's e-mail address becomes the primary contact of a customer without contacts.
    with_email = [(c, v["email"]) for c, (_row, _t, v) in zip(customers, plans, strict=True)
                  if v.get("email")]
    have_contacts: set[int] = set()
    for chunk in _chunks([c.pk for c in changed]):
        have_contacts.update(
            Contact.objects.filter(customer_id__in=chunk).values_list("customer_id", flat=True)
        )
    contacts = Contact.objects.bulk_create(
        [Contact(customer=c, name=c.name, email=email, is_primary=True)
         for c, email in with_email if c.pk not in have_contacts],
        batch_size=BATCH,
    )
    audit_record(action=AuditAction.IMPORT_CUSTOMERS, organisation=organisation, actor=actor,
                 details={"created": len(new), "updated": len(changed),
                          "contacts_created": len(contacts)})


# ---------------------------------------------------------------------------
# People

PEOPLE_COLUMNS = ("name", "email", "role", "unit")
PEOPLE_ALIASES = {"e_mail": "email"}
ROLE_ALIASES = {
    "beheerder": Role.ADMIN, "administrator": Role.ADMIN, "admin": Role.ADMIN,
    "consultant": Role.CONSULTANT, "adviseur": Role.CONSULTANT,
    "board": Role.BOARD, "bestuur": Role.BOARD, "mt": Role.BOARD, "directie": Role.BOARD,
    "board/mt": Role.BOARD, "bestuur/mt": Role.BOARD,
    "manager": Role.MANAGER, "leidinggevende": Role.MANAGER,
    "employee": Role.EMPLOYEE, "medewerker": Role.EMPLOYEE,
    "moderator": Role.MODERATOR, "gespreksleider": Role.MODERATOR,
}


def _role_values() -> dict[str, str]:
    values = dict(ROLE_ALIASES)
    for language in ("en", "nl"):
        with translation.override(language):
            for value, label in Role.choices:
                values[str(label).strip().lower()] = value
    for value in Role.values:
        values[value] = value
    return values


def import_people(*, organisation: Organisation, data: bytes,
                  dry_run: bool = False, actor=None) -> ImportResult:
    """Create or update the organisation's people (memberships) from CSV ``data``.

    People are matched by e-mail address. Existing members get the row's name, role
    and unit; an empty role or unit cell leaves theirs as it is. New people get an
    account without a password (they set one through "Forgot your password?"). An import
    that writes is recorded in the audit log, with one entry per role it changed.
    """
    return _run(_import_people, organisation=organisation, data=data, dry_run=dry_run,
                actor=actor)


def _import_people(*, organisation: Organisation, data: bytes, dry_run: bool,
                   actor=None) -> ImportResult:
    rows = read_rows(data, required=("name", "email"), known=PEOPLE_COLUMNS,
                     aliases=PEOPLE_ALIASES)
    errors: list[RowError] = []
    find_unit = _unit_lookup(organisation)
    roles = _role_values()
    _check_duplicates(rows, "email", errors)

    emails = sorted({r.get("email").lower() for r in rows} - {""})
    users: dict[str, User] = {}
    members: dict[int, Membership] = {}
    for chunk in _chunks(emails):
        users.update({u.email.lower(): u for u in User.objects.annotate(e=Lower("email"))
                      .filter(e__in=chunk)})
    for chunk in _chunks([u.pk for u in users.values()]):
        members.update({m.user_id: m for m in Membership.objects.filter(
            organisation=organisation, user_id__in=chunk)})

    plans: list[tuple[_Row, dict]] = []
    for row in rows:
        row_errors: list[RowError] = []
        name, email = row.get("name"), row.get("email").lower()
        if not name:
            row_errors.append(RowError(row.line, "name", _("A name is required.")))
        if not email:
            row_errors.append(RowError(row.line, "email", _("An e-mail address is required.")))
        elif message := _email_error(email):
            row_errors.append(RowError(row.line, "email", message))
        _too_long(row, "name", 150, row_errors)
        values: dict = {"name": name, "email": email}
        if role := row.get("role"):
            if role.lower() in roles:
                values["role"] = roles[role.lower()]
            else:
                row_errors.append(RowError(row.line, "role", _(
                    "Unknown role %(role)r. Use one of: admin (beheerder), consultant, board "
                    "(bestuur, MT, directie), manager (leidinggevende), employee (medewerker), "
                    "moderator (gespreksleider)."
                ) % {"role": role}))
        if unit_name := row.get("unit"):
            unit, message = find_unit(unit_name)
            if message:
                row_errors.append(RowError(row.line, "unit", message))
            values["unit"] = unit
        if row_errors:
            errors.extend(row_errors)
        else:
            plans.append((row, values))

    if errors:
        return ImportResult(0, 0, sorted(errors, key=_error_order), dry_run)
    updated = sum(1 for _row, v in plans
                  if v["email"] in users and users[v["email"]].pk in members)
    created = len(plans) - updated
    if not dry_run:
        try:
            _write_people(organisation, plans, users, members, actor=actor)
        except IntegrityError:
            return ImportResult(0, 0, [RowError(None, "", _(
                "People changed while the file was being imported; nothing was written. "
                "Try again."
            ))], dry_run)
    return ImportResult(created, updated, [], dry_run)


@transaction.atomic
def _write_people(organisation: Organisation, plans, users: dict[str, User],
                  members: dict[int, Membership], *, actor=None) -> None:
    # New people log in after a password reset. One unusable-password marker serves the
    # whole batch: generating thousands of random ones costs seconds and buys nothing.
    unusable = make_password(None)
    new_users = [User(email=values["email"], name=values["name"], password=unusable)
                 for _row, values in plans if values["email"] not in users]
    User.objects.bulk_create(new_users, batch_size=BATCH)
    users = {**users, **{u.email: u for u in new_users}}

    renamed, new_members, changed, role_changes = [], [], [], []
    for _row, values in plans:
        user = users[values["email"]]
        if user.pk in members:
            member = members[user.pk]
            if user.name != values["name"]:
                user.name = values["name"]
                renamed.append(user)
            # Only touch what the row gives: reading member.unit would cost a query a row.
            if "role" in values:
                if values["role"] != member.role:
                    role_changes.append((member, member.role, values["role"]))
                member.role = values["role"]
            if "unit" in values:
                member.unit = values["unit"]
            changed.append(member)
        else:
            new_members.append(Membership(
                user=user, organisation=organisation, role=values.get("role", Role.EMPLOYEE),
                unit=values.get("unit"),
            ))
    _bulk_update(User, renamed, ["name"])
    _bulk_update(Membership, changed, ["role", "unit"])
    Membership.objects.bulk_create(new_members, batch_size=BATCH)
    audit_record(action=AuditAction.IMPORT_PEOPLE, organisation=organisation, actor=actor,
                 details={"created": len(new_members), "updated": len(changed),
                          "roles_changed": len(role_changes)})
    audit_record_many(action=AuditAction.ROLE_CHANGED, organisation=organisation, actor=actor,
                      items=[(member, {"from": was, "to": now, "by_import": True})
                             for member, was, now in role_changes])


def _error_order(error: RowError):
    return (error.line or 0, error.column)
