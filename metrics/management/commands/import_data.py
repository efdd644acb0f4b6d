"""`python manage.py import_data KIND PATH [--dry-run] [--update]` (CONTRACT.md §1–2)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from core.imports.kinds import KINDS
from metrics.services import import_file


class Command(BaseCommand):
    help = "Imports one file (CSV or XLSX) of one kind, whole or not at all."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=list(KINDS), help="what the file holds")
        parser.add_argument("path", type=Path, help="the CSV or XLSX file")
        parser.add_argument("--dry-run", action="store_true", help="check everything, write nothing")
        parser.add_argument(
            "--update",
            action="store_true",
            help="change stored records whose content differs (history is kept)",
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
        self.stdout.write(result.check_summary if dry_run else result.summary)
