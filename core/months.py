"""Months: parsing `YYYY-MM`, arithmetic, bounds, labels, and "today" in the bank's time zone.

A month is always the `datetime.date` of its first day.
"""

import calendar
import datetime
import zoneinfo

from django.conf import settings
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.errors import LobbyStarError


class MonthError(LobbyStarError):
    """Text that is not a month."""


def month_parse(text: str) -> datetime.date:
    """`YYYY-MM` → the first day of that month; a clear error otherwise."""
    try:
        year, month = str(text).strip().split("-")
        return datetime.date(int(year), int(month), 1)
    except (ValueError, AttributeError):
        raise MonthError(_("月份格式应为 YYYY-MM，例如 2026-10，而不是 %(text)r。") % {"text": text}) from None


def month_add(month: datetime.date, count: int) -> datetime.date:
    """The month `count` months after `month` (before it when negative)."""
    index = month.year * 12 + month.month - 1 + count
    return datetime.date(index // 12, index % 12 + 1, 1)


def month_bounds(month: datetime.date) -> tuple[datetime.date, datetime.date, int]:
    """(first day, last day, number of days) of the month `month` falls in."""
    first = month.replace(day=1)
    days = calendar.monthrange(first.year, first.month)[1]
    return first, first.replace(day=days), days


def month_label(month: datetime.date) -> str:
    """2026年10月 / October 2026, in the active language."""
    return date_format(month, "YEAR_MONTH_FORMAT")


def month_short_label(month: datetime.date) -> str:
    """10月 / Oct: a chart's axis."""
    if translation.get_language() == "en":
        return month.strftime("%b")
    return f"{month.month}月"


def today() -> datetime.date:
    """Today in the bank's time zone (Asia/Shanghai), whatever the server's clock zone."""
    return timezone.localdate(timezone=zoneinfo.ZoneInfo(settings.TIME_ZONE))


def month_has_ended(month: datetime.date, *, on: datetime.date | None = None) -> bool:
    """True once the month's last day is over in the bank's time zone (SCORING.md §6)."""
    _first, last, _days = month_bounds(month)
    return (on or today()) > last
