"""``outsidein restore FILE``: put a backup made by ``outsidein backup`` back (see ``ops.backup``)."""

from django.core.management.base import BaseCommand, CommandError

from ops.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = ("Restore a backup made by 'outsidein backup' into the same database engine, all or nothing: "
            "SQLite with the online backup API, PostgreSQL with pg_restore --clean --single-transaction. "
            "Refuses a non-empty database unless --force, and a backup whose migrations are newer "
            "than the code. The current file directories are kept beside the restored ones "
            "as *.before-restore. Stop the app before restoring.")

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE")
        parser.add_argument("--force", action="store_true",
                            help="replace the contents of a database that is not empty")
        parser.add_argument("--database", default="default")

    def handle(self, *args, file: str, force: bool, database: str, **options):
        try:
            result = backup_restore(file, using=database, force=force)
        except BackupError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Restored the backup of {result.manifest['created_at']} "
                          f"(files: {', '.join(result.files) or 'none'}).")
        if result.older_migrations:
            self.stdout.write("The backup is older than the code: run 'outsidein manage migrate' now.")
