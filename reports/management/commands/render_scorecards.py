import signal
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from appraisals.services.periods import PeriodError, period_get
from core.months import month_parse
from reports.pdf.run import Progress, render_month
from staff.models import Branch


class Command(BaseCommand):
    help = (
        "Renders the month's PDF scorecards: one per staff member (staff/<employee no>.pdf) and one "
        "pack per sub-branch (packs/<code>.pdf), into var/pdf/YYYY-MM/ by default. Files whose inputs "
        "have not changed are kept. Uses Celery workers when CELERY_BROKER_URL is set, else every core."
    )

    def add_arguments(self, parser):
        parser.add_argument("month", help="YYYY-MM")
        parser.add_argument("--branch", metavar="CODE", help="only this branch's subtree")
        parser.add_argument("--output", metavar="DIR", help="folder for the files (default var/pdf/YYYY-MM/)")
        parser.add_argument("--language", choices=["zh-hans", "en"], default="zh-hans")
        parser.add_argument("--force", action="store_true", help="render every file, changed or not")
        parser.add_argument("--workers", type=int, default=None, help="local processes (default: every core)")
        parser.add_argument("--queue", default=None, help="Celery queue for the tasks (default: Celery's default)")

    def handle(self, *args, month, branch, output, language, force, workers, queue, **options):
        # SIGTERM (systemd, kill) leaves by the way Ctrl-C does, so the pool's workers are ended
        # first; they also die with this process should it be killed outright (reports.pdf.run).
        signal.signal(signal.SIGTERM, lambda number, frame: sys.exit(128 + number))
        try:
            period = period_get(month=month_parse(month))
        except PeriodError as error:
            raise CommandError(str(error)) from None
        if branch and not Branch.objects.filter(code=branch).exists():
            raise CommandError(f"no branch with code {branch!r}")
        if not period.scorecards.exists():
            raise CommandError(f"{period.label} has no scorecards: compute it first")
        # The bar redraws one line with "\r": it writes to the raw stream, not the line-ending wrapper.
        progress = Progress(stream=getattr(self.stderr, "_out", sys.stderr))
        result = render_month(
            period=period,
            folder=output,
            language=language,
            branch_code=branch,
            force=force,
            workers=workers,
            progress=progress,
            queue=queue,
        )
        where = output or f"{settings.VAR_DIR}/pdf/{period.label}"
        how = "Celery workers" if result.mode == "celery" else f"{result.workers} local processes"
        self.stdout.write(
            f"{period.label}: rendered {result.rendered} files ({result.scorecards} scorecards, "
            f"{result.packs} packs), {result.unchanged} unchanged, in {result.seconds:.1f} s "
            f"with {how} → {where}"
        )
