"""The dashboard's figures: the months' trend, the grade mix and the comparison of branches.

Each chart is one aggregate query over the scorecards the sign-in may see (the dashboard's
query count is a benchmark figure, docs/benchmarks.md); the layout is the template's.
"""

from __future__ import annotations

import datetime

from django.db.models import Avg, Case, Count, F, Q, When

from appraisals.models import Grade, Period
from appraisals.selectors import scorecards_for_user
from core.months import month_add
from staff.models import LEVEL_ORDER, Level, Role
from staff.selectors import membership_of

TREND_MONTHS = 12


def _counts() -> dict:
    """The counts of a group of scorecards, the same for a month and for a branch."""
    return {
        "total": Count("id"),
        "average": Avg("score"),
        "flagged": Count("id", filter=Q(bottom_flag=True)),
        "vetoed": Count("id", filter=Q(veto=True)),
        "exempt": Count("id", filter=Q(exempt=True)),
        **{f"grade_{grade}": Count("id", filter=Q(grade=grade)) for grade in Grade.values},
    }


def _empty(**values) -> dict:
    row = {"total": 0, "average": None, "flagged": 0, "vetoed": 0, "exempt": 0}
    row.update({f"grade_{grade}": 0 for grade in Grade.values})
    row.update(values)
    return row


def _with_shares(row: dict) -> dict:
    """Adds each grade's share of the group in % (0 for an empty group), for the stacked bars."""
    total = row["total"]
    row["shares"] = [
        (grade, row[f"grade_{grade}"], (100 * row[f"grade_{grade}"] / total) if total else 0) for grade in Grade.values
    ]
    return row


def months_trend(*, user, last: datetime.date, months: int = TREND_MONTHS) -> list[dict]:
    """The `months` months up to `last`, oldest first: per month the number assessed, the
    average score and the count of each grade, flags, vetoes and exemptions; a month without
    scorecards is all zeros with no average. One query."""
    first = month_add(last, -(months - 1))
    rows = (
        scorecards_for_user(user=user)
        .filter(period__month__gte=first, period__month__lte=last)
        .values("period__month")
        .annotate(**_counts())
        .order_by("period__month")
    )
    found = {row.pop("period__month"): row for row in rows}
    return [
        _with_shares({**found.get(month, _empty()), "month": month})
        for month in (month_add(first, offset) for offset in range(months))
    ]


def _ancestor(field: str, level: str):
    """The scorecard's branch's `field`, or that of its ancestor at `level`: the unit a
    scorecard counts under. The tree has four levels, so the ancestor is at most two parents
    up; a branch above `level` (a scope's own staff) counts under itself."""
    return Case(
        When(branch__level=level, then=F(f"branch__{field}")),
        When(branch__parent__level=level, then=F(f"branch__parent__{field}")),
        When(branch__parent__parent__level=level, then=F(f"branch__parent__parent__{field}")),
        default=F(f"branch__{field}"),
    )


def branch_comparison(*, user, period: Period) -> list[dict]:
    """The month's figures per branch one level below the sign-in's scope: the tier-1 branches
    (分行) for HR, a branch head's own sub-branches (or outlets). Best average first; each row
    has the branch's id, code and name for its link. One query, grouped by the unit each
    scorecard's branch lies under (read through the branch's parents, no per-row lookup)."""
    membership = membership_of(user)
    level = Level.BRANCH
    if membership is not None and membership.role == Role.BRANCH_HEAD:
        own = LEVEL_ORDER.index(membership.branch.level)
        level = LEVEL_ORDER[min(own + 1, len(LEVEL_ORDER) - 1)]
    rows = (
        scorecards_for_user(user=user, period=period)
        .values(unit_id=_ancestor("id", level), code=_ancestor("code", level), name=_ancestor("name", level))
        .annotate(**_counts())
        .order_by()
    )
    found = [_with_shares(row) for row in rows]
    own = membership.branch_id if membership is not None and membership.role == Role.BRANCH_HEAD else None
    for row in found:
        row["own"] = row["unit_id"] == own
    best = max((row["average"] for row in found if row["average"] is not None), default=None)
    for row in found:
        row["bar"] = float(100 * row["average"] / best) if best and row["average"] is not None else 0.0
    return sorted(found, key=lambda row: (row["average"] is None, -(row["average"] or 0), row["code"]))
