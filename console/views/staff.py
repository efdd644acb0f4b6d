"""The console's staff pages: the list, and one person's history, records and moves."""

from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django_tables2 import RequestConfig

from appraisals.selectors import scorecards_for_user, scorecards_with_review, writeups_for_user
from audit.selectors import history_for_object
from console.access import anyone, hr_or_head
from console.downloads import download_response, filter_data
from console.filters.staff import StaffFilter
from console.tables.appraisals import StaffScorecardTable
from console.tables.staff import AbsenceTable, AssignmentTable, StaffTable
from core.numbers import money, short
from metrics.models import RECORD_MODELS
from metrics.selectors import records_for_staff
from reports import lists
from reports.charts import score_trend_chart
from staff.selectors import branches_for_user, staff_for_user


@hr_or_head
def staff_list(request):
    branches = branches_for_user(user=request.user)
    filterset = StaffFilter(
        filter_data(request), queryset=staff_for_user(user=request.user).select_related("branch"), branches=branches
    )
    download = download_response(request, lambda: lists.staff_download(filterset.qs))
    if download is not None:
        return download
    if request.GET.get("q", "").strip():
        found = list(filterset.qs.values_list("employee_no", flat=True)[:2])
        if len(found) == 1:  # the search box found one person: go straight to them
            return redirect("console:staff_detail", employee_no=found[0])
    table = StaffTable(filterset.qs)
    RequestConfig(request, paginate={"per_page": 50}).configure(table)
    return render(request, "console/staff/list.html", {"filter": filterset, "table": table})


@anyone
def staff_detail(request, employee_no):
    member = get_object_or_404(staff_for_user(user=request.user).select_related("branch"), employee_no=employee_no)
    cards = scorecards_with_review(
        scorecards_for_user(user=request.user).filter(staff=member).select_related("period", "staff")
    )
    last_twelve = list(cards.order_by("-period__month")[:12])[::-1]
    table = StaffScorecardTable(cards, prefix="s-")
    RequestConfig(request, paginate={"per_page": 12}).configure(table)
    records = [
        (
            kind,
            model._meta.verbose_name,
            [_record_line(kind, r) for r in records_for_staff(kind=kind, staff_id=member.pk)[:10]],
        )
        for kind, model in RECORD_MODELS.items()
    ]
    context = {
        "member": member,
        "table": table,
        "chart": score_trend_chart(last_twelve, width=720, height=220),
        "records": records,
        "writeups": writeups_for_user(user=request.user).filter(staff=member)[:12],
        "absences": AbsenceTable(member.absences.all()),
        "assignments": AssignmentTable(member.assignments.select_related("branch")),
        "history": history_for_object(member, limit=20),
    }
    return render(request, "console/staff/detail.html", context)


def _record_line(kind: str, record) -> tuple:
    """(date, what the record says in a few words, its ref) for the staff page's record cards."""
    if kind == "accounts":
        what = _("日均资产 %(amount)s 元") % {"amount": money(record.avg_assets)}
    elif kind == "deposits":
        what = _("存入 %(amount)s 元") % {"amount": money(record.amount)}
    elif kind == "ebanking":
        what = record.get_product_display() + ("" if record.activated else " · " + _("未激活"))
    else:
        what = record.get_kind_display() + " · " + record.get_channel_display()
        if record.rating is not None:
            what += " · " + _("%(rating)d 分") % {"rating": record.rating}
        if record.score is not None:
            what += " · " + _("得分 %(score)s") % {"score": short(record.score)}
        if record.kind == "complaint":
            what += " · " + (_("属实") if record.upheld else _("不属实"))
    return record.date, what, record.ref
