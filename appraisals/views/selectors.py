"""Reads for the console pages, each scoped to the sign-in (`*_for_user`): HR all, a branch
head their subtree, a lobby manager themself."""

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from appraisals.models import (
    Appeal,
    AppealStatus,
    BranchSignoff,
    CaseStatus,
    Grade,
    ImprovementCase,
    Period,
    Scorecard,
    WriteUp,
)
from appraisals.selectors import scorecards_for_user
from staff.models import Branch
from staff.selectors import scoped_for_user


def appeals_for_user(*, user) -> QuerySet[Appeal]:
    query = Appeal.objects.select_related("staff", "staff__branch", "period", "created_by", "resolved_by")
    return scoped_for_user(query, user=user, path_field="staff__branch__path", staff_field="staff_id")


def cases_for_user(*, user) -> QuerySet[ImprovementCase]:
    query = ImprovementCase.objects.select_related("staff", "staff__branch", "opened_period")
    return scoped_for_user(query, user=user, path_field="staff__branch__path", staff_field="staff_id")


def writeups_for_user(*, user) -> QuerySet[WriteUp]:
    query = WriteUp.objects.select_related("staff", "staff__branch", "period", "approved_by", "edited_by")
    return scoped_for_user(query, user=user, path_field="staff__branch__path", staff_field="staff_id")


def scorecards_with_review(query: QuerySet[Scorecard]) -> QuerySet[Scorecard]:
    """Adds `under_review`: an open appeal on that month (the bottom flag shows as 复核中)."""
    open_appeal = Appeal.objects.filter(
        period_id=OuterRef("period_id"), staff_id=OuterRef("staff_id"), status=AppealStatus.OPEN
    )
    return query.annotate(under_review=Exists(open_appeal))


def month_summary(*, user, period: Period) -> dict:
    """The dashboard's counts for one month, in one aggregate query."""
    grade_counts = {f"grade_{grade}": Count("id", filter=Q(grade=grade)) for grade in Grade.values}
    return scorecards_for_user(user=user, period=period).aggregate(
        total=Count("id"),
        flagged=Count("id", filter=Q(bottom_flag=True)),
        vetoed=Count("id", filter=Q(veto=True)),
        exempt=Count("id", filter=Q(exempt=True)),
        cases_opened=Count("id", filter=Q(case_opened=True)),
        **grade_counts,
    )


def signoff_state(*, period: Period) -> dict:
    """Which sub-branches (支行) with scorecards this month have been signed off.

    A signoff covers its own subtree, so a tier-1 branch head's signoff covers its sub-branches.
    """
    paths = set(Scorecard.objects.filter(period=period).values_list("branch_path", flat=True).distinct())
    required = set()
    for path in paths:
        codes = [code for code in path.split("/") if code]
        required.add(codes[2] if len(codes) >= 3 else codes[-1])
    branches = {b.code: b for b in Branch.objects.filter(code__in=required)}
    signoffs = list(BranchSignoff.objects.filter(period=period).select_related("branch", "user"))
    signed_paths = [signoff.branch.path for signoff in signoffs]
    done, missing = [], []
    for code in sorted(required):
        branch = branches.get(code)
        if branch is None:
            continue
        covered = any(branch.path.startswith(path) for path in signed_paths)
        (done if covered else missing).append(branch)
    return {"signoffs": signoffs, "done": done, "missing": missing}


def open_cases_count() -> int:
    return ImprovementCase.objects.filter(status=CaseStatus.OPEN).count()
