"""``outsidein check``: one line per configuration or connectivity check (see ``ops.checks``)."""

from django.core.management.base import BaseCommand, CommandError

from ops.checks import run_all


class Command(BaseCommand):
    help = ("Check the configuration and connections: Django's system checks (with the deployment "
            "checks when DEBUG is off), DEBUG and ALLOWED_HOSTS, the database and its migrations, "
            "Redis and the channel layer, the cache, collected static files, the e-mail backend, "
            "the secret key and the import directory. Prints OK or FAIL with a reason per check; "
            "exits non-zero when any fails.")
    requires_system_checks = []  # the system checks are one of ours, reported as a line

    def add_arguments(self, parser):
        parser.add_argument("--production", action="store_true",
                            help="fail when DEBUG is on (run it on the production servers)")

    def handle(self, *args, production=False, **options):
        results = run_all(production=production)
        for result in results:
            self.stdout.write(result.line())
        failed = [r.name for r in results if not r.ok]
        if failed:
            raise CommandError(f"{len(failed)} of {len(results)} checks failed: {', '.join(failed)}.")
        self.stdout.write(f"All {len(results)} checks passed.")
