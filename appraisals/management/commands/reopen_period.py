from django.core.management.base import BaseCommand, CommandError

from appraisals.services.periods import PeriodError, period_reopen
from core.months import month_parse


class Command(BaseCommand):
    help = "Reopens a finalized month, with a written reason; the next computation records every change."

    def add_arguments(self, parser):
        parser.add_argument("month", help="YYYY-MM")
        parser.add_argument("--reason", required=True, help="why the month is reopened (kept in its history)")

    def handle(self, *args, month, reason, **options):
        try:
            period = period_reopen(month=month_parse(month), reason=reason)
        except PeriodError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"{period.label} reopened: {reason}")
