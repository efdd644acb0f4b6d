"""Reads for the appraisal side: the engine's inputs, and views of the results scoped to the
sign-in (`*_for_user`): HR all, a branch head their subtree, a lobby manager themself."""

import datetime

import pandas as pd
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet

from appraisals.models import (
    Appeal,
    AppealStatus,
    BranchSignoff,
    CaseStatus,
    Grade,
    ImprovementCase,
    Period,
    Scheme,
    SchemeAdoption,
    SchemeStatus,
    ScopeKind,
    Scorecard,
    Target,
    WriteUp,
)
from appraisals.scoring import Scheme as SchemeData
from core.months import month_add, month_bounds
from metrics.selectors import actuals
from staff.models import Branch, Position, Status
from staff.selectors import absences_between, assignments_on, branch_paths, scoped_for_user


def scheme_current(*, position: str = "lobby_manager") -> Scheme:
    """The newest active version of the scheme for the position."""
    scheme = Scheme.objects.filter(position=position, active=True).order_by("-created_at", "-version").first()
    if scheme is None:
        raise Scheme.DoesNotExist(f"no active scoring scheme for {position}")
    return scheme


def scheme_for_month(*, month: datetime.date, position: str = "lobby_manager") -> Scheme:
    """The scheme that scores `month`: the latest adoption from that month or before it, else
    the newest active version not adopted only from a later month (the one in use before any
    adoption)."""
    month = month.replace(day=1)
    adoption = (
        SchemeAdoption.objects.filter(scheme__position=position, from_month__lte=month)
        .select_related("scheme")
        .order_by("-from_month", "-id")
        .first()
    )
    if adoption is not None:
        return adoption.scheme
    scheme = (
        Scheme.objects.filter(position=position, active=True)
        .exclude(adoptions__from_month__gt=month)
        .order_by("-created_at", "-version")
        .first()
    )
    if scheme is None:
        raise Scheme.DoesNotExist(f"no active scoring scheme for {position} in {month:%Y-%m}")
    return scheme


def scheme_is_used(scheme: Scheme) -> bool:
    """Used = a month was computed with it: its parameters can no longer change."""
    return Period.objects.filter(scheme=scheme).exists() or Scorecard.objects.filter(scheme=scheme).exists()


def schemes_all() -> QuerySet[Scheme]:
    return Scheme.objects.select_related("created_by").order_by("code", "-version")


def scheme_drafts() -> QuerySet[Scheme]:
    return Scheme.objects.filter(status=SchemeStatus.DRAFT)


def scheme_data(scheme: Scheme) -> SchemeData:
    return SchemeData.from_dict(scheme.parameters)


def engine_inputs(*, month: datetime.date, scheme: SchemeData, history: pd.DataFrame | None = None) -> dict:
    """Everything `compute_scorecards` reads for `month` under `scheme`, from the stored records.

    `period_compute` and the what-if simulation both call this, so a simulation runs on exactly
    the inputs of a real computation; a simulation passes its own `history` (the simulated
    scores of the earlier simulated months).
    """
    staff = engine_staff(month=month, position=scheme.position or Position.LOBBY_MANAGER)
    if history is None:
        history = engine_history(month=month, months=max(scheme.rolling_months, scheme.case_consecutive))
    return {
        "period": month,
        "staff": staff,
        "actuals": actuals(month=month, effective_threshold=scheme.effective_threshold),
        "absences": engine_absences(month=month, staff_ids=staff["staff_id"]),
        "targets": engine_targets(month=month),
        "history": history,
        "cases": engine_cases(month=month),
        "scheme": scheme,
    }


def engine_staff(*, month: datetime.date, position: str) -> pd.DataFrame:
    """Who gets a scorecard (SCORING.md §4): on the month's last day, in the position and active,
    with the branch held that day, its path up the tree and its tier-1 branch as peer group."""
    _, last, _ = month_bounds(month)
    rows = list(
        assignments_on(day=last)
        .filter(position=position, status=Status.ACTIVE)
        .values("staff_id", "staff__employee_no", "branch_id", "branch__path", "position_since")
    )
    columns = [
        "staff_id",
        "employee_no",
        "branch_id",
        "branch_path_text",
        "position_since",
        "peer_group",
        "branch_path",
    ]
    if not rows:
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame.from_records(rows).rename(
        columns={"staff__employee_no": "employee_no", "branch__path": "branch_path_text"}
    )
    codes = frame["branch_path_text"].str.strip("/").str.split("/")
    # The tier-1 branch is the second code of the path; someone placed at the head office
    # itself forms a group of the head office.
    frame["peer_group"] = codes.str[1].fillna(codes.str[0])
    paths = branch_paths()
    frame["branch_path"] = frame["branch_id"].map(paths)
    return frame[columns]


def engine_absences(*, month: datetime.date, staff_ids) -> pd.DataFrame:
    first, last, _ = month_bounds(month)
    rows = absences_between(first=first, last=last).values("staff_id", "start", "end")
    frame = pd.DataFrame.from_records(list(rows), columns=["staff_id", "start", "end"])
    return frame[frame["staff_id"].isin(staff_ids)].reset_index(drop=True)


def engine_targets(*, month: datetime.date) -> pd.DataFrame:
    rows = []
    for target in Target.objects.filter(month=month).values("scope_kind", "branch_id", "staff_id", "item", "target"):
        scope_id = {
            ScopeKind.BANK: None,
            ScopeKind.BRANCH: target["branch_id"],
            ScopeKind.STAFF: target["staff_id"],
        }[target["scope_kind"]]
        rows.append(
            {
                "scope_kind": target["scope_kind"],
                "scope_id": scope_id,
                "item": target["item"],
                "target": float(target["target"]),
            }
        )
    return pd.DataFrame(rows, columns=["scope_kind", "scope_id", "item", "target"])


def engine_history(*, month: datetime.date, months: int) -> pd.DataFrame:
    earliest = month_add(month, -(months - 1))
    rows = Scorecard.objects.filter(period__month__gte=earliest, period__month__lt=month).values(
        "staff_id", "period__month", "score", "exempt", "bottom_flag"
    )
    frame = pd.DataFrame.from_records(
        list(rows), columns=["staff_id", "period__month", "score", "exempt", "bottom_flag"]
    )
    frame = frame.rename(columns={"period__month": "period"})
    frame["score"] = frame["score"].astype("float64")
    return frame


def engine_cases(*, month: datetime.date) -> pd.DataFrame:
    """Per staff member: whether a case opened before this month is still open, and the month of
    their latest closing (SCORING.md §5)."""
    open_ids = set(
        ImprovementCase.objects.filter(status=CaseStatus.OPEN)
        .exclude(opened_period__month=month)
        .values_list("staff_id", flat=True)
    )
    closed = dict(
        ImprovementCase.objects.filter(status=CaseStatus.CLOSED)
        .values("staff_id")
        .annotate(last=Max("closed_month"))
        .values_list("staff_id", "last")
    )
    staff_ids = sorted(open_ids | set(closed))
    return pd.DataFrame(
        {
            "staff_id": staff_ids,
            "open": [staff_id in open_ids for staff_id in staff_ids],
            "closed_period": [closed.get(staff_id) for staff_id in staff_ids],
        },
        columns=["staff_id", "open", "closed_period"],
    )


def scorecards_for_user(*, user, period: Period | None = None) -> QuerySet[Scorecard]:
    """Scorecards a sign-in may see: HR all, a branch head their subtree, a lobby manager their own."""
    query = Scorecard.objects.all()
    if period is not None:
        query = query.filter(period=period)
    return scoped_for_user(query, user=user, path_field="branch_path", staff_field="staff_id")


def periods_recent() -> QuerySet[Period]:
    return Period.objects.order_by("-month")


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
