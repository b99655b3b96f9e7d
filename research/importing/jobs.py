"""Import jobs: store an upload, run the import (dry, all-or-nothing or skip-invalid), report.

``import_run`` streams the file once. Each row is parsed with per-column parsers that
memoise distinct cell texts, matched to customers and units through dictionaries
loaded once, checked for duplicate response ids, and handed in batches to the bulk
writer inside ONE transaction. All-or-nothing mode rolls that transaction back when
any row is invalid (it keeps validating, so every problem is reported); skip-invalid
mode writes the valid rows and puts the rejected ones, with their reasons, in a CSV
next to the upload.

Progress goes to the cache (``import_progress`` reads it), and on PostgreSQL also to
the job row through a second connection, because the import's own transaction is
not visible to the page until it commits. SQLite allows one writer at a time, so
there the row only gets its final figures.
"""

from __future__ import annotations

import csv
import hashlib
import json
import logging
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.db import close_old_connections, connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Organisation
from org.models import Contact, Customer, Level, Unit, UnitKind
from research.importing.cells import (
    Cached,
    CellInvalid,
    parse_comparison,
    parse_datetime,
    parse_nps,
    parse_yes_no,
    rating_parser,
)
from research.importing.errors import ImportFileError, MappingInvalid, RowError
from research.importing.mapping import Mapping, propose_mapping
from research.importing.reading import SourceTable, check_size, read_table
from research.importing.writing import ResponseWriter
from research.models import (
    ImportJob,
    JobStatus,
    MappingProfile,
    Response,
    ResponseSource,
    ResponseStatus,
    Wave,
)
from research.services import follow_ups_create, questionnaire_spec

logger = logging.getLogger(__name__)

BATCH_ROWS = 5000
MAX_REPORTED_ERRORS = 1000
MAX_EXTERNAL_ID = 100
MAX_ATTRIBUTE_CHARS = 200
PROGRESS_SECONDS = 2.0
CACHE_SECONDS = 24 * 60 * 60


@dataclass(frozen=True)
class ImportOptions:
    """How to import: ``dry_run`` writes nothing; ``skip_invalid`` writes the valid rows
    (default: all or nothing); ``create_units`` creates unknown units as teams."""

    skip_invalid: bool = False
    create_units: bool = False
    dry_run: bool = False

    def to_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict | None) -> ImportOptions:
        data = data or {}
        return cls(**{k: bool(data.get(k, False)) for k in ("skip_invalid", "create_units",
                                                              "dry_run")})


# --- Upload and start ---------------------------------------------------------------------

def _chunks(upload):
    if isinstance(upload, str | Path):
        with Path(upload).open("rb") as handle:
            while chunk := handle.read(1024 * 1024):
                yield chunk
    else:
        yield from upload.chunks()


def _upload_size(upload) -> int | None:
    if isinstance(upload, str | Path):
        return Path(upload).stat().st_size
    return getattr(upload, "size", None)


def import_prepare(*, organisation: Organisation, wave: Wave, actor, upload,
                   original_name: str) -> ImportJob:
    """Store ``upload`` (an UploadedFile or a Path), detect its layout, propose a mapping
    and return the new job (status uploaded). ``actor`` is a Membership, User or None.

    Raise ImportFileError (and keep nothing) when the file cannot be imported.
    """
    if wave.organisation_id != organisation.pk:
        raise ValueError("The wave belongs to another organisation.")
    size = _upload_size(upload)
    if size is not None:
        check_size(size)
    folder = Path(settings.IMPORT_DIR) / organisation.slug
    folder.mkdir(parents=True, exist_ok=True)
    stored = folder / uuid.uuid4().hex
    digest, written = hashlib.sha256(), 0
    try:
        with stored.open("wb") as handle:
            for chunk in _chunks(upload):
                written += len(chunk)
                check_size(written)
                digest.update(chunk)
                handle.write(chunk)
        table = read_table(stored)
        spec = questionnaire_spec(wave)
        profile = (MappingProfile.objects.for_organisation(organisation)
                   .filter(layout=table.layout).order_by("-created_at").first())
        mapping = propose_mapping(table, spec, saved=profile.mapping if profile else None)
        if wave.is_anonymous:
            # An anonymous wave links no customer: do not even propose the column.
            mapping.customer = None
        user = getattr(actor, "user", actor)
        return ImportJob.objects.create(
            organisation=organisation, wave=wave, created_by=user,
            original_name=(original_name or stored.name)[:255], stored_path=str(stored),
            size=written, sha256=digest.hexdigest(), layout=table.layout,
            mapping=mapping.to_json(), rows_total=table.rows_estimate,
        )
    except BaseException:
        stored.unlink(missing_ok=True)
        raise


def job_table(job: ImportJob) -> SourceTable:
    """Return the job's stored file as a SourceTable (for previews and mapping screens)."""
    return read_table(Path(job.stored_path))


def import_configure(*, job: ImportJob, mapping: Mapping, options: ImportOptions,
                     save_mapping_as: str | None = None, actor=None) -> ImportJob:
    """Validate and store the mapping and options, and mark the job queued (not run).

    Raise MappingInvalid with every reason when the mapping does not fit the file.
    """
    if job.status in (JobStatus.QUEUED, JobStatus.RUNNING):
        raise ValueError(_("This import is already queued or running."))
    if job.status == JobStatus.SUCCEEDED and not job.dry_run:
        raise ValueError(_("This import has already been done; upload the file again to "
                           "import it once more."))
    table = job_table(job)
    errors = mapping.validate(table, questionnaire_spec(job.wave))
    if errors:
        raise MappingInvalid(errors)
    with transaction.atomic():
        if save_mapping_as and save_mapping_as.strip():
            user = getattr(actor, "user", actor) or job.created_by
            MappingProfile.objects.update_or_create(
                organisation=job.organisation, name=save_mapping_as.strip()[:150],
                defaults={"layout": job.layout, "mapping": mapping.to_json(),
                          "created_by": user, "created_at": timezone.now()},
            )
        job.mapping, job.options = mapping.to_json(), options.to_json()
        job.dry_run, job.status = options.dry_run, JobStatus.QUEUED
        job.rows_done, job.result, job.rejected_path = 0, {}, ""
        job.started_at = job.finished_at = None
        job.save(update_fields=["mapping", "options", "dry_run", "status", "rows_done",
                                "result", "rejected_path", "started_at", "finished_at"])
    return job


def import_start(*, job: ImportJob, mapping: Mapping, options: ImportOptions,
                 save_mapping_as: str | None = None, actor=None) -> ImportJob:
    """Validate the mapping, store it (and a MappingProfile named ``save_mapping_as``),
    queue the job and enqueue it; with ``settings.JOBS_EAGER`` it runs before returning."""
    job = import_configure(job=job, mapping=mapping, options=options,
                           save_mapping_as=save_mapping_as, actor=actor)
    import_enqueue(job)
    job.refresh_from_db()
    return job


# --- Background execution -----------------------------------------------------------------

_executor: ThreadPoolExecutor | None = None


def _get_executor() -> ThreadPoolExecutor:
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="import-job")
    return _executor


def import_enqueue(job: ImportJob) -> None:
    """Run the queued job: inline with ``settings.JOBS_EAGER``, else on the server's import
    thread once the current transaction commits (``run_import_jobs`` picks up the rest)."""
    if settings.JOBS_EAGER:
        import_run_and_analyse(job)
        return
    pk = job.pk
    transaction.on_commit(lambda: _get_executor().submit(_run_in_thread, pk))


def import_run_and_analyse(job: ImportJob, *, progress=None) -> dict:
    """Run the job, then bring the wave's insights (aggregates, comment analysis) up to
    date when it wrote responses. Kept apart from ``import_run`` so the import itself
    stays measurable on its own."""
    result = import_run(job, progress=progress)
    if result.get("written"):
        from insights.services import responses_changed

        responses_changed(wave=job.wave)
    return result


def _run_in_thread(pk: int) -> None:
    close_old_connections()
    try:
        job = ImportJob.objects.filter(pk=pk, status=JobStatus.QUEUED).first()
        if job is not None:
            import_run_and_analyse(job)
    except Exception:
        logger.exception("import job %s failed", pk)
    finally:
        connections.close_all()


def jobs_recover() -> int:
    """Mark jobs left running by a stopped process as failed; return how many."""
    message = _("The import was interrupted (the server stopped while it ran). Nothing was "
                "written; start it again.")
    with transaction.atomic():
        # Their outcome is known only now: the audit log records it as the job's end.
        interrupted = list(ImportJob.objects.filter(status=JobStatus.RUNNING, dry_run=False)
                           .select_related("organisation", "created_by"))
        recovered = ImportJob.objects.filter(status=JobStatus.RUNNING).update(
            status=JobStatus.FAILED, finished_at=timezone.now(),
            result={"ok": False, "error": message, "errors": [], "error_count": 0},
        )
        for job in interrupted:
            _audit_import(job, JobStatus.FAILED, {})
    return recovered


# --- Progress -----------------------------------------------------------------------------

def _progress_key(job: ImportJob) -> str:
    return f"research:import-progress:{job.pk}:{job.created_at.timestamp()}"


def import_progress(job: ImportJob) -> tuple[int, int | None, str]:
    """Return (rows_done, rows_total, status) of ``job``, fresh from the cache or the DB."""
    job.refresh_from_db(fields=["status", "rows_done", "rows_total"])
    if job.status in (JobStatus.RUNNING, JobStatus.QUEUED):
        cached = cache.get(_progress_key(job))
        if cached is not None:
            return cached[0], cached[1], cached[2]
    return job.rows_done, job.rows_total, job.status


class _Progress:
    """Throttled progress: the cache and callback every 1% of rows (or 2 s), the job row
    at most every 2 s."""

    def __init__(self, job: ImportJob, total: int | None,
                 callback: Callable[[int, int | None], None] | None):
        self.job, self.total, self.callback = job, total, callback
        self.step = max(1, (total or 0) // 100) if total else 1000
        self.next_at, self.last = self.step, time.monotonic()
        self.key = _progress_key(job)
        self._side = None
        if connection.vendor == "postgresql":
            try:
                self._side = connections.create_connection(connection.alias)
            except Exception:  # pragma: no cover - progress must never break an import
                self._side = None

    def __call__(self, done: int, *, force: bool = False) -> None:
        if not force and done < self.next_at:
            # Between 1% steps, report anyway every 2 s (checking the clock every 256 rows).
            if done & 255 or time.monotonic() - self.last < PROGRESS_SECONDS:
                return
        now = time.monotonic()
        self.next_at = done + self.step
        total = max(self.total, done) if self.total else None
        cache.set(self.key, (done, total, JobStatus.RUNNING), CACHE_SECONDS)
        # The job row is written at most every 2 s: on PostgreSQL each update leaves a row
        # version that the import's foreign-key checks walk past at commit.
        if force or now - self.last >= PROGRESS_SECONDS:
            self.last = now
            self._write_row(done, total)
        if self.callback is not None:
            self.callback(done, total)

    def _write_row(self, done: int, total: int | None) -> None:
        if self._side is not None:
            try:
                with self._side.cursor() as cursor:
                    cursor.execute(f"UPDATE {ImportJob._meta.db_table} SET rows_done = %s, "
                                   "rows_total = %s WHERE id = %s", [done, total, self.job.pk])
            except Exception:  # pragma: no cover - progress must never break an import
                logger.warning("could not write import progress", exc_info=True)
                self._side = None
        elif not connection.in_atomic_block:
            ImportJob.objects.filter(pk=self.job.pk).update(rows_done=done, rows_total=total)

    def close(self) -> None:
        cache.delete(self.key)
        if self._side is not None:
            self._side.close()


# --- The import itself --------------------------------------------------------------------

_encode_string = json.encoder.encode_basestring  # the C implementation, unicode kept
_KEYS: dict[str, str] = {}


def _json_object(values: dict) -> str:
    """Encode a flat dict of str/int/float values as JSON, several times faster than
    ``json.dumps`` for the small dicts every row carries."""
    parts = []
    for key, value in values.items():
        prefix = _KEYS.get(key)
        if prefix is None:
            prefix = _KEYS.setdefault(key, _encode_string(key) + ":") if len(_KEYS) < 10000 \
                else _encode_string(key) + ":"
        if type(value) is str:
            parts.append(prefix + _encode_string(value))
        else:
            parts.append(prefix + repr(value))
    return "{" + ",".join(parts) + "}"


class _Rollback(Exception):
    """Raised inside the transaction to undo an all-or-nothing import with errors."""


class _Lookups:
    """Customers, contacts and units of the organisation, loaded once into dictionaries."""

    def __init__(self, organisation: Organisation, *, customers: bool):
        self.organisation = organisation
        self.by_number: dict[str, tuple] = {}
        self.by_number_lower: dict[str, tuple] = {}
        self.by_email: dict[str, tuple] = {}
        self.by_contact_email: dict[str, tuple] = {}
        if customers:
            for pk, number, email, unit_id in (
                Customer.objects.for_organisation(organisation)
                .values_list("pk", "customer_number", "email", "unit_id").iterator(5000)
            ):
                entry = (pk, None, unit_id)
                if number:
                    self.by_number[number.strip()] = entry
                    self.by_number_lower.setdefault(number.strip().lower(), entry)
                if email:
                    self.by_email.setdefault(email.strip().lower(), entry)
            for pk, customer_id, email, unit_id in (
                Contact.objects.filter(customer__organisation=organisation).exclude(email="")
                .values_list("pk", "customer_id", "email", "customer__unit_id")
                .order_by("-is_primary", "pk").iterator(5000)
            ):
                self.by_contact_email.setdefault(email.strip().lower(), (customer_id, pk, unit_id))
        self.unit_by_code: dict[str, int] = {}
        self.unit_by_name: dict[str, list[int]] = {}
        for pk, code, name in Unit.objects.for_organisation(organisation).values_list(
                "pk", "code", "name"):
            if code:
                self.unit_by_code[code.strip().lower()] = pk
            self.unit_by_name.setdefault(name.strip().lower(), []).append(pk)
        self.customer_memo: dict[str, tuple | None] = {}
        self.unit_memo: dict[str, int | str | None] = {}

    def customer(self, value: str) -> tuple | None:
        """Return (customer_id, contact_id, unit_id) for a customer number or e-mail."""
        try:
            return self.customer_memo[value]
        except KeyError:
            pass
        key = value.strip()
        found = self.by_number.get(key) or self.by_number_lower.get(key.lower())
        if found is None:
            lower = key.lower()
            found = self.by_email.get(lower) or self.by_contact_email.get(lower)
        if len(self.customer_memo) < 200_000:
            self.customer_memo[value] = found
        return found

    def unit(self, value: str) -> int | str | None:
        """Return the unit id for a code or name, "ambiguous", or None when unknown."""
        try:
            return self.unit_memo[value]
        except KeyError:
            pass
        key = value.strip().lower()
        found: int | str | None = self.unit_by_code.get(key)
        if found is None:
            matches = self.unit_by_name.get(key, [])
            found = matches[0] if len(matches) == 1 else ("ambiguous" if matches else None)
        self.unit_memo[value] = found
        return found

    def add_unit(self, value: str, pk: int) -> None:
        self.unit_by_name.setdefault(value.strip().lower(), []).append(pk)
        self.unit_memo.pop(value, None)


class _Importer:
    """One run of one job. ``run`` returns the result dictionary."""

    def __init__(self, job: ImportJob, table: SourceTable, mapping: Mapping,
                 options: ImportOptions, progress: _Progress):
        self.job, self.table, self.mapping, self.options = job, table, mapping, options
        self.progress = progress
        self.wave = job.wave
        self.organisation = job.organisation
        self.anonymous = self.wave.is_anonymous
        self.errors: list[RowError] = []
        self.error_count = 0
        self.rows_read = self.imported = self.duplicates = self.rejected = 0
        self.unmatched_count = 0
        self.unmatched_lines: list[int] = []
        self.created_units: list[str] = []
        self.ids_in_file: dict[str, int] = {}
        self.existing: set[str] = set(
            Response.objects.filter(wave=self.wave).exclude(external_id="")
            .values_list("external_id", flat=True).iterator(10000)
        )
        self.lookups = _Lookups(self.organisation, customers=bool(mapping.customer)
                                and not self.anonymous)
        self._compile()

    def _compile(self) -> None:
        index = {c.name: c.index for c in self.table.columns}
        m, spec = self.mapping, questionnaire_spec(self.wave)
        col = lambda name: index[name] if name else None  # noqa: E731
        self.i_id, self.i_nps = col(m.response_id), col(m.nps)
        self.i_comment, self.i_improvement = col(m.comment), col(m.improvement)
        self.i_customer, self.i_unit = col(m.customer), col(m.unit)
        self.i_contact, self.i_submitted = col(m.contact_me), col(m.submitted_at)
        self.i_language = col(m.language)
        if self.anonymous:
            self.i_customer = None
        self.parse_nps = Cached(parse_nps)
        self.parse_contact = Cached(parse_yes_no)
        self.parse_submitted = Cached(parse_datetime, limit=1024)
        self.ratings = []
        for key, column in m.drivers.items():
            question = spec.get(key)
            self.ratings.append((key, index[column], column,
                                 Cached(rating_parser(question.scale_max))))
        parse_cmp = Cached(parse_comparison)
        self.comparisons = [(name, index[column], column, parse_cmp)
                            for name, column in m.competitors.items()]
        self.attributes = [(name, index[column]) for name, column in m.attributes.items()]
        self.hash_indexes = sorted({index[c] for _w, c in m.used_columns()})
        self.names = self.table.column_names

    def _error(self, line: int, column: int | None, message: str, bag: list) -> None:
        bag.append(RowError(line, self.names[column] if column is not None else "", message))

    def parse(self, line: int, cells: list[str], write) -> tuple | None:
        """Return the response tuple for a valid row, None for a duplicate; collect errors."""
        problems: list[RowError] = []
        external_id = cells[self.i_id].strip() if self.i_id is not None else ""
        if external_id:
            if len(external_id) > MAX_EXTERNAL_ID:
                self._error(line, self.i_id, _("The response id is longer than %(n)s "
                                               "characters.") % {"n": MAX_EXTERNAL_ID}, problems)
            elif external_id in self.ids_in_file:
                self._error(line, self.i_id, _(
                    "Response id %(id)r appears twice in the file: on line %(first)s and on "
                    "line %(line)s.") % {"id": external_id, "first": self.ids_in_file[external_id],
                                         "line": line}, problems)
            else:
                self.ids_in_file[external_id] = line
        else:
            base = hashlib.sha1("\x1f".join([cells[i] for i in self.hash_indexes])
                                .encode()).hexdigest()
            external_id, n = f"sha1:{base}", 1
            while external_id in self.ids_in_file:  # identical rows are different answers
                n += 1
                external_id = f"sha1:{base}:{n}"
            self.ids_in_file[external_id] = line
        if external_id in self.existing:
            self.duplicates += 1
            return None

        nps = None
        if self.i_nps is not None:
            try:
                nps = self.parse_nps(cells[self.i_nps])
            except CellInvalid as error:
                self._error(line, self.i_nps, error.message, problems)
        scores = {}
        for key, i, _column, parse in self.ratings:
            cell = cells[i]
            if cell:
                try:
                    value = parse(cell)
                except CellInvalid as error:
                    self._error(line, i, error.message, problems)
                else:
                    if value is not None:
                        scores[key] = value
        competitors = {}
        for name, i, _column, parse in self.comparisons:
            if cells[i]:
                try:
                    value = parse(cells[i])
                except CellInvalid as error:
                    self._error(line, i, error.message, problems)
                else:
                    if value is not None:
                        competitors[name] = value
        attributes = {}
        for name, i in self.attributes:
            value = cells[i].strip()
            if value:
                attributes[name] = value[:MAX_ATTRIBUTE_CHARS]
        contact_me = False
        if self.i_contact is not None and cells[self.i_contact]:
            try:
                contact_me = bool(self.parse_contact(cells[self.i_contact]))
            except CellInvalid as error:
                self._error(line, self.i_contact, error.message, problems)
        submitted_at = None
        if self.i_submitted is not None and cells[self.i_submitted]:
            try:
                submitted_at = self.parse_submitted(cells[self.i_submitted])
            except CellInvalid as error:
                self._error(line, self.i_submitted, error.message, problems)

        customer_id = contact_id = unit_id = None
        if self.i_customer is not None:
            value = cells[self.i_customer]
            if value.strip():
                found = self.lookups.customer(value)
                if found is None:
                    self.unmatched_count += 1
                    if len(self.unmatched_lines) < 100:
                        self.unmatched_lines.append(line)
                    self._error(line, self.i_customer, _(
                        "No customer with customer number or e-mail address %(value)r."
                    ) % {"value": value.strip()}, problems)
                else:
                    customer_id, contact_id, unit_id = found
        if self.i_unit is not None:
            value = cells[self.i_unit]
            if value.strip():
                found_unit = self.lookups.unit(value)
                if found_unit == "ambiguous":
                    self._error(line, self.i_unit, _(
                        "Unit name %(name)r matches more than one unit; use the unit's code."
                    ) % {"name": value.strip()}, problems)
                elif found_unit is None:
                    if self.options.create_units:
                        found_unit = self._create_unit(value, write and not problems)
                    else:
                        self._error(line, self.i_unit, _(
                            "Unknown unit %(name)r: no unit of this organisation has that code "
                            "or name (choose “create units” to add it).") % {"name": value.strip()},
                            problems)
                if isinstance(found_unit, int):
                    unit_id = found_unit
                elif found_unit is not None:
                    unit_id = None
        if problems:
            self._reject(line, cells, problems)
            return None
        return (
            self.organisation.pk, self.wave.pk, customer_id, contact_id, unit_id, external_id,
            nps,
            cells[self.i_comment].strip() if self.i_comment is not None else "",
            cells[self.i_improvement].strip() if self.i_improvement is not None else "",
            _json_object(scores) if scores else "{}",
            _json_object(competitors) if competitors else "{}",
            _json_object(attributes) if attributes else "{}",
            contact_me,
            cells[self.i_language].strip().lower()[:8] if self.i_language is not None else "",
            ResponseSource.IMPORT, ResponseStatus.SUBMITTED, self.job.pk,
            self.adapt(submitted_at) if submitted_at is not None else None,
            self.now, self.now,
        )

    def _create_unit(self, value: str, write: bool) -> int | str:
        """Create an unknown unit as a team under the root (a dry run only notes it)."""
        name = value.strip()[:150]
        if name not in self.created_units:
            self.created_units.append(name)
        if not write:
            self.lookups.unit_memo[value] = "planned"
            return "planned"
        from org.services import unit_create

        root = Unit.objects.for_organisation(self.organisation).filter(depth=1).first()
        unit = unit_create(organisation=self.organisation, parent=root, name=name,
                           kind=UnitKind.TEAM, level=Level.OPERATIONAL)
        self.lookups.add_unit(value, unit.pk)
        self.lookups.unit_memo[value] = unit.pk
        return unit.pk

    def _reject(self, line: int, cells: list[str], problems: list[RowError]) -> None:
        self.rejected += 1
        self.error_count += len(problems)
        room = MAX_REPORTED_ERRORS - len(self.errors)
        if room > 0:
            self.errors.extend(problems[:room])
        if self.rejected_writer is not None:
            reason = "; ".join(f"{p.column}: {p.message}" if p.column else p.message
                               for p in problems)
            self.rejected_writer.writerow([neutralise_cell(c, keep_numbers=True)
                                           for c in cells] + [reason])

    def run(self) -> dict:
        options = self.options
        write = not options.dry_run
        self.rejected_writer = None
        rejected_file = None
        rejected_path = ""
        if options.skip_invalid and write:
            rejected_path = f"{self.job.stored_path}.rejected.csv"
            rejected_file = open(rejected_path, "w", encoding="utf-8-sig", newline="")  # noqa: SIM115
            self.rejected_writer = csv.writer(rejected_file, delimiter=self.table.delimiter or ",")
            self.rejected_writer.writerow([*self.table.column_names, "reason"])
        try:
            if write:
                try:
                    with transaction.atomic():
                        self._stream(write=True)
                        if self.error_count and not options.skip_invalid:
                            raise _Rollback
                        self._follow_ups()
                except _Rollback:
                    self.imported = 0
            else:
                self._stream(write=False)
        finally:
            if rejected_file is not None:
                rejected_file.close()
        if rejected_path and not self.rejected:
            Path(rejected_path).unlink(missing_ok=True)
            rejected_path = ""
        self.rejected_path = rejected_path
        ok = not self.error_count
        return {
            "ok": ok,
            "dry_run": options.dry_run,
            "written": write and (ok or options.skip_invalid),
            "rows_read": self.rows_read,
            "imported": self.imported,
            "would_import": self.would_import if options.dry_run else None,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "error_count": self.error_count,
            "errors": [e.as_dict() for e in self.errors],
            "unmatched_customers": {"count": self.unmatched_count,
                                    "lines": self.unmatched_lines[:20]},
            "created_units": (self.created_units
                              if options.dry_run or ok or options.skip_invalid else []),
            "follow_ups": self.follow_ups,
            "layout": self.table.layout,
            # Decided: an anonymous wave's import drops a mapped customer column (it is
            # never read) instead of refusing the file; the result says so.
            "customer_column_ignored": bool(self.anonymous and self.mapping.customer),
        }

    def _stream(self, *, write: bool) -> None:
        writer = ResponseWriter() if write else None
        self.adapt = writer.adapt_datetime if writer else (lambda v: v)
        now = timezone.now()
        self.now = self.adapt(now)
        self.would_import = 0
        self.follow_ups = 0
        batch: list[tuple] = []
        parse, progress = self.parse, self.progress
        failed = False
        for row in self.table.iter_rows():
            self.rows_read += 1
            record = parse(row.line, row.cells, write)
            if record is not None:
                if write and not failed:
                    batch.append(record)
                    if len(batch) >= BATCH_ROWS:
                        writer.write(batch)
                        batch = []
                else:
                    self.would_import += 1
            if self.error_count and not self.options.skip_invalid and not failed:
                # All or nothing: keep checking, stop writing.
                failed, batch = True, []
            progress(self.rows_read)
        if write and not failed:
            writer.write(batch)
            self.imported = writer.written
        progress(self.rows_read, force=True)

    def _follow_ups(self) -> None:
        """Create the follow-ups for the new detractors and contact requests."""
        if self.anonymous or not self.imported:
            return
        self.follow_ups = follow_ups_create_for_job(job=self.job, now=self.now)


def follow_ups_create_for_job(*, job: ImportJob, now=None) -> int:
    """Create the follow-ups of the job's new responses (``follow_ups_create``'s rule)."""
    return follow_ups_create(wave=job.wave, import_job=job, now=now)


def import_run(job: ImportJob, *, progress: Callable[[int, int | None], None] | None = None
               ) -> dict:
    """Run a queued job now and return its result (also saved in ``job.result``).

    ``progress(rows_done, rows_total)`` is called now and then. The job ends SUCCEEDED
    when rows were written (or a dry run was done) and FAILED when an all-or-nothing
    import found errors (nothing written) or the file could not be read.
    """
    claimed = ImportJob.objects.filter(pk=job.pk, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING, started_at=timezone.now(), rows_done=0)
    if not claimed:
        raise ValueError(_("This import is not queued; start it first."))
    job = ImportJob.objects.select_related("wave", "organisation").get(pk=job.pk)
    options = ImportOptions.from_json(job.options)
    tracker = None
    rejected_path = ""
    try:
        table = job_table(job)
        mapping = Mapping.from_json(job.mapping)
        problems = mapping.validate(table, questionnaire_spec(job.wave))
        if problems:
            raise MappingInvalid(problems)
        tracker = _Progress(job, table.rows_estimate, progress)
        importer = _Importer(job, table, mapping, options, tracker)
        result = importer.run()
        rejected_path = importer.rejected_path
        status = (JobStatus.SUCCEEDED if options.dry_run or result["ok"] or options.skip_invalid
                  else JobStatus.FAILED)
    except (ImportFileError, MappingInvalid) as error:
        messages = [error.message] if isinstance(error, ImportFileError) else error.errors
        result = {"ok": False, "dry_run": options.dry_run, "written": False, "rows_read": 0,
                  "imported": 0, "duplicates": 0, "rejected": 0, "error": " ".join(messages),
                  "errors": [{"line": 0, "column": "", "message": m} for m in messages],
                  "error_count": len(messages)}
        status = JobStatus.FAILED
    except Exception:
        with transaction.atomic():
            ImportJob.objects.filter(pk=job.pk).update(
                status=JobStatus.FAILED, finished_at=timezone.now(),
                result={"ok": False, "error": _("The import stopped because of an internal error; "
                                                "nothing was written."), "errors": [],
                        "error_count": 0})
            if not options.dry_run:
                _audit_import(job, JobStatus.FAILED, {})
        raise
    finally:
        if tracker is not None:
            tracker.close()
    job.status, job.result, job.rejected_path = status, result, rejected_path
    job.rows_done = result.get("rows_read", 0)
    if job.rows_total is None or (status == JobStatus.SUCCEEDED):
        job.rows_total = job.rows_done
    job.finished_at = timezone.now()
    with transaction.atomic():
        job.save(update_fields=["status", "result", "rejected_path", "rows_done", "rows_total",
                                "finished_at"])
        if not options.dry_run:
            _audit_import(job, status, result)
    return result


def _audit_import(job: ImportJob, status: str, result: dict) -> None:
    """Record the outcome of a (not dry-run) import with its counts, as the job finishes."""
    from audit.models import AuditAction
    from audit.services import audit_record

    audit_record(action=AuditAction.IMPORT_RESPONSES, organisation=job.organisation,
                 actor=job.created_by, target=("wave", job.wave_id), details={
                     "job": job.pk, "status": status, "written": bool(result.get("written")),
                     **{key: int(result.get(key) or 0) for key in (
                         "rows_read", "imported", "duplicates", "rejected", "error_count",
                         "follow_ups")}})


def neutralise_cell(value: str, *, keep_numbers: bool = False) -> str:
    """Prefix a quote to text a spreadsheet would run as a formula (=, +, -, @, tab, CR)."""
    if value and value[0] in "=+-@\t\r":
        if keep_numbers and value[0] in "+-":
            try:
                float(value.replace(",", "."))
                return value
            except ValueError:
                pass
        return "'" + value
    return value
