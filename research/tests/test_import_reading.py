"""Reading survey exports: layouts, encodings, delimiters, XLSX, and bad files."""

import zipfile

import pytest
from django.utils import translation
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from research.importing import ImportFileError, read_table
from research.importing.cells import (
    CellInvalid,
    parse_comparison,
    parse_datetime,
    parse_nps,
    parse_number,
    parse_yes_no,
)
from research.tests._import_support import write_csv, write_xlsx

QUALTRICS = [
    ["StartDate", "EndDate", "ResponseId", "RecipientEmail", "Q1", "Q2", "Q3_1", "Q3_2"],
    ["Start Date", "End Date", "Response ID", "Recipient Email",
     "How likely are you to recommend Acme to a friend?", "Why this score?",
     "Rate us - Snelheid", "Rate us - Vriendelijkheid"],
    ['{"ImportId":"startDate"}', '{"ImportId":"endDate"}', '{"ImportId":"_recordId"}',
     '{"ImportId":"recipientEmail"}', '{"ImportId":"QID1"}', '{"ImportId":"QID2_TEXT"}',
     '{"ImportId":"QID3_1"}', '{"ImportId":"QID3_2"}'],
    ["2024-03-01 09:00:00", "2024-03-01 09:04:00", "R_abc", "info@jansen.nl", "9", "Snel",
     "8", "9"],
]
SURVEYMONKEY = [
    ["Respondent ID", "Collector ID", "Start Date", "End Date", "Email Address",
     "How likely is it that you would recommend us?", "Why?", "Please rate us on:", ""],
    ["", "", "", "", "", "Response", "Open-Ended Response", "Snelheid", "Vriendelijkheid"],
    ["1001", "55", "03/01/2024 09:00:00 AM", "03/01/2024 09:05:00 AM", "info@jansen.nl", "10",
     "Top", "9", "8"],
]
LIMESURVEY = [
    ["id", "submitdate", "lastpage", "startlanguage", "seed", "token", "nps", "waarom",
     "snelheid[SQ001]"],
    ["1", "2024-03-01 10:00:00", "3", "nl", "123", "abc", "7", "Prima", "8"],
]
TYPEFORM = [
    ["#", "Hoe waarschijnlijk is het dat je ons aanbeveelt?", "Waarom?", "Start Date (UTC)",
     "Submit Date (UTC)", "Network ID"],
    ["x1y2", "8", "Goed", "2024-03-01 10:00:00", "2024-03-01 10:02:00", "aa11"],
]
GOOGLE = [
    ["Tijdstempel", "E-mailadres", "Hoe waarschijnlijk is het dat u ons aanbeveelt?",
     "Waarom geeft u deze score?"],
    ["1-3-2024 10:00:00", "info@jansen.nl", "9", "Vriendelijk"],
]


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.mark.parametrize(("rows", "layout", "header_rows"), [
    (QUALTRICS, "qualtrics", 3), (SURVEYMONKEY, "surveymonkey", 2), (LIMESURVEY, "limesurvey", 1),
    (TYPEFORM, "typeform", 1), (GOOGLE, "google_forms", 1),
    ([["klant", "score"], ["K1", "9"]], "plain", 1),
])
def test_layout_is_recognised_from_the_header_rows(tmp_path, rows, layout, header_rows):
    table = read_table(write_csv(tmp_path / "export.bin", rows))
    assert (table.layout, table.header_rows) == (layout, header_rows)
    first = table.preview(1)[0]
    assert first == rows[header_rows]  # the first data row, not a header


def test_qualtrics_columns_keep_ids_as_names_and_question_texts_as_labels(tmp_path):
    table = read_table(write_csv(tmp_path / "q.csv", QUALTRICS))
    q1 = table.column("Q1")
    assert q1.label == "How likely are you to recommend Acme to a friend?"
    assert [r.line for r in table.iter_rows()] == [4]


def test_surveymonkey_blank_header_cell_continues_the_previous_question(tmp_path):
    table = read_table(write_csv(tmp_path / "sm.csv", SURVEYMONKEY))
    assert table.column_names[5:] == [
        "How likely is it that you would recommend us?", "Why?",
        "Please rate us on: - Snelheid", "Please rate us on: - Vriendelijkheid"]


def test_xlsx_is_detected_by_content_and_read_with_its_layout(tmp_path):
    rows = [r[:] for r in QUALTRICS]
    rows[3] = rows[3][:4] + [9, "Snel", 7.5, 8]
    table = read_table(write_xlsx(tmp_path / "export.csv", rows))  # the name lies
    assert (table.container, table.layout) == ("xlsx", "qualtrics")
    assert table.preview()[0][4:] == ["9", "Snel", "7.5", "8"]
    assert table.rows_estimate == 1


def test_cp1252_with_semicolons_and_utf8_bom_are_decoded(tmp_path):
    rows = [["Klantnummer", "Opmerking", "Cijfer"], ["K1", "Prima café, één keer", "7,5"]]
    excel = read_table(write_csv(tmp_path / "a.csv", rows, encoding="cp1252", delimiter=";"))
    assert (excel.encoding, excel.delimiter) == ("cp1252", ";")
    assert excel.preview()[0] == ["K1", "Prima café, één keer", "7,5"]
    bom = read_table(write_csv(tmp_path / "b.csv", rows, encoding="utf-8-sig", delimiter="\t"))
    assert (bom.encoding, bom.delimiter) == ("utf-8-sig", "\t")
    assert bom.column_names[0] == "Klantnummer"
    pipes = read_table(write_csv(tmp_path / "c.csv", rows, delimiter="|"))
    assert pipes.delimiter == "|" and pipes.preview()[0][1] == "Prima café, één keer"


def test_duplicate_and_blank_header_names_become_unique(tmp_path):
    table = read_table(write_csv(tmp_path / "d.csv", [["Score", "Score", ""], ["1", "2", "3"]]))
    assert table.column_names == ["Score", "Score (2)", "column_3"]


@pytest.mark.parametrize(("text", "value"), [
    ("7", 7), ("7,5", 7.5), ("7.5", 7.5), ("10 - Zeer waarschijnlijk", 10),
    ("0 = Not at all likely", 0), ("9 (promotor)", 9), ("", None), ("  ", None),
])
def test_numbers_with_decimal_comma_and_labels_are_parsed(text, value):
    assert parse_number(text) == value


def test_cell_parsers_explain_what_is_wrong():
    with pytest.raises(CellInvalid, match=r"'7,5' is not a recommendation score"):
        parse_nps("7,5")
    with pytest.raises(CellInvalid, match=r"'veel' is not a number"):
        parse_number("veel")
    assert parse_yes_no("Ja") is True and parse_yes_no("nee") is False
    assert parse_comparison("Even goed") == "same" and parse_comparison("beter") == "better"
    assert parse_datetime("2024-03-01 10:00:00").year == 2024


# --- Bad input ------------------------------------------------------------------------------

def test_empty_file_is_refused(tmp_path):
    (tmp_path / "e.csv").write_bytes(b"")
    with pytest.raises(ImportFileError, match="The file is empty."):
        read_table(tmp_path / "e.csv")
    (tmp_path / "blank.csv").write_bytes(b"\r\n\r\n  \n")
    with pytest.raises(ImportFileError, match="empty"):
        read_table(tmp_path / "blank.csv")


def test_binary_file_is_refused(tmp_path):
    (tmp_path / "b.csv").write_bytes(bytes(range(256)) * 4)
    with pytest.raises(ImportFileError, match="contains binary data"):
        read_table(tmp_path / "b.csv")
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    with pytest.raises(ImportFileError, match=r"old Excel \(.xls\)"):
        read_table(tmp_path / "old.xls")


def test_file_larger_than_the_cap_is_refused_before_parsing(tmp_path, settings):
    settings.IMPORT_MAX_BYTES = 1000
    path = write_csv(tmp_path / "big.csv", [["a", "b"]] + [["1", "2"]] * 400)
    with pytest.raises(ImportFileError, match=r"largest file that can be imported is 1 KB"):
        read_table(path)


def _zip(path, members: dict[str, bytes]):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def test_zip_bomb_workbook_is_refused_without_inflating_it(tmp_path):
    sheet = b'<?xml version="1.0"?><worksheet>' + b" " * (30 * 1024 * 1024) + b"</worksheet>"
    path = _zip(tmp_path / "bomb.xlsx", {"xl/workbook.xml": b"<workbook/>",
                                         "xl/worksheets/sheet1.xml": sheet})
    assert path.stat().st_size < 100_000
    with pytest.raises(ImportFileError, match="zip bomb"):
        read_table(path)


def test_xml_bomb_in_a_workbook_is_refused(tmp_path):
    source = write_xlsx(tmp_path / "ok.xlsx", [["NPS"], [9]])
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              + b"".join(b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10 if i > 1
                                                   else b"&lol;" * 10) for i in range(1, 10))
              + b']><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              + b"<sheetData><row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>&lol9;</t></is></c>"
              + b"</row></sheetData></worksheet>")
    with zipfile.ZipFile(source) as original:
        members = {i.filename: original.read(i) for i in original.infolist()}
    members["xl/worksheets/sheet1.xml"] = laughs
    path = _zip(tmp_path / "laughs.xlsx", members)
    with pytest.raises(ImportFileError, match="XML document type declaration"):
        read_table(path)


def test_zip_that_is_not_a_workbook_is_refused(tmp_path):
    path = _zip(tmp_path / "x.xlsx", {"readme.txt": b"hallo"})
    with pytest.raises(ImportFileError, match="zip archive, not an Excel workbook"):
        read_table(path)


# --- Arbitrary input --------------------------------------------------------------------------

def _consume(path):
    try:
        table = read_table(path)
        for row in table.iter_rows():
            for cell in row.cells:
                for parse in (parse_number, parse_nps, parse_yes_no, parse_comparison,
                              parse_datetime):
                    try:
                        parse(cell)
                    except CellInvalid:
                        pass
    except ImportFileError:
        pass


@hsettings(max_examples=150, deadline=None,
           suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(
    st.binary(max_size=3000),
    st.binary(max_size=1000).map(lambda b: b"PK\x03\x04" + b),
    st.text(max_size=2000).map(lambda t: t.encode("utf-8")),
    st.lists(st.lists(st.text(max_size=12), max_size=6), max_size=8).map(
        lambda rows: "\n".join(";".join(r) for r in rows).encode("utf-8")),
))
def test_arbitrary_bytes_raise_only_our_own_errors(tmp_path, data):
    path = tmp_path / "fuzz"
    path.write_bytes(data)
    _consume(path)


@hsettings(max_examples=150, deadline=None)
@given(text=st.text(max_size=40))
def test_cell_parsers_raise_only_cell_invalid(text):
    for parse in (parse_number, parse_nps, parse_yes_no, parse_comparison, parse_datetime):
        try:
            parse(text)
        except CellInvalid:
            pass
