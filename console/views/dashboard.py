"""The month dashboard `/`: where the month stands and the next thing to do.

What it costs is pinned in tests/console/test_workflow.py: the months' trend (which holds this
month's counts and grade mix), the comparison of branches and which sub-branches must sign off
are read once per computation of the months they cover (core.cache), so a signed-in HR user's
dashboard is 8 queries whatever the bank's size (docs/benchmarks.md).
"""

from django.conf import settings
from django.shortcuts import redirect, render
from django.urls import reverse

from appraisals import selectors
from appraisals.models import CaseStatus, PeriodStatus
from appraisals.selectors import periods_recent, scorecards_for_user
from console.access import anyone
from core.cache import version_cached
from core.imports.kinds import KINDS
from core.months import month_label
from metrics.selectors import last_imports
from reports.charts import grade_chart, months_trend_chart
from reports.dashboard import TREND_MONTHS, branch_comparison, months_trend
from staff.models import Role
from staff.selectors import scope_key


@anyone
def dashboard(request):
    if request.access.is_lobby_manager:
        return redirect("console:me")
    # The most recent months, newest first: the month shown and what keys the trend's cache
    # (any month of the trend recomputed, reviewed or voided changes the key).
    recent = list(periods_recent()[:TREND_MONTHS])
    period = recent[0] if recent else None
    latest = last_imports()
    imports = [(spec.label, latest[kind]) for kind, spec in KINDS.items() if kind in latest]
    context = {"period": period, "last_imports": imports}
    if period is not None:
        # The months' trend holds the current month's counts too: one query for both charts.
        scope = scope_key(request.user)
        versions = tuple(selectors.period_version(month) for month in recent)
        trend = version_cached(
            versions, "months_trend", lambda: months_trend(user=request.user, last=period.month), scope
        )
        summary = trend[-1]
        context.update(
            summary=summary,
            chart=grade_chart(summary),
            trend=[row for row in trend if row["total"]],
            trend_chart=months_trend_chart(trend),
            branches=version_cached(
                selectors.period_version(period),
                "branch_comparison",
                lambda: branch_comparison(user=request.user, period=period),
                scope,
            ),
        )
        if period.status == PeriodStatus.COMPUTED:
            context["signoff"] = selectors.signoff_progress_for_user(period=period, user=request.user)
    if request.access.is_hr:
        context["open_cases"] = (
            selectors.cases_for_user(user=request.user).filter(status=CaseStatus.OPEN).order_by("-opened_at")[:8]
        )
        if period is not None:
            context["flagged"] = (
                selectors.scorecards_with_review(scorecards_for_user(user=request.user, period=period))
                .filter(bottom_flag=True)
                .select_related("staff", "branch", "period")
                .order_by("rolling", "staff__employee_no")[:10]
            )
        context["open_appeals"] = selectors.appeals_for_user(user=request.user).filter(status="open").count()
    context["next_step"] = next_step(period, context.get("signoff"), request.access.role, user=request.user)
    return render(request, "console/dashboard.html", context)


def next_step(period, signoff, role, *, user=None) -> dict:
    """The one thing to do next, as a sentence and a link."""
    from django.utils.translation import gettext as _

    if period is None:
        return {"text": _("导入本月数据，然后计算考核月份。"), "url": reverse("console:imports")}
    url = reverse("console:month", args=[period.label])
    if period.status == PeriodStatus.DRAFT:
        return {"text": _("计算 %(month)s。") % {"month": period.label}, "url": url}
    if period.status == PeriodStatus.COMPUTED:
        if role == Role.BRANCH_HEAD:
            # A head is asked for their own sign-off, not told how many branches HR waits for.
            if signoff and signoff["missing"]:
                return {
                    "text": _("本月待您签核：%(month)s") % {"month": month_label(period.month)},
                    "url": f"{url}#signoff",
                    "action": _("去签核"),
                }
            if signoff and signoff["done"]:
                words = _("您已签核 %(month)s，等待人力资源部复核发布。")
            else:
                words = _("%(month)s 已计算，等待人力资源部复核发布。")
            return {"text": words % {"month": month_label(period.month)}, "url": url}
        if signoff and signoff["missing"]:
            return {
                "text": _("等待 %(count)d 个支行签核。") % {"count": len(signoff["missing"])},
                "url": url,
            }
        return {"text": _("所有支行已签核：标记为已复核。"), "url": url}
    if period.status == PeriodStatus.REVIEWED:
        if settings.FOUR_EYES and user is not None and period.reviewed_by_id == user.pk:
            return {
                "text": _("%(month)s 已由您复核并发布：请另一位人力资源用户核对后定稿。") % {"month": period.label},
                "url": url,
            }
        return {"text": _("核对后定稿 %(month)s。") % {"month": period.label}, "url": url}
    return {
        "text": _("%(month)s 已定稿：下载成绩单，准备下个月的数据。") % {"month": period.label},
        "url": url,
    }
