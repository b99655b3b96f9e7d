"""Read a survey export: detect its container, encoding, delimiter and layout, stream its rows.

Detection is by content, never by file name: a zip holding ``xl/workbook.xml`` is an
XLSX workbook, anything else must be text (CSV). Text is UTF-8 (with or without a byte
order mark) or else Windows-1252, the two encodings spreadsheets save in. The layout is
recognised from the header rows, so that a Qualtrics export's three header rows or
SurveyMonkey's two do not end up as responses.

XLSX is parsed with openpyxl in read-only mode, which streams rows and parses XML
through defusedxml. Before parsing we refuse zip bombs (by the sizes and compression
ratios in the zip directory, which ``zipfile`` also enforces while inflating) and any
XML part that declares a DTD: a workbook never needs one, and entity declarations are
how XML bombs work.
"""

from __future__ import annotations

import codecs
import csv
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from research.importing.errors import ImportFileError

LAYOUTS = ("qualtrics", "surveymonkey", "limesurvey", "typeform", "google_forms", "plain")
DELIMITERS = (",", ";", "\t", "|")
SAMPLE_BYTES = 256 * 1024
# A cell larger than this is not survey data; csv's own default limit is 128 KiB.
MAX_CELL_CHARS = 1024 * 1024
# Zip bombs: a workbook's parts compress 5-30x; refuse members that inflate far beyond
# that, and any workbook whose parts add up to more than this in total.
MAX_ZIP_RATIO = 200
MAX_ZIP_TOTAL_BYTES = 4 * 1024 * 1024 * 1024

LIMESURVEY_META = {"id", "submitdate", "lastpage", "startlanguage", "seed", "startdate",
                   "datestamp", "ipaddr", "refurl", "token"}
TYPEFORM_META = {"#", "submitted at", "network id", "start date (utc)", "submit date (utc)",
                 "stage date (utc)", "response type", "tags"}
GOOGLE_TIMESTAMPS = {"timestamp", "tijdstempel", "marca temporal", "horodateur", "zeitstempel",
                     "carimbo de data/hora", "informazioni cronologiche"}
SURVEYMONKEY_META = {"respondent id", "collector id", "start date", "end date", "ip address",
                     "email address", "first name", "last name", "custom data 1"}
SURVEYMONKEY_SUBLABELS = {"response", "open-ended response", "antwoord", "open antwoord"}

csv.field_size_limit(MAX_CELL_CHARS)


@dataclass(frozen=True)
class SourceColumn:
    """One column of the source: ``name`` is unique and stable (used in mappings);
    ``label`` is the question text when the layout has one, else equal to ``name``."""

    index: int
    name: str
    label: str


@dataclass(frozen=True)
class SourceRow:
    """A data row: ``line`` is its physical line (CSV) or row (XLSX) number in the file."""

    line: int
    cells: list[str]


@dataclass
class SourceTable:
    """A survey export ready to stream. Build it with ``read_table``."""

    path: Path
    container: str  # "csv" or "xlsx"
    layout: str
    columns: list[SourceColumn]
    header_rows: int
    encoding: str = ""
    delimiter: str = ""
    # Physical lines (CSV) or sheet rows (XLSX) after the header; an estimate of the row
    # count for progress bars (a quoted cell may span lines), None when unknown.
    rows_estimate: int | None = None
    _header_line_count: int = field(default=0, repr=False)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> SourceColumn | None:
        return next((c for c in self.columns if c.name == name), None)

    def preview(self, n: int = 10) -> list[list[str]]:
        """Return the first ``n`` data rows, each padded to the number of columns."""
        rows = []
        for row in self.iter_rows():
            rows.append(row.cells)
            if len(rows) >= n:
                break
        return rows

    def iter_rows(self) -> Iterator[SourceRow]:
        """Stream the data rows (blank rows skipped), cells padded to the column count.

        Raise ImportFileError when the file turns out unreadable half-way.
        """
        width = len(self.columns)
        if self.container == "xlsx":
            source = _xlsx_rows(self.path)
        else:
            source = _csv_rows(self.path, self.encoding, self.delimiter)
        skipped = 0
        for line, cells in source:
            if skipped < self._header_line_count:
                skipped += 1
                continue
            if not any(c.strip() for c in cells):
                continue
            if len(cells) < width:
                cells = cells + [""] * (width - len(cells))
            yield SourceRow(line, cells)


# --- Entry point --------------------------------------------------------------------------

def read_table(path: Path) -> SourceTable:
    """Open ``path`` and detect its container, encoding, delimiter, layout and columns.

    Raise ImportFileError for a file that is empty, too large, binary, a zip or XML bomb,
    or has no header row.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as error:
        raise ImportFileError(_("The file could not be opened.")) from error
    check_size(size)
    if size == 0:
        raise ImportFileError(_("The file is empty."))
    with path.open("rb") as handle:
        head = handle.read(SAMPLE_BYTES)
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return _read_xlsx(path)
    _refuse_binary(head)
    return _read_csv(path, head)


def check_size(size: int) -> None:
    """Raise ImportFileError when ``size`` bytes exceed the configured cap."""
    limit = settings.IMPORT_MAX_BYTES
    if size > limit:
        raise ImportFileError(_(
            "The file is %(size)s; the largest file that can be imported is %(limit)s. "
            "Split it into smaller files."
        ) % {"size": _megabytes(size), "limit": _megabytes(limit)})


def _megabytes(size: int) -> str:
    if size < 1024 * 1024:
        return _("%(n)s KB") % {"n": max(1, round(size / 1024))}
    return _("%(n)s MB") % {"n": round(size / (1024 * 1024), 1)}


def _refuse_binary(head: bytes) -> None:
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ImportFileError(_(
            "This is an old Excel (.xls) workbook. Save it as .xlsx or as CSV and try again."
        ))
    if head.startswith(b"%PDF"):
        raise ImportFileError(_("This is a PDF document, not a survey export. Use CSV or XLSX."))
    if b"\x00" in head:
        raise ImportFileError(_(
            "This is not a text (CSV) file or an Excel workbook (it contains binary data). "
            "Export the survey as CSV or XLSX and try again."
        ))
    text = head.decode("latin-1")
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\r\n\x0c")
    if text and controls > max(8, len(text) // 100):
        raise ImportFileError(_(
            "This is not a text (CSV) file or an Excel workbook (it contains binary data). "
            "Export the survey as CSV or XLSX and try again."
        ))


# --- CSV ----------------------------------------------------------------------------------

def _detect_encoding(path: Path, head: bytes) -> tuple[str, int]:
    """Return the encoding and the number of physical lines, reading the file once."""
    if head.startswith(codecs.BOM_UTF8):
        candidates = ["utf-8-sig"]
    else:
        candidates = ["utf-8", "cp1252"]
    for encoding in candidates:
        decoder = codecs.getincrementaldecoder(encoding)()
        lines = 0
        last = b""
        try:
            with path.open("rb") as handle:
                while chunk := handle.read(1024 * 1024):
                    decoder.decode(chunk)
                    lines += chunk.count(b"\n")
                    last = chunk
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        if last and not last.endswith(b"\n"):
            lines += 1
        return encoding, lines
    raise ImportFileError(_(
        "The file is neither UTF-8 nor Windows-1252 text. Save it from your spreadsheet as "
        "“CSV UTF-8” and try again."
    ))


def _count_outside_quotes(line: str, delimiter: str) -> int:
    return re.sub(r'"[^"]*"', "", line).count(delimiter)


def _detect_delimiter(sample: str) -> str:
    """Pick the delimiter that splits the first lines most, and most consistently."""
    lines = [line for line in sample.splitlines()[:20] if line.strip()]
    if not lines:
        return ","
    best, best_score = ",", 0
    for delimiter in DELIMITERS:
        counts = [_count_outside_quotes(line, delimiter) for line in lines[:10]]
        if not counts[0]:
            continue
        # Lines with exactly the header's count vote for this delimiter.
        score = counts[0] * sum(1 for c in counts if c == counts[0])
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _csv_rows(path: Path, encoding: str, delimiter: str) -> Iterator[tuple[int, list[str]]]:
    with path.open("r", encoding=encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter, strict=False)
        end = 0
        try:
            for cells in reader:
                start, end = end + 1, reader.line_num
                yield start, cells
        except csv.Error as error:
            raise ImportFileError(_(
                "Line %(line)s could not be read as CSV: %(error)s"
            ) % {"line": reader.line_num, "error": error}) from error
        except UnicodeDecodeError as error:  # the file changed after detection
            raise ImportFileError(_("The file is not readable text.")) from error


def _read_csv(path: Path, head: bytes) -> SourceTable:
    encoding, lines = _detect_encoding(path, head)
    sample = head.decode(encoding, errors="ignore")
    if not sample.strip():
        raise ImportFileError(_("The file is empty."))
    delimiter = _detect_delimiter(sample)
    table = _build(path, "csv", _header_rows(_csv_rows(path, encoding, delimiter)))
    table.encoding, table.delimiter = encoding, delimiter
    table.rows_estimate = max(0, lines - table._header_line_count)
    return table


# --- XLSX ---------------------------------------------------------------------------------

def _check_zip(path: Path) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise ImportFileError(_(
            "The file looks like a zip archive but is damaged. Export it again as XLSX or CSV."
        )) from error
    names = set(archive.namelist())
    if "xl/workbook.xml" not in names:
        archive.close()
        raise ImportFileError(_(
            "This is a zip archive, not an Excel workbook. Upload the CSV or XLSX file itself."
        ))
    bomb = ImportFileError(_(
        "This workbook expands to far more data than its size suggests (a “zip bomb”); "
        "it was not opened. Export the survey again as XLSX or CSV."
    ))
    total = 0
    for info in archive.infolist():
        total += info.file_size
        if total > MAX_ZIP_TOTAL_BYTES:
            archive.close()
            raise bomb
        if info.file_size > 1024 * 1024 and info.file_size > MAX_ZIP_RATIO * max(1, info.compress_size):
            archive.close()
            raise bomb
    for info in archive.infolist():
        if info.filename.endswith((".xml", ".rels")):
            _refuse_dtd(archive, info)
    return archive


def _refuse_dtd(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Refuse an XML part that declares a DTD (entity declarations make XML bombs).

    A DTD can only come before the root element, so we read until the first element.
    """
    seen = b""
    try:
        with archive.open(info) as member:
            while chunk := member.read(64 * 1024):
                seen = (seen[-16:] + chunk)
                if b"<!DOCTYPE" in seen or b"<!ENTITY" in seen:
                    raise ImportFileError(_(
                        "This workbook contains an XML document type declaration, which "
                        "workbooks never need and XML bombs use; it was not opened."
                    ))
                if re.search(rb"<[A-Za-z_]", seen):
                    return
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as error:
        raise ImportFileError(_(
            "The workbook is damaged and could not be read. Export it again as XLSX or CSV."
        )) from error
    except Exception as error:  # zlib.error and friends from a corrupt member
        if isinstance(error, ImportFileError):
            raise
        raise ImportFileError(_(
            "The workbook is damaged and could not be read. Export it again as XLSX or CSV."
        )) from error


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return str(value)


def _open_workbook(path: Path):
    import openpyxl

    _check_zip(path).close()
    # A file object, not the path: openpyxl refuses paths without an .xlsx extension, and we
    # detect by content.
    handle = path.open("rb")
    try:
        workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds on a bad workbook
        handle.close()
        raise ImportFileError(_(
            "The workbook could not be read (%(error)s). Export it again as XLSX or CSV."
        ) % {"error": type(error).__name__}) from error
    workbook._outsidein_handle = handle  # closed with the workbook, see _close_workbook
    return workbook


def _close_workbook(workbook) -> None:
    workbook.close()
    handle = getattr(workbook, "_outsidein_handle", None)
    if handle is not None:
        handle.close()


def _xlsx_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    workbook = _open_workbook(path)
    try:
        sheet = workbook.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield number, [_cell_text(v) for v in values]
    except ImportFileError:
        raise
    except Exception as error:
        raise ImportFileError(_(
            "The workbook could not be read (%(error)s). Export it again as XLSX or CSV."
        ) % {"error": type(error).__name__}) from error
    finally:
        _close_workbook(workbook)


def _read_xlsx(path: Path) -> SourceTable:
    workbook = _open_workbook(path)
    try:
        if not workbook.worksheets:
            raise ImportFileError(_("The workbook has no sheets."))
        sheet = workbook.worksheets[0]
        try:
            max_row = sheet.max_row  # from the sheet's <dimension>, when present
        except Exception:
            max_row = None
    finally:
        _close_workbook(workbook)
    table = _build(path, "xlsx", _header_rows(_xlsx_rows(path)))
    if max_row:
        table.rows_estimate = max(0, max_row - table._header_line_count)
    return table


# --- Layouts ------------------------------------------------------------------------------

def _norm(text: str) -> str:
    return " ".join(text.strip().lower().split())


def _is_import_id(cell: str) -> bool:
    cell = cell.strip()
    if not cell.startswith("{") or "importid" not in cell.lower():
        return False
    try:
        return isinstance(json.loads(cell), dict)
    except ValueError:
        return False


def detect_layout(header_rows: list[list[str]]) -> str:
    """Name the export layout that ``header_rows`` (the first rows of the file) come from."""
    first = [_norm(c) for c in header_rows[0]] if header_rows else []
    second = [_norm(c) for c in header_rows[1]] if len(header_rows) > 1 else []
    third = header_rows[2] if len(header_rows) > 2 else []
    if third and sum(_is_import_id(c) for c in third) >= max(1, len([c for c in third if c]) // 2):
        return "qualtrics"
    if SURVEYMONKEY_META.intersection(first) and (
        "respondent id" in first
        and (SURVEYMONKEY_SUBLABELS.intersection(second)
             or (second and not any(second[: first.index("respondent id") + 1])))
    ):
        return "surveymonkey"
    if len(LIMESURVEY_META.intersection(first)) >= 3:
        return "limesurvey"
    if len(TYPEFORM_META.intersection(first)) >= 2 or (first and first[0] == "#"
                                                        and "submitted at" in first):
        return "typeform"
    if first and first[0] in GOOGLE_TIMESTAMPS:
        return "google_forms"
    return "plain"


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    result = []
    for name in names:
        base = name
        if base in seen:
            seen[base] += 1
            name = f"{base} ({seen[base]})"
            while name in seen:
                seen[base] += 1
                name = f"{base} ({seen[base]})"
        seen.setdefault(name, 1)
        result.append(name)
    return result


def _header_rows(rows: Iterator[tuple[int, list[str]]]) -> tuple[int, list[list[str]]]:
    """Return the number of leading blank rows and the (up to) three rows after them."""
    blank, found = 0, []
    for _line, cells in rows:
        if not found and not any(c.strip() for c in cells):
            blank += 1
            if blank > 1000:
                break
            continue
        found.append(cells)
        if len(found) >= 3:
            break
    if hasattr(rows, "close"):
        rows.close()
    return blank, found


def _build(path: Path, container: str, header: tuple[int, list[list[str]]]) -> SourceTable:
    blank, header_rows = header
    if not header_rows:
        raise ImportFileError(_("The file is empty: it has no header row and no data."))
    layout = detect_layout(header_rows)
    first = [c.strip() for c in header_rows[0]]
    if layout == "surveymonkey":  # a matrix question's last sub-label has a blank above it
        first += [""] * max(0, len(header_rows[1]) - len(first))
    width = max(len(first), 1)
    if layout == "qualtrics":
        count, names = 3, first[:width]
        labels = [c.strip() for c in header_rows[1][:width]]
        labels += [""] * (width - len(labels))
    elif layout == "surveymonkey":
        count = 2
        subs = [c.strip() for c in header_rows[1][:width]] + [""] * width
        names, labels, question = [], [], ""
        for i in range(width):
            if first[i]:
                question = first[i]
            sub = subs[i]
            if not sub or sub.lower() in SURVEYMONKEY_SUBLABELS:
                text = question
            else:
                text = f"{question} - {sub}"
            names.append(text)
            labels.append(text)
    else:
        count, names, labels = 1, first[:width], first[:width]
    names = [n or f"column_{i + 1}" for i, n in enumerate(names)]
    names = _unique(names)
    columns = [SourceColumn(i, name, (labels[i] if i < len(labels) and labels[i] else name))
               for i, name in enumerate(names)]
    return SourceTable(path=path, container=container, layout=layout, columns=columns,
                       header_rows=count, _header_line_count=blank + count)
