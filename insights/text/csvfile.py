"""Read one text column from any CSV: UTF-8 (with or without BOM) or Windows-1252, any delimiter."""

import csv
import io
from collections.abc import Iterator
from pathlib import Path

DELIMITERS = ",;\t|"
SAMPLE_CHARS = 64 * 1024


def decode(data: bytes, encoding: str | None = None) -> str:
    """Return the text of a CSV file: the given encoding, else UTF-8 (BOM or not), else Windows-1252."""
    if encoding:
        return data.decode(encoding)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1")  # every byte is a character; nothing is lost


def sniff_delimiter(text: str) -> str:
    """Return the delimiter of a CSV text, judged from its first lines."""
    sample = text[:SAMPLE_CHARS]
    try:
        return csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        header = sample.splitlines()[0] if sample else ""
        counts = {delimiter: header.count(delimiter) for delimiter in DELIMITERS}
        best = max(counts, key=counts.get)
        return best if counts[best] else ","


def read_column(
    path: str | Path, column: str, *, encoding: str | None = None, delimiter: str | None = None
) -> Iterator[str]:
    """Yield the value of `column` for each data row; the header names it (case and spaces ignored).

    Raise ValueError when the file has no such column.
    """
    text = decode(Path(path).read_bytes(), encoding)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter or sniff_delimiter(text))
    header = next(reader, None)
    if header is None:
        raise ValueError("the file is empty")
    names = [name.strip() for name in header]
    if column in names:
        index = names.index(column)
    else:
        folded = [name.casefold() for name in names]
        if column.strip().casefold() not in folded:
            shown = ", ".join(repr(name) for name in names)
            raise ValueError(f"no column {column!r}; the columns are {shown}")
        index = folded.index(column.strip().casefold())
    for row in reader:
        if not row:
            continue
        yield row[index] if index < len(row) else ""
