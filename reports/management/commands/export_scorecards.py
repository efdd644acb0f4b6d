import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from appraisals.models import Scorecard
from appraisals.selectors import scorecards_with_review
from appraisals.services.periods import period_get
from core.errors import LobbyStarError
from core.months import month_parse
from reports import downloads, lists
from reports.exports import ScorecardExport

LANGUAGES = {"zh": "zh-hans", "en": "en"}


class Command(BaseCommand):
    help = gettext_lazy(
        "导出某月的考核表。默认是 CONTRACT.md 第 3 节的机器格式，CSV 输出到标准输出；"
        "--labels zh 或 --labels en 导出给人看的版本：中文或英文表头、代码换成标签、数字按银行的写法，CSV 带 BOM。"
    )

    def add_arguments(self, parser):
        parser.add_argument("month", help=gettext_lazy("考核月份，格式 YYYY-MM"))
        parser.add_argument("--format", choices=["csv", "xlsx"], default="csv", help=gettext_lazy("文件格式"))
        parser.add_argument("--output", help=gettext_lazy("写入的文件（XLSX 是二进制文件：标准输出为终端时必须给出）"))
        parser.add_argument(
            "--labels",
            choices=sorted(LANGUAGES),
            help=gettext_lazy("给人看的版本，表头和标签用中文（zh）或英文（en）"),
        )

    def handle(self, *args, month, format, output, labels, **options):
        try:
            period = period_get(month=month_parse(month))
        except LobbyStarError as error:
            raise CommandError(str(error)) from None
        if labels:
            with translation.override(LANGUAGES[labels]):
                query = scorecards_with_review(Scorecard.objects.filter(period=period))
                filename, _content_type, content = downloads.render(
                    lists.scorecards_download(query, period=period), format
                )
        else:
            # The machine format, CONTRACT.md §3, exactly.
            filename, _content_type, content = ScorecardExport(period=period).render(format)
        if output:
            try:
                Path(output).write_bytes(content)
            except OSError as error:
                raise CommandError(
                    _("无法写入 %(path)s：%(error)s") % {"path": output, "error": error.strerror or error}
                ) from None
            self.stderr.write(_("已写入 %(path)s") % {"path": output})
        elif format == "xlsx" and sys.stdout.isatty():
            raise CommandError(
                _("XLSX 是二进制文件：请用 --output 指定文件，例如 --output %(filename)s") % {"filename": filename}
            )
        else:
            stream = getattr(self.stdout, "_out", sys.stdout)
            stream.buffer.write(content) if hasattr(stream, "buffer") else stream.write(content.decode())
            stream.flush()
