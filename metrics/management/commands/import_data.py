"""`python manage.py import_data KIND PATH [--dry-run] [--update]` (CONTRACT.md §1–2)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.imports.kinds import KINDS
from metrics.services import import_file


class Command(BaseCommand):
    help = gettext_lazy("导入一个文件（CSV 或 XLSX），整个文件要么全部导入，要么什么也不写入。")

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=list(KINDS), help=gettext_lazy("文件内容的种类"))
        parser.add_argument("path", type=Path, help=gettext_lazy("CSV 或 XLSX 文件"))
        parser.add_argument("--dry-run", action="store_true", help=gettext_lazy("只检查，不写入"))
        parser.add_argument(
            "--update",
            action="store_true",
            help=gettext_lazy("内容不同的已存记录予以更新（保留变更历史）"),
        )

    def handle(self, *args, kind, path, dry_run, update, **options):
        if not path.is_file():
            raise CommandError(_("%(path)s：文件不存在") % {"path": path})
        result = import_file(kind, path, dry_run=dry_run, update=update)
        if not result.ok:
            # The first LISTED_ERRORS bad rows, then how many there are in all (CONTRACT.md §1).
            for error in result.errors:
                self.stderr.write(str(error))
            if result.unlisted_errors:
                self.stderr.write(
                    _("……另有 %(more)d 处错误未列出，共 %(count)d 处。")
                    % {"more": result.unlisted_errors, "count": result.error_count}
                )
            raise CommandError(
                _("%(name)s 被拒绝：共 %(count)d 处错误，什么也没有写入")
                % {"name": path.name, "count": result.error_count},
                returncode=1,
            )
        line = result.check_summary if dry_run else result.summary
        if result.contract_summary not in line:
            # People read the line in their language; the bank's scripts read CONTRACT.md §1's.
            line = f"{line}（{result.contract_summary}）"
        self.stdout.write(line)
