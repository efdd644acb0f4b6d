import signal
import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

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
            raise CommandError(_("没有机构号为 %(code)s 的机构") % {"code": branch})
        if not period.scorecards.exists():
            raise CommandError(_("%(month)s 没有考核结果：请先计算") % {"month": period.label})
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
        how = _("Celery 工作进程") if result.mode == "celery" else _("%(count)d 个本机进程") % {"count": result.workers}
        self.stdout.write(
            _(
                "%(month)s：生成 %(rendered)d 个文件（个人 %(scorecards)d 份、汇总 %(packs)d 份），"
                "未变 %(unchanged)d 个，"
                "用时 %(seconds)s 秒，使用 %(how)s → %(where)s"
            )
            % {
                "month": period.label,
                "rendered": result.rendered,
                "scorecards": result.scorecards,
                "packs": result.packs,
                "unchanged": result.unchanged,
                "seconds": f"{result.seconds:.1f}",
                "how": how,
                "where": where,
            }
        )
