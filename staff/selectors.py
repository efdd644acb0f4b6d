"""Reads of the organisation that other apps may use."""

import datetime

from django.conf import settings
from django.db.models import Q, QuerySet

from core.bulk import chunks
from staff.models import Absence, Assignment, Branch, Level, Membership, Role, Staff


def branch_subtree(*, branch: Branch) -> QuerySet[Branch]:
    """The branch and everything under it, in one query (materialised path)."""
    return Branch.objects.filter(path__startswith=branch.path)


def branch_paths() -> dict[int, tuple[int, ...]]:
    """For every branch id, the ids from itself up to the root, nearest first."""
    rows = list(Branch.objects.values_list("id", "code", "path"))
    id_by_code = {code: pk for pk, code, _ in rows}
    return {pk: tuple(id_by_code[code] for code in reversed([c for c in path.split("/") if c])) for pk, _, path in rows}


def assignments_on(*, day: datetime.date) -> QuerySet[Assignment]:
    """What everybody held on `day`: one row per staff member who had started by then."""
    return Assignment.objects.filter(valid_from__lte=day).filter(Q(valid_to__isnull=True) | Q(valid_to__gt=day))


def membership_of(user) -> Membership | None:
    """The sign-in's role and scope, read once and kept on the user object."""
    if not user.is_authenticated:
        return None
    if not hasattr(user, "_membership_cache"):
        user._membership_cache = Membership.objects.select_related("branch", "staff").filter(user=user).first()
    return user._membership_cache


def scope_key(user) -> tuple:
    """What `scoped_for_user` depends on for this sign-in: equal keys, equal scopes (a cache key)."""
    membership = membership_of(user)
    if membership is None:
        return ("superuser" if user.is_superuser else "nobody",)
    return (membership.role, membership.branch.path if membership.branch_id else None, membership.staff_id)


def scoped_for_user(query: QuerySet, *, user, path_field: str, staff_field: str) -> QuerySet:
    """Limits `query` to what a sign-in may see: HR all, a branch head the rows whose
    `path_field` lies in their subtree, a lobby manager the rows whose `staff_field` is theirs.
    A superuser without a membership counts as HR; anybody else sees nothing."""
    membership = membership_of(user)
    if membership is None:
        return query if user.is_superuser else query.none()
    if membership.role == Role.HR:
        return query
    if membership.role == Role.BRANCH_HEAD:
        return query.filter(**{f"{path_field}__startswith": membership.branch.path})
    return query.filter(**{staff_field: membership.staff_id})


def staff_for_user(*, user) -> QuerySet[Staff]:
    """The staff a sign-in may see."""
    return scoped_for_user(Staff.objects.all(), user=user, path_field="branch__path", staff_field="pk")


def branches_for_user(*, user, including: int | None = None) -> QuerySet[Branch]:
    """Branches a sign-in may filter by, down to sub-branches (outlets can run to thousands),
    and the branch `including` names, outlet or not, when it is in their scope (a drill-down
    from the dashboard into an outlet)."""
    query = Branch.objects.exclude(level=Level.OUTLET)
    if including is not None:
        query = query | Branch.objects.filter(pk=including)
    query = query.order_by("path")
    membership = membership_of(user)
    if membership is not None and membership.role == Role.LOBBY_MANAGER:
        return query.none()
    return scoped_for_user(query, user=user, path_field="path", staff_field="pk")


def absences_between(*, first: datetime.date, last: datetime.date) -> QuerySet[Absence]:
    """Absences that touch the days from `first` to `last`, inclusive."""
    return Absence.objects.filter(start__lte=last, end__gte=first)


def branch_scopes() -> dict[str, tuple[int, str]]:
    """Every branch code → (id, level), for resolving scopes named by code."""
    return {code: (pk, level) for pk, code, level in Branch.objects.values_list("id", "code", "level")}


def staff_ids_by_employee_no(*, employee_nos) -> dict[str, int]:
    """employee_no → id for the given numbers (one query per 5,000)."""
    found = {}
    for chunk in chunks(sorted(set(employee_nos))):
        found.update(Staff.objects.filter(employee_no__in=chunk).values_list("employee_no", "id"))
    return found


def bank_name() -> str:
    """The bank's name for letterheads and screens: the BANK_NAME setting, else the head office's
    name without its trailing 总行 (之江银行总行 → 之江银行)."""
    if settings.BANK_NAME:
        return settings.BANK_NAME
    head = Branch.objects.filter(level=Level.HEAD_OFFICE).order_by("path").values_list("name", flat=True).first()
    if not head:
        return ""
    return head.removesuffix("总行") or head
