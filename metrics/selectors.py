"""Reads of the facts that other apps may use: above all the actuals of a month (SCORING.md §1)."""

import datetime
from decimal import ROUND_HALF_UP, Decimal

import pandas as pd
from django.db.models import Count, Exists, F, IntegerField, Max, OuterRef, Q, QuerySet, Sum
from django.db.models.expressions import Func
from django.http import Http404

from core.months import month_bounds
from metrics.models import (
    RECORD_MODELS,
    AccountOpening,
    Deposit,
    EbankingSale,
    Feedback,
    ImportBatch,
    MonthLock,
    MonthSummary,
)
from scoring import INPUT_COLUMNS
from staff.models import Assignment, Role
from staff.selectors import membership_of, scoped_for_user

# What the engine reads of a month's records: its input contract is the one list of these columns.
ACTUAL_COLUMNS = list(INPUT_COLUMNS["actuals"])


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


def _record_aggregates(
    span: Q, *, effective_threshold: Decimal, days: int | None = None, kinds=None
) -> dict[str, QuerySet]:
    """One aggregate query per kind of record (or per kind in `kinds`), grouped by staff member,
    over the records in `span`, by kind name.

    With `days` (a calendar month's length), deposits also carry the month's daily-average
    weighting Σ amount × (D − d + 1)."""
    deposit_sums = {"total": Sum("amount")}
    if days is not None:
        deposit_sums["weighted"] = Sum(F("amount") * (days + 1 - DayOfMonth("date")))
    queries = {
        "accounts": lambda: AccountOpening.objects.filter(span)
        .values("staff_id")
        .annotate(accounts=Count("id"), effective=Count("id", filter=Q(avg_assets__gte=effective_threshold))),
        "ebanking": lambda: EbankingSale.objects.filter(span, activated=True)
        .values("staff_id")
        .annotate(ebanking=Count("id")),
        "deposits": lambda: Deposit.objects.filter(span).values("staff_id").annotate(**deposit_sums),
        "feedback": lambda: Feedback.objects.filter(span)
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
    }
    return {kind: query() for kind, query in queries.items() if kinds is None or kind in kinds}


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
# The sums a month summary keeps, in 元 (and points for inspections), to the cent.
SUM_COLUMNS = ("deposits_weighted", "deposits_total", "inspection_sum")
SUMMARY_COLUMNS = (*COUNT_COLUMNS, *SUM_COLUMNS)
# The month summaries count effective customers at SCORING.md's default threshold; a scheme
# with another one has its `effective` counted from the account openings (`actuals`).
SUMMARY_EFFECTIVE_THRESHOLD = Decimal("10000")
CENT = Decimal("0.01")


def summary_rows(*, month: datetime.date, staff_ids=None, kinds=None) -> dict[int, dict]:
    """What the month summaries of `month` should hold, counted from the records: per staff
    member whose records add up to anything (restricted to `staff_ids` when given), the columns of the kinds in
    `kinds` (all when None), sums as Decimals to the cent. The one reading of the records
    behind every summary, so the rules of §1 stay written once (`_record_aggregates`)."""
    first, last, days = month_bounds(month)
    span = Q(date__gte=first, date__lte=last)
    if staff_ids is not None:
        span &= Q(staff_id__in=list(staff_ids))
    queries = _record_aggregates(span, effective_threshold=SUMMARY_EFFECTIVE_THRESHOLD, days=days, kinds=kinds)
    rows: dict[int, dict] = {}
    for kind, query in queries.items():
        for found in query:
            row = rows.setdefault(found.pop("staff_id"), {})
            if kind == "deposits":
                found = {"deposits_weighted": found["weighted"], "deposits_total": found["total"]}
            for name, value in found.items():
                row[name] = _cents(value) if name in SUM_COLUMNS else int(value)
    # Records that add up to nothing (a deposit of 0) leave no row, as nothing at all does.
    return {staff_id: row for staff_id, row in rows.items() if any(row.values())}


def _cents(value) -> Decimal:
    """A sum as the summary stores it: Decimal to the cent (SQLite sums decimals as floats)."""
    if value is None:
        return Decimal("0.00")
    return (Decimal(repr(value)) if isinstance(value, float) else Decimal(value)).quantize(CENT, ROUND_HALF_UP)


def actuals(*, month: datetime.date, effective_threshold: Decimal) -> pd.DataFrame:
    """Per staff member, what they did in the month (SCORING.md §1), for the engine, read from
    the month summaries: one row per staff member rather than every record.

    `deposits` is the month's daily-average contribution Σ amount × (D − d + 1) / D in 万元;
    `deposits_total` the plain sum in 万元. With an `effective_threshold` other than the one
    the summaries count at, `effective` alone is counted again from the account openings.
    """
    first, last, days = month_bounds(month)
    rows = MonthSummary.objects.filter(month=first).values_list("staff_id", *SUMMARY_COLUMNS)
    table = pd.DataFrame.from_records(list(rows), columns=["staff_id", *SUMMARY_COLUMNS])
    if Decimal(effective_threshold) != SUMMARY_EFFECTIVE_THRESHOLD:
        table = _effective_counted(table, first=first, last=last, effective_threshold=effective_threshold)
    return _actuals_table(table, days)


def actuals_from_records(*, month: datetime.date, effective_threshold: Decimal) -> pd.DataFrame:
    """The same actuals as `actuals`, counted from the records themselves: what the summaries
    are checked against (tests, `check_summaries`)."""
    rows = summary_rows(month=month)
    table = pd.DataFrame.from_records(
        [(staff_id, *(row.get(name, 0) for name in SUMMARY_COLUMNS)) for staff_id, row in rows.items()],
        columns=["staff_id", *SUMMARY_COLUMNS],
    )
    first, last, days = month_bounds(month)
    if Decimal(effective_threshold) != SUMMARY_EFFECTIVE_THRESHOLD:
        table = _effective_counted(table, first=first, last=last, effective_threshold=effective_threshold)
    return _actuals_table(table, days)


def _effective_counted(table: pd.DataFrame, *, first, last, effective_threshold: Decimal) -> pd.DataFrame:
    """`effective` counted again from the month's account openings at another threshold: one
    grouped query over one table, the only actual a scheme parameter changes."""
    span = Q(date__gte=first, date__lte=last)
    counted = _record_aggregates(span, effective_threshold=effective_threshold, kinds={"accounts"})["accounts"]
    effective = {row["staff_id"]: row["effective"] for row in counted}
    table = table.copy()
    table["effective"] = table["staff_id"].map(effective).fillna(0).astype("int64")
    return table


def _actuals_table(table: pd.DataFrame, days: int) -> pd.DataFrame:
    """Summary columns (counts, sums in 元 to the cent) → the engine's actuals (SCORING.md §1)."""
    if table.empty:
        return pd.DataFrame(columns=ACTUAL_COLUMNS)
    table = table.sort_values("staff_id", kind="stable").reset_index(drop=True)
    for column in COUNT_COLUMNS:
        table[column] = table[column].astype("int64")
    for column in SUM_COLUMNS:
        table[column] = table[column].astype("float64")
    table["deposits"] = table["deposits_weighted"] / days / 10000.0
    table["deposits_total"] = table["deposits_total"] / 10000.0
    table["mystery"] = table["inspection_sum"] / table["inspections"].where(table["inspections"] > 0)
    return table[ACTUAL_COLUMNS]


TOTAL_FIELDS = (*COUNT_COLUMNS, "deposits_total")


def record_totals(
    *,
    staff_ids,
    first: datetime.date,
    last: datetime.date,
    effective_threshold: Decimal = SUMMARY_EFFECTIVE_THRESHOLD,
) -> dict[int, dict]:
    """Per staff member, counts and sums of the records dated `first`..`last` inclusive, for the
    write-ups: the raw counts a sentence can cite (how many ratings, how many of them good)
    rather than the smoothed rate the engine scores. The same aggregates as `actuals`.

    Whole calendar months inside the span are read from the month summaries, the days of a
    month the span covers only in part from the records (all of it from the records for
    another `effective_threshold`). Every id asked for is in the answer, with zeros where
    there was nothing; `deposits_total` is the plain sum in 万元, as a Decimal.
    """
    ids = sorted(set(staff_ids))
    totals = {staff_id: {**dict.fromkeys(COUNT_COLUMNS, 0), "deposits_total": Decimal("0")} for staff_id in ids}
    if not ids or first > last:
        return totals
    whole, partial = _whole_months(first, last)
    if Decimal(effective_threshold) != SUMMARY_EFFECTIVE_THRESHOLD:
        whole, partial = [], [(first, last)]
    if whole:
        rows = MonthSummary.objects.filter(staff_id__in=ids, month__in=whole).values_list(
            "staff_id", *COUNT_COLUMNS, "deposits_total"
        )
        for staff_id, *values in rows:
            total = totals[staff_id]
            for name, value in zip(COUNT_COLUMNS, values, strict=False):
                total[name] += value
            total["deposits_total"] += Decimal(values[-1]) / 10000
    for start, end in partial:
        span = Q(staff_id__in=ids, date__gte=start, date__lte=end)
        for kind, query in _record_aggregates(span, effective_threshold=effective_threshold).items():
            for row in query:
                total = totals[row.pop("staff_id")]
                if kind == "deposits":
                    total["deposits_total"] += Decimal(row["total"] or 0) / 10000
                    continue
                row.pop("inspection_sum", None)
                for name, value in row.items():
                    total[name] += value
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
    # The accounts and e-banking aggregates only.
    queries = _record_aggregates(span, effective_threshold=effective_threshold, kinds=("accounts", "ebanking"))
    accounts, ebanking = queries["accounts"], queries["ebanking"]
    counts: dict[int, dict] = {}
    for row in [*accounts, *ebanking]:
        staff_id = row.pop("staff_id")
        counts.setdefault(staff_id, dict.fromkeys(MONTH_TO_DATE_COLUMNS, 0)).update(row)
    return counts


def _whole_months(first: datetime.date, last: datetime.date):
    """The calendar months lying wholly inside first..last, and the spans of days outside them."""
    whole, partial = [], []
    month = first.replace(day=1)
    while month <= last:
        start, end, _days = month_bounds(month)
        if start >= first and end <= last:
            whole.append(start)
        else:
            partial.append((max(start, first), min(end, last)))
        month = end + datetime.timedelta(days=1)
    return whole, partial


def last_imports() -> dict[str, ImportBatch]:
    """The latest successful import of each kind, for the dashboard: one query."""
    latest = ImportBatch.objects.filter(outcome=ImportBatch.Outcome.IMPORTED).values("kind").annotate(last_id=Max("id"))
    return {batch.kind: batch for batch in ImportBatch.objects.filter(pk__in=latest.values("last_id")).order_by()}


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
