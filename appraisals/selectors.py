"""Reads for the appraisal side: the engine's inputs, and views of the results scoped to the
sign-in (`*_for_user`): HR all, a branch head their subtree, a lobby manager themself."""

import datetime

import pandas as pd
from django.conf import settings
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from appraisals.models import (
    PUBLISHED_STATUSES,
    Appeal,
    AppealStatus,
    BranchSignoff,
    CaseStatus,
    Grade,
    ImprovementCase,
    Period,
    PeriodStatus,
    Scheme,
    SchemeAdoption,
    SchemeStatus,
    ScopeKind,
    Scorecard,
    Target,
    WriteUp,
    WriteUpStatus,
)
from core.months import month_add, month_bounds, month_has_ended
from metrics.selectors import actuals
from scoring import Scheme as SchemeData
from staff.models import Branch, Position, Role, Status
from staff.selectors import absences_between, assignments_on, branch_paths, membership_of, scoped_for_user


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
    with the branch held that day, its path up the tree and its tier-1 branch as peer group.

    Nobody holds a position before its `position_since` (CONTRACT.md §1): a staff member's first
    row holds from the start of time, but a lobby manager since 1 August has no July scorecard,
    so July neither counts in their rolling score nor in their group's size that month."""
    _, last, _ = month_bounds(month)
    rows = list(
        assignments_on(day=last)
        .filter(position=position, status=Status.ACTIVE, position_since__lte=last)
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


def _sees_published_only(user) -> bool:
    """A lobby manager sees a month once it is reviewed (published), never while only computed."""
    membership = membership_of(user)
    return membership is not None and membership.role == Role.LOBBY_MANAGER


def scorecards_for_user(*, user, period: Period | None = None) -> QuerySet[Scorecard]:
    """Scorecards a sign-in may see: HR all, a branch head their subtree, a lobby manager their own
    of the published months (SCORING.md §6)."""
    query = Scorecard.objects.all()
    if period is not None:
        query = query.filter(period=period)
    if _sees_published_only(user):
        query = query.filter(period__status__in=PUBLISHED_STATUSES)
    return scoped_for_user(query, user=user, path_field="branch_path", staff_field="staff_id")


def periods_recent() -> QuerySet[Period]:
    return Period.objects.order_by("-month")


def appeals_for_user(*, user) -> QuerySet[Appeal]:
    query = Appeal.objects.select_related("staff", "staff__branch", "period", "created_by", "resolved_by")
    return scoped_for_user(query, user=user, path_field="staff__branch__path", staff_field="staff_id")


def cases_for_user(*, user) -> QuerySet[ImprovementCase]:
    query = ImprovementCase.objects.select_related("staff", "staff__branch", "opened_period")
    if _sees_published_only(user):
        query = query.filter(opened_period__status__in=PUBLISHED_STATUSES)
    return scoped_for_user(query, user=user, path_field="staff__branch__path", staff_field="staff_id")


def writeups_for_user(*, user) -> QuerySet[WriteUp]:
    """Write-ups a sign-in may see; a lobby manager sees their own only once HR has approved it."""
    query = WriteUp.objects.select_related("staff", "staff__branch", "period", "approved_by", "edited_by")
    if _sees_published_only(user):
        # A lobby manager: published months only, and a write-up once HR has approved it.
        query = query.filter(period__status__in=PUBLISHED_STATUSES, status=WriteUpStatus.APPROVED)
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
    # order_by(): the model's ordering would add its columns to the DISTINCT, one row a scorecard.
    paths = set(Scorecard.objects.filter(period=period).order_by().values_list("branch_path", flat=True).distinct())
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


def signoff_state_for_user(*, period: Period, user) -> dict:
    """`signoff_state` as a sign-in may see it: a branch head sees only the sub-branches of their
    own subtree and their sign-off notes, never another branch's."""
    state = signoff_state(period=period)
    membership = membership_of(user)
    if membership is None or membership.role == Role.HR:
        return state
    path = membership.branch.path if membership.branch_id else None

    def mine(branch) -> bool:
        return path is not None and branch.path.startswith(path)

    return {
        "signoffs": [signoff for signoff in state["signoffs"] if mine(signoff.branch)],
        "done": [branch for branch in state["done"] if mine(branch)],
        "missing": [branch for branch in state["missing"] if mine(branch)],
    }


# ─── what may be done with a month, and why not (SCORING.md §6) ──────────────────────────────
# Each returns "" when the step is allowed, else why not, for a person: the services refuse with
# these words, and the console's month page shows them beside a disabled button.


def compute_blocker(*, month: datetime.date, status: str | None = None) -> str:
    month = month.replace(day=1)
    if status == PeriodStatus.FINALIZED:
        return _("%(month)s 已定稿，不能重新计算；如需更正，请先填写原因重开该月。") % {"month": f"{month:%Y-%m}"}
    if not month_has_ended(month):
        return _("%(month)s 尚未结束（按北京时间），月末之后才能计算。") % {"month": f"{month:%Y-%m}"}
    return ""


def review_blocker(*, period: Period, missing: int = 0) -> str:
    """Why the month cannot be published now; `missing` sub-branches not signed off only block
    a review without a written reason."""
    if period.status != PeriodStatus.COMPUTED:
        return _status_blocker(period)
    if missing:
        return ngettext("尚有 %(count)d 个支行未签核", "尚有 %(count)d 个支行未签核", missing) % {"count": missing}
    return ""


def finalize_blocker(*, period: Period, user) -> str:
    """Finalizing needs the review, no open appeal of the month and, with FOUR_EYES, an HR user
    other than the one who reviewed it (SCORING.md §6)."""
    if period.status == PeriodStatus.COMPUTED:
        return _("须先复核（标记为已复核）才能定稿")
    if period.status != PeriodStatus.REVIEWED:
        return _status_blocker(period)
    appeals = Appeal.objects.filter(period=period, status=AppealStatus.OPEN).count()
    if appeals:
        return ngettext("该月尚有 %(count)d 项未处理的申诉", "该月尚有 %(count)d 项未处理的申诉", appeals) % {
            "count": appeals
        }
    if settings.FOUR_EYES:
        if user is None:
            return _("定稿须注明由哪位人力资源用户操作（四眼原则）")
        if period.reviewed_by_id is not None and period.reviewed_by_id == user.pk:
            return _("需另一位人力资源用户定稿（您复核了该月）")
    return ""


def void_blocker(*, period: Period) -> str:
    if period.status == PeriodStatus.FINALIZED:
        return _("已定稿的月份不能作废；如需更正，请填写原因重开该月")
    if period.status not in (PeriodStatus.COMPUTED, PeriodStatus.REVIEWED):
        return _status_blocker(period)
    return ""


def _status_blocker(period: Period) -> str:
    return _("该月当前状态为「%(status)s」") % {"status": period.get_status_display()}


def open_cases_count() -> int:
    return ImprovementCase.objects.filter(status=CaseStatus.OPEN).count()
