from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db.models import Q
from django.utils.translation import gettext as _

from appraisals.models import Period, PeriodStatus
from appraisals.selectors import signoff_state
from appraisals.services.periods import period_finalize, period_review
from appraisals.services.signoffs import branch_signoff
from core.months import month_has_ended
from core.urls import absolute_url
from metrics.selectors import record_months
from staff.models import Branch


class Command(BaseCommand):
    help = (
        "Used by `make run`: loads the demo bank into an empty database, computes every month "
        "with records that has ended and is not computed yet, and prints how to sign in."
    )

    def handle(self, *args, **options):
        seeded = not Branch.objects.exists()
        if seeded:
            self.stdout.write(_("数据库为空：正在载入演示银行（seed_demo）……"))
            call_command("seed_demo", stdout=self.stdout)
        computed = set(Period.objects.exclude(status=PeriodStatus.DRAFT).values_list("month", flat=True))
        # Never the month still running (SCORING.md §6): it is computed after its last day.
        months = [month for month in record_months() if month not in computed and month_has_ended(month)]
        for month in months:
            # In order: each month's rolling score reads the two before it (SCORING.md §5).
            call_command("compute_scorecards", f"{month:%Y-%m}", "--no-cascade", stdout=self.stdout)
        if seeded:
            # As a bank would have it: every month but the latest signed off by its branch heads,
            # reviewed by hr and finalized by hr2 (four eyes); the latest waits for its sign-offs.
            periods = list(Period.objects.filter(status=PeriodStatus.COMPUTED).order_by("month"))
            signers = Q(username__startswith="head-") | Q(username__in=["hr", "hr2"])
            users = {user.username: user for user in get_user_model().objects.filter(signers)}
            for period in periods[:-1]:
                self._close(period, users)
        latest = Period.objects.order_by("-month").first()
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(_("大堂之星 LobbyStar 已就绪：%(url)s") % {"url": absolute_url("/")}))
        self.stdout.write(_("  人力资源部：        hr / lobbystar-demo（复核月份）"))
        self.stdout.write(_("  第二位人力资源：    hr2 / lobbystar-demo（定稿 hr 复核过的月份）"))
        self.stdout.write(_("  机构负责人：        head-<支行机构号> / lobbystar-demo"))
        self.stdout.write(_("  大堂经理：          <员工编号> / lobbystar-demo"))
        if latest:
            self.stdout.write(
                _("  最新月份：%(month)s（%(status)s），考核结果 %(count)d 份")
                % {"month": latest.label, "status": latest.get_status_display(), "count": latest.scorecard_count}
            )
        self.stdout.write(
            _("  管理后台：%(admin)s   健康检查：%(health)s")
            % {"admin": absolute_url("/admin/"), "health": absolute_url("/healthz")}
        )

    def _close(self, period: Period, users: dict) -> None:
        for branch in signoff_state(period=period)["missing"]:
            branch_signoff(period=period, branch=branch, user=users.get(f"head-{branch.code}"), note="已核对")
        period_review(month=period.month, user=users["hr"])
        period_finalize(month=period.month, user=users["hr2"])
