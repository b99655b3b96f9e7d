from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organisation
from cascade import services
from research.models import Wave


class Command(BaseCommand):
    help = "Create the 1-2-3 sessions of a wave: one session per unit, in the method's order."

    def add_arguments(self, parser):
        parser.add_argument("org", metavar="ORG")
        parser.add_argument("wave", metavar="WAVE", help="the wave's name")

    def handle(self, *args, org: str, wave: str, **options):
        organisation = Organisation.objects.filter(slug=org).first()
        if organisation is None:
            raise CommandError(f"No organisation {org!r}.")
        found = Wave.objects.filter(organisation=organisation, name=wave).first()
        if found is None:
            raise CommandError(f"No wave {wave!r} in {org}.")
        try:
            cascade = services.cascade_create(organisation=organisation, wave=found, actor=None)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        levels = {}
        for session in cascade.sessions.all():
            levels[session.level] = levels.get(session.level, 0) + 1
        self.stdout.write(self.style.SUCCESS(
            f"Created {sum(levels.values())} sessions for {found.name}: "
            + ", ".join(f"{n} {level}" for level, n in levels.items())))
