from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from research.importing import responses_export
from research.management.commands._research import organisation_by_slug, wave_by_name


class Command(BaseCommand):
    help = "Export a wave's responses to a CSV or XLSX file (by the file's extension)."

    def add_arguments(self, parser):
        parser.add_argument("org", metavar="ORG")
        parser.add_argument("wave", metavar="WAVE", help="the wave's name")
        parser.add_argument("file", metavar="FILE", help="FILE.csv or FILE.xlsx")

    def handle(self, *args, org, wave, file, **options):
        organisation = organisation_by_slug(org)
        wave = wave_by_name(organisation, wave)
        path = Path(file)
        fmt = path.suffix.lower().lstrip(".")
        if fmt not in ("csv", "xlsx"):
            raise CommandError(f"{file}: the file name must end in .csv or .xlsx.")
        count = responses_export(wave=wave, path=path, fmt=fmt)
        self.stdout.write(f"Wrote {count} responses of {wave.name!r} to {path}.")
