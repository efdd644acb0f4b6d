"""Celery tasks of the appraisal side. They take ids and call a service; without a broker
(`CELERY_BROKER_URL` unset) a job runs in a process of its own (JOBS_WITHOUT_BROKER, see
docs/operating.md)."""

import datetime

from celery import shared_task
from django.conf import settings
from django.db import transaction

from appraisals.models import Job
from appraisals.services.jobs import job_create, job_run, job_spawn, jobs_expire_stale


@shared_task(name="appraisals.run_job", acks_late=True, reject_on_worker_lost=True)
def run_job(job_id: int) -> int:
    job_run(job_id=job_id)
    return job_id


@shared_task(name="appraisals.expire_stale_jobs", acks_late=True, reject_on_worker_lost=True)
def expire_stale_jobs() -> int:
    """Beat's sweep: a job whose worker vanished is shown as failed, never queued forever."""
    return jobs_expire_stale()


def job_start(*, kind: str, month: datetime.date, user, **params) -> Job:
    """Creates a job and starts it once the surrounding transaction has committed: on a Celery
    worker when there is a broker, else in a process of its own (or, when JOBS_WITHOUT_BROKER is
    "inline", right here)."""
    job = job_create(kind=kind, month=month, user=user, **params)
    transaction.on_commit(lambda: _dispatch(job.pk))
    return job


def _dispatch(job_id: int) -> None:
    if settings.CELERY_BROKER_URL or settings.JOBS_WITHOUT_BROKER == "inline":
        run_job.delay(job_id)
    else:
        job_spawn(job_id=job_id)
