"""``outsidein backup FILE``: the database and its stored files in one .tar.gz (see ``ops.backup``)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ops.backup import BackupError, backup_create


class Command(BaseCommand):
    help = ("Write a backup (.tar.gz) of the database and the files it refers to (imports, kits, media). "
            "SQLite: online backup API; PostgreSQL: pg_dump --format=custom. A backup restores into "
            "the same database engine only.")

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE")
        parser.add_argument("--database", default="default")

    def handle(self, *args, file: str, database: str, **options):
        path = Path(file)
        if not path.parent.is_dir():
            raise CommandError(f"The directory {path.parent} does not exist.")
        try:
            manifest = backup_create(path, using=database)
        except BackupError as error:
            raise CommandError(str(error)) from error
        files = sum(manifest["files"].values())
        self.stdout.write(f"Backup written to {path}: {manifest['engine']} database, "
                          f"{len(manifest['migrations'])} migrations, {files} files.")
