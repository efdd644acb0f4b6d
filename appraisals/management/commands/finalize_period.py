from django.core.management.base import BaseCommand, CommandError

from appraisals.services.periods import PeriodError, period_finalize
from core.months import month_parse


class Command(BaseCommand):
    help = "Finalizes a computed month: its records and scorecards are locked (SCORING.md §6)."

    def add_arguments(self, parser):
        parser.add_argument("month", help="YYYY-MM")

    def handle(self, *args, month, **options):
        try:
            period = period_finalize(month=month_parse(month))
        except PeriodError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"{period.label} finalized: {period.scorecard_count} scorecards locked")
