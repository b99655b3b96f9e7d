"""Check an uploaded file by its content, not its name.

``upload_check`` reads the start of the file and tells what it really is: text (CSV,
JSON), an Excel workbook (a zip holding the Office Open XML content types and a
workbook), or something else. A file is refused when its content is not one of the
allowed kinds, or when its name promises one kind and the content is another (a CSV
renamed ``.xlsx``, a program renamed ``.csv``).
"""

import codecs
import zipfile
from pathlib import PurePath

from django import forms
from django.utils.translation import gettext as _

TEXT = "text"
XLSX = "xlsx"
SNIFF_BYTES = 64 * 1024
XLSX_MAIN_TYPE = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
TEXT_SUFFIXES = {".csv", ".tsv", ".txt", ".json"}
XLSX_SUFFIXES = {".xlsx"}


def sniff(upload) -> str:
    """Return ``"text"``, ``"xlsx"``, ``"zip"`` (another zip) or ``"binary"`` for ``upload``."""
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return XLSX if _is_ooxml_workbook(upload) else "zip"
    return TEXT if _is_text(head, truncated=len(head) == SNIFF_BYTES) else "binary"


def _is_ooxml_workbook(upload) -> bool:
    try:
        with zipfile.ZipFile(upload) as archive:
            names = set(archive.namelist())
            if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
                return False
            info = archive.getinfo("[Content_Types].xml")
            if info.file_size > 1024 * 1024:
                return False
            return XLSX_MAIN_TYPE in archive.read(info)
    except (zipfile.BadZipFile, OSError, ValueError, KeyError, RuntimeError):
        return False
    finally:
        upload.seek(0)


def _is_text(head: bytes, *, truncated: bool) -> bool:
    """UTF-8 (with or without BOM) or Windows-1252/Latin-1 text without NUL bytes or a run
    of control characters."""
    if not head or b"\x00" in head:
        return False
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        text = decoder.decode(head, final=not truncated)
    except UnicodeDecodeError:
        text = head.decode("latin-1")
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\r\n\x0c")
    return controls <= max(8, len(text) // 100)


def upload_check_name(upload) -> str:
    """Return the kind of ``upload`` ("text", "xlsx", "zip", "binary"); raise a
    ``forms.ValidationError`` when its name promises another kind than its content."""
    kind = sniff(upload)
    suffix = PurePath(upload.name or "").suffix.lower()
    if suffix in XLSX_SUFFIXES and kind != XLSX:
        raise forms.ValidationError(_(
            "This file is called .xlsx but is not an Excel workbook. Save it again from Excel as "
            ".xlsx, or as CSV with a .csv name."), code="content_mismatch")
    if suffix in TEXT_SUFFIXES and kind != TEXT:
        raise forms.ValidationError(_(
            "This file is called %(suffix)s but is not a text file (it contains binary data). "
            "Upload the real %(suffix)s file.") % {"suffix": suffix}, code="content_mismatch")
    return kind


def upload_check(upload, *, allowed: tuple[str, ...]) -> str:
    """Return the kind of ``upload`` (one of ``allowed``: "text", "xlsx") or raise a
    ``forms.ValidationError`` that says in plain words what is wrong."""
    kind = upload_check_name(upload)
    if kind not in allowed:
        if allowed == (TEXT,):
            message = _("This is not a text (CSV) file. Save it as CSV and try again.")
        else:
            message = _("This is neither a text (CSV) file nor an Excel workbook. "
                        "Save it as CSV or XLSX and try again.")
        raise forms.ValidationError(message, code="content_refused")
    return kind
