"""Reads of the facts that other apps may use: above all the actuals of a month (SCORING.md §1)."""

import calendar
import datetime
from decimal import Decimal

import pandas as pd
from django.db.models import Count, F, IntegerField, Max, Q, QuerySet, Sum
from django.db.models.expressions import Func
from django.http import Http404

from metrics.models import RECORD_MODELS, AccountOpening, Deposit, EbankingSale, Feedback, ImportBatch
from staff.selectors import scoped_for_user

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


def month_bounds(month: datetime.date) -> tuple[datetime.date, datetime.date, int]:
    first = month.replace(day=1)
    days = calendar.monthrange(first.year, first.month)[1]
    return first, first.replace(day=days), days


def actuals(*, month: datetime.date, effective_threshold: Decimal) -> pd.DataFrame:
    """Per staff member, what they did in the month: one aggregate query per kind of record.

    `deposits` is the month's daily-average contribution Σ amount × (D − d + 1) / D in 万元;
    `deposits_total` the plain sum in 万元 (SCORING.md §1).
    """
    first, last, days = month_bounds(month)
    in_month = Q(date__gte=first, date__lte=last)

    accounts = (
        AccountOpening.objects.filter(in_month)
        .values("staff_id")
        .annotate(
            accounts=Count("id"),
            effective=Count("id", filter=Q(avg_assets__gte=effective_threshold)),
        )
    )
    ebanking = EbankingSale.objects.filter(in_month, activated=True).values("staff_id").annotate(ebanking=Count("id"))
    deposits = (
        Deposit.objects.filter(in_month)
        .values("staff_id")
        .annotate(
            weighted=Sum(F("amount") * (days + 1 - DayOfMonth("date"))),
            total=Sum("amount"),
        )
    )
    feedback = (
        Feedback.objects.filter(in_month)
        .values("staff_id")
        .annotate(
            ratings=Count("id", filter=Q(kind="rating")),
            ratings_good=Count("id", filter=Q(kind="rating", rating__gte=4)),
            inspections=Count("id", filter=Q(kind="inspection")),
            inspection_sum=Sum("score", filter=Q(kind="inspection")),
            praise=Count("id", filter=Q(kind="praise")),
            complaints=Count("id", filter=Q(kind="complaint", upheld=True, severity="normal")),
            major_complaints=Count("id", filter=Q(kind="complaint", upheld=True, severity="major")),
        )
    )

    frames = [pd.DataFrame.from_records(list(query)) for query in (accounts, ebanking, deposits, feedback)]
    frames = [frame.set_index("staff_id") for frame in frames if not frame.empty]
    if not frames:
        return pd.DataFrame(columns=ACTUAL_COLUMNS)
    table = pd.concat(frames, axis=1)
    for column in (
        "accounts",
        "effective",
        "ebanking",
        "ratings",
        "ratings_good",
        "inspections",
        "praise",
        "complaints",
        "major_complaints",
    ):
        table[column] = table[column].fillna(0).astype("int64") if column in table else 0
    for column in ("weighted", "total", "inspection_sum"):
        table[column] = table[column].astype("float64") if column in table else float("nan")
    table["deposits"] = table["weighted"].fillna(0.0) / days / 10000.0
    table["deposits_total"] = table["total"].fillna(0.0) / 10000.0
    table["mystery"] = table["inspection_sum"] / table["inspections"].where(table["inspections"] > 0)
    return table.reset_index()[ACTUAL_COLUMNS]


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
    """Records of one kind a sign-in may see: HR all, a branch head their subtree, a lobby manager
    their own (a lobby manager never sees another's complaints). Unknown kind → 404."""
    if kind not in RECORD_MODELS:
        raise Http404(kind)
    query = RECORD_MODELS[kind].objects.select_related("staff")
    return scoped_for_user(query, user=user, path_field="staff__branch__path", staff_field="staff_id")
