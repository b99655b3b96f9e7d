"""``privacy export ORG EMAIL [--format json|csv] [--out FILE]``, ``privacy erase ORG EMAIL --yes``
and ``privacy retention [ORG] [--dry-run]`` (the daily retention run, for cron)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Organisation
from privacy import selectors, services


class Command(BaseCommand):
    help = "Export or erase everything held about one person (AVG/GDPR)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        export = sub.add_parser("export", help="Export a person's data as JSON or a ZIP of CSV files.")
        export.add_argument("org")
        export.add_argument("email")
        export.add_argument("--format", choices=["json", "csv"], default="json")
        export.add_argument("--out", help="File to write (default: standard output for JSON).")
        erase = sub.add_parser("erase", help="Erase a person's data irreversibly.")
        erase.add_argument("org")
        erase.add_argument("email")
        erase.add_argument("--yes", action="store_true", help="Confirm the erasure.")
        retention = sub.add_parser("retention", help="Strip personal data from responses older "
                                                     "than the organisation's retention policy.")
        retention.add_argument("org", nargs="?", help="One organisation (default: all with a policy).")
        retention.add_argument("--dry-run", action="store_true", help="Count only; write nothing.")

    def handle(self, *args, **options):
        if options["subcommand"] == "retention":
            return self.retention(options)
        try:
            organisation = Organisation.objects.get(slug=options["org"])
        except Organisation.DoesNotExist as exc:
            raise CommandError(f"Unknown organisation: {options['org']}") from exc
        try:
            if options["subcommand"] == "export":
                self.export(organisation, options)
            else:
                self.erase(organisation, options)
        except selectors.PersonNotFound as exc:
            raise CommandError(str(exc)) from exc

    def export(self, organisation, options):
        data = selectors.person_data(organisation, options["email"])
        body = selectors.export_json(data) if options["format"] == "json" else selectors.export_zip(data)
        services.person_export_record(organisation=organisation, data=data, fmt=options["format"])
        if options["out"]:
            Path(options["out"]).write_bytes(body)
            self.stdout.write(f"Written to {options['out']}.")
        elif options["format"] == "csv":
            raise CommandError("A ZIP of CSV files needs --out FILE.")
        else:
            self.stdout.write(body.decode())

    def erase(self, organisation, options):
        if not options["yes"]:
            raise CommandError("Erasure cannot be undone: add --yes to confirm.")
        placeholder = services.person_erase(organisation=organisation, email=options["email"], actor=None)
        self.stdout.write(f"Erased; the person is now shown as {placeholder}.")

    def retention(self, options):
        from privacy.models import RetentionPolicy

        if options["org"]:
            try:
                organisations = [Organisation.objects.get(slug=options["org"])]
            except Organisation.DoesNotExist as exc:
                raise CommandError(f"Unknown organisation: {options['org']}") from exc
        else:
            organisations = [p.organisation for p in RetentionPolicy.objects.select_related(
                "organisation").order_by("organisation__slug")]
        for organisation in organisations:
            summary = services.retention_run(organisation=organisation, dry_run=options["dry_run"])
            if not summary.active:
                self.stdout.write(f"{organisation.slug}: no active retention policy; nothing stripped.")
                continue
            verb = "would strip" if summary.dry_run else "stripped"
            self.stdout.write(f"{organisation.slug}: {verb} {summary.total} responses given before "
                              f"{summary.cutoff:%Y-%m-%d} ({summary.months} months).")
            for wave in summary.waves:
                self.stdout.write(f"  {wave.wave}: {wave.responses}")
