"""Totals of a staff member's records over any span of days, for write-ups and reports.

`metrics.selectors.actuals` answers for one calendar month and every staff member, as the
engine needs; these answer for a few people over an arbitrary span (a year to date), with
the raw counts a sentence can cite — how many ratings, how many of them good — rather than
the smoothed rate the engine scores.
"""

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.db.models import Count, Q, Sum

from metrics.models import AccountOpening, Deposit, EbankingSale, Feedback

TOTAL_FIELDS = (
    "accounts",
    "effective",
    "ebanking",
    "deposits_total",
    "ratings",
    "ratings_good",
    "inspections",
    "praise",
    "complaints",
    "major_complaints",
)


def record_totals(
    *,
    staff_ids: Iterable[int],
    first: datetime.date,
    last: datetime.date,
    effective_threshold: Decimal = Decimal("10000"),
) -> dict[int, dict]:
    """Per staff member, counts and sums of the records dated `first`..`last` inclusive.

    Every id asked for is in the answer, with zeros where there was nothing. Complaints count
    as SCORING.md §1 does: upheld only, `complaints` the normal ones, `major_complaints` the
    major ones. `deposits_total` is the plain sum in 万元, as a Decimal.
    """
    ids = sorted(set(staff_ids))
    totals = {staff_id: dict.fromkeys(TOTAL_FIELDS, 0) for staff_id in ids}
    for staff_id in ids:
        totals[staff_id]["deposits_total"] = Decimal("0")
    if not ids:
        return totals
    span = Q(staff_id__in=ids, date__gte=first, date__lte=last)
    queries = [
        AccountOpening.objects.filter(span)
        .values("staff_id")
        .annotate(accounts=Count("id"), effective=Count("id", filter=Q(avg_assets__gte=effective_threshold))),
        EbankingSale.objects.filter(span, activated=True).values("staff_id").annotate(ebanking=Count("id")),
        Deposit.objects.filter(span).values("staff_id").annotate(deposits_total=Sum("amount")),
        Feedback.objects.filter(span)
        .values("staff_id")
        .annotate(
            ratings=Count("id", filter=Q(kind="rating")),
            ratings_good=Count("id", filter=Q(kind="rating", rating__gte=4)),
            inspections=Count("id", filter=Q(kind="inspection")),
            praise=Count("id", filter=Q(kind="praise")),
            complaints=Count("id", filter=Q(kind="complaint", upheld=True, severity="normal")),
            major_complaints=Count("id", filter=Q(kind="complaint", upheld=True, severity="major")),
        ),
    ]
    for query in queries:
        for row in query:
            staff_id = row.pop("staff_id")
            if "deposits_total" in row:
                row["deposits_total"] = Decimal(row["deposits_total"] or 0) / 10000
            totals[staff_id].update(row)
    return totals
