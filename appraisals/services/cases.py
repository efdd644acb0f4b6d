"""Improvement cases (SCORING.md §5): the steps a person takes — a note, the next stage, closing.
The system opens and withdraws cases when it computes a month (`periods`); it never
terminates, demotes or cuts pay."""

import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from appraisals.models import CaseEvent, CaseStage, CaseStatus, ImprovementCase
from appraisals.services import notify
from audit.models import Change
from audit.services import change_record
from core.errors import LobbyStarError


class CaseError(LobbyStarError):
    """A step an improvement case cannot take; the message says why."""


def case_advance(*, case: ImprovementCase, stage: int, note: str, evidence=None, user) -> ImprovementCase:
    """A person moves an open case to stage 2 or 3, with a note (SCORING.md §5)."""
    note = (note or "").strip()
    if not note:
        raise CaseError(_("进入下一阶段必须填写说明。"))
    if stage != case.stage + 1 or stage not in (CaseStage.RETRAINING, CaseStage.HR_LEGAL_REVIEW):
        raise CaseError(_("改进程序只能逐级推进到下一阶段。"))
    updated = ImprovementCase.objects.filter(pk=case.pk, status=CaseStatus.OPEN, stage=case.stage).update(stage=stage)
    if updated != 1:
        raise CaseError(_("该改进程序已被他人处理，请刷新后重试。"))
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
    notify.case_advanced(case=case)
    return case


def case_note(*, case: ImprovementCase, note: str, evidence=None, user) -> CaseEvent:
    note = (note or "").strip()
    if not note:
        raise CaseError(_("记录内容不能为空。"))
    return CaseEvent.objects.create(
        case=case, kind=CaseEvent.Kind.NOTE, stage=case.stage, note=note, evidence=evidence or "", user=user
    )


def case_close(*, case: ImprovementCase, note: str, month: datetime.date | None = None, user) -> ImprovementCase:
    """HR closes a case with a note; a new case then needs three flagged months after `month`."""
    note = (note or "").strip()
    if not note:
        raise CaseError(_("结案必须填写结论。"))
    closed_month = (month or timezone.localdate()).replace(day=1)
    updated = ImprovementCase.objects.filter(pk=case.pk, status=CaseStatus.OPEN).update(
        status=CaseStatus.CLOSED, closed_month=closed_month, closed_at=timezone.now(), outcome_note=note
    )
    if updated != 1:
        raise CaseError(_("该改进程序已结案或已撤销。"))
    CaseEvent.objects.create(case=case, kind=CaseEvent.Kind.CLOSED, stage=case.stage, note=note, user=user)
    change_record(
        obj=case,
        action=Change.Action.TRANSITION,
        user=user,
        reason=note,
        fields={"status": [CaseStatus.OPEN, CaseStatus.CLOSED]},
    )
    case.refresh_from_db()
    notify.case_closed(case=case)
    return case
