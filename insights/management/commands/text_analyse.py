import itertools
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from insights.text import analyse, compile_taxonomy
from insights.text.csvfile import read_column


class Command(BaseCommand):
    help = (
        "Detect the language, sentiment (-1 to 1) and themes of one text column of any CSV file "
        "(UTF-8 with or without BOM, or Windows-1252; the delimiter is sniffed). With --json, print "
        "JSON Lines: one object per data row, in file order, with the keys row (1 = the first row "
        "after the header), language ('nl', 'en' or 'other'), sentiment, label ('positive', "
        "'negative' or 'neutral') and themes (a list of theme keys)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE.csv", help="the CSV file; its first row names the columns")
        parser.add_argument("--column", required=True, metavar="NAME", help="the column holding the text")
        parser.add_argument("--json", dest="as_json", action="store_true",
                            help="print JSON Lines instead of a table")
        parser.add_argument("--taxonomy", metavar="FILE.json",
                            help="a taxonomy in JSON (default: the built-in Dutch CX taxonomy)")
        parser.add_argument("--encoding", help="the file's encoding, when guessing gets it wrong")
        parser.add_argument("--delimiter", help="the field delimiter, when sniffing gets it wrong")

    def handle(self, *args, file, column, as_json, taxonomy, encoding, delimiter, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No file {file!r}.")
        try:
            compiled = compile_taxonomy(_load_taxonomy(taxonomy) if taxonomy else None)
        except ValueError as error:
            raise CommandError(f"The taxonomy cannot be used: {error}") from error
        texts = read_column(path, column, encoding=encoding, delimiter=delimiter)
        try:
            first = next(texts, None)
        except (ValueError, UnicodeDecodeError, LookupError) as error:
            raise CommandError(str(error)) from error
        if first is None:
            return
        shown, analysed = itertools.tee(itertools.chain([first], texts))
        for number, (text, result) in enumerate(zip(shown, analyse(analysed, compiled), strict=True), 1):
            self._write(number, text, result, as_json=as_json)

    def _write(self, number, text, result, *, as_json):
        if as_json:
            self.stdout.write(_dumps({
                "row": number,
                "language": result.language,
                "sentiment": round(result.sentiment, 4),
                "label": result.label,
                "themes": list(result.themes),
            }))
        else:
            snippet = " ".join(text.split())
            snippet = snippet if len(snippet) <= 60 else snippet[:59] + "…"
            themes = ", ".join(result.themes) or "-"
            self.stdout.write(
                f"{number:>6}  {result.language:<5}  {result.sentiment:+.2f}  {themes:<40}  {snippet}"
            )


def _load_taxonomy(path: str) -> dict:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise CommandError(f"Cannot read the taxonomy {path!r}: {error}") from error


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)
