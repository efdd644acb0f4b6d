from django.core.management.base import BaseCommand, CommandError

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
                    self._report(period_compute(month=later), prefix="  then ")
        except LobbyStarError as error:
            raise CommandError(str(error)) from None

    def _report(self, result, prefix=""):
        self.stdout.write(
            f"{prefix}{result.period.label}: {result.scorecards} scorecards, {result.flagged} bottom flags, "
            f"{len(result.cases_opened)} improvement cases opened, "
            f"{len(result.cases_withdrawn)} withdrawn"
            + (f", {result.changes} scorecards changed since the reopen" if result.changes else "")
        )
