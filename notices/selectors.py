"""Who is told, and what a sign-in may read of its notices."""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Case, F, Func, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.functions import Coalesce

from notices.models import Notice
from staff.models import Branch, Level, Membership, Role, Staff
from staff.selectors import membership_of

_CHUNK = 900  # values per `__in` look-up


@dataclass(frozen=True)
class Recipient:
    """A sign-in, a staff member or both; `email` where mail reaches them ("" for none).
    `link` and `params`, when given, are this recipient's own."""

    user_id: int | None = None
    staff_id: int | None = None
    email: str = ""
    link: str = ""
    params: dict | None = None


def staff_recipients(*, staff_ids: Iterable[int]) -> dict[int, Recipient]:
    """Each staff member by id: their lobby manager sign-in if they have one, and their
    address from the staff file (else the sign-in's)."""
    ids = sorted(set(staff_ids))
    staff, users = {}, {}
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        staff.update(Staff.objects.filter(pk__in=chunk).values_list("id", "email"))
        for staff_id, user_id, email in Membership.objects.filter(
            role=Role.LOBBY_MANAGER, staff_id__in=chunk, user__is_active=True
        ).values_list("staff_id", "user_id", "user__email"):
            users[staff_id] = (user_id, email)
    return {
        staff_id: Recipient(
            user_id=users.get(staff_id, (None, ""))[0],
            staff_id=staff_id,
            email=email or users.get(staff_id, (None, ""))[1] or "",
        )
        for staff_id, email in staff.items()
    }


def _user_recipients(memberships: QuerySet) -> list[Recipient]:
    rows = memberships.filter(user__is_active=True).values_list("user_id", "user__email", "staff__email")
    return [Recipient(user_id=user_id, email=staff_email or email or "") for user_id, email, staff_email in rows]


def hr_recipients() -> list[Recipient]:
    return _user_recipients(Membership.objects.filter(role=Role.HR).order_by("user_id"))


def head_recipients(*, branches: Iterable[Branch]) -> list[tuple[Recipient, list[Branch]]]:
    """The heads who can sign off these sub-branches — of the sub-branch itself or of the tier-1
    branch above it — each with the branches of theirs among them."""
    branches = list(branches)
    heads = Membership.objects.filter(
        role=Role.BRANCH_HEAD, branch__level__in=[Level.BRANCH, Level.SUB_BRANCH], user__is_active=True
    ).values_list("user_id", "user__email", "staff__email", "branch__path")
    found = []
    for user_id, email, staff_email, path in heads.order_by("user_id"):
        theirs = [branch for branch in branches if branch.path.startswith(path)]
        if theirs:
            found.append((Recipient(user_id=user_id, email=staff_email or email or ""), theirs))
    return found


def notices_for_user(*, user) -> QuerySet:
    """A sign-in's own notices: addressed to it, or to its staff member (a lobby manager told
    by mail before they had a sign-in). Never another's; never the group robot's posts."""
    mine = Q(user=user)
    membership = membership_of(user)
    if membership is not None and membership.role == Role.LOBBY_MANAGER and membership.staff_id:
        mine |= Q(staff_id=membership.staff_id)
    return Notice.objects.filter(mine)


def unread_count(*, user) -> int:
    cached = getattr(user, "unread_notices", None)
    if cached is not None:  # read with the sign-in itself (with_unread_notices)
        return cached
    return notices_for_user(user=user).filter(read_at__isnull=True).count()


def with_unread_notices(users: QuerySet) -> QuerySet:
    """`users` (a User query) with `unread_notices`: what `unread_count` counts, as a subquery, so
    that the header's count comes with the sign-in's own row instead of a query of its own.

    The same rule as `notices_for_user`: addressed to the user, or to their staff member when the
    sign-in is a lobby manager's."""
    users = users.annotate(
        _notices_staff=Case(When(membership__role=Role.LOBBY_MANAGER, then=F("membership__staff_id")), default=None)
    )
    unread = (
        Notice.objects.filter(read_at__isnull=True)
        .filter(Q(user_id=OuterRef("pk")) | Q(staff_id=OuterRef("_notices_staff")))
        .order_by()
        .annotate(count=Func(F("pk"), function="COUNT"))
        .values("count")
    )
    return users.annotate(unread_notices=Coalesce(Subquery(unread), Value(0)))
