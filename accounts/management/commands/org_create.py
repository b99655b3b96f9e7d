from django.core.management.base import BaseCommand, CommandError

from accounts.services import organisation_create


class Command(BaseCommand):
    help = "Create an organisation (tenant) with its root unit."

    def add_arguments(self, parser):
        parser.add_argument("slug", metavar="ORG")
        parser.add_argument("--name", required=True)

    def handle(self, *args, slug, name, **options):
        try:
            organisation = organisation_create(slug=slug, name=name)
        except ValueError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"Created organisation {organisation.name} ({organisation.slug}).")
