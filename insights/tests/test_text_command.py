"""The `text_analyse` management command: any CSV in, one JSON object per row out."""

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from insights.management.commands.text_analyse import Command
from insights.text.csvfile import decode, sniff_delimiter


def run(*args) -> str:
    out = io.StringIO()
    call_command(Command(), *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def cp1252_csv(tmp_path):
    path = tmp_path / "opmerkingen.csv"
    rows = [
        "nummer;Toelichting;score",
        "1;Erg vriendelijke medewerker, snel geholpen;9",
        '2;"Ik moest te lang wachten; daarna niet teruggebeld";3',
        "3;The app does not work;5",
        "4;Café-achtige wachtruimte, premie te duur;6",
        "5;;7",
    ]
    path.write_bytes("\r\n".join(rows).encode("cp1252"))
    return path


def test_json_lines_give_language_sentiment_and_themes_per_row(cp1252_csv):
    lines = run(str(cp1252_csv), "--column", "Toelichting", "--json").splitlines()
    rows = [json.loads(line) for line in lines]
    assert [row["row"] for row in rows] == [1, 2, 3, 4, 5]
    assert [row["language"] for row in rows] == ["nl", "nl", "en", "nl", "other"]
    assert set(rows[0]) == {"row", "language", "sentiment", "label", "themes"}
    assert rows[0]["sentiment"] > 0.05 and rows[0]["label"] == "positive"
    assert {"vriendelijkheid", "wachttijd"} <= set(rows[0]["themes"])
    assert rows[1]["sentiment"] < -0.05 and {"wachttijd", "communicatie"} <= set(rows[1]["themes"])
    assert rows[2]["label"] == "negative" and rows[2]["themes"] == ["digitale_kanalen"]
    assert "prijs" in rows[3]["themes"]
    assert rows[4] == {"row": 5, "language": "other", "sentiment": 0.0, "label": "neutral", "themes": []}
    assert all(-1 <= row["sentiment"] <= 1 for row in rows)


def test_column_name_is_matched_without_regard_to_case(cp1252_csv):
    assert len(run(str(cp1252_csv), "--column", " toelichting ", "--json").splitlines()) == 5


def test_table_output_shows_one_line_per_row(cp1252_csv):
    lines = run(str(cp1252_csv), "--column", "Toelichting").splitlines()
    assert len(lines) == 5
    assert "Café-achtige" in lines[3]


def test_utf8_with_bom_and_commas(tmp_path):
    path = tmp_path / "comments.csv"
    path.write_bytes("\ufeffid,comment\n1,\"Top service, heel vriendelijk\"\n2,Veel te duur\n".encode())
    rows = [json.loads(line) for line in run(str(path), "--column", "comment", "--json").splitlines()]
    assert [row["label"] for row in rows] == ["positive", "negative"]


def test_custom_taxonomy_file_is_used(cp1252_csv, tmp_path):
    taxonomy = tmp_path / "taxonomy.json"
    taxonomy.write_text(json.dumps({"themes": [{"key": "app", "terms": ["app"]}]}), encoding="utf-8")
    output = run(str(cp1252_csv), "--column", "Toelichting", "--json", "--taxonomy", str(taxonomy))
    lines = output.splitlines()
    assert [json.loads(line)["themes"] for line in lines] == [[], [], ["app"], [], []]


def test_unknown_column_names_the_columns(cp1252_csv):
    with pytest.raises(CommandError, match="'nummer', 'Toelichting', 'score'"):
        run(str(cp1252_csv), "--column", "opmerking")


def test_missing_file_is_an_error(tmp_path):
    with pytest.raises(CommandError, match="No file"):
        run(str(tmp_path / "nope.csv"), "--column", "x")


def test_invalid_taxonomy_is_an_error(cp1252_csv, tmp_path):
    taxonomy = tmp_path / "taxonomy.json"
    taxonomy.write_text('{"themes": [{"key": "leeg"}]}', encoding="utf-8")
    with pytest.raises(CommandError, match="taxonomy"):
        run(str(cp1252_csv), "--column", "Toelichting", "--taxonomy", str(taxonomy))


def test_decode_falls_back_from_utf8_to_cp1252():
    assert decode("één € ".encode()) == "één € "
    assert decode("één € ".encode("cp1252")) == "één € "
    assert decode(b"\xef\xbb\xbfa,b") == "a,b"


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_sniff_delimiter(delimiter):
    text = delimiter.join(["id", "opmerking", "score"]) + "\n" + delimiter.join(["1", "goed", "9"]) + "\n"
    assert sniff_delimiter(text) == delimiter
