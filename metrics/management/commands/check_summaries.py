"""`python manage.py check_summaries YYYY-MM [--fix]`: are the month summaries what the records say?

Rebuilds the month's summaries from the records in memory and lists every difference; exits
with status 1 when there is one (also with --fix, which then writes the rebuilt rows, so that
whoever runs it on a schedule still learns that something drifted).
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from core.errors import LobbyStarError
from core.months import month_parse
from metrics.models import MonthSummary
from metrics.summaries import summaries_check, summaries_rebuild
from staff.models import Staff


class Command(BaseCommand):
    help = _("按记录重建某月的月度汇总并逐项比对；有差异时以状态 1 退出（--fix 写入重建结果）。")

    def add_arguments(self, parser):
        parser.add_argument("month", help="YYYY-MM")
        parser.add_argument("--fix", action="store_true", help=_("用按记录重建的汇总替换存储的汇总"))

    def handle(self, *args, month, fix, **options):
        try:
            month = month_parse(month)
        except LobbyStarError as error:
            raise CommandError(str(error)) from None
        differences = summaries_check(month=month)
        label = f"{month:%Y-%m}"
        if not differences:
            count = MonthSummary.objects.filter(month=month).count()
            agreed = _("%(month)s 的月度汇总与记录一致（%(count)d 名员工）。")
            self.stdout.write(agreed % {"month": label, "count": count})
            return
        numbers = dict(Staff.objects.filter(pk__in={d.staff_id for d in differences}).values_list("id", "employee_no"))
        for difference in differences:
            self.stdout.write(
                _("员工 %(employee)s：%(column)s 汇总为 %(stored)s，按记录应为 %(counted)s")
                % {
                    "employee": numbers.get(difference.staff_id, difference.staff_id),
                    "column": MonthSummary._meta.get_field(difference.column).verbose_name,
                    "stored": difference.stored,
                    "counted": difference.counted,
                }
            )
        summary = _("%(month)s 的月度汇总与记录有 %(count)d 处差异。") % {"month": label, "count": len(differences)}
        if fix:
            rows = summaries_rebuild(month=month)
            summary += " " + _("已按记录重建（%(rows)d 行）。") % {"rows": rows}
        raise CommandError(summary, returncode=1)
