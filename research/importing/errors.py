"""The two kinds of trouble an import reports: a file we cannot read, and rows we refuse."""

from __future__ import annotations

from dataclasses import asdict, dataclass


class ImportFileError(ValueError):
    """The file as a whole cannot be imported (empty, binary, too large, a bomb, no header).

    ``message`` is a complete sentence meant for the person who uploaded the file.
    """

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class MappingInvalid(ValueError):
    """A column mapping that cannot be used; ``errors`` lists every reason."""

    def __init__(self, errors: list[str]):
        super().__init__(" ".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class RowError:
    """One problem with one cell (or one row when ``column`` is empty) of the source file.

    ``line`` is the physical line (CSV) or row (XLSX) number in the file, counting the
    header rows, so that it matches what the user sees in an editor or spreadsheet.
    ``column`` is the source column's name as used in mappings.
    """

    line: int
    column: str
    message: str

    def as_dict(self) -> dict:
        return asdict(self)

    def __str__(self) -> str:
        where = f"line {self.line}" + (f", {self.column}" if self.column else "")
        return f"{where}: {self.message}"
