"""Moving a month through its states in tests as a bank does: reviewed by one HR officer,
finalized by another (four eyes, SCORING.md §6)."""

import datetime

from django.contrib.auth import get_user_model

from appraisals.models import Period
from appraisals.services.periods import period_finalize, period_review
from staff.models import Membership, Role


def hr_user(username: str):
    """An HR sign-in, made the first time it is asked for."""
    user, created = get_user_model().objects.get_or_create(username=username)
    if created:
        Membership.objects.create(user=user, role=Role.HR)
    return user


def review(month: datetime.date, *, user=None) -> Period:
    """Publishes the month as HR user hr-hannah, with a reason for any missing sign-off."""
    return period_review(
        month=month, user=user or hr_user("hr-hannah"), without_signoffs=True, reason="测试：人力资源部代为复核"
    )


def finalize(month: datetime.date, *, reviewer=None, finalizer=None) -> Period:
    """Reviews the month as one HR user and finalizes it as another."""
    review(month, user=reviewer)
    return period_finalize(month=month, user=finalizer or hr_user("hr-frank"))
