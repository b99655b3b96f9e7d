from django.core.management.base import BaseCommand
from django.utils import translation

from accounts.models import Role
from accounts.permissions import MATRIX


class Command(BaseCommand):
    help = "Print the role matrix (what each role may do) as a Markdown table."

    def handle(self, *args, **options):
        with translation.override("en"):
            roles = [(role.value, str(role.label)) for role in Role]
            lines = [
                "| Capability | " + " | ".join(label for _value, label in roles) + " |",
                "|---|" + "---|" * len(roles),
            ]
            for label, allowed in MATRIX.values():
                marks = " | ".join("✓" if value in allowed else " " for value, _l in roles)
                lines.append(f"| {label} | {marks} |")
        self.stdout.write("\n".join(lines))
