from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from appraisals.services.periods import hr_user_get, period_reopen
from core.errors import LobbyStarError
from core.months import month_parse


class Command(BaseCommand):
    help = "Reopens a finalized month, with a written reason; the next computation records every change."

    def add_arguments(self, parser):
        parser.add_argument("month", help="YYYY-MM")
        parser.add_argument("--reason", required=True, help="why the month is reopened (kept in its history)")
        parser.add_argument("--as", dest="username", metavar="USER", help="the HR sign-in reopening it")

    def handle(self, *args, month, reason, username, **options):
        try:
            user = hr_user_get(username=username) if username else None
            period = period_reopen(month=month_parse(month), reason=reason, user=user)
        except LobbyStarError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(_("%(month)s 已重开：%(reason)s") % {"month": period.label, "reason": reason})
