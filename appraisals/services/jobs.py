"""Background jobs the console starts and follows: a `Job` row holds its state and progress.

A kind of job is a function `work(job, period) -> message`, registered in `JOB_KINDS` (another
app adds its own from AppConfig.ready()). `job_run` claims a queued job (guarded, so running
it twice does nothing more), runs the work and records the outcome; the task that calls it is
in `appraisals.tasks`. A work that hands its job on to other tasks (the PDF pack fans out over
the workers) returns None instead of a message: the last of those tasks finishes the job with
`job_finish`, and none of them waits on another.

Whatever runs a job shows it is alive: `heartbeat_at` moves every JOB_HEARTBEAT_SECONDS while
`job_heartbeat` is held, and with each step of progress. A queued or running job with no sign of
life for JOB_STALE_SECONDS was left behind by a worker that was killed (or never taken by one):
`jobs_expire_stale` shows it as failed, with a message saying so. Tasks are acknowledged late,
so the broker hands a killed worker's task out again; such a job is then taken up again.
"""

import contextlib
import datetime
import logging
import subprocess
import sys
import threading
import time
from collections.abc import Callable

from django.conf import settings
from django.db import connection
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from appraisals.models import Job, Period, Simulation
from appraisals.services.periods import period_compute
from appraisals.services.simulations import simulation_run
from appraisals.services.writeups import writeups_generate
from metrics.services import import_check

logger = logging.getLogger(__name__)

JobWork = Callable[[Job, Period], str | None]
JOB_KINDS: dict[str, JobWork] = {}

# A job still under way, or failed only because its worker vanished (it may be taken up again).
_UNDER_WAY = Q(state=Job.State.RUNNING) | Q(state=Job.State.FAILED, interrupted=True)


def job_kind_register(kind: str, work: JobWork) -> None:
    JOB_KINDS[kind] = work


def job_create(*, kind: str, month: datetime.date, user, **params) -> Job:
    if kind not in JOB_KINDS:
        raise ValueError(f"unknown kind of job {kind!r}")
    # The job's messages are written by a worker, in the language of the person who started it.
    params = {"month": month.isoformat(), "ui_language": translation.get_language() or settings.LANGUAGE_CODE, **params}
    return Job.objects.create(kind=kind, params=params, created_by=user, heartbeat_at=timezone.now())


def job_spawn(*, job_id: int) -> subprocess.Popen:
    """Runs the job in a process of its own (`manage.py run_job`), for a site without a broker:
    the request that started it returns at once, and the job outlives a restart of the web
    server. Its output goes to var/jobs.log."""
    log_path = settings.VAR_DIR / "jobs.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            [sys.executable, str(settings.BASE_DIR / "manage.py"), "run_job", str(job_id)],
            cwd=settings.BASE_DIR,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )


class JobProgress:
    """Progress written to the job (at most every 2 s) for the console to show."""

    def __init__(self, job_id: int):
        self.job_id, self.done, self.total, self.written = job_id, 0, 0, 0.0

    def start(self, total: int) -> None:
        self.total = total
        Job.objects.filter(pk=self.job_id).update(total=total, done=0, heartbeat_at=timezone.now())

    def advance(self, count: int = 1) -> None:
        self.done += count
        if time.monotonic() - self.written > 2:
            self.written = time.monotonic()
            Job.objects.filter(pk=self.job_id).update(done=self.done, heartbeat_at=timezone.now())

    def finish(self) -> None:
        Job.objects.filter(pk=self.job_id).update(done=self.total, heartbeat_at=timezone.now())


def job_advance(*, job_id: int, count: int) -> None:
    """One piece of a fanned-out job is done: count it and show the job is alive (again)."""
    Job.objects.filter(_UNDER_WAY, pk=job_id).update(
        done=F("done") + count,
        heartbeat_at=timezone.now(),
        state=Job.State.RUNNING,
        interrupted=False,
        finished_at=None,
    )


def job_finish(*, job_id: int, message: str, result_file: str | None = None) -> bool:
    """Marks a job under way done (guarded: once). Returns whether it did."""
    now = timezone.now()
    changes = {"result_file": result_file} if result_file is not None else {}
    return bool(
        Job.objects.filter(_UNDER_WAY, pk=job_id).update(
            state=Job.State.DONE,
            message=message,
            finished_at=now,
            heartbeat_at=now,
            done=F("total"),
            interrupted=False,
            **changes,
        )
    )


def job_fail(*, job_id: int, message: str) -> bool:
    """Marks a job under way failed because its work went wrong (guarded: once)."""
    return bool(
        Job.objects.filter(_UNDER_WAY, pk=job_id).update(
            state=Job.State.FAILED, message=message, finished_at=timezone.now(), interrupted=False
        )
    )


def job_claim(*, job_id: int) -> bool:
    """Takes a job to run: a queued one, or one whose worker vanished (its task was handed out
    again by the broker). A job another worker is running, alive, is left alone."""
    now = timezone.now()
    stale = now - datetime.timedelta(seconds=settings.JOB_STALE_SECONDS)
    claimable = (
        Q(state=Job.State.QUEUED)
        | Q(state=Job.State.RUNNING, heartbeat_at__lt=stale)
        | Q(state=Job.State.FAILED, interrupted=True)
    )
    return bool(
        Job.objects.filter(claimable, pk=job_id).update(
            state=Job.State.RUNNING,
            heartbeat_at=now,
            attempts=F("attempts") + 1,
            interrupted=False,
            message="",
            finished_at=None,
        )
    )


@contextlib.contextmanager
def job_heartbeat(job_id: int):
    """While held, a thread moves the job's heartbeat every JOB_HEARTBEAT_SECONDS (with its own
    database connection), so a long step with no progress to report still shows it is alive."""
    stop = threading.Event()

    def beat():
        try:
            while not stop.wait(settings.JOB_HEARTBEAT_SECONDS):
                try:
                    Job.objects.filter(pk=job_id).update(heartbeat_at=timezone.now())
                except Exception as error:  # a busy database must not end the work; the next beat tries again
                    logger.info("heartbeat of job %s not written: %s", job_id, error)
        finally:
            connection.close()

    thread = threading.Thread(target=beat, name=f"job-{job_id}-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()


def job_run(*, job_id: int) -> Job:
    """Claims a job (guarded), runs its kind's work and records its message or error."""
    if not job_claim(job_id=job_id):
        return Job.objects.get(pk=job_id)
    job = Job.objects.select_related("created_by").get(pk=job_id)
    try:
        with job_heartbeat(job_id), translation.override(job.params.get("ui_language", settings.LANGUAGE_CODE)):
            period = Period.objects.filter(month=datetime.date.fromisoformat(job.params["month"])).first()
            message = JOB_KINDS[job.kind](job, period)
    except Exception as error:  # the job page shows why; nothing half-written survives a transaction
        job_fail(job_id=job_id, message=str(error))
    except BaseException:
        # Its process is being stopped (SIGTERM, Ctrl-C): shown at once, and taken up again if redelivered.
        Job.objects.filter(pk=job_id, state=Job.State.RUNNING).update(
            state=Job.State.FAILED,
            interrupted=True,
            finished_at=timezone.now(),
            message=_("任务被中止：运行它的后台进程已停止。"),
        )
        raise
    else:
        if message is not None:  # None: the work handed the job on to tasks that finish it
            job_finish(job_id=job_id, message=message)
    job.refresh_from_db()
    return job


def jobs_expire_stale(*, now: datetime.datetime | None = None, job_ids=None) -> int:
    """Shows as failed every queued or running job with no sign of life for JOB_STALE_SECONDS.
    Returns how many. Read when a job's page is shown, and swept by beat every minute."""
    now = now or timezone.now()
    silent_since = now - datetime.timedelta(seconds=settings.JOB_STALE_SECONDS)
    stale = Job.objects.filter(state__in=[Job.State.QUEUED, Job.State.RUNNING], heartbeat_at__lt=silent_since)
    if job_ids is not None:
        stale = stale.filter(pk__in=job_ids)
    minutes = max(1, round(settings.JOB_STALE_SECONDS / 60))
    expired = 0
    for job_id, state in stale.values_list("pk", "state"):
        if state == Job.State.QUEUED and not settings.CELERY_BROKER_URL:
            message = _("%(minutes)d 分钟内这项任务没有开始运行。请查看 var/jobs.log 中的错误，然后重新发起。") % {
                "minutes": minutes
            }
        elif state == Job.State.QUEUED:
            message = _(
                "%(minutes)d 分钟内没有后台进程接手这项任务。"
                "请确认 Celery worker 正在运行（见运维文档），然后重新发起。"
            ) % {"minutes": minutes}
        else:
            message = _(
                "后台进程已有 %(minutes)d 分钟没有任何进展，可能已被终止。任务已标记为失败；"
                "如果消息队列把它重新交给 worker，它会自动继续。"
            ) % {"minutes": minutes}
        expired += Job.objects.filter(pk=job_id, state=state, heartbeat_at__lt=silent_since).update(
            state=Job.State.FAILED, message=message, finished_at=now, interrupted=True
        )
    return expired


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


def _import_check(job: Job, period: Period | None) -> str:
    """The check of a large upload, off the request (metrics cannot start a job of its own: the
    jobs live here, above it). The batch it records is kept in the job's params."""
    params = job.params

    def progress(done: int, total: int) -> None:
        Job.objects.filter(pk=job.pk).update(done=done, total=total)

    result = import_check(
        kind=params["import_kind"],
        stored=params["stored"],
        filename=params["filename"],
        update=params["update"],
        user=job.created_by,
        progress=progress,
    )
    Job.objects.filter(pk=job.pk).update(params={**params, "batch": result.batch_id})
    if result.ok:
        return _("检查通过，共 %(rows)d 行。") % {"rows": result.rows}
    return _("检查发现 %(count)d 处错误，文件没有导入。") % {"count": result.error_count}


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
job_kind_register("import_check", _import_check)
job_kind_register("simulate", _simulate)
