import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from appraisals.management.commands.import_scheme import read_scheme_file
from appraisals.services.schemes import SchemeError, scheme_validate
from appraisals.services.simulations import SimulationError, simulate, simulation_csv
from core.errors import LobbyStarError
from core.months import month_parse


class Command(BaseCommand):
    help = (
        "What-if: the scheme in PATH applied to the computed months FIRST..LAST in order; writes the "
        "comparison as CSV (CONTRACT.md §2) and nothing to the real scorecards."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="a scheme file as export_scheme writes it")
        parser.add_argument("first", help="YYYY-MM")
        parser.add_argument("last", nargs="?", help="YYYY-MM (default: FIRST)")
        parser.add_argument("--output", help="a CSV file to write; standard output by default")

    def handle(self, *args, path, first, last=None, output=None, **options):
        data = read_scheme_file(path)
        try:
            scheme = scheme_validate(data)
            first_month = month_parse(first)
            last_month = month_parse(last) if last else first_month
            frame = simulate(scheme=scheme, first=first_month, last=last_month)
        except SchemeError as error:
            raise CommandError(f"{path}: {error}") from None
        except (SimulationError, LobbyStarError) as error:
            raise CommandError(str(error)) from None
        text = simulation_csv(frame)
        if output:
            Path(output).write_text(text, encoding="utf-8")
            changed = int((frame["grade_before"] != frame["grade_after"]).sum())
            sys.stderr.write(
                _("已写入 %(rows)d 行到 %(output)s；等次变化 %(changed)d 处")
                % {"rows": len(frame), "output": output, "changed": changed}
                + "\n"
            )
        else:
            self.stdout.write(text, ending="")
