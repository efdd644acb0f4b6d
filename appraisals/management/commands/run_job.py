import signal
import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from appraisals.models import Job
from appraisals.services.jobs import job_run


class Command(BaseCommand):
    help = (
        "Runs one background job of the console (a month's computation, write-ups, the PDF pack). "
        "The console starts it in a process of its own when no Celery broker is configured."
    )

    def add_arguments(self, parser):
        parser.add_argument("job_id", type=int)

    def handle(self, *args, job_id, **options):
        # Ended by a signal: leave by the normal way out, so the PDF pool's workers are ended too.
        signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(128 + number))
        if not Job.objects.filter(pk=job_id).exists():
            raise CommandError(_("没有编号为 %(job)s 的后台任务") % {"job": job_id})
        job = job_run(job_id=job_id)
        self.stdout.write(
            _("后台任务 %(job)s（%(kind)s）：%(state)s %(message)s")
            % {"job": job.pk, "kind": job.kind, "state": job.get_state_display(), "message": job.message}
        )
        if job.state == Job.State.FAILED:
            raise CommandError(job.message)
