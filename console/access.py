"""Who is signed in and what they may do: roles come from `staff.Membership`.

HR sees everything, a branch head their subtree, a lobby manager only themself. A superuser
without a membership counts as HR so that a fresh install can be run from `createsuperuser`.

Every view is decorated with `hr_only`, `hr_or_head` or `anyone`, which put an `Access` on the
request (`request.access`): the one place that says what this sign-in may do. Views and
templates ask it (`request.access.is_hr`, `request.access.can_sign_off`) instead of comparing
roles themselves; objects are fetched through a `*_for_user` helper that returns the object
and that access together.
"""

import datetime
from dataclasses import dataclass
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from appraisals.models import Period, Scorecard
from appraisals.selectors import scorecards_for_user, scorecards_with_review
from core.errors import LobbyStarError
from core.months import month_parse
from staff.models import Membership, Role
from staff.selectors import membership_of


@dataclass(frozen=True)
class Access:
    """What one sign-in may do in the console."""

    role: str | None
    membership: Membership | None

    @property
    def is_hr(self) -> bool:
        return self.role == Role.HR

    @property
    def is_branch_head(self) -> bool:
        return self.role == Role.BRANCH_HEAD

    @property
    def is_lobby_manager(self) -> bool:
        return self.role == Role.LOBBY_MANAGER

    @property
    def can_manage(self) -> bool:
        """Imports, corrections, targets, computing and publishing months, screens, write-ups."""
        return self.is_hr

    @property
    def can_sign_off(self) -> bool:
        """Sign off the scorecards of their own branch's subtree."""
        return self.is_branch_head and self.membership is not None and self.membership.branch_id is not None

    @property
    def staff(self):
        """The lobby manager's own staff record; None for everyone else."""
        return self.membership.staff if self.is_lobby_manager and self.membership else None

    @property
    def pdf_audience(self) -> str:
        return {Role.HR: "hr", Role.LOBBY_MANAGER: "employee", Role.BRANCH_HEAD: "branch"}.get(self.role, "employee")


def access_of(user) -> Access:
    if not user.is_authenticated:
        return Access(None, None)
    membership = membership_of(user)
    if membership is not None:
        return Access(membership.role, membership)
    return Access(Role.HR if user.is_superuser else None, None)


def console_view(*roles):
    """Signed in, and holding one of `roles` (all roles when none are given); else 403."""

    def decorate(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            access = access_of(request.user)
            if access.role is None or (roles and access.role not in roles):
                raise PermissionDenied
            request.access = access
            return view(request, *args, **kwargs)

        return wrapped

    return decorate


hr_only = console_view(Role.HR)
hr_or_head = console_view(Role.HR, Role.BRANCH_HEAD)
anyone = console_view()


def month_from_url(text: str) -> datetime.date:
    try:
        return month_parse(text)
    except LobbyStarError:
        raise Http404 from None


def period_from_url(text: str) -> Period:
    try:
        return Period.objects.get(month=month_from_url(text))
    except Period.DoesNotExist:
        raise Http404 from None


def scorecard_for_user(request, month: str, employee_no: str) -> tuple[Scorecard, Access]:
    """One scorecard the sign-in may see (else 404), with what they may do with it."""
    period = period_from_url(month)
    query = scorecards_with_review(scorecards_for_user(user=request.user, period=period))
    card = get_object_or_404(
        query.select_related("staff", "branch", "peer_group", "period", "scheme"), staff__employee_no=employee_no
    )
    return card, request.access
