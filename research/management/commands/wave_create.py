from datetime import date

from django.core.management.base import BaseCommand, CommandError

from research.management.commands._research import organisation_by_slug
from research.services import wave_create


def _date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"{value!r} is not a date (use YYYY-MM-DD).") from error


class Command(BaseCommand):
    help = ("Create a research wave; its questionnaire is copied from the latest earlier wave, "
            "or built from the organisation's drivers and core values.")

    def add_arguments(self, parser):
        parser.add_argument("org", metavar="ORG", help="the organisation's short name (slug)")
        parser.add_argument("name", metavar="WAVE", help="the wave's name")
        parser.add_argument("--start", help="first day of the period (YYYY-MM-DD)")
        parser.add_argument("--end", help="last day of the period (YYYY-MM-DD)")
        parser.add_argument("--anonymous", action="store_true",
                            help="responses are not linked to customers")

    def handle(self, *args, org, name, start=None, end=None, anonymous=False, **options):
        organisation = organisation_by_slug(org)
        try:
            wave = wave_create(organisation=organisation, actor=None, name=name,
                               period_start=_date(start), period_end=_date(end),
                               is_anonymous=anonymous)
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Created wave {wave.name!r} (id {wave.pk}) in {organisation.name} "
                          f"with {wave.questions.count()} questions.")
