"""Background jobs the console starts and follows: a `Job` row holds its state and progress.

A kind of job is a function `work(job, period) -> message`, registered in `JOB_KINDS` (another
app adds its own from AppConfig.ready()). `job_run` claims a queued job (guarded, so running
it twice does nothing more), runs the work and records the outcome; the task that calls it is
in `appraisals.tasks`.
"""

import datetime
import time
from collections.abc import Callable

from django.utils import timezone
from django.utils.translation import gettext as _

from appraisals.models import Job, Period, Simulation
from appraisals.services.periods import period_compute
from appraisals.services.simulations import simulation_run
from appraisals.services.writeups import writeups_generate

JobWork = Callable[[Job, Period], str]
JOB_KINDS: dict[str, JobWork] = {}


def job_kind_register(kind: str, work: JobWork) -> None:
    JOB_KINDS[kind] = work


def job_create(*, kind: str, month: datetime.date, user, **params) -> Job:
    if kind not in JOB_KINDS:
        raise ValueError(f"unknown kind of job {kind!r}")
    return Job.objects.create(kind=kind, params={"month": month.isoformat(), **params}, created_by=user)


class JobProgress:
    """Progress written to the job (at most every 2 s) for the console to show."""

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


def job_run(*, job_id: int) -> Job:
    """Claims a queued job (guarded), runs its kind's work and records its message or error."""
    if Job.objects.filter(pk=job_id, state=Job.State.QUEUED).update(state=Job.State.RUNNING) != 1:
        return Job.objects.get(pk=job_id)
    job = Job.objects.select_related("created_by").get(pk=job_id)
    try:
        period = Period.objects.filter(month=datetime.date.fromisoformat(job.params["month"])).first()
        message = JOB_KINDS[job.kind](job, period)
    except Exception as error:  # the job page shows why; nothing half-written survives a transaction
        Job.objects.filter(pk=job_id).update(state=Job.State.FAILED, message=str(error), finished_at=timezone.now())
    else:
        Job.objects.filter(pk=job_id).update(
            state=Job.State.DONE, message=message, finished_at=timezone.now(), done=max(job.total, 1)
        )
    job.refresh_from_db()
    return job


def _compute(job: Job, period: Period | None) -> str:
    result = period_compute(month=datetime.date.fromisoformat(job.params["month"]), user=job.created_by)
    message = _("已计算 %(count)d 张考核表，末位预警 %(flagged)d 人，新启动改进程序 %(opened)d 个。") % {
        "count": result.scorecards,
        "flagged": result.flagged,
        "opened": len(result.cases_opened),
    }
    if result.later_months:
        later = "、".join(f"{m:%Y-%m}" for m in result.later_months)
        message += " " + _("之后的月份（%(later)s）也需要重新计算。") % {"later": later}
    return message


def _writeups(job: Job, period: Period) -> str:
    summary = writeups_generate(period=period, scope="month", user=job.created_by)
    return _(
        "评语草稿：新建 %(created)d 份，更新 %(updated)d 份，未变 %(unchanged)d 份，保留人力资源部修改 %(kept)d 份。"
    ) % {
        "created": summary.created,
        "updated": summary.updated,
        "unchanged": summary.unchanged,
        "kept": summary.kept_edits,
    }


def _simulate(job: Job, period: Period | None) -> str:
    simulation = Simulation.objects.select_related("scheme").get(pk=job.params["simulation"])
    simulation = simulation_run(simulation=simulation, progress=JobProgress(job.pk))
    return _("已模拟 %(first)s 至 %(last)s，共 %(rows)d 行对比结果。") % {
        "first": f"{simulation.first:%Y-%m}",
        "last": f"{simulation.last:%Y-%m}",
        "rows": simulation.row_count,
    }


job_kind_register("compute", _compute)
job_kind_register("writeups", _writeups)
job_kind_register("simulate", _simulate)
