"""Background tasks of the console. They take ids and call a service; without a broker
(`CELERY_BROKER_URL` unset) Celery runs them eagerly, in-process."""

from celery import shared_task


@shared_task(name="appraisals.compute_month")
def compute_month(job_id: int) -> int:
    from appraisals.console_services import compute_job_run

    compute_job_run(job_id=job_id)
    return job_id


@shared_task(name="appraisals.generate_writeups")
def generate_writeups(job_id: int) -> int:
    from appraisals.console_services import writeups_job_run

    writeups_job_run(job_id=job_id)
    return job_id


@shared_task(name="appraisals.month_pdf_zip")
def month_pdf_zip(job_id: int) -> int:
    from appraisals.console_services import pdf_zip_job_run

    pdf_zip_job_run(job_id=job_id)
    return job_id
