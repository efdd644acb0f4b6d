"""Report work the console starts: the whole month's PDFs packed as one ZIP file.

Without a broker the job renders what is stale with this machine's cores (reports.pdf.run) and
packs. With one, it must not wait on tasks inside a task: it plans the month and hands the
stale sub-branches to the workers as a chord, one task each, whose callback checks the month
again (rendering what is still stale, a few rounds at most), packs every file of the month —
those rendered before included — and finishes the job. Each task is safe to run twice.
"""

import os
import tempfile
import zipfile
from pathlib import Path

from celery import chord, current_app
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from appraisals.models import Job, Period
from appraisals.services.jobs import JobProgress, job_advance, job_fail, job_finish, job_heartbeat
from reports.pdf import run
from reports.pdf.data import month_pages

PACK_FINISH_TASK = "reports.pdf_pack_finish"
PACK_ROUNDS = 3  # files still stale after this many rounds of rendering fail the job


def pdf_zip_work(job: Job, period: Period) -> str | None:
    """Renders what is stale of the month's PDFs and packs every file of the month into a ZIP."""
    language = job.params.get("language", "zh-hans")
    folder = _folder(period)
    if not settings.CELERY_BROKER_URL:
        result = run.render_month(period=period, folder=folder, language=language, progress=JobProgress(job.pk))
        return _pack(job_id=job.pk, period=period, entries=result.entries, rendered=result.rendered)
    return pdf_pack_dispatch(job_id=job.pk, period=period, round_number=1)


def pdf_pack_dispatch(*, job_id: int, period: Period, round_number: int) -> str | None:
    """Sends the month's stale sub-branches to the workers as a chord. Returns the finished
    job's message when nothing is stale (the pack is made at once), else None."""
    job = Job.objects.get(pk=job_id)
    language = job.params.get("language", "zh-hans")
    folder = _folder(period)
    month = month_pages(period=period)
    plan = run.plan_month(month=month, folder=folder, language=language)
    if not plan.jobs:
        run.manifest_compact(folder)
        return _pack(job_id=job_id, period=period, entries=run.zip_entries(month, language), rendered=job.done)
    if round_number == 1:
        JobProgress(job_id).start(plan.stale_files)
    else:
        Job.objects.filter(pk=job_id).update(total=job.done + plan.stale_files)
    generated_at = run.source_date() or timezone.now()
    header = [
        run.unit_signature(
            period_label=period.label,
            job=unit_job,
            folder=folder,
            language=language,
            generated_at=generated_at,
            job_id=job_id,
        )
        for unit_job in plan.jobs
    ]
    callback = current_app.signature(
        PACK_FINISH_TASK, kwargs={"job_id": job_id, "round_number": round_number}, immutable=True
    )
    chord(header)(callback)
    return None


def pdf_pack_unit(*, job_id: int, **unit) -> list[str]:
    """One sub-branch of a console job's pack: renders it and counts its files on the job."""
    with job_heartbeat(job_id), translation.override(_ui_language(job_id)):
        try:
            written = run.unit_render_from_db(**unit)
        except Exception as error:
            job_fail(
                job_id=job_id,
                message=_("渲染 %(unit)s 的 PDF 失败：%(error)s") % {"unit": unit["unit_code"], "error": error},
            )
            raise
    job_advance(job_id=job_id, count=len(written))
    return written


def pdf_pack_finish(*, job_id: int, round_number: int) -> None:
    """The chord's callback: every sub-branch has been rendered; check, then pack and finish."""
    job = Job.objects.filter(pk=job_id).first()
    if job is None or job.state == Job.State.DONE:  # a second delivery of the callback
        return
    period = Period.objects.get(month=job.params["month"])
    language = job.params.get("language", "zh-hans")
    folder = _folder(period)
    with job_heartbeat(job_id), translation.override(job.params.get("ui_language", settings.LANGUAGE_CODE)):
        month = month_pages(period=period)
        plan = run.plan_month(month=month, folder=folder, language=language)
        if plan.jobs:
            # Changed while rendering (a recomputation), or a file was lost: render the rest.
            if round_number >= PACK_ROUNDS:
                job_fail(
                    job_id=job_id,
                    message=_("仍有 %(count)d 个 PDF 文件未能生成，请重新打包。") % {"count": plan.stale_files},
                )
            else:
                pdf_pack_dispatch(job_id=job_id, period=period, round_number=round_number + 1)
            return
        run.manifest_compact(folder)
        message = _pack(job_id=job_id, period=period, entries=run.zip_entries(month, language), rendered=job.done)
    job_finish(job_id=job_id, message=message)


def _ui_language(job_id: int) -> str:
    params = Job.objects.filter(pk=job_id).values_list("params", flat=True).first() or {}
    return params.get("ui_language", settings.LANGUAGE_CODE)


def _folder(period: Period) -> Path:
    return Path(settings.VAR_DIR) / "pdf" / period.label


def _pack(*, job_id: int, period: Period, entries: dict[str, str], rendered: int) -> str:
    """Zips every file of the month (written whole, then moved into place) and records it on the
    job. `entries` names each file in the ZIP: `支行/员工编号-姓名.pdf` (run.zip_entries)."""
    job = Job.objects.get(pk=job_id)
    language = job.params.get("language", "zh-hans")
    folder = _folder(period)
    target = Path(settings.MEDIA_ROOT) / "exports" / f"scorecards-{period.label}-{language}-{job_id}.zip"
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as stream, zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, entry in entries.items():
                archive.write(folder / name, arcname=entry)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    Job.objects.filter(pk=job_id).update(result_file=str(target.relative_to(settings.MEDIA_ROOT)))
    packs = sum(1 for name in entries if name.startswith("packs/"))
    return _("已生成 %(scorecards)d 份个人成绩单和 %(packs)d 个支行汇总包（新渲染 %(rendered)d 个文件）。") % {
        "scorecards": len(entries) - packs,
        "packs": packs,
        "rendered": rendered,
    }
