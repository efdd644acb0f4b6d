"""Small writes the console needs around a month: acknowledging and appealing a scorecard,
branch sign-offs, marking a month reviewed, targets, and starting a computation in the background.

Each one is guarded (`filter(status=old).update(...)` or a unique constraint) and keeps its
history through `audit.services.change_record`.
"""

import datetime
import time
import zipfile
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from appraisals.models import (
    Acknowledgement,
    Appeal,
    AppealStatus,
    BranchSignoff,
    Job,
    Period,
    PeriodStatus,
    ScopeKind,
    Target,
)
from appraisals.services import PeriodError, period_compute, period_review
from audit.models import Change
from audit.services import change_record, field_changes
from staff.models import Branch, Staff


class ConsoleError(PeriodError):
    """An action the console refuses; the message says why, for the person who asked."""


# ─── a lobby manager and their scorecard ────────────────────────────────────────────────


def scorecard_acknowledge(*, period: Period, staff: Staff, user) -> Acknowledgement:
    """The lobby manager has read the month's scorecard. Acknowledging twice changes nothing."""
    if period.status == PeriodStatus.DRAFT:
        raise ConsoleError(_("该月尚未计算，暂不能确认。"))
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
        raise ConsoleError(_("请写明申诉理由（至少 10 个字）。"))
    if period.status == PeriodStatus.DRAFT:
        raise ConsoleError(_("该月尚未计算，暂不能申诉。"))
    try:
        with transaction.atomic():
            appeal = Appeal.objects.create(period=period, staff=staff, text=text, created_by=user)
    except IntegrityError:
        raise ConsoleError(_("您对该月已有一项待处理的申诉，请等待人力资源部处理。")) from None
    change_record(obj=appeal, action=Change.Action.CREATE, user=user, reason=text, source="console")
    return appeal


def appeal_resolve(*, appeal: Appeal, status: str, resolution: str, user) -> Appeal:
    """HR decides an open appeal: upheld or rejected, always with a note."""
    resolution = (resolution or "").strip()
    if status not in (AppealStatus.UPHELD, AppealStatus.REJECTED):
        raise ConsoleError(_("请选择申诉成立或不成立。"))
    if not resolution:
        raise ConsoleError(_("处理申诉必须填写处理意见。"))
    updated = Appeal.objects.filter(pk=appeal.pk, status=AppealStatus.OPEN).update(
        status=status, resolution=resolution, resolved_by=user, resolved_at=timezone.now()
    )
    if updated != 1:
        raise ConsoleError(_("该申诉已被处理，请刷新后查看。"))
    change_record(
        obj=appeal,
        action=Change.Action.TRANSITION,
        user=user,
        reason=resolution,
        fields={"status": [AppealStatus.OPEN, status]},
        source="console",
    )
    appeal.refresh_from_db()
    return appeal


# ─── the month's workflow ───────────────────────────────────────────────────────────────


def branch_signoff(*, period: Period, branch: Branch, user, note: str = "") -> BranchSignoff:
    """A branch head signs off their branch's scorecards of a computed month."""
    if period.status != PeriodStatus.COMPUTED:
        raise ConsoleError(
            _("%(month)s 当前状态为「%(status)s」，不能签核。")
            % {"month": period.label, "status": period.get_status_display()}
        )
    try:
        with transaction.atomic():
            signoff = BranchSignoff.objects.create(period=period, branch=branch, user=user, note=note.strip())
    except IntegrityError:
        raise ConsoleError(_("%(branch)s 已签核过该月。") % {"branch": branch.name}) from None
    change_record(obj=signoff, action=Change.Action.CREATE, user=user, reason=note, source="console")
    return signoff


def period_mark_reviewed(*, period: Period, missing: list[Branch], user) -> Period:
    """HR marks the month reviewed once every sub-branch has signed off."""
    if missing:
        names = "、".join(branch.name for branch in missing[:5])
        raise ConsoleError(
            _("还有 %(count)d 个支行未签核（%(names)s），暂不能标记为已复核。")
            % {"count": len(missing), "names": names}
        )
    return period_review(month=period.month, user=user)


def compute_job_start(*, month: datetime.date, user) -> Job:
    """Queues the computation of a month as a background job; the task starts after commit.

    Without a broker, Celery runs the task eagerly, so the job is done when the request ends.
    """
    from appraisals.console_tasks import compute_month

    job = Job.objects.create(kind="compute", params={"month": month.isoformat()}, total=1, created_by=user)
    transaction.on_commit(lambda: compute_month.delay(job.pk))
    return job


def compute_job_run(*, job_id: int) -> Job:
    """Runs a queued compute job: claims it (guarded), calls `period_compute`, records the outcome."""
    if Job.objects.filter(pk=job_id, state=Job.State.QUEUED).update(state=Job.State.RUNNING) != 1:
        return Job.objects.get(pk=job_id)
    job = Job.objects.select_related("created_by").get(pk=job_id)
    month = datetime.date.fromisoformat(job.params["month"])
    try:
        result = period_compute(month=month, user=job.created_by)
    except Exception as error:  # the job page shows why; nothing half-written survives the transaction
        Job.objects.filter(pk=job_id).update(state=Job.State.FAILED, message=str(error), finished_at=timezone.now())
    else:
        message = _("已计算 %(count)d 张考核表，末位预警 %(flagged)d 人，新启动改进程序 %(opened)d 个。") % {
            "count": result.scorecards,
            "flagged": result.flagged,
            "opened": len(result.cases_opened),
        }
        if result.later_months:
            later = "、".join(f"{m:%Y-%m}" for m in result.later_months)
            message += " " + _("之后的月份（%(later)s）也需要重新计算。") % {"later": later}
        Job.objects.filter(pk=job_id).update(state=Job.State.DONE, done=1, message=message, finished_at=timezone.now())
    job.refresh_from_db()
    return job


def writeups_job_start(*, month: datetime.date, user) -> Job:
    """Queues drafting the month's write-ups for every scorecard (HR's edits are kept)."""
    from appraisals.console_tasks import generate_writeups

    job = Job.objects.create(kind="writeups", params={"month": month.isoformat()}, total=1, created_by=user)
    transaction.on_commit(lambda: generate_writeups.delay(job.pk))
    return job


def writeups_job_run(*, job_id: int) -> Job:
    from appraisals.writeups import writeups_generate

    return _job_run(
        job_id=job_id,
        work=lambda job, period: _writeups_message(
            writeups_generate(period=period, scope="month", user=job.created_by)
        ),
    )


def _writeups_message(summary) -> str:
    return _(
        "评语草稿：新建 %(created)d 份，更新 %(updated)d 份，未变 %(unchanged)d 份，保留人力资源部修改 %(kept)d 份。"
    ) % {
        "created": summary.created,
        "updated": summary.updated,
        "unchanged": summary.unchanged,
        "kept": summary.kept_edits,
    }


def pdf_zip_job_start(*, month: datetime.date, language: str, user) -> Job:
    """Queues the whole month's PDFs (one per person, one pack per sub-branch) as one zip file."""
    from appraisals.console_tasks import month_pdf_zip

    job = Job.objects.create(kind="pdf_zip", params={"month": month.isoformat(), "language": language}, created_by=user)
    transaction.on_commit(lambda: month_pdf_zip.delay(job.pk))
    return job


class _JobProgress:
    """render_month's progress, written to the job (at most every 2 s) for the console to show."""

    def __init__(self, job_id: int):
        self.job_id, self.done, self.total, self.written = job_id, 0, 0, 0.0

    def start(self, total: int) -> None:
        self.total = total
        Job.objects.filter(pk=self.job_id).update(total=total, done=0)

    def advance(self, count: int = 1) -> None:
        self.done += count
        if time.monotonic() - self.written > 2:
            self.written = time.monotonic()
            Job.objects.filter(pk=self.job_id).update(done=self.done)

    def finish(self) -> None:
        Job.objects.filter(pk=self.job_id).update(done=self.total)


def pdf_zip_job_run(*, job_id: int) -> Job:
    from appraisals.pdf.run import render_month

    def work(job, period):
        language = job.params.get("language", "zh-hans")
        folder = Path(settings.VAR_DIR) / "pdf" / period.label
        result = render_month(period=period, folder=folder, language=language, progress=_JobProgress(job.pk))
        target = Path(settings.MEDIA_ROOT) / "exports" / f"scorecards-{period.label}-{language}-{job.pk}.zip"
        target.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in result.files:
                archive.write(folder / name, arcname=name)
        Job.objects.filter(pk=job.pk).update(result_file=str(target.relative_to(settings.MEDIA_ROOT)))
        return _("已生成 %(scorecards)d 份个人成绩单和 %(packs)d 个支行汇总包（新渲染 %(rendered)d 个文件）。") % {
            "scorecards": result.scorecards,
            "packs": result.packs,
            "rendered": result.rendered,
        }

    return _job_run(job_id=job_id, work=work)


def _job_run(*, job_id: int, work) -> Job:
    """Claims a queued job (guarded), runs `work(job, period)` and records its message or error."""
    if Job.objects.filter(pk=job_id, state=Job.State.QUEUED).update(state=Job.State.RUNNING) != 1:
        return Job.objects.get(pk=job_id)
    job = Job.objects.select_related("created_by").get(pk=job_id)
    try:
        period = Period.objects.get(month=datetime.date.fromisoformat(job.params["month"]))
        message = work(job, period)
    except Exception as error:  # the job page shows why
        Job.objects.filter(pk=job_id).update(state=Job.State.FAILED, message=str(error), finished_at=timezone.now())
    else:
        Job.objects.filter(pk=job_id).update(state=Job.State.DONE, message=message, finished_at=timezone.now())
    job.refresh_from_db()
    return job


# ─── targets ────────────────────────────────────────────────────────────────────────────


def target_save(
    *,
    month: datetime.date,
    scope_kind: str,
    item: str,
    target: Decimal,
    branch: Branch | None = None,
    staff: Staff | None = None,
    reason: str = "",
    user,
) -> Target:
    """Adds or changes the target for one item at one scope (SCORING.md §2), keeping its history."""
    month = month.replace(day=1)
    target = Decimal(target).quantize(Decimal("0.01"))
    if Period.objects.filter(month=month, status=PeriodStatus.FINALIZED).exists():
        raise ConsoleError(_("%(month)s 已定稿，目标不能再修改。") % {"month": f"{month:%Y-%m}"})
    scope = {"scope_kind": scope_kind, "branch": None, "staff": None}
    if scope_kind == ScopeKind.BRANCH:
        scope["branch"] = branch
    elif scope_kind == ScopeKind.STAFF:
        scope["staff"] = staff
    with transaction.atomic():
        existing = Target.objects.select_for_update().filter(month=month, item=item, **scope).first()
        if existing is None:
            saved = Target.objects.create(month=month, item=item, target=target, **scope)
            change_record(
                obj=saved,
                action=Change.Action.CREATE,
                user=user,
                reason=reason,
                fields={"target": [None, str(target)]},
                source="console",
            )
            return saved
        changes = field_changes({"target": existing.target}, {"target": target})
        if changes:
            existing.target = target
            existing.save(update_fields=["target"])
            change_record(
                obj=existing,
                action=Change.Action.UPDATE,
                user=user,
                reason=reason,
                fields=changes,
                source="console",
            )
        return existing
