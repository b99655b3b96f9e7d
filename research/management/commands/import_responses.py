import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from research.importing import (
    ImportFileError,
    ImportOptions,
    Mapping,
    MappingInvalid,
    import_prepare,
    import_run_and_analyse,
)
from research.importing.jobs import import_configure, job_table
from research.importing.mapping import subject_score
from research.management.commands._research import organisation_by_slug, wave_by_name
from research.models import QuestionKind
from research.services import questionnaire_spec

SINGLE = ("nps", "comment", "improvement", "customer", "unit", "response_id", "contact_me",
          "submitted_at", "language")
REPEATING = ("driver", "attribute", "competitor")


def _find_column(table, wanted: str):
    for test in (lambda c: c.name == wanted, lambda c: c.name.lower() == wanted.lower(),
                 lambda c: c.label.strip().lower() == wanted.strip().lower()):
        found = [c for c in table.columns if test(c)]
        if found:
            return found[0]
    raise CommandError(f"--map: the file has no column {wanted!r}. Its columns are: "
                       + ", ".join(table.column_names))


def apply_overrides(mapping: Mapping, table, spec, pairs: list[str]) -> Mapping:
    """Apply ``--map FIELD=COLUMN`` pairs on top of ``mapping``; a column moves to its new field."""
    for pair in pairs:
        field, sep, wanted = pair.partition("=")
        field = field.strip().lower().replace("-", "_")
        if not sep or not wanted or field not in (*SINGLE, *REPEATING):
            raise CommandError(f"--map {pair!r}: use FIELD=COLUMN with FIELD one of "
                               + ", ".join((*SINGLE, *REPEATING)) + ".")
        column = _find_column(table, wanted)
        _release(mapping, column.name)
        if field in SINGLE:
            setattr(mapping, field, column.name)
        elif field == "driver":
            ratings = spec.by_kind(QuestionKind.DRIVER, QuestionKind.CORE_VALUE)
            scored = sorted(((subject_score(column, q), -i, q) for i, q in enumerate(ratings)),
                            key=lambda s: s[:2], reverse=True)
            if not scored or scored[0][0] == 0:
                raise CommandError(
                    f"--map driver={wanted}: no driver or core-value question matches "
                    f"{column.name!r}. The wave's rating questions are: "
                    + ", ".join(f"{q.key} ({q.subject})" for q in ratings) + ".")
            mapping.drivers[scored[0][2].key] = column.name
        elif field == "competitor":
            competitors = spec.by_kind(QuestionKind.COMPETITOR)
            scored = sorted(((subject_score(column, q), q) for q in competitors),
                            key=lambda s: s[0], reverse=True)
            if not scored or scored[0][0] == 0:
                raise CommandError(f"--map competitor={wanted}: no competitor of this wave "
                                   f"matches {column.name!r}.")
            mapping.competitors[scored[0][1].subject] = column.name
        else:
            attributes = spec.by_kind(QuestionKind.ATTRIBUTE)
            scored = sorted(((subject_score(column, q), q) for q in attributes),
                            key=lambda s: s[0], reverse=True)
            name = scored[0][1].key if scored and scored[0][0] >= 2 else column.name
            mapping.attributes[name] = column.name
    return mapping


def _release(mapping: Mapping, column: str) -> None:
    for field in SINGLE:
        if getattr(mapping, field) == column:
            setattr(mapping, field, None)
    for bag in (mapping.drivers, mapping.competitors, mapping.attributes):
        for key in [k for k, v in bag.items() if v == column]:
            del bag[key]


class ProgressBar:
    """A one-line progress bar on a terminal's stderr."""

    def __init__(self, stream):
        self.stream = stream

    def __call__(self, done: int, total: int | None) -> None:
        if total:
            share = min(1.0, done / total)
            bar = "#" * int(share * 30)
            self.stream.write(f"\r[{bar:<30}] {share:4.0%} {done:,}/{total:,} rows")
        else:
            self.stream.write(f"\r{done:,} rows")
        self.stream.flush()

    def finish(self) -> None:
        self.stream.write("\n")
        self.stream.flush()


class Command(BaseCommand):
    help = ("Import survey responses from a CSV or XLSX export (Qualtrics, SurveyMonkey, "
            "LimeSurvey, Typeform, Google Forms or a plain table) into a wave. All or nothing "
            "unless --skip-invalid.")

    def add_arguments(self, parser):
        parser.add_argument("org", metavar="ORG")
        parser.add_argument("wave", metavar="WAVE", help="the wave's name")
        parser.add_argument("file", metavar="FILE")
        parser.add_argument("--map", action="append", default=[], metavar="FIELD=COLUMN",
                            help="map a column: nps, comment, improvement, customer, unit, "
                                 "response_id, contact_me, submitted_at, language; driver, "
                                 "attribute and competitor may repeat")
        parser.add_argument("--mapping", metavar="FILE.json",
                            help="a mapping saved as JSON (as in the mapping screen)")
        parser.add_argument("--save-mapping", metavar="NAME",
                            help="save the mapping used under this name for the next wave")
        parser.add_argument("--create-units", action="store_true",
                            help="create units named in the unit column that do not exist")
        parser.add_argument("--skip-invalid", action="store_true",
                            help="import the valid rows; write the rejected ones to a file")
        parser.add_argument("--dry-run", action="store_true", help="check only; write nothing")
        parser.add_argument("--json", action="store_true", help="print a JSON summary")

    def handle(self, *args, org, wave, file, map=(), mapping=None, save_mapping=None,
               create_units=False, skip_invalid=False, dry_run=False, json=False, **options):
        as_json = json
        organisation = organisation_by_slug(org)
        wave = wave_by_name(organisation, wave)
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {file}")
        try:
            job = import_prepare(organisation=organisation, wave=wave, actor=None, upload=path,
                                 original_name=path.name)
        except ImportFileError as error:
            self._fail(as_json, [error.message], dry_run)
        table, spec = job_table(job), questionnaire_spec(wave)
        if mapping:
            try:
                chosen = Mapping.from_json(_load_json(mapping))
            except MappingInvalid as error:
                self._fail(as_json, error.errors, dry_run)
        else:
            chosen = Mapping.from_json(job.mapping)
        chosen = apply_overrides(chosen, table, spec, list(map or []))
        run_options = ImportOptions(skip_invalid=skip_invalid, create_units=create_units,
                                    dry_run=dry_run)
        try:
            job = import_configure(job=job, mapping=chosen, options=run_options,
                                   save_mapping_as=save_mapping)
        except MappingInvalid as error:
            self._fail(as_json, error.errors, dry_run, mapping=chosen)
        bar = ProgressBar(sys.stderr) if sys.stderr.isatty() else None
        result = import_run_and_analyse(job, progress=bar)
        if bar:
            bar.finish()
        job.refresh_from_db()
        summary = {
            "ok": bool(result.get("ok")) and not result.get("error"),
            "dry_run": dry_run, "job": job.pk, "wave": wave.name, "layout": job.layout,
            "rows_read": result.get("rows_read", 0), "imported": result.get("imported", 0),
            "would_import": result.get("would_import"), "duplicates": result.get("duplicates", 0),
            "rejected": result.get("rejected", 0), "error_count": result.get("error_count", 0),
            "errors": result.get("errors", []),
            "unmatched_customers": result.get("unmatched_customers", {}),
            "created_units": result.get("created_units", []),
            "follow_ups": result.get("follow_ups", 0), "rejected_file": job.rejected_path or None,
            "mapping": chosen.to_json(),
        }
        if result.get("error"):
            summary["error"] = result["error"]
        if as_json:
            self.stdout.write(_dumps(summary))
        else:
            self._report(summary)
        if not summary["ok"]:
            raise CommandError(self._verdict(summary), returncode=2)

    def _report(self, summary: dict) -> None:
        for error in summary["errors"]:
            where = f"line {error['line']}" if error["line"] else "file"
            column = f", {error['column']}" if error["column"] else ""
            self.stderr.write(f"{where}{column}: {error['message']}")
        if summary["error_count"] > len(summary["errors"]):
            self.stderr.write(f"… and {summary['error_count'] - len(summary['errors'])} more.")
        if summary["dry_run"]:
            self.stdout.write(f"Dry run of {summary['rows_read']} rows: {summary['would_import']} "
                              f"would be imported, {summary['duplicates']} are already in the "
                              f"wave, {summary['rejected']} have errors. Nothing was written.")
        else:
            self.stdout.write(f"Read {summary['rows_read']} rows: imported {summary['imported']}, "
                              f"{summary['duplicates']} already in the wave, "
                              f"{summary['rejected']} rejected.")
        if summary["rejected_file"]:
            self.stdout.write(f"Rejected rows with their reasons: {summary['rejected_file']}")
        if summary["created_units"] and not summary["dry_run"]:
            self.stdout.write("Created units: " + ", ".join(summary["created_units"]))

    @staticmethod
    def _verdict(summary: dict) -> str:
        if summary.get("error"):
            return summary["error"]
        if summary["dry_run"]:
            return f"{summary['error_count']} error(s) found; nothing was written (dry run)."
        if summary["imported"]:
            return (f"{summary['rejected']} row(s) rejected; {summary['imported']} imported "
                    "(partial import).")
        return f"{summary['error_count']} error(s); nothing was imported."

    def _fail(self, as_json: bool, messages: list[str], dry_run: bool, mapping=None):
        if as_json:
            payload = {"ok": False, "dry_run": dry_run, "rows_read": 0, "imported": 0,
                       "duplicates": 0, "rejected": 0, "error_count": len(messages),
                       "errors": [{"line": 0, "column": "", "message": m} for m in messages],
                       "error": " ".join(messages)}
            if mapping is not None:
                payload["mapping"] = mapping.to_json()
            self.stdout.write(_dumps(payload))
        raise CommandError(" ".join(messages), returncode=2)


def _load_json(path: str):
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise CommandError(f"--mapping {path}: not a readable JSON file ({error}).") from error


def _dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2, default=str)
