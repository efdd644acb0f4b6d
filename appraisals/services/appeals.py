"""A lobby manager and their published scorecard: acknowledging it, appealing it, and HR's
decision on an appeal. Each write is guarded and keeps its history."""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from appraisals.models import Acknowledgement, Appeal, AppealStatus, Period, PeriodStatus
from appraisals.services import notify
from audit.models import Change
from audit.services import change_record
from core.errors import LobbyStarError
from staff.models import Staff


def scorecard_acknowledge(*, period: Period, staff: Staff, user) -> Acknowledgement:
    """The lobby manager has read the month's scorecard. Acknowledging twice changes nothing."""
    if period.status == PeriodStatus.DRAFT:
        raise LobbyStarError(_("该月尚未计算，暂不能确认。"))
    acknowledgement, created = Acknowledgement.objects.get_or_create(
        period=period, staff=staff, defaults={"user": user}
    )
    if created:
        change_record(obj=acknowledgement, action=Change.Action.CREATE, user=user, source="console")
    return acknowledgement


def appeal_create(*, period: Period, staff: Staff, text: str, user) -> Appeal:
    """Opens an appeal; while it is open the bottom flag shows as under review (复核中)."""
    text = (text or "").strip()
    if len(text) < 10:
        raise LobbyStarError(_("请写明申诉理由（至少 10 个字）。"))
    if period.status == PeriodStatus.DRAFT:
        raise LobbyStarError(_("该月尚未计算，暂不能申诉。"))
    try:
        with transaction.atomic():
            appeal = Appeal.objects.create(period=period, staff=staff, text=text, created_by=user)
    except IntegrityError:
        raise LobbyStarError(_("您对该月已有一项待处理的申诉，请等待人力资源部处理。")) from None
    change_record(obj=appeal, action=Change.Action.CREATE, user=user, reason=text, source="console")
    notify.appeal_created(appeal=appeal)
    return appeal


def appeal_resolve(*, appeal: Appeal, status: str, resolution: str, user) -> Appeal:
    """HR decides an open appeal: upheld or rejected, always with a note."""
    resolution = (resolution or "").strip()
    if status not in (AppealStatus.UPHELD, AppealStatus.REJECTED):
        raise LobbyStarError(_("请选择申诉成立或不成立。"))
    if not resolution:
        raise LobbyStarError(_("处理申诉必须填写处理意见。"))
    updated = Appeal.objects.filter(pk=appeal.pk, status=AppealStatus.OPEN).update(
        status=status, resolution=resolution, resolved_by=user, resolved_at=timezone.now()
    )
    if updated != 1:
        raise LobbyStarError(_("该申诉已被处理，请刷新后查看。"))
    change_record(
        obj=appeal,
        action=Change.Action.TRANSITION,
        user=user,
        reason=resolution,
        fields={"status": [AppealStatus.OPEN, status]},
        source="console",
    )
    appeal.refresh_from_db()
    notify.appeal_resolved(appeal=appeal)
    return appeal
