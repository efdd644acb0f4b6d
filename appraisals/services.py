"""Writes for the appraisal side: computing a month, moving it through its states, and cases."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

import pandas as pd
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from appraisals import selectors
from appraisals.models import (
    CaseEvent,
    CaseStage,
    CaseStatus,
    ImprovementCase,
    Period,
    PeriodStatus,
    Scorecard,
)
from appraisals.scoring import compute_scorecards, input_fingerprint
from audit.models import Change
from audit.services import change_record, changes_record_bulk, field_changes
from metrics.selectors import actuals
from metrics.services import month_lock, month_unlock
from staff.models import Position


class PeriodError(Exception):
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


def _decimal(value, places: int) -> Decimal | None:
    if value is None or pd.isna(value):
        return None
    return Decimal(f"{float(value):.{places}f}")


def _scorecards_from_frame(
    frame: pd.DataFrame, *, period, scheme, scheme_data, staff: pd.DataFrame, fingerprint: str, now
) -> list[Scorecard]:
    placed = staff.set_index("staff_id")
    branch_ids = placed["branch_id"]
    branch_path_text = placed["branch_path_text"]
    item_codes = [item.code for item in scheme_data.items]
    weights = {item.code: str(item.weight) for item in scheme_data.items}
    cards = []
    for row in frame.to_dict("records"):
        staff_id = int(row["staff_id"])
        path = placed.at[staff_id, "branch_path"]
        items = [
            {
                "code": code,
                "weight": weights[code],
                "actual": _json_number(row.get(code)),
                "target": _json_number(row.get(f"target_{code}")),
                "completion": _json_number(row.get(f"completion_{code}")),
                "assessed": bool(row[f"assessed_{code}"]),
                "points": _json_number(row.get(f"points_{code}")),
            }
            for code in item_codes
        ]
        cards.append(
            Scorecard(
                period=period,
                staff_id=staff_id,
                branch_id=int(branch_ids.at[staff_id]),
                # path is nearest first: outlet … tier-1 branch, head office
                peer_group_id=int(path[-2] if len(path) >= 2 else path[-1]),
                branch_path=branch_path_text.at[staff_id],
                scheme=scheme,
                input_fingerprint=fingerprint,
                computed_at=now,
                days_in_month=int(row["days_in_month"]),
                present_days=int(row["present_days"]),
                accounts=int(row["accounts"]),
                effective=int(row["effective"]),
                ebanking=int(row["ebanking"]),
                deposits=_decimal(row["deposits"], 4),
                deposits_total=_decimal(row["deposits_total"], 4),
                satisfaction=_decimal(row["satisfaction"], 4),
                mystery=_decimal(row["mystery"], 2),
                praise=int(row["praise"]),
                complaints=int(row["complaints"]),
                major_complaints=int(row["major_complaints"]),
                points_accounts=_decimal(row.get("points_accounts"), 2),
                points_effective=_decimal(row.get("points_effective"), 2),
                points_ebanking=_decimal(row.get("points_ebanking"), 2),
                points_deposits=_decimal(row.get("points_deposits"), 2),
                points_satisfaction=_decimal(row.get("points_satisfaction"), 2),
                points_mystery=_decimal(row.get("points_mystery"), 2),
                items=items,
                base=_decimal(row["base"], 2),
                bonus=_decimal(row["bonus"], 2),
                deduction=_decimal(row["deduction"], 2),
                score=_decimal(row["score"], 2),
                grade=row["grade"],
                veto=bool(row["veto"]),
                exempt=bool(row["exempt"]),
                probation=bool(row["probation"]),
                rank=None if pd.isna(row["rank"]) else int(row["rank"]),
                group_size=int(row["group_size"]),
                percentile=_decimal(row["percentile"], 4),
                rolling=_decimal(row["rolling"], 2),
                eligible=bool(row["eligible"]),
                bottom_flag=bool(row["bottom_flag"]),
                bottom_detail={
                    "position": _json_number(row.get("bottom_position")),
                    "k": _json_number(row.get("bottom_k")),
                    "median": _json_number(row.get("group_median")),
                    "relative": bool(row.get("relative_test")),
                    "absolute": bool(row.get("absolute_test")),
                    "case_rule": bool(row.get("case_rule")),
                },
            )
        )
    return cards


def _json_number(value):
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, (bool,)):
        return value
    number = float(value)
    return int(number) if number.is_integer() else round(number, 4)


def _snapshot(period: Period) -> dict[int, dict]:
    return {
        row["staff_id"]: row
        for row in Scorecard.objects.filter(period=period).values("id", "staff_id", *WATCHED_FIELDS)
    }


@transaction.atomic
def period_compute(*, month: datetime.date, user=None) -> ComputeResult:
    """Computes or recomputes a month (SCORING.md §1–§5) and writes its scorecards in bulk.

    Refused for a finalized month. After a reopen, every changed score, grade, rank and flag
    is written to the history with the reopen's reason.
    """
    month = month.replace(day=1)
    period, _created = Period.objects.get_or_create(month=month)
    period = Period.objects.select_for_update().get(pk=period.pk)
    if period.status == PeriodStatus.FINALIZED:
        raise PeriodError(
            _("%(month)s 已定稿，不能重新计算；如需更正，请先填写原因重开该月。") % {"month": period.label}
        )
    # A reopened month is recomputed under the scheme it was finalized with, so a correction
    # changes only what the corrected records change.
    scheme = period.scheme if (period.reopened_at and period.scheme) else selectors.scheme_current()
    scheme_data = selectors.scheme_data(scheme)

    staff = selectors.engine_staff(month=month, position=scheme_data.position or Position.LOBBY_MANAGER)
    inputs = {
        "period": month,
        "staff": staff,
        "actuals": actuals(month=month, effective_threshold=scheme_data.effective_threshold),
        "absences": selectors.engine_absences(month=month, staff_ids=staff["staff_id"]),
        "targets": selectors.engine_targets(month=month),
        "history": selectors.engine_history(
            month=month, months=max(scheme_data.rolling_months, scheme_data.case_consecutive)
        ),
        "cases": selectors.engine_cases(month=month),
        "scheme": scheme_data,
    }
    result = compute_scorecards(**inputs)
    fingerprint = input_fingerprint(**inputs)
    now = timezone.now()

    before = _snapshot(period) if period.reopened_at else {}
    Scorecard.objects.filter(period=period).delete()
    cards = _scorecards_from_frame(
        result,
        period=period,
        scheme=scheme,
        scheme_data=scheme_data,
        staff=staff,
        fingerprint=fingerprint,
        now=now,
    )
    opened, withdrawn = _cases_apply(period=period, result=result, user=user)
    open_from_this_month = set(
        ImprovementCase.objects.filter(opened_period=period, status=CaseStatus.OPEN).values_list(
            "staff_id", flat=True
        )
    )
    for card in cards:
        card.case_opened = card.staff_id in open_from_this_month
    Scorecard.objects.bulk_create(cards, batch_size=2000)

    changes = _changes_after_reopen(period=period, before=before, user=user) if before else 0

    updated = Period.objects.filter(pk=period.pk, status=period.status).update(
        status=PeriodStatus.COMPUTED,
        scheme=scheme,
        computed_at=now,
        computed_by=user,
        scorecard_count=len(cards),
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
    return ComputeResult(
        period=period,
        scorecards=len(cards),
        flagged=int(result["bottom_flag"].sum()),
        cases_opened=opened,
        cases_withdrawn=withdrawn,
        changes=changes,
        later_months=later,
    )


def _cases_apply(*, period: Period, result: pd.DataFrame, user) -> tuple[list[int], list[int]]:
    """Opens stage-1 cases where the rule holds; withdraws this month's cases where it no longer
    does (SCORING.md §5). Cases are never deleted."""
    ruled = set(result.loc[result["case_rule"].astype(bool), "staff_id"].astype(int))
    existing = {
        case.staff_id: case
        for case in ImprovementCase.objects.filter(opened_period=period, status=CaseStatus.OPEN)
    }
    opened = []
    for staff_id in sorted(ruled - set(existing)):
        case = ImprovementCase.objects.create(staff_id=staff_id, opened_period=period)
        CaseEvent.objects.create(
            case=case,
            kind=CaseEvent.Kind.OPENED,
            stage=CaseStage.IMPROVEMENT_PLAN,
            user=None,
            note=_(
                "连续三个月末位预警（%(month)s 及此前两个月），系统启动改进计划。后续每一步均由人作出决定。"
            )
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
            CaseEvent.objects.create(
                case=case, kind=CaseEvent.Kind.WITHDRAWN, stage=case.stage, note=reason, user=user
            )
            withdrawn.append(case.pk)
    return opened, withdrawn


def _changes_after_reopen(*, period: Period, before: dict[int, dict], user) -> int:
    after = _snapshot(period)
    entries = []
    for staff_id in sorted(set(before) | set(after)):
        old, new = before.get(staff_id, {}), after.get(staff_id, {})
        fields = field_changes(
            {k: old.get(k) for k in WATCHED_FIELDS}, {k: new.get(k) for k in WATCHED_FIELDS}
        )
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


def _transition(*, period: Period, allowed: list[str], new: str, user, reason: str = "", **fields) -> Period:
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
        fields={"status": [period.status, new]},
    )
    period.refresh_from_db()
    return period


def period_get(*, month: datetime.date) -> Period:
    try:
        return Period.objects.get(month=month.replace(day=1))
    except Period.DoesNotExist:
        raise PeriodError(_("%(month)s 尚未计算。") % {"month": f"{month:%Y-%m}"}) from None


def period_review(*, month: datetime.date, user=None) -> Period:
    """Branch heads have signed off: computed → reviewed."""
    return _transition(
        period=period_get(month=month), allowed=[PeriodStatus.COMPUTED], new=PeriodStatus.REVIEWED, user=user
    )


@transaction.atomic
def period_finalize(*, month: datetime.date, user=None) -> Period:
    """Locks the month: no new or changed records, no recomputation (SCORING.md §6)."""
    period = _transition(
        period=period_get(month=month),
        allowed=[PeriodStatus.COMPUTED, PeriodStatus.REVIEWED],
        new=PeriodStatus.FINALIZED,
        user=user,
        finalized_at=timezone.now(),
    )
    month_lock(month=period.month)
    return period


@transaction.atomic
def period_reopen(*, month: datetime.date, reason: str, user=None) -> Period:
    """Opens a finalized month again, only with a written reason; it returns to computed."""
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise PeriodError(_("重开已定稿月份必须填写原因（至少 4 个字）。"))
    period = _transition(
        period=period_get(month=month),
        allowed=[PeriodStatus.FINALIZED],
        new=PeriodStatus.COMPUTED,
        user=user,
        reason=reason,
        reopened_at=timezone.now(),
        reopen_reason=reason,
    )
    month_unlock(month=period.month)
    return period


def case_advance(*, case: ImprovementCase, stage: int, note: str, evidence=None, user) -> ImprovementCase:
    """A person moves an open case to stage 2 or 3, with a note (SCORING.md §5)."""
    note = (note or "").strip()
    if not note:
        raise PeriodError(_("进入下一阶段必须填写说明。"))
    if stage != case.stage + 1 or stage not in (CaseStage.RETRAINING, CaseStage.HR_LEGAL_REVIEW):
        raise PeriodError(_("改进程序只能逐级推进到下一阶段。"))
    updated = ImprovementCase.objects.filter(pk=case.pk, status=CaseStatus.OPEN, stage=case.stage).update(
        stage=stage
    )
    if updated != 1:
        raise PeriodError(_("该改进程序已被他人处理，请刷新后重试。"))
    CaseEvent.objects.create(
        case=case, kind=CaseEvent.Kind.STAGE, stage=stage, note=note, evidence=evidence or "", user=user
    )
    change_record(
        obj=case,
        action=Change.Action.TRANSITION,
        user=user,
        reason=note,
        fields={"stage": [case.stage, stage]},
    )
    case.refresh_from_db()
    return case


def case_note(*, case: ImprovementCase, note: str, evidence=None, user) -> CaseEvent:
    note = (note or "").strip()
    if not note:
        raise PeriodError(_("记录内容不能为空。"))
    return CaseEvent.objects.create(
        case=case, kind=CaseEvent.Kind.NOTE, stage=case.stage, note=note, evidence=evidence or "", user=user
    )


def case_close(
    *, case: ImprovementCase, note: str, month: datetime.date | None = None, user
) -> ImprovementCase:
    """HR closes a case with a note; a new case then needs three flagged months after `month`."""
    note = (note or "").strip()
    if not note:
        raise PeriodError(_("结案必须填写结论。"))
    closed_month = (month or timezone.localdate()).replace(day=1)
    updated = ImprovementCase.objects.filter(pk=case.pk, status=CaseStatus.OPEN).update(
        status=CaseStatus.CLOSED, closed_month=closed_month, closed_at=timezone.now(), outcome_note=note
    )
    if updated != 1:
        raise PeriodError(_("该改进程序已结案或已撤销。"))
    CaseEvent.objects.create(case=case, kind=CaseEvent.Kind.CLOSED, stage=case.stage, note=note, user=user)
    change_record(
        obj=case,
        action=Change.Action.TRANSITION,
        user=user,
        reason=note,
        fields={"status": [CaseStatus.OPEN, CaseStatus.CLOSED]},
    )
    case.refresh_from_db()
    return case


def month_parse(text: str) -> datetime.date:
    """`YYYY-MM` → the first day of that month; a clear error otherwise."""
    try:
        year, month = text.strip().split("-")
        return datetime.date(int(year), int(month), 1)
    except (ValueError, AttributeError):
        raise PeriodError(
            _("月份格式应为 YYYY-MM，例如 2026-10，而不是 %(text)r。") % {"text": text}
        ) from None
