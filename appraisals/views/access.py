"""Who is signed in and what they may do: roles come from `staff.Membership`.

HR sees everything, a branch head their subtree, a lobby manager only themself. A superuser
without a membership counts as HR so that a fresh install can be run from `createsuperuser`.
"""

import datetime
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404

from appraisals.models import Period
from appraisals.services import PeriodError, month_parse
from staff.models import Role
from staff.selectors import membership_of


def role_of(request) -> str | None:
    if not request.user.is_authenticated:
        return None
    membership = membership_of(request.user)
    if membership is not None:
        return membership.role
    return Role.HR if request.user.is_superuser else None


def console_view(*roles):
    """Signed in, and holding one of `roles` (all roles when none are given); else 403."""

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            role = role_of(request)
            if role is None or (roles and role not in roles):
                raise PermissionDenied
            request.role = role
            request.membership = membership_of(request.user)
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


hr_only = console_view(Role.HR)
hr_or_head = console_view(Role.HR, Role.BRANCH_HEAD)
anyone = console_view()


def month_from_url(text: str) -> datetime.date:
    try:
        return month_parse(text)
    except PeriodError:
        raise Http404 from None


def period_from_url(text: str) -> Period:
    try:
        return Period.objects.get(month=month_from_url(text))
    except Period.DoesNotExist:
        raise Http404 from None
