from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from appraisals.services.periods import hr_user_get, period_finalize
from core.errors import LobbyStarError
from core.months import month_parse


class Command(BaseCommand):
    help = (
        "Finalizes a reviewed month: its records and scorecards are locked (SCORING.md §6). USER is an HR "
        "sign-in other than the reviewer (four eyes, unless FOUR_EYES=false); refused while an appeal is open."
    )

    def add_arguments(self, parser):
        parser.add_argument("month", help="YYYY-MM")
        parser.add_argument("--as", dest="username", required=True, metavar="USER", help="the HR sign-in finalizing")

    def handle(self, *args, month, username, **options):
        try:
            user = hr_user_get(username=username)
            period = period_finalize(month=month_parse(month), user=user)
        except LobbyStarError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            _("%(month)s 已由 %(user)s 定稿：锁定考核结果 %(count)d 份")
            % {"month": period.label, "user": username, "count": period.scorecard_count}
        )
