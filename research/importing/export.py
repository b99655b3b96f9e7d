"""Export a wave's responses to CSV or XLSX, one row per response, streamed.

Cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return) get a leading apostrophe, in CSV and in XLSX.
"""

from __future__ import annotations

import csv
from pathlib import Path

from research.importing.jobs import neutralise_cell
from research.models import QuestionKind, Response, Wave
from research.services import questionnaire_spec

CHUNK = 2000


def _header_and_keys(wave: Wave):
    spec = questionnaire_spec(wave)
    ratings = [q.key for q in spec.by_kind(QuestionKind.DRIVER, QuestionKind.CORE_VALUE)]
    competitors = [q.subject for q in spec.by_kind(QuestionKind.COMPETITOR)]
    attributes = [q.key for q in spec.by_kind(QuestionKind.ATTRIBUTE)]
    header = ["response_id", "submitted_at", "customer_number", "customer", "unit_code", "unit",
              "nps", "comment", "improvement", *ratings,
              *(f"competitor: {name}" for name in competitors),
              *attributes, "contact_me", "language", "source"]
    return header, ratings, competitors, attributes


def _rows(wave: Wave, ratings, competitors, attributes):
    fields = ("external_id", "submitted_at", "customer__customer_number", "customer__name",
              "unit__code", "unit__name", "nps", "comment", "improvement", "scores",
              "competitors", "attributes", "contact_me", "language", "source")
    queryset = (Response.objects.filter(organisation=wave.organisation, wave=wave)
                .order_by("pk").values_list(*fields))
    for (external_id, submitted_at, number, name, unit_code, unit_name, nps, comment,
         improvement, scores, comps, attrs, contact_me, language, source) in queryset.iterator(
            chunk_size=CHUNK):
        scores, comps, attrs = scores or {}, comps or {}, attrs or {}
        yield [
            external_id, submitted_at.isoformat() if submitted_at else "", number or "",
            name or "", unit_code or "", unit_name or "", "" if nps is None else nps,
            comment, improvement,
            *("" if scores.get(k) is None else scores[k] for k in ratings),
            *(comps.get(c, "") for c in competitors),
            *(attrs.get(a, "") for a in attributes),
            "1" if contact_me else "0", language, source,
        ]


def _safe(value):
    return neutralise_cell(value) if isinstance(value, str) else value


def responses_export(*, wave: Wave, path: Path, fmt: str, actor=None) -> int:
    """Write the wave's responses to ``path`` as ``fmt`` ("csv" or "xlsx"); return the count.

    The export is recorded in the audit log (by ``actor``; None for a command).
    """
    count = _responses_write(wave=wave, path=path, fmt=fmt)
    from audit.models import AuditAction
    from audit.services import audit_record

    audit_record(action=AuditAction.EXPORT_RESPONSES, organisation=wave.organisation, actor=actor,
                 target=wave, details={"format": fmt, "responses": count})
    return count


def _responses_write(*, wave: Wave, path: Path, fmt: str) -> int:
    if fmt not in ("csv", "xlsx"):
        raise ValueError(f"Unknown export format {fmt!r}: use csv or xlsx.")
    header, ratings, competitors, attributes = _header_and_keys(wave)
    path = Path(path)
    count = 0
    if fmt == "csv":
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow([_safe(h) for h in header])
            for row in _rows(wave, ratings, competitors, attributes):
                writer.writerow([_safe(v) for v in row])
                count += 1
        return count
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title="Responses")
    sheet.append([_safe(h) for h in header])
    for row in _rows(wave, ratings, competitors, attributes):
        sheet.append([_safe(v) for v in row])
        count += 1
    workbook.save(path)
    return count
