import time

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organisation
from insights.management.commands.insights import wave_by_name_or_id
from insights.services import aggregates_refresh, texts_analyse
from research.models import Wave


class Command(BaseCommand):
    help = ("Rebuild the stored insights (per-unit aggregates, text analyses and theme counts) "
            "of one wave, or of every wave of the organisation.")

    def add_arguments(self, parser):
        parser.add_argument("org", metavar="ORG")
        parser.add_argument("wave", metavar="WAVE", nargs="?", help="name or id (default: all)")
        parser.add_argument("--no-text", action="store_true", help="skip the text analysis")

    def handle(self, *args, org, wave, no_text, **options):
        organisation = Organisation.objects.filter(slug=org).first()
        if organisation is None:
            raise CommandError(f"No organisation {org!r}.")
        waves = ([wave_by_name_or_id(organisation, wave)] if wave else
                 list(Wave.objects.for_organisation(organisation).select_related("organisation")))
        for item in waves:
            started = time.perf_counter()
            rows = aggregates_refresh(wave=item)
            texts = 0 if no_text else texts_analyse(wave=item)
            self.stdout.write(f"{item.name}: {rows} unit aggregates, {texts} texts analysed "
                              f"({time.perf_counter() - started:.1f} s)")
