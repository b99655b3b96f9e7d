import os

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organisation
from research.models import Wave
from research.survey import InvitationsRefused, invitations_create, invitations_remind, invitations_send


class Command(BaseCommand):
    help = ("Invite every customer's primary contact to a wave's survey and e-mail the invitations "
            "not sent yet; with --remind, send the one reminder to those who have not submitted.")

    def add_arguments(self, parser):
        parser.add_argument("org", metavar="ORG", help="the organisation's short name")
        parser.add_argument("wave", metavar="WAVE", help="the wave's name or id")
        parser.add_argument("--remind", action="store_true",
                            help="send the reminder instead of invitations")
        parser.add_argument("--base-url", default=os.environ.get("OUTSIDEIN_BASE_URL",
                                                                 "http://127.0.0.1:8000"),
                            help="scheme and host the links point to (default: $OUTSIDEIN_BASE_URL "
                                 "or http://127.0.0.1:8000)")

    def handle(self, *args, org, wave, remind, base_url, **options):
        organisation = Organisation.objects.filter(slug=org).first()
        if organisation is None:
            raise CommandError(f"No organisation with short name {org!r}.")
        waves = Wave.objects.for_organisation(organisation)
        found = waves.filter(name=wave).first() or (
            waves.filter(pk=int(wave)).first() if wave.isdigit() else None)
        if found is None:
            raise CommandError(f"{organisation} has no wave {wave!r}.")
        try:
            if remind:
                sent = invitations_remind(wave=found, base_url=base_url)
                self.stdout.write(f"Sent {sent} reminders for {found}.")
            else:
                created = invitations_create(wave=found)
                sent = invitations_send(wave=found, base_url=base_url)
                self.stdout.write(f"Invited {created} new contacts; sent {sent} invitations for {found}.")
        except InvitationsRefused as error:
            raise CommandError(str(error)) from error
