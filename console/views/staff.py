"""The console's staff pages: the list, and one person's history, records and moves."""

from django.shortcuts import get_object_or_404, render
from django_tables2 import RequestConfig

from appraisals.selectors import scorecards_for_user, scorecards_with_review, writeups_for_user
from audit.selectors import history_for_object
from console.access import anyone, hr_or_head
from console.filters.staff import StaffFilter
from console.tables.appraisals import StaffScorecardTable
from console.tables.staff import AbsenceTable, AssignmentTable, StaffTable
from metrics.models import RECORD_MODELS
from metrics.selectors import records_for_staff
from reports.charts import score_trend_chart
from staff.selectors import branches_for_user, staff_for_user


@hr_or_head
def staff_list(request):
    branches = branches_for_user(user=request.user)
    filterset = StaffFilter(
        request.GET, queryset=staff_for_user(user=request.user).select_related("branch"), branches=branches
    )
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
    records = {kind: records_for_staff(kind=kind, staff_id=member.pk)[:10] for kind in RECORD_MODELS}
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
