"""Celery tasks: each takes ids and plain parameters and calls one service."""

from celery import shared_task
from celery.signals import worker_init, worker_process_init

from reports.pdf.run import RENDER_UNIT_TASK, unit_render_from_db, worker_warm
from reports.services import PACK_FINISH_TASK, pdf_pack_finish, pdf_pack_unit


@shared_task(name=RENDER_UNIT_TASK, acks_late=True, reject_on_worker_lost=True)
def render_scorecard_unit(
    *,
    period_month: str,
    unit_code: str,
    folder: str,
    language: str,
    people: list[str],
    pack: bool,
    generated_at: str | None = None,
    job_id: int | None = None,
) -> list[str]:
    """Renders one sub-branch's stale files of a month (see reports.pdf.run); with `job_id`, as a
    part of that console job's pack, counted on its progress."""
    unit = {
        "period_month": period_month,
        "unit_code": unit_code,
        "folder": folder,
        "language": language,
        "people": people,
        "pack": pack,
        "generated_at": generated_at,
    }
    if job_id is not None:
        return pdf_pack_unit(job_id=job_id, **unit)
    return unit_render_from_db(**unit)


@shared_task(name=PACK_FINISH_TASK, acks_late=True, reject_on_worker_lost=True)
def pdf_pack_finish_task(*, job_id: int, round_number: int) -> int:
    """The callback of a console job's chord of sub-branches: packs the month and finishes the job."""
    pdf_pack_finish(job_id=job_id, round_number=round_number)
    return job_id


@worker_process_init.connect
def warm_pool_process(**_kwargs) -> None:
    """Each process of a prefork worker (the Procfile's) warms up once as it starts, not on its
    first task: see reports.pdf.run.worker_warm."""
    worker_warm()


@worker_init.connect
def warm_solo_worker(sender=None, **_kwargs) -> None:
    """A worker whose tasks run in its own process (`-P solo`, threads) has no pool processes to
    start: it warms up itself. A prefork worker's main process only hands out tasks."""
    pool = getattr(sender, "pool_cls", None)
    name = pool if isinstance(pool, str) else f"{getattr(pool, '__module__', '')}.{getattr(pool, '__name__', '')}"
    if "solo" in name or "thread" in name:
        worker_warm()
