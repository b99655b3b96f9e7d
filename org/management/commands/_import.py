"""The shared body of the ``import_customers`` and ``import_people`` commands."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organisation
from org.importers import MAX_FILE_BYTES, ImportResult


class ImportCommand(BaseCommand):
    what = ""  # "customers" or "people"

    def add_arguments(self, parser):
        parser.add_argument("org", metavar="ORG", help="the organisation's short name (slug)")
        parser.add_argument("file", metavar="FILE", help="path to the CSV file")
        parser.add_argument("--dry-run", action="store_true",
                            help="check the file only; write nothing")

    def run_import(self, *, organisation: Organisation, data: bytes,
                   dry_run: bool) -> ImportResult:
        raise NotImplementedError

    def handle(self, *args, org: str, file: str, dry_run: bool, **options):
        organisation = Organisation.objects.filter(slug=org).first()
        if organisation is None:
            raise CommandError(f"No organisation with short name {org!r}.")
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {file}")
        if path.stat().st_size > MAX_FILE_BYTES:
            raise CommandError(f"{file} is larger than 10 MB. Split it into smaller files.")
        result = self.run_import(organisation=organisation, data=path.read_bytes(),
                                 dry_run=dry_run)
        if result.errors:
            for error in result.errors:
                self.stderr.write(str(error))
            raise CommandError(
                f"{len(result.errors)} error(s) in {file}; no {self.what} were imported."
            )
        verb = "Would create" if dry_run else "Created"
        self.stdout.write(
            f"{verb} {result.created} and {'would update' if dry_run else 'updated'} "
            f"{result.updated} {self.what} in {organisation.name}."
        )
        if dry_run:
            self.stdout.write("Dry run: nothing was written.")
