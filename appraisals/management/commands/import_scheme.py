import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from appraisals.services.schemes import SchemeError, scheme_import


def read_scheme_file(path: str):
    """The JSON in PATH, or a CommandError that says why not (no file, not UTF-8, not JSON)."""
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as error:
        raise CommandError(
            _("%(path)s：无法读取文件（%(error)s）") % {"path": path, "error": error.strerror or error}
        ) from None
    except UnicodeDecodeError:
        raise CommandError(_("%(path)s：不是 UTF-8 文本文件") % {"path": path}) from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise CommandError(
            _("%(path)s：不是 JSON（第 %(line)d 行第 %(column)d 列：%(error)s）")
            % {"path": path, "line": error.lineno, "column": error.colno, "error": error.msg}
        ) from None


class Command(BaseCommand):
    help = "Reads a scoring scheme from JSON (as export_scheme writes it) into a draft version."

    def add_arguments(self, parser):
        parser.add_argument("path")

    def handle(self, *args, path, **options):
        data = read_scheme_file(path)
        try:
            scheme, outcome = scheme_import(data=data)
        except SchemeError as error:
            raise CommandError(f"{path}: {error}") from None
        outcomes = {"created": _("已新建"), "unchanged": _("未变")}
        self.stdout.write(
            _("%(scheme)s：%(outcome)s（%(status)s）")
            % {"scheme": scheme.label, "outcome": outcomes.get(outcome, outcome), "status": scheme.get_status_display()}
        )
