"""Improvement cases (SCORING.md §5): the steps a person takes — a note, the next stage, closing.
The system opens and withdraws cases when it computes a month (`periods`); it never
terminates, demotes or cuts pay."""

import datetime
import zipfile
from pathlib import PurePath

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from appraisals.models import CaseEvent, CaseStage, CaseStatus, ImprovementCase
from appraisals.services import notify
from audit.models import Change
from audit.services import change_record
from core.errors import LobbyStarError


class CaseError(LobbyStarError):
    """A step an improvement case cannot take; the message says why."""


# Evidence a person may attach, by extension: the content type it is served with, and a check of
# its first bytes (and, for Office's zip formats, of its parts), so a renamed .html is refused.
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .doc and .xls (Office 97–2003)
EVIDENCE_TYPES = {
    ".pdf": ("application/pdf", lambda head, file: head.startswith(b"%PDF-")),
    ".png": ("image/png", lambda head, file: head.startswith(b"\x89PNG\r\n\x1a\n")),
    ".jpg": ("image/jpeg", lambda head, file: head.startswith(b"\xff\xd8\xff")),
    ".jpeg": ("image/jpeg", lambda head, file: head.startswith(b"\xff\xd8\xff")),
    ".doc": ("application/msword", lambda head, file: head.startswith(_OLE2)),
    ".xls": ("application/vnd.ms-excel", lambda head, file: head.startswith(_OLE2)),
    ".docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        lambda head, file: _office_zip(head, file, "word/"),
    ),
    ".xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        lambda head, file: _office_zip(head, file, "xl/"),
    ),
    ".pptx": (
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        lambda head, file: _office_zip(head, file, "ppt/"),
    ),
}


def _office_zip(head: bytes, file, folder: str) -> bool:
    if not head.startswith(b"PK\x03\x04"):
        return False
    try:
        file.seek(0)
        names = zipfile.ZipFile(file).namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    return "[Content_Types].xml" in names and any(name.startswith(folder) for name in names)


def evidence_content_type(name: str) -> str:
    """The type evidence is served with: from the allow-list, else a plain download."""
    known = EVIDENCE_TYPES.get(PurePath(name).suffix.lower())
    return known[0] if known else "application/octet-stream"


def evidence_check(file) -> None:
    """Refuses evidence that is not a PDF, a PNG or JPEG image or an Office file, by its extension
    and by its content, or that is larger than EVIDENCE_MAX_MB."""
    if not file:
        return
    limit_mb = getattr(settings, "EVIDENCE_MAX_MB", 20)
    if file.size > limit_mb * 1024 * 1024:
        raise CaseError(_("证据材料不能超过 %(mb)s MB。") % {"mb": limit_mb})
    known = EVIDENCE_TYPES.get(PurePath(file.name).suffix.lower())
    if known is None:
        raise CaseError(_("证据材料只接受 PDF、PNG/JPEG 图片和 Office 文件（.docx .xlsx .pptx .doc .xls）。"))
    file.seek(0)
    head = file.read(16)
    looks_right = known[1](head, file)
    file.seek(0)
    if not looks_right:
        raise CaseError(_("文件“%(name)s”的内容与其扩展名不符，已拒绝。") % {"name": PurePath(file.name).name})


def case_advance(*, case: ImprovementCase, stage: int, note: str, evidence=None, user) -> ImprovementCase:
    """A person moves an open case to stage 2 or 3, with a note (SCORING.md §5)."""
    note = (note or "").strip()
    if not note:
        raise CaseError(_("进入下一阶段必须填写说明。"))
    if stage != case.stage + 1 or stage not in (CaseStage.RETRAINING, CaseStage.HR_LEGAL_REVIEW):
        raise CaseError(_("改进程序只能逐级推进到下一阶段。"))
    evidence_check(evidence)
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
    evidence_check(evidence)
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
