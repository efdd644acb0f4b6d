"""Writes in metrics that other apps may call."""

import datetime

from metrics.models import MonthLock


def month_lock(*, month: datetime.date) -> None:
    """Closes a month to new and changed records (called when a period is finalized)."""
    MonthLock.objects.get_or_create(month=month.replace(day=1))


def month_unlock(*, month: datetime.date) -> None:
    """Opens a month again (called when a finalized period is reopened with a reason)."""
    MonthLock.objects.filter(month=month.replace(day=1)).delete()
