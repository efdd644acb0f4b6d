"""A month of appraisals (SCORING.md §6): computing it, and moving it through its states."""

import datetime
import json
from dataclasses import dataclass, field

import pandas as pd
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from appraisals import selectors
from appraisals.models import (
    Acknowledgement,
    Appeal,
    AppealStatus,
    BranchSignoff,
    CaseEvent,
    CaseStage,
    CaseStatus,
    ImprovementCase,
    Period,
    PeriodStatus,
    Scheme,
    Scorecard,
    WriteUp,
    WriteUpStatus,
)
from appraisals.services import notify
from appraisals.services.simulations import engine_inputs_keep
from audit.models import Change
from audit.services import change_record, changes_record_bulk, field_changes
from core.bulk import SyncCounts, decimal_texts, json_bools, json_numbers, json_texts, model_columns, sync_rows
from core.errors import LobbyStarError
from metrics.services import month_lock, month_locks_hold, month_unlock
from scoring import compute_scorecards, input_fingerprint
from staff.models import Role
from staff.selectors import membership_of


class PeriodError(LobbyStarError):
    """A month cannot do what was asked; the message says why, for a person to read."""


@dataclass
class ComputeResult:
    period: Period
    scorecards: int
    flagged: int
    cases_opened: list[int] = field(default_factory=list)
    cases_withdrawn: list[int] = field(default_factory=list)
    changes: int = 0
    later_months: list[datetime.date] = field(default_factory=list)
    # How many scorecards were inserted, updated, deleted and left as they were.
    written: SyncCounts | None = None


# The items the export names (CONTRACT.md §3); a scheme scores these and no others.
CONTRACT_ITEMS = ["accounts", "effective", "ebanking", "deposits", "satisfaction", "mystery"]

# The fields whose change after a reopen is written down (SCORING.md §6).
WATCHED_FIELDS = [
    "score",
    "grade",
    "rank",
    "percentile",
    "rolling",
    "bottom_flag",
    "veto",
    "exempt",
    "base",
    "bonus",
    "deduction",
]


def _texts(values: pd.Series, places: int) -> list[str | None]:
    """Decimals as exact text for the database (the engine has already rounded them)."""
    return decimal_texts(values, places).tolist()


def _scorecard_columns(
    frame: pd.DataFrame, *, period, scheme, scheme_data, staff: pd.DataFrame, fingerprint: str, now, cases: set
) -> dict[str, list]:
    """The engine's frame as database-ready columns of `Scorecard`, for one bulk insert.

    Building columns rather than model instances keeps writing 20,000 scorecards to well
    under a second: no per-field preparation by the ORM. The two JSON fields are written as
    text column-wise — each distinct number formatted once, each row by one %-formatting — in
    exactly the text `json.dumps` gives for the same list of dicts
    (`tests/appraisals/test_scorecard_columns.py`).
    """
    placed = staff.set_index("staff_id").loc[frame["staff_id"]]
    # branch_path is nearest first (outlet … tier-1 branch, head office): the peer group is
    # the one before last, or the head office itself for somebody placed there.
    paths = placed["branch_path"]
    peer_groups = [path[-2] if len(path) >= 2 else path[-1] for path in paths]
    count = len(frame)
    # json.dumps([{"code": …, "weight": …, "actual": …, …}, …], ensure_ascii=False), per row.
    shapes, texts = [], []
    for item in scheme_data.items:
        code = item.code
        opening = json.dumps({"code": code, "weight": str(item.weight)}, ensure_ascii=False)[:-1].replace("%", "%%")
        shapes.append(opening + ', "actual": %s, "target": %s, "completion": %s, "assessed": %s, "points": %s}')
        texts += [
            json_numbers(frame[code]),
            json_numbers(frame[f"target_{code}"]),
            json_numbers(frame[f"completion_{code}"]),
            json_bools(frame[f"assessed_{code}"]),
            json_numbers(frame[f"points_{code}"]),
        ]
    items_json = json_texts("[" + ", ".join(shapes) + "]", texts)
    bottom_json = json_texts(
        '{"position": %s, "k": %s, "median": %s, "relative": %s, "absolute": %s, "case_rule": %s}',
        [
            json_numbers(frame["bottom_position"]),
            json_numbers(frame["bottom_k"]),
            json_numbers(frame["group_median"]),
            json_bools(frame["relative_test"]),
            json_bools(frame["absolute_test"]),
            json_bools(frame["case_rule"]),
        ],
    )
    as_ints = lambda name: frame[name].astype("int64").tolist()  # noqa: E731
    as_bools = lambda name: frame[name].astype(bool).tolist()  # noqa: E731
    computed_at = connection.ops.adapt_datetimefield_value(now)
    values = {
        "period": [period.pk] * count,
        "staff": frame["staff_id"].astype("int64").tolist(),
        "branch": placed["branch_id"].astype("int64").tolist(),
        "peer_group": peer_groups,
        "branch_path": placed["branch_path_text"].tolist(),
        "scheme": [scheme.pk] * count,
        "input_fingerprint": [fingerprint] * count,
        "computed_at": [computed_at] * count,
        "days_in_month": as_ints("days_in_month"),
        "present_days": as_ints("present_days"),
        "accounts": as_ints("accounts"),
        "effective": as_ints("effective"),
        "ebanking": as_ints("ebanking"),
        "deposits": _texts(frame["deposits"], 4),
        "deposits_total": _texts(frame["deposits_total"], 4),
        "satisfaction": _texts(frame["satisfaction"], 4),
        "mystery": _texts(frame["mystery"], 2),
        "praise": as_ints("praise"),
        "complaints": as_ints("complaints"),
        "major_complaints": as_ints("major_complaints"),
        **{
            f"points_{code}": _texts(frame[f"points_{code}"], 2) if f"points_{code}" in frame else [None] * count
            for code in CONTRACT_ITEMS
        },
        "items": items_json,
        "base": _texts(frame["base"], 2),
        "bonus": _texts(frame["bonus"], 2),
        "deduction": _texts(frame["deduction"], 2),
        "score": _texts(frame["score"], 2),
        "grade": frame["grade"].tolist(),
        "veto": as_bools("veto"),
        "exempt": as_bools("exempt"),
        "probation": as_bools("probation"),
        "rank": [None if pd.isna(rank) else int(rank) for rank in frame["rank"]],
        "group_size": as_ints("group_size"),
        "percentile": _texts(frame["percentile"], 4),
        "rolling": _texts(frame["rolling"], 2),
        "eligible": as_bools("eligible"),
        "bottom_flag": as_bools("bottom_flag"),
        "case_opened": [int(staff_id) in cases for staff_id in frame["staff_id"]],
        "bottom_detail": bottom_json,
    }
    return model_columns(Scorecard, values)


def _snapshot(period: Period) -> dict[int, dict]:
    return {
        row["staff_id"]: row
        for row in Scorecard.objects.filter(period=period).values("id", "staff_id", *WATCHED_FIELDS)
    }


def period_compute(*, month: datetime.date, user=None) -> ComputeResult:
    """Computes or recomputes a month (SCORING.md §1–§5) and writes its scorecards in bulk.

    Refused for a month that has not ended in the bank's time zone (before the database is
    touched) and for a finalized month. After a reopen, every changed score, grade, rank and
    flag is written to the history with the reopen's reason.
    """
    month = month.replace(day=1)
    refusal = selectors.compute_blocker(month=month)
    if refusal:
        raise PeriodError(refusal)
    return _period_compute(month=month, user=user)


@transaction.atomic
def _period_compute(*, month: datetime.date, user) -> ComputeResult:
    month_locks_hold()  # shared with imports, exclusive of a finalize
    period, _created = Period.objects.get_or_create(month=month)
    period = Period.objects.select_for_update().get(pk=period.pk)
    refusal = selectors.compute_blocker(month=month, status=period.status)
    if refusal:
        raise PeriodError(refusal)
    # A reopened month is recomputed under the scheme it was finalized with, so a correction
    # changes only what the corrected records change.
    try:
        scheme = period.scheme if (period.reopened_at and period.scheme) else selectors.scheme_for_month(month=month)
    except Scheme.DoesNotExist:
        raise PeriodError(_("没有启用的大堂经理考核方案：请在管理后台「考核方案」中启用一个版本。")) from None
    scheme_data = selectors.scheme_data(scheme)

    inputs = selectors.engine_inputs(month=month, scheme=scheme_data)
    staff = inputs["staff"]
    result = compute_scorecards(**inputs)
    fingerprint = input_fingerprint(**inputs)
    engine_inputs_keep(period=period, inputs=inputs, fingerprint=fingerprint)
    now = timezone.now()

    before = _snapshot(period) if period.reopened_at else {}
    opened, withdrawn = _cases_apply(period=period, result=result, user=user)
    open_from_this_month = set(
        ImprovementCase.objects.filter(opened_period=period, status=CaseStatus.OPEN).values_list("staff_id", flat=True)
    )
    columns = _scorecard_columns(
        result,
        period=period,
        scheme=scheme,
        scheme_data=scheme_data,
        staff=staff,
        fingerprint=fingerprint,
        now=now,
        cases=open_from_this_month,
    )
    # Only the scorecards that changed are written: a recomputation after a correction changes a
    # few peer groups' rows, and one on the same inputs none.
    written = sync_rows(
        table=Scorecard._meta.db_table,
        columns=columns,
        key="staff_id",
        scope={"period_id": period.pk},
        digest="figures_digest",
        volatile=["computed_at", "input_fingerprint"],
    )

    changes = _changes_after_reopen(period=period, before=before, user=user) if before else 0

    updated = Period.objects.filter(pk=period.pk, status=period.status).update(
        status=PeriodStatus.COMPUTED,
        scheme=scheme,
        computed_at=now,
        computed_by=user,
        input_fingerprint=fingerprint,
        scorecard_count=len(result),
        # Recomputed figures are not the ones that were reviewed: the month is published again
        # only by a new review.
        reviewed_at=None,
        reviewed_by=None,
    )
    if updated != 1:
        raise PeriodError(_("%(month)s 的状态刚被他人修改，请刷新后重试。") % {"month": period.label})
    if period.status != PeriodStatus.COMPUTED:
        change_record(
            obj=period,
            action=Change.Action.TRANSITION,
            user=user,
            source="compute",
            fields={"status": [period.status, PeriodStatus.COMPUTED]},
        )
    period.refresh_from_db()
    later = list(
        Period.objects.filter(month__gt=month, status__in=[PeriodStatus.COMPUTED, PeriodStatus.REVIEWED])
        .order_by("month")
        .values_list("month", flat=True)
    )
    notify.period_computed(period=period, cases_opened=opened)
    return ComputeResult(
        period=period,
        scorecards=len(result),
        flagged=int(result["bottom_flag"].sum()),
        cases_opened=opened,
        cases_withdrawn=withdrawn,
        changes=changes,
        later_months=later,
        written=written,
    )


def _cases_apply(*, period: Period, result: pd.DataFrame, user) -> tuple[list[int], list[int]]:
    """Opens stage-1 cases where the rule holds; withdraws this month's cases where it no longer
    does (SCORING.md §5). Cases are never deleted."""
    ruled = set(result.loc[result["case_rule"].astype(bool), "staff_id"].astype(int))
    existing = {
        case.staff_id: case for case in ImprovementCase.objects.filter(opened_period=period, status=CaseStatus.OPEN)
    }
    opened = []
    for staff_id in sorted(ruled - set(existing)):
        case = ImprovementCase.objects.create(staff_id=staff_id, opened_period=period)
        CaseEvent.objects.create(
            case=case,
            kind=CaseEvent.Kind.OPENED,
            stage=CaseStage.IMPROVEMENT_PLAN,
            user=None,
            note=_("连续三个月末位预警（%(month)s 及此前两个月），系统启动改进计划。后续每一步均由人作出决定。")
            % {"month": period.label},
        )
        opened.append(case.pk)
    withdrawn = []
    for staff_id, case in existing.items():
        if staff_id in ruled:
            continue
        reason = _("重新计算 %(month)s 后不再满足启动条件，改进程序撤销。") % {"month": period.label}
        changed = ImprovementCase.objects.filter(pk=case.pk, status=CaseStatus.OPEN).update(
            status=CaseStatus.WITHDRAWN, outcome_note=reason, closed_at=timezone.now()
        )
        if changed:
            CaseEvent.objects.create(case=case, kind=CaseEvent.Kind.WITHDRAWN, stage=case.stage, note=reason, user=user)
            withdrawn.append(case.pk)
    return opened, withdrawn


def _changes_after_reopen(*, period: Period, before: dict[int, dict], user) -> int:
    after = _snapshot(period)
    entries = []
    for staff_id in sorted(set(before) | set(after)):
        old, new = before.get(staff_id, {}), after.get(staff_id, {})
        fields = field_changes({k: old.get(k) for k in WATCHED_FIELDS}, {k: new.get(k) for k in WATCHED_FIELDS})
        if fields:
            pk = (new or old)["id"]
            entries.append((pk, f"{period.label} staff {staff_id}", fields))
    return changes_record_bulk(
        model=Scorecard,
        entries=entries,
        action=Change.Action.UPDATE,
        reason=period.reopen_reason,
        user=user,
        source=f"recompute {period.label}",
    )


def _transition(
    *, period: Period, allowed: list[str], new: str, user, reason: str = "", history: dict | None = None, **fields
) -> Period:
    """Moves a period only if nobody moved it first: `filter(status=old).update(status=new)`."""
    if period.status not in allowed:
        raise PeriodError(
            _("%(month)s 当前状态为「%(status)s」，不能执行此操作。")
            % {"month": period.label, "status": period.get_status_display()}
        )
    updated = Period.objects.filter(pk=period.pk, status=period.status).update(status=new, **fields)
    if updated != 1:
        raise PeriodError(_("%(month)s 的状态刚被他人修改，请刷新后重试。") % {"month": period.label})
    change_record(
        obj=period,
        action=Change.Action.TRANSITION,
        user=user,
        reason=reason,
        fields={"status": [period.status, new], **(history or {})},
    )
    period.refresh_from_db()
    return period


def period_get(*, month: datetime.date) -> Period:
    try:
        return Period.objects.get(month=month.replace(day=1))
    except Period.DoesNotExist:
        raise PeriodError(_("%(month)s 尚未计算。") % {"month": f"{month:%Y-%m}"}) from None


def _is_hr(user) -> bool:
    """HR as the console sees it: an HR membership, or a superuser without any membership."""
    membership = membership_of(user)
    return user.is_active and (membership.role == Role.HR if membership is not None else user.is_superuser)


def _hr_required(user) -> None:
    """The month's steps are HR's; `None` is the system itself (the demo, a test)."""
    if user is not None and not _is_hr(user):
        raise PeriodError(_("%(user)s 不是人力资源部的登录账号，不能执行此操作。") % {"user": user.get_username()})


def hr_user_get(*, username: str):
    """The HR sign-in a command acts as (`--as USER`); refused for anybody else."""
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise PeriodError(_("没有登录名为 %(user)s 的账号。") % {"user": username})
    _hr_required(user)
    return user


def period_review(*, month: datetime.date, user=None, without_signoffs: bool = False, reason: str = "") -> Period:
    """computed → reviewed (published), once every sub-branch with scorecards has signed off.

    HR may publish without the missing sign-offs only with a written reason, which is recorded.
    The reviewer is kept: with FOUR_EYES another HR user finalizes.
    """
    _hr_required(user)
    period = period_get(month=month)
    missing = selectors.signoff_state(period=period)["missing"] if period.status == PeriodStatus.COMPUTED else []
    reason = (reason or "").strip()
    if missing and not without_signoffs:
        names = "、".join(branch.name for branch in missing[:5])
        raise PeriodError(
            _("还有 %(count)d 个支行未签核（%(names)s），暂不能标记为已复核。")
            % {"count": len(missing), "names": names}
        )
    if missing and len(reason) < 4:
        raise PeriodError(_("未经全部支行签核即发布，必须写明原因（至少 4 个字）。"))
    if missing:
        reason = _("未签核支行：%(names)s。原因：%(reason)s") % {
            "names": "、".join(branch.name for branch in missing),
            "reason": reason,
        }
    period = _transition(
        period=period,
        allowed=[PeriodStatus.COMPUTED],
        new=PeriodStatus.REVIEWED,
        user=user,
        reason=reason,
        reviewed_at=timezone.now(),
        reviewed_by=user,
    )
    notify.period_published(period=period)
    return period


@transaction.atomic
def period_finalize(*, month: datetime.date, user=None) -> Period:
    """reviewed → finalized: the month is locked, no new or changed records, no recomputation
    (SCORING.md §6). Needs the review, no open appeal, and with FOUR_EYES a second HR user.

    Holds the month locks exclusively, so an import or edit in flight either commits first or
    sees the lock."""
    _hr_required(user)
    month_locks_hold(exclusive=True)
    period = period_get(month=month)
    period = Period.objects.select_for_update().get(pk=period.pk)
    refusal = selectors.finalize_blocker(period=period, user=user)
    if refusal:
        raise PeriodError(_("%(month)s 不能定稿：%(why)s。") % {"month": period.label, "why": refusal})
    period = _transition(
        period=period,
        allowed=[PeriodStatus.REVIEWED],
        new=PeriodStatus.FINALIZED,
        user=user,
        finalized_at=timezone.now(),
        finalized_by=user,
    )
    month_lock(month=period.month)
    return period


@transaction.atomic
def period_reopen(*, month: datetime.date, reason: str, user=None) -> Period:
    """Opens a finalized month again, only with a written reason; it returns to computed, and is
    published again only by a new review and finalized again by a new finalize."""
    _hr_required(user)
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise PeriodError(_("重开已定稿月份必须填写原因（至少 4 个字）。"))
    month_locks_hold(exclusive=True)
    period = period_get(month=month)
    # The history keeps who reviewed and finalized it, and when; the month page shows the month
    # as it is now, so a reopened month shows no 定稿时间.
    signed = {
        name: [_text(getattr(period, name)), None]
        for name in ("reviewed_at", "reviewed_by_id", "finalized_at", "finalized_by_id")
        if getattr(period, name) is not None
    }
    period = _transition(
        period=period,
        allowed=[PeriodStatus.FINALIZED],
        new=PeriodStatus.COMPUTED,
        user=user,
        reason=reason,
        history=signed,
        reopened_at=timezone.now(),
        reopen_reason=reason,
        reviewed_at=None,
        reviewed_by=None,
        finalized_at=None,
        finalized_by=None,
    )
    month_unlock(month=period.month)
    return period


def _text(value) -> str | None:
    return None if value is None else str(value)


@dataclass
class VoidResult:
    period: Period
    scorecards: int
    cases_withdrawn: list[int] = field(default_factory=list)
    appeals_closed: int = 0
    signoffs_removed: int = 0
    acknowledgements_removed: int = 0
    writeups_unapproved: int = 0
    later_months: list[datetime.date] = field(default_factory=list)


@transaction.atomic
def period_void(*, month: datetime.date, reason: str, user=None) -> VoidResult:
    """Voids a computed or reviewed month, with a written reason (SCORING.md §6).

    Its scorecards go; what rested on them is closed with the reason, never deleted: the cases
    this computation opened are withdrawn, open appeals of the month closed, approved write-ups
    back to draft; sign-offs and acknowledgements of the voided scorecards are removed, each
    kept in the history. The month returns to draft (marked voided), so it can be computed again.
    """
    _hr_required(user)
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise PeriodError(_("作废考核结果必须填写原因（至少 4 个字）。"))
    period = Period.objects.select_for_update().get(pk=period_get(month=month).pk)
    refusal = selectors.void_blocker(period=period)
    if refusal:
        raise PeriodError(_("%(month)s 不能作废：%(why)s。") % {"month": period.label, "why": refusal})
    now = timezone.now()
    note = _("%(month)s 的考核结果已作废：%(reason)s") % {"month": period.label, "reason": reason}
    result = VoidResult(period=period, scorecards=Scorecard.objects.filter(period=period).count())

    for case in ImprovementCase.objects.filter(opened_period=period, status=CaseStatus.OPEN):
        if ImprovementCase.objects.filter(pk=case.pk, status=CaseStatus.OPEN).update(
            status=CaseStatus.WITHDRAWN, outcome_note=note, closed_at=now
        ):
            CaseEvent.objects.create(case=case, kind=CaseEvent.Kind.WITHDRAWN, stage=case.stage, note=note, user=user)
            result.cases_withdrawn.append(case.pk)

    appeals = list(Appeal.objects.filter(period=period, status=AppealStatus.OPEN))
    Appeal.objects.filter(pk__in=[a.pk for a in appeals]).update(
        status=AppealStatus.VOIDED, resolution=note, resolved_by=user, resolved_at=now
    )
    result.appeals_closed = changes_record_bulk(
        model=Appeal,
        entries=[(a.pk, str(a), {"status": [AppealStatus.OPEN, AppealStatus.VOIDED]}) for a in appeals],
        action=Change.Action.UPDATE,
        reason=reason,
        user=user,
        source=f"void {period.label}",
    )
    for model, label in ((BranchSignoff, "branch_id"), (Acknowledgement, "staff_id")):
        rows = list(model.objects.filter(period=period).values("id", label, "user_id", "at"))
        changes_record_bulk(
            model=model,
            entries=[
                (row["id"], f"{period.label} {row[label]}", {label: [row[label], None], "at": [str(row["at"]), None]})
                for row in rows
            ],
            action=Change.Action.DELETE,
            reason=reason,
            user=user,
            source=f"void {period.label}",
        )
        model.objects.filter(pk__in=[row["id"] for row in rows]).delete()
        if model is BranchSignoff:
            result.signoffs_removed = len(rows)
        else:
            result.acknowledgements_removed = len(rows)
    result.writeups_unapproved = WriteUp.objects.filter(period=period, status=WriteUpStatus.APPROVED).update(
        status=WriteUpStatus.DRAFT, approved_by=None, approved_at=None
    )
    Scorecard.objects.filter(period=period).delete()

    result.period = _transition(
        period=period,
        allowed=[PeriodStatus.COMPUTED, PeriodStatus.REVIEWED],
        new=PeriodStatus.DRAFT,
        user=user,
        reason=reason,
        history={"scorecard_count": [result.scorecards, 0]},
        scheme=None,
        computed_at=None,
        computed_by=None,
        input_fingerprint="",
        reviewed_at=None,
        reviewed_by=None,
        scorecard_count=0,
        voided_at=now,
        void_reason=reason,
    )
    # Later months' rolling scores read this month's scores: they must be computed again.
    result.later_months = list(
        Period.objects.filter(month__gt=period.month, status__in=[PeriodStatus.COMPUTED, PeriodStatus.REVIEWED])
        .order_by("month")
        .values_list("month", flat=True)
    )
    return result
