import time

from django.core.management import call_command
from django.core.management.base import BaseCommand

from accounts.models import Organisation
from outsidein.demo import DEMO_URL, demo_build


class Command(BaseCommand):
    help = ("Create or refresh the demo organisation (a Dutch insurer) and the consultant's "
            "second organisation, from a fixed seed.")

    def add_arguments(self, parser):
        parser.add_argument("--if-empty", action="store_true",
                            help="only when the database holds no organisation yet")
        parser.add_argument("--seed", type=int, default=2026,
                            help="the same seed gives the same demo (default 2026)")

    def handle(self, *args, if_empty: bool, seed: int, **options):
        if if_empty and Organisation.objects.exists():
            self.stdout.write("The database already holds an organisation; demo not built.")
            return
        started = time.perf_counter()
        summary = demo_build(seed=seed)
        # The demo's waves were written in bulk; compute their insights once.
        call_command("insights_refresh", "demo", stdout=self.stdout)
        seconds = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(f"Demo built in {seconds:.1f} s:"))
        for label, value in (("units", summary.units), ("teams", summary.teams),
                             ("people", summary.people), ("customers", summary.customers),
                             ("improvement points", summary.points),
                             ("actions", summary.actions)):
            self.stdout.write(f"  {label:<20}{value:>6,}")
        self.stdout.write(f"Log in at {DEMO_URL} (manage.py demo_logins lists the accounts).")
