from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

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
            _(
                "%(month)s 已作废：删除考核结果 %(scorecards)d 份，撤销改进计划 %(cases)d 个，"
                "关闭未结申诉 %(appeals)d 项，"
                "删除签核 %(signoffs)d 个、确认 %(acknowledgements)d 个"
            )
            % {
                "month": result.period.label,
                "scorecards": result.scorecards,
                "cases": len(result.cases_withdrawn),
                "appeals": result.appeals_closed,
                "signoffs": result.signoffs_removed,
                "acknowledgements": result.acknowledgements_removed,
            }
        )
        if result.later_months:
            later = ", ".join(f"{month:%Y-%m}" for month in result.later_months)
            self.stdout.write(_("  请重新计算：%(later)s（它们的近三月平均分读取本月）") % {"later": later})
