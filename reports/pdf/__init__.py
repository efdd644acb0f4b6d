"""PDF scorecards (WeasyPrint, templates under templates/pdf/, A4, one page per person).

Like every export of the product (STYLE.md §8, `reports.exports`), each function returns
`(filename, content_type, bytes)`:

- `scorecard_pdf`: one person's month, for the employee, HR or the branch (`audience`);
- `branch_pack_pdf`: a sub-branch's cover with its ranked staff, then each one's page;
- `reports.pdf.run.render_month`: a whole month to a folder, incremental, on every core or on
  Celery workers — what `manage.py render_scorecards` runs.
"""

from __future__ import annotations

import datetime

from reports.pdf import render
from reports.pdf.data import month_pages

CONTENT_TYPE = "application/pdf"


def _suffix(language: str) -> str:
    return ".en.pdf" if language == "en" else ".pdf"


def scorecard_pdf(
    *,
    scorecard,
    audience: str = "branch",
    language: str = "zh-hans",
    generated_at: datetime.datetime | None = None,
) -> tuple[str, str, bytes]:
    """One person's scorecard of one month.

    The bottom flag (末位预警) shows only for `audience` 'employee' (their own copy) and 'hr';
    'branch', the default, leaves it out, so a caller that forgets to choose shows less, never
    more.
    """
    if audience not in render.AUDIENCES:
        raise ValueError(f"audience must be one of {render.AUDIENCES}, not {audience!r}")
    month = month_pages(period=scorecard.period, staff_ids=[scorecard.staff_id])
    rendered = render.document(
        month=month,
        units=[],
        own_pages=month.pages,
        language=language,
        generated_at=generated_at,
        own_audience=audience,
    )
    filename = f"scorecard-{month.period}-{scorecard.staff.employee_no}{_suffix(language)}"
    return filename, CONTENT_TYPE, render.write(rendered, rendered.pages)


def branch_pack_pdf(
    *,
    period,
    branch_code: str,
    language: str = "zh-hans",
    generated_at: datetime.datetime | None = None,
) -> tuple[str, str, bytes]:
    """The branch's copy of the scorecards under `branch_code`: for each sub-branch (one, or
    every one under a tier-1 branch) a cover with the ranked summary of its staff, then each
    one's page. Never shows the bottom flag."""
    month = month_pages(period=period, branch_code=branch_code)
    rendered = render.document(
        month=month, units=month.units, own_pages=[], language=language, generated_at=generated_at
    )
    filename = f"scorecards-{month.period}-{branch_code}{_suffix(language)}"
    return filename, CONTENT_TYPE, render.write(rendered, rendered.pages)


__all__ = ["CONTENT_TYPE", "branch_pack_pdf", "scorecard_pdf"]
