from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from appraisals.services.periods import period_compute
from core.errors import LobbyStarError
from core.months import month_parse


class Command(BaseCommand):
    help = (
        "Computes or recomputes a month's scorecards; refused for a finalized month and for a month "
        "that has not ended in the bank's time zone (Asia/Shanghai)."
    )

    def add_arguments(self, parser):
        parser.add_argument("month", help="YYYY-MM")
        parser.add_argument(
            "--no-cascade",
            action="store_true",
            help="do not recompute later computed months (their rolling scores read this one)",
        )

    def handle(self, *args, month, no_cascade, **options):
        try:
            result = period_compute(month=month_parse(month))
            self._report(result)
            if not no_cascade:
                # SCORING.md §5: later months read this month's stored scores, so they follow.
                for later in result.later_months:
                    self._report(period_compute(month=later), prefix=_("  随后 "))
        except LobbyStarError as error:
            raise CommandError(str(error)) from None

    def _report(self, result, prefix=""):
        counts = {
            "month": result.period.label,
            "scorecards": result.scorecards,
            "flagged": result.flagged,
            "opened": len(result.cases_opened),
            "withdrawn": len(result.cases_withdrawn),
            "changes": result.changes,
        }
        line = _(
            "%(month)s：考核结果 %(scorecards)d 份，末位预警 %(flagged)d 人，"
            "启动改进计划 %(opened)d 个，撤销 %(withdrawn)d 个"
        )
        if result.changes:
            line += _("，重开后有 %(changes)d 份考核结果发生变化")
        if result.written is not None:
            # Only the scorecards that changed are written (core.bulk.sync_rows).
            line += _("（新写入 %(inserted)d 份，更新 %(updated)d 份，删除 %(deleted)d 份，未变 %(unchanged)d 份）")
            counts.update(vars(result.written))
        self.stdout.write(prefix + line % counts)
