"""Report work the console starts: the whole month's PDFs packed as one ZIP file."""

import zipfile
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from appraisals.models import Job, Period
from appraisals.services.jobs import JobProgress
from reports.pdf.run import render_month


def pdf_zip_work(job: Job, period: Period) -> str:
    """Renders what is stale of the month's PDFs and packs every file of the month into a ZIP."""
    language = job.params.get("language", "zh-hans")
    folder = Path(settings.VAR_DIR) / "pdf" / period.label
    result = render_month(period=period, folder=folder, language=language, progress=JobProgress(job.pk))
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
