import time

from django.core.management.base import BaseCommand

from research.importing import import_run, jobs_recover
from research.models import ImportJob, JobStatus


class Command(BaseCommand):
    help = ("Run queued survey imports (e.g. after a restart). Jobs left 'running' by a "
            "stopped process are marked failed first.")

    def add_arguments(self, parser):
        parser.add_argument("--watch", action="store_true",
                            help="keep running and pick up new jobs every few seconds")
        parser.add_argument("--interval", type=float, default=5.0)

    def handle(self, *args, watch=False, interval=5.0, **options):
        recovered = jobs_recover()
        if recovered:
            self.stderr.write(f"Marked {recovered} interrupted import(s) as failed.")
        while True:
            done = 0
            for pk in list(ImportJob.objects.filter(status=JobStatus.QUEUED)
                           .order_by("created_at").values_list("pk", flat=True)):
                job = ImportJob.objects.filter(pk=pk, status=JobStatus.QUEUED).first()
                if job is None:  # taken by the server's own import thread
                    continue
                try:
                    result = import_run(job)
                except ValueError:
                    continue
                done += 1
                self.stdout.write(f"Import {pk} ({job.original_name}): {result.get('imported', 0)} "
                                  f"imported, {result.get('rejected', 0)} rejected.")
            if not watch:
                if not done:
                    self.stdout.write("No queued imports.")
                return
            time.sleep(interval)
