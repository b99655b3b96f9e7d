from django.core.management.base import BaseCommand
from django.utils import translation

from accounts.models import Role
from outsidein.demo import DEMO_LOGINS, DEMO_PASSWORD, DEMO_URL


class Command(BaseCommand):
    help = "Print the demo logins: e-mail address, role, password and what each one shows."

    def handle(self, *args, **options):
        with translation.override("en"):
            rows = [(login.email, str(Role(login.role).label), DEMO_PASSWORD, login.shows)
                    for login in DEMO_LOGINS]
        header = ("E-mail address", "Role", "Password", "Shows")
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
        self.stdout.write(f"Demo logins for {DEMO_URL}\n")
        for row in [header, tuple("-" * w for w in widths), *rows]:
            self.stdout.write("  ".join(cell.ljust(w) for cell, w in zip(row, widths,
                                                                           strict=True)).rstrip())
