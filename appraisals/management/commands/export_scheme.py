import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from appraisals.models import Scheme
from appraisals.services.schemes import scheme_export


class Command(BaseCommand):
    help = "Writes a scoring scheme as JSON (CONTRACT.md §2): the newest version of CODE, or CODE vN."

    def add_arguments(self, parser):
        parser.add_argument("code", help="the scheme's code, e.g. lobby-2026 (--scheme-version N for an older one)")
        parser.add_argument("--scheme-version", dest="scheme_version", type=int, help="a version other than the newest")
        parser.add_argument("--output", help="a file to write; standard output by default")

    def handle(self, *args, code, scheme_version=None, output=None, **options):
        schemes = Scheme.objects.filter(code=code)
        if scheme_version is not None:
            schemes = schemes.filter(version=scheme_version)
        scheme = schemes.order_by("-version").first()
        if scheme is None:
            known = ", ".join(sorted(set(Scheme.objects.values_list("code", flat=True)))) or "-"
            raise CommandError(
                _("没有考核方案 %(scheme)s（已有：%(known)s）")
                % {"scheme": code + (f" v{scheme_version}" if scheme_version else ""), "known": known}
            )
        text = json.dumps(scheme_export(scheme=scheme), ensure_ascii=False, indent=2) + "\n"
        if output:
            Path(output).write_text(text, encoding="utf-8")
            self.stderr.write(_("%(scheme)s 已写入 %(output)s") % {"scheme": scheme.label, "output": output})
        else:
            self.stdout.write(text, ending="")
