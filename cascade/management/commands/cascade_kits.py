import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from accounts.models import Organisation
from cascade.kits import cascade_kits_write
from cascade.models import Cascade
from insights.management.commands.insights import wave_by_name_or_id

BAR_WIDTH = 30


class ProgressBar:
    """A progress bar on a command's stderr (an ``OutputWrapper``): redrawn in place on a
    terminal, a line per step elsewhere (logs, pipes)."""

    def __init__(self, stream, label: str):
        self.stream, self.label = stream, label
        self.tty = stream.isatty()
        self.started = time.perf_counter()

    def __call__(self, done: int, total: int) -> None:
        if not self.tty and done == 0:
            return
        filled = round(BAR_WIDTH * done / total) if total else BAR_WIDTH
        bar = "#" * filled + "." * (BAR_WIDTH - filled)
        seconds = time.perf_counter() - self.started
        line = f"{self.label} [{bar}] {done}/{total} {seconds:5.1f} s"
        if self.tty:
            self.stream.write("\r" + line, ending="\n" if done == total else "")
        else:
            self.stream.write(line)
        self.stream.flush()


class Command(BaseCommand):
    help = ("Write every 1-2-3 session's deck (PPTX) and handout (PDF) of a wave into DIR, named "
            "by unit path (01-organisation/02-unit/03-team.pptx), with a progress bar on stderr.")

    def add_arguments(self, parser):
        parser.add_argument("org", metavar="ORG", help="the organisation's short name")
        parser.add_argument("wave", metavar="WAVE", help="the wave's name or id")
        parser.add_argument("--out", required=True, metavar="DIR", help="where to write the files")
        parser.add_argument("--language", default=None, choices=[c for c, _n in settings.LANGUAGES],
                            help="language of the kits (default: the site's, Dutch)")

    def handle(self, *args, org: str, wave: str, out: str, language: str | None, **options):
        organisation = Organisation.objects.filter(slug=org).first()
        if organisation is None:
            raise CommandError(f"No organisation {org!r}.")
        found = wave_by_name_or_id(organisation, wave)
        cascade = (Cascade.objects.select_related("organisation", "wave").filter(wave=found)
                   .first())
        if cascade is None:
            raise CommandError(f"The wave {found.name!r} has no 1-2-3 sessions yet: run "
                               f"`outsidein cascade create {org} {found.name!r}` first.")
        folder = Path(out)
        written = []

        def write(name: str, content: bytes) -> None:
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            written.append(path)

        started = time.perf_counter()
        progress = ProgressBar(self.stderr, "kits")
        with translation.override(language or settings.LANGUAGE_CODE):
            sessions = cascade_kits_write(cascade, write, progress=progress)
        seconds = time.perf_counter() - started
        self.stdout.write(self.style.SUCCESS(
            f"Wrote {len(written)} files for {sessions} sessions to {folder} in {seconds:.1f} s."))
