from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from appraisals.models import WriteUpScope
from appraisals.services.periods import period_get
from appraisals.services.writeups import WriteUpError, writeups_generate
from core.errors import LobbyStarError
from core.months import month_parse


class Command(BaseCommand):
    help = (
        "Drafts the appraisal write-up (考核评语) of every scorecard of the month; with --year, "
        "for January to that month. Text HR has edited is kept."
    )

    def add_arguments(self, parser):
        parser.add_argument("month", help="YYYY-MM")
        parser.add_argument("--year", action="store_true", help="the year from January to this month")

    def handle(self, *args, month, year, **options):
        scope = WriteUpScope.YEAR if year else WriteUpScope.MONTH
        try:
            period = period_get(month=month_parse(month))
            summary = writeups_generate(period=period, scope=scope)
        except (LobbyStarError, WriteUpError) as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            _(
                "%(month)s（%(scope)s）：新建 %(created)d 份，更新 %(updated)d 份，未变 %(unchanged)d 份；"
                "保留人力资源部改过的文字 %(kept)d 份"
            )
            % {
                "month": period.label,
                "scope": scope,
                "created": summary.created,
                "updated": summary.updated,
                "unchanged": summary.unchanged,
                "kept": summary.kept_edits,
            }
        )
