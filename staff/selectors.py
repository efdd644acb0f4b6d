"""Reads of the organisation that other apps may use."""

import datetime

from django.db.models import Q, QuerySet

from staff.models import Absence, Assignment, Branch, Membership, Role, Staff


def branch_subtree(*, branch: Branch) -> QuerySet[Branch]:
    """The branch and everything under it, in one query (materialised path)."""
    return Branch.objects.filter(path__startswith=branch.path)


def branch_paths() -> dict[int, tuple[int, ...]]:
    """For every branch id, the ids from itself up to the root, nearest first."""
    rows = list(Branch.objects.values_list("id", "code", "path"))
    id_by_code = {code: pk for pk, code, _ in rows}
    return {
        pk: tuple(id_by_code[code] for code in reversed([c for c in path.split("/") if c]))
        for pk, _, path in rows
    }


def assignments_on(*, day: datetime.date) -> QuerySet[Assignment]:
    """What everybody held on `day`: one row per staff member who had started by then."""
    return Assignment.objects.filter(valid_from__lte=day).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=day)
    )


def staff_for_user(*, user) -> QuerySet[Staff]:
    """The staff a sign-in may see: HR all, a branch head their subtree, a lobby manager themself."""
    membership = (
        Membership.objects.filter(user=user).select_related("branch").first()
        if user.is_authenticated
        else None
    )
    if membership is None:
        return Staff.objects.all() if user.is_superuser else Staff.objects.none()
    if membership.role == Role.HR:
        return Staff.objects.all()
    if membership.role == Role.BRANCH_HEAD:
        return Staff.objects.filter(branch__path__startswith=membership.branch.path)
    return Staff.objects.filter(pk=membership.staff_id)


def absences_between(*, first: datetime.date, last: datetime.date) -> QuerySet[Absence]:
    """Absences that touch the days from `first` to `last`, inclusive."""
    return Absence.objects.filter(start__lte=last, end__gte=first)
