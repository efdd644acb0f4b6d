"""Celery tasks: each takes ids and plain parameters and calls one service."""

from celery import shared_task

from reports.pdf.run import RENDER_UNIT_TASK, unit_render_from_db


@shared_task(name=RENDER_UNIT_TASK, acks_late=True)
def render_scorecard_unit(
    *,
    period_month: str,
    unit_code: str,
    folder: str,
    language: str,
    people: list[str],
    pack: bool,
    generated_at: str | None = None,
) -> list[str]:
    """Renders one sub-branch's stale files of a month (see reports.pdf.run)."""
    return unit_render_from_db(
        period_month=period_month,
        unit_code=unit_code,
        folder=folder,
        language=language,
        people=people,
        pack=pack,
        generated_at=generated_at,
    )
