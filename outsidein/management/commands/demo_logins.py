from django.core.management.base import BaseCommand
from django.utils import translation

from accounts.models import Role
from outsidein.demo import DEMO_LOGINS, DEMO_PASSWORD, DEMO_TOTP_KEY, DEMO_URL, demo_totp_code


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
        self._second_factor()
        self._customer_links()

    def _second_factor(self):
        """Administrators and consultants need a code after the password: the demo's key."""
        import base64

        from accounts.two_factor import TWO_FACTOR_ROLES

        emails = [login.email for login in DEMO_LOGINS if login.role in TWO_FACTOR_ROLES]
        key = base64.b32encode(bytes.fromhex(DEMO_TOTP_KEY)).decode().rstrip("=")
        grouped = " ".join(key[i:i + 4] for i in range(0, len(key), 4))
        self.stdout.write(
            f"\n{' and '.join(emails)} log in with a second step, a code from an authenticator app."
            f"\nAdd this demo key to your authenticator app (a time-based, 6-digit code):"
            f"\n  {grouped}"
            f"\nor type the code of this moment: {demo_totp_code()} (it changes every 30 seconds;"
            f" run `outsidein manage demo_logins` again for a new one).")

    def _customer_links(self):
        """Customers have no password: print a fresh one-time personal link for two of them."""
        from django.db import transaction
        from django.urls import reverse

        from accounts.models import MagicLinkPurpose
        from accounts.services import magic_link_issue
        from cocreation.models import GroupDelegate
        from cocreation.services import delegate_invite
        from portal.models import Contribution

        lines = []
        with transaction.atomic():
            contribution = (Contribution.objects.filter(organisation__slug="demo", contact__email__gt="")
                            .select_related("contact").order_by("pk").first())
            if contribution is not None:
                issued = magic_link_issue(contact=contribution.contact, purpose=MagicLinkPurpose.PORTAL)
                lines.append((contribution.contact.name, "customer portal: the points from their words",
                              issued.token))
            delegate = (GroupDelegate.objects.filter(group__organisation__slug="demo")
                        .select_related("contact", "group").order_by("pk").first())
            chair = delegate.group.members.filter(is_chair=True).first() if delegate else None
            if delegate is not None and chair is not None:
                delegate = delegate_invite(delegate=delegate, actor=chair.membership, base_url=DEMO_URL,
                                           notify=False)
                lines.append((delegate.contact.name, f"customer delegate in “{delegate.group.name}”",
                              delegate.issued_token))
        if lines:
            self.stdout.write("\nCustomers sign in with a personal one-time link (printed afresh each time):")
            for name, shows, token in lines:
                url = DEMO_URL.rstrip("/") + reverse("accounts:magic_link", args=[token])
                self.stdout.write(f"  {name} ({shows}):\n    {url}")
