"""Uploads are judged by their content, not their name (outsidein.uploads)."""

import io
import zipfile

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from outsidein.uploads import TEXT, XLSX, sniff, upload_check, upload_check_name

EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200 + b"This program"


def xlsx_bytes() -> bytes:
    book = Workbook()
    book.active.append(["naam", "email"])
    book.active.append(["Anja", "anja@example.nl"])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def other_zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")  # no content types: not OOXML
    return buffer.getvalue()


def f(name, content):
    return SimpleUploadedFile(name, content)


@pytest.mark.parametrize("content, kind", [
    ("naam;email\r\nCafé;c@example.nl\r\n".encode(), TEXT),
    ("naam;email\r\nCafé;c@example.nl\r\n".encode("cp1252"), TEXT),
    (xlsx_bytes(), XLSX),
    (other_zip(), "zip"),
    (EXE, "binary"),
    (b"\x00\x01\x02\x03" * 50, "binary"),
])
def test_sniff_tells_the_kind_from_the_bytes(content, kind):
    assert sniff(f("whatever.bin", content)) == kind


def test_a_csv_named_xlsx_is_refused():
    with pytest.raises(forms.ValidationError) as error:
        upload_check_name(f("export.xlsx", b"naam,email\r\nA,a@example.nl\r\n"))
    assert error.value.code == "content_mismatch"


def test_a_program_renamed_csv_is_refused():
    with pytest.raises(forms.ValidationError) as error:
        upload_check(f("klanten.csv", EXE), allowed=(TEXT,))
    assert error.value.code == "content_mismatch"


def test_a_workbook_where_only_csv_is_taken_is_refused():
    with pytest.raises(forms.ValidationError) as error:
        upload_check(f("klanten", xlsx_bytes()), allowed=(TEXT,))
    assert error.value.code == "content_refused"


def test_a_zip_that_is_no_workbook_is_refused_as_xlsx():
    with pytest.raises(forms.ValidationError):
        upload_check(f("export.xlsx", other_zip()), allowed=(TEXT, XLSX))


def test_good_files_pass_and_the_file_is_rewound():
    upload = f("export.xlsx", xlsx_bytes())
    assert upload_check(upload, allowed=(TEXT, XLSX)) == XLSX
    assert upload.read(2) == b"PK"
    assert upload_check(f("klanten.csv", b"naam\r\nA\r\n"), allowed=(TEXT,)) == TEXT
