"""The notices' one task: deliver a notice, retried with a growing wait while a channel fails."""

from celery import shared_task

from notices.services import NoticeNotDelivered, notice_deliver


@shared_task(
    name="notices.deliver",
    acks_late=True,
    autoretry_for=(NoticeNotDelivered,),
    retry_backoff=30,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=12,
)
def deliver(notice_id: int) -> int:
    notice_deliver(notice_id=notice_id)
    return notice_id
