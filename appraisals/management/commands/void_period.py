from django.core.management.base import BaseCommand, CommandError

from appraisals.services.periods import hr_user_get, period_void
from core.errors import LobbyStarError
from core.months import month_parse


class Command(BaseCommand):
    help = (
        "Voids a computed or reviewed month, with a written reason: its scorecards are removed, the cases "
        "its computation opened withdrawn, the act recorded; the month can then be computed again."
    )

    def add_arguments(self, parser):
        parser.add_argument("month", help="YYYY-MM")
        parser.add_argument("--reason", required=True, help="why the month is voided (kept in its history)")
        parser.add_argument("--as", dest="username", metavar="USER", help="the HR sign-in voiding it")

    def handle(self, *args, month, reason, username, **options):
        try:
            user = hr_user_get(username=username) if username else None
            result = period_void(month=month_parse(month), reason=reason, user=user)
        except LobbyStarError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"{result.period.label} voided: {result.scorecards} scorecards removed, "
            f"{len(result.cases_withdrawn)} improvement cases withdrawn, {result.appeals_closed} open appeals closed, "
            f"{result.signoffs_removed} sign-offs and {result.acknowledgements_removed} acknowledgements removed"
        )
        if result.later_months:
            later = ", ".join(f"{month:%Y-%m}" for month in result.later_months)
            self.stdout.write(f"  compute again: {later} (their rolling scores read this month)")
