import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from appraisals.services.periods import PeriodError, period_get
from core.months import month_parse
from reports.exports import ScorecardExport


class Command(BaseCommand):
    help = "Exports a month's scorecards (CONTRACT.md §3); CSV to standard output by default."

    def add_arguments(self, parser):
        parser.add_argument("month", help="YYYY-MM")
        parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
        parser.add_argument("--output", help="file to write (required for xlsx unless stdout is redirected)")

    def handle(self, *args, month, format, output, **options):
        try:
            period = period_get(month=month_parse(month))
        except PeriodError as error:
            raise CommandError(str(error)) from None
        filename, _content_type, content = ScorecardExport(period=period).render(format)
        if output:
            Path(output).write_bytes(content)
            self.stderr.write(_("已写入 %(output)s") % {"output": output})
        elif format == "xlsx" and sys.stdout.isatty():
            raise CommandError(
                _("XLSX 是二进制文件：请用 --output 指定文件，如 --output %(filename)s") % {"filename": filename}
            )
        else:
            stream = getattr(self.stdout, "_out", sys.stdout)
            stream.buffer.write(content) if hasattr(stream, "buffer") else stream.write(content.decode())
            stream.flush()
