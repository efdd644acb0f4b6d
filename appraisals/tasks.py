"""Celery tasks of the appraisal side. They take ids and call a service; without a broker
(`CELERY_BROKER_URL` unset) Celery runs them eagerly, in-process."""

import datetime

from celery import shared_task
from django.db import transaction

from appraisals.models import Job
from appraisals.services.jobs import job_create, job_run


@shared_task(name="appraisals.run_job", acks_late=True)
def run_job(job_id: int) -> int:
    job_run(job_id=job_id)
    return job_id


def job_start(*, kind: str, month: datetime.date, user, **params) -> Job:
    """Creates a job and queues it once the surrounding transaction has committed."""
    job = job_create(kind=kind, month=month, user=user, **params)
    transaction.on_commit(lambda: run_job.delay(job.pk))
    return job
