from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from appraisals.services.periods import hr_user_get, period_review
from core.errors import LobbyStarError
from core.months import month_parse


class Command(BaseCommand):
    help = (
        "Publishes a computed month (computed → reviewed) to its lobby managers and display screens, "
        "once every sub-branch with scorecards has signed off (SCORING.md §6)."
    )

    def add_arguments(self, parser):
        parser.add_argument("month", help="YYYY-MM")
        parser.add_argument("--as", dest="username", required=True, metavar="USER", help="the HR sign-in reviewing")
        parser.add_argument(
            "--without-signoffs",
            action="store_true",
            help="publish although some sub-branches have not signed off (needs --reason, which is recorded)",
        )
        parser.add_argument("--reason", default="", help="why the month is published without every sign-off")

    def handle(self, *args, month, username, without_signoffs, reason, **options):
        try:
            user = hr_user_get(username=username)
            period = period_review(
                month=month_parse(month), user=user, without_signoffs=without_signoffs, reason=reason
            )
        except LobbyStarError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            _("%(month)s 已由 %(user)s 复核并发布：考核结果 %(count)d 份")
            % {"month": period.label, "user": username, "count": period.scorecard_count}
        )
