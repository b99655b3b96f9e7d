from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from accounts.two_factor import two_factor_disable, two_factor_required


class Command(BaseCommand):
    help = ("Remove a user's authenticator and backup codes (a lost phone): an administrator or "
            "consultant sets up a new one at their next login.")

    def add_arguments(self, parser):
        parser.add_argument("email", metavar="EMAIL")

    def handle(self, *args, email, **options):
        user = User.objects.filter(email=email.strip().lower()).first()
        if user is None:
            raise CommandError(f"No user with e-mail address {email}.")
        two_factor_disable(user=user)
        then = ("sets up a new authenticator at the next login" if two_factor_required(user)
                else "logs in with the password alone until they turn it on again")
        self.stdout.write(f"Two-step verification of {user.email} removed; the user {then}.")
