"""Reads of the facts that other apps may use: above all the actuals of a month (SCORING.md §1)."""

import datetime
from decimal import Decimal

import pandas as pd
from django.db.models import Count, Exists, F, IntegerField, Max, OuterRef, Q, QuerySet, Sum
from django.db.models.expressions import Func
from django.http import Http404

from core.months import month_bounds
from metrics.models import RECORD_MODELS, AccountOpening, Deposit, EbankingSale, Feedback, ImportBatch, MonthLock
from staff.models import Assignment, Role
from staff.selectors import membership_of, scoped_for_user

ACTUAL_COLUMNS = [
    "staff_id",
    "accounts",
    "effective",
    "ebanking",
    "deposits",
    "deposits_total",
    "ratings",
    "ratings_good",
    "mystery",
    "inspections",
    "praise",
    "complaints",
    "major_complaints",
]


class DayOfMonth(Func):
    """The day of the month of a date column, computed natively by each database.

    Django's ExtractDay calls back into Python per row on SQLite; over a million deposits
    that is seconds, while substr() on the ISO text is free.
    """

    output_field = IntegerField()
    arity = 1

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="CAST(substr(%(expressions)s, 9, 2) AS INTEGER)")

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="EXTRACT(DAY FROM %(expressions)s)::integer")


# What counts, SCORING.md §1 — the one place these rules are written.
GOOD_RATING = 4  # a rating of 4 or 5 is a satisfied customer
RATING = Q(kind="rating")
GOOD = Q(kind="rating", rating__gte=GOOD_RATING)
INSPECTION = Q(kind="inspection")
PRAISE = Q(kind="praise")
COMPLAINT = Q(kind="complaint", upheld=True, severity="normal")  # upheld, normal severity
MAJOR_COMPLAINT = Q(kind="complaint", upheld=True, severity="major")  # upheld, major: the veto


def _record_aggregates(span: Q, *, effective_threshold: Decimal, days: int | None = None) -> list[QuerySet]:
    """One aggregate query per kind of record, grouped by staff member, over the records in `span`.

    With `days` (a calendar month's length), deposits also carry the month's daily-average
    weighting Σ amount × (D − d + 1)."""
    deposit_sums = {"total": Sum("amount")}
    if days is not None:
        deposit_sums["weighted"] = Sum(F("amount") * (days + 1 - DayOfMonth("date")))
    return [
        AccountOpening.objects.filter(span)
        .values("staff_id")
        .annotate(accounts=Count("id"), effective=Count("id", filter=Q(avg_assets__gte=effective_threshold))),
        EbankingSale.objects.filter(span, activated=True).values("staff_id").annotate(ebanking=Count("id")),
        Deposit.objects.filter(span).values("staff_id").annotate(**deposit_sums),
        Feedback.objects.filter(span)
        .values("staff_id")
        .annotate(
            ratings=Count("id", filter=RATING),
            ratings_good=Count("id", filter=GOOD),
            inspections=Count("id", filter=INSPECTION),
            inspection_sum=Sum("score", filter=INSPECTION),
            praise=Count("id", filter=PRAISE),
            complaints=Count("id", filter=COMPLAINT),
            major_complaints=Count("id", filter=MAJOR_COMPLAINT),
        ),
    ]


COUNT_COLUMNS = (
    "accounts",
    "effective",
    "ebanking",
    "ratings",
    "ratings_good",
    "inspections",
    "praise",
    "complaints",
    "major_complaints",
)


def actuals(*, month: datetime.date, effective_threshold: Decimal) -> pd.DataFrame:
    """Per staff member, what they did in the month (SCORING.md §1), for the engine.

    `deposits` is the month's daily-average contribution Σ amount × (D − d + 1) / D in 万元;
    `deposits_total` the plain sum in 万元.
    """
    first, last, days = month_bounds(month)
    queries = _record_aggregates(Q(date__gte=first, date__lte=last), effective_threshold=effective_threshold, days=days)
    frames = [pd.DataFrame.from_records(list(query)) for query in queries]
    frames = [frame.set_index("staff_id") for frame in frames if not frame.empty]
    if not frames:
        return pd.DataFrame(columns=ACTUAL_COLUMNS)
    table = pd.concat(frames, axis=1)
    for column in COUNT_COLUMNS:
        table[column] = table[column].fillna(0).astype("int64") if column in table else 0
    for column in ("weighted", "total", "inspection_sum"):
        table[column] = table[column].astype("float64") if column in table else float("nan")
    table["deposits"] = table["weighted"].fillna(0.0) / days / 10000.0
    table["deposits_total"] = table["total"].fillna(0.0) / 10000.0
    table["mystery"] = table["inspection_sum"] / table["inspections"].where(table["inspections"] > 0)
    return table.reset_index()[ACTUAL_COLUMNS]


TOTAL_FIELDS = (*COUNT_COLUMNS, "deposits_total")


def record_totals(
    *,
    staff_ids,
    first: datetime.date,
    last: datetime.date,
    effective_threshold: Decimal = Decimal("10000"),
) -> dict[int, dict]:
    """Per staff member, counts and sums of the records dated `first`..`last` inclusive, for the
    write-ups: the raw counts a sentence can cite (how many ratings, how many of them good)
    rather than the smoothed rate the engine scores. The same aggregates as `actuals`.

    Every id asked for is in the answer, with zeros where there was nothing; `deposits_total`
    is the plain sum in 万元, as a Decimal.
    """
    ids = sorted(set(staff_ids))
    totals = {staff_id: {**dict.fromkeys(COUNT_COLUMNS, 0), "deposits_total": Decimal("0")} for staff_id in ids}
    if not ids:
        return totals
    span = Q(staff_id__in=ids, date__gte=first, date__lte=last)
    for query in _record_aggregates(span, effective_threshold=effective_threshold):
        for row in query:
            staff_id = row.pop("staff_id")
            row.pop("inspection_sum", None)
            if "total" in row:
                row = {"deposits_total": Decimal(row.pop("total") or 0) / 10000}
            totals[staff_id].update(row)
    return totals


MONTH_TO_DATE_COLUMNS = ("accounts", "effective", "ebanking")


def month_to_date_counts(
    *,
    path: str,
    first: datetime.date,
    last: datetime.date,
    effective_threshold: Decimal,
    position: str | None = None,
) -> dict[int, dict]:
    """Per staff member now placed in the branch subtree `path` (and holding `position`, when
    given), the accounts, effective customers and activated e-banking sign-ups dated
    `first`..`last`: the live counts a lobby screen may show before a month ends (SCORING.md §6).
    Counts only, by the rules of `actuals`; staff with nothing to count are left out."""
    span = Q(date__gte=first, date__lte=last, staff__branch__path__startswith=path)
    if position:
        span &= Q(staff__position=position)
    # The accounts and e-banking aggregates only: the querysets of the other kinds are never run.
    accounts, ebanking = _record_aggregates(span, effective_threshold=effective_threshold)[:2]
    counts: dict[int, dict] = {}
    for row in [*accounts, *ebanking]:
        staff_id = row.pop("staff_id")
        counts.setdefault(staff_id, dict.fromkeys(MONTH_TO_DATE_COLUMNS, 0)).update(row)
    return counts


def last_imports() -> dict[str, ImportBatch]:
    """The latest successful import of each kind, for the dashboard."""
    latest = ImportBatch.objects.filter(outcome=ImportBatch.Outcome.IMPORTED).values("kind").annotate(last_id=Max("id"))
    by_id = ImportBatch.objects.in_bulk([row["last_id"] for row in latest])
    return {batch.kind: batch for batch in by_id.values()}


def records_for_staff(*, kind: str, staff_id: int, month: datetime.date | None = None):
    model = RECORD_MODELS[kind]
    query = model.objects.filter(staff_id=staff_id)
    if month is not None:
        first, last, _ = month_bounds(month)
        query = query.filter(date__gte=first, date__lte=last)
    return query.order_by("-date", "ref")


def record_months() -> list[datetime.date]:
    """The months in which any record is dated, oldest first."""
    months = set()
    for model in RECORD_MODELS.values():
        for day in model.objects.dates("date", "month"):
            months.add(day.replace(day=1))
    return sorted(months)


def records_for_user(*, user, kind: str) -> QuerySet:
    """Records of one kind a sign-in may see: HR all, a lobby manager their own (a lobby manager
    never sees another's complaints), a branch head those made while the person worked in their
    subtree: the branch the person held on the record's date, the rule of the scorecards, so a
    record does not follow a person who moves. Unknown kind → 404."""
    if kind not in RECORD_MODELS:
        raise Http404(kind)
    query = RECORD_MODELS[kind].objects.select_related("staff")
    membership = membership_of(user)
    if membership is None or membership.role != Role.BRANCH_HEAD:
        return scoped_for_user(query, user=user, path_field="staff__branch__path", staff_field="staff_id")
    held_here = Assignment.objects.filter(
        Q(valid_to__isnull=True) | Q(valid_to__gt=OuterRef("date")),
        staff_id=OuterRef("staff_id"),
        valid_from__lte=OuterRef("date"),
        branch__path__startswith=membership.branch.path,
    )
    return query.filter(Exists(held_here))


def locked_months() -> set[datetime.date]:
    """The months closed to new and changed records (finalized)."""
    return set(MonthLock.objects.values_list("month", flat=True))
