"""Month summaries (`MonthSummary`): kept equal to the records, and checked against them.

Every write of records — an import (`metrics.importers`, --update included) or a hand addition
or correction (`metrics.services.record_save`) — calls `summaries_refresh` inside its own
transaction with the (staff member, date) pairs it touched. The touched rows are counted again
from the records with the grouped queries of `metrics.selectors` (never by adding to what is
stored, which could drift) and written with one upsert. `summaries_check` rebuilds a month from
the records and lists every difference; `check_summaries YYYY-MM` runs it.

Concurrency: two imports touching the same (staff member, month) must not lose an update. Each
refresh first takes a lock per month, held to the end of its transaction: on PostgreSQL an
advisory transaction lock, on SQLite the database's one write lock, which the writing
transaction already holds. A refresh that waited therefore counts the records the other
transaction committed, and the last writer's count includes both.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction

from core.bulk import in_size, server_bound_cursor
from metrics.models import MonthSummary
from metrics.selectors import COUNT_COLUMNS, SUMMARY_COLUMNS, summary_rows

# Which summary columns each kind of record feeds.
KIND_COLUMNS = {
    "accounts": ("accounts", "effective"),
    "ebanking": ("ebanking",),
    "deposits": ("deposits_weighted", "deposits_total"),
    "feedback": (
        "ratings",
        "ratings_good",
        "inspections",
        "inspection_sum",
        "praise",
        "complaints",
        "major_complaints",
    ),
}
ZERO = {name: 0 if name in COUNT_COLUMNS else Decimal("0.00") for name in SUMMARY_COLUMNS}
# The advisory lock's first key, so that it cannot meet another use of advisory locks.
LOCK_NAMESPACE = 15_2026


def summaries_refresh(*, kind: str, pairs: Iterable[tuple[int, datetime.date]]) -> None:
    """Counts the `kind` columns of the summaries of the (staff id, any day of the month) pairs
    again from the records and writes them. Call it inside the transaction that wrote the
    records, after writing them; pass both the old and the new pair of a record that moved."""
    by_month: dict[datetime.date, set[int]] = defaultdict(set)
    for staff_id, day in pairs:
        by_month[day.replace(day=1)].add(int(staff_id))
    if not by_month:
        return
    with transaction.atomic():
        months = sorted(by_month)
        _lock(months)
        for month in months:
            _refresh_month(month, by_month[month], kinds=(kind,))


def _lock(months: list[datetime.date]) -> None:
    """One lock per month, in month order so two refreshes never wait on each other in a ring."""
    if connection.vendor != "postgresql":
        return  # SQLite: the writing transaction already holds the database's only write lock
    with connection.cursor() as cursor:
        for month in months:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, month.year * 100 + month.month])


def _refresh_month(month: datetime.date, staff_ids: set[int], *, kinds: tuple[str, ...]) -> None:
    columns = [name for kind in kinds for name in KIND_COLUMNS[kind]]
    # Many staff members: one grouped query over the month reads the records once, where an
    # IN list of thousands would not be quicker and may pass SQLite's limit of parameters.
    # Only the touched rows are written, even when the whole month was read: the others' records
    # did not change, and rewriting every row of a busy month (20,000 managers) for a batch
    # that touched 8,000 of them cost PostgreSQL as much again.
    whole = len(staff_ids) > in_size()
    counted = summary_rows(month=month, staff_ids=None if whole else sorted(staff_ids), kinds=kinds)
    _upsert(month, {pk: counted.get(pk, {}) for pk in sorted(staff_ids)}, columns)
    # Somebody with nothing left in the month has no row, as the rebuild has none.
    empty = MonthSummary.objects.filter(month=month, **{name: 0 for name in SUMMARY_COLUMNS})
    if not whole:
        empty = empty.filter(staff_id__in=sorted(staff_ids))
    empty.delete()


def _upsert(month: datetime.date, rows: dict[int, dict], columns: list[str]) -> None:
    """Writes `columns` of the month's summary of each staff id in `rows` (zeros where a row
    lacks one), making the rows that are missing, with INSERT … ON CONFLICT DO UPDATE.

    PostgreSQL: one statement for all of them, the rows passed as one array per column and
    unnested by the server — run as one INSERT per row (executemany) it was 2.1 s of a 10,000-row
    API batch's 3.6 s for the 7,900 managers the batch touched (docs/benchmarks.md, "API").
    SQLite: one INSERT run over all of them (executemany), which costs no round trips there."""
    if not rows:
        return
    quote = connection.ops.quote_name
    names = ["month", "staff_id", *SUMMARY_COLUMNS]
    table = quote(MonthSummary._meta.db_table)
    assignments = ", ".join(f"{quote(name)} = excluded.{quote(name)}" for name in columns)
    conflict = f"ON CONFLICT ({quote('month')}, {quote('staff_id')}) DO UPDATE SET {assignments}"
    prepared = {name: _db_value(name) for name in SUMMARY_COLUMNS}
    if connection.vendor == "postgresql":
        arrays = [f"%s::{MonthSummary._meta.get_field(name).db_type(connection)}[]" for name in names[1:]]
        sql = (
            f"INSERT INTO {table} ({', '.join(quote(name) for name in names)}) "
            f"SELECT %s::date, * FROM unnest({', '.join(arrays)}) {conflict}"
        )
        values = [[prepared[name](row.get(name, ZERO[name])) for row in rows.values()] for name in SUMMARY_COLUMNS]
        # Bound on the server (the arrays sent as parameters), not spelled into the statement's
        # text as Django's cursor does: half the statement's time was formatting that text.
        with server_bound_cursor() as cursor:
            cursor.execute(sql, [month, list(rows), *values])
        return
    sql = (
        f"INSERT INTO {table} ({', '.join(quote(name) for name in names)}) "
        f"VALUES ({', '.join(['%s'] * len(names))}) {conflict}"
    )
    day = connection.ops.adapt_datefield_value(month)
    with connection.cursor() as cursor:
        cursor.executemany(
            sql,
            [
                (day, staff_id, *(prepared[name](row.get(name, ZERO[name])) for name in SUMMARY_COLUMNS))
                for staff_id, row in rows.items()
            ],
        )


def _db_value(name: str):
    """How a value of the summary column `name` goes to the database (a decimal as its field says)."""
    field = MonthSummary._meta.get_field(name)
    if field.get_internal_type() == "DecimalField":
        return lambda value: connection.ops.adapt_decimalfield_value(value, field.max_digits, field.decimal_places)
    return int


# ─── checking ─────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class SummaryDifference:
    staff_id: int
    column: str
    stored: int | Decimal  # a missing row counts as zeros
    counted: int | Decimal


def summaries_rebuilt(*, month: datetime.date) -> dict[int, dict]:
    """The month's summaries as the records give them, in memory: every staff member with
    anything in the month, every column."""
    return {staff_id: {**ZERO, **row} for staff_id, row in summary_rows(month=month).items()}


def summaries_stored(*, month: datetime.date) -> dict[int, dict]:
    rows = MonthSummary.objects.filter(month=month.replace(day=1)).values("staff_id", *SUMMARY_COLUMNS)
    return {row.pop("staff_id"): row for row in rows}


def summaries_check(*, month: datetime.date) -> list[SummaryDifference]:
    """Every difference between the month's stored summaries and the records, by staff id."""
    rebuilt, stored = summaries_rebuilt(month=month), summaries_stored(month=month)
    differences = []
    for staff_id in sorted(set(rebuilt) | set(stored)):
        old, new = stored.get(staff_id, ZERO), rebuilt.get(staff_id, ZERO)
        differences += [
            SummaryDifference(staff_id, name, old[name], new[name])
            for name in SUMMARY_COLUMNS
            if old[name] != new[name]
        ]
    return differences


@transaction.atomic
def summaries_rebuild(*, month: datetime.date) -> int:
    """Writes the month's summaries afresh from the records; returns how many rows it holds."""
    month = month.replace(day=1)
    _lock([month])
    rebuilt = summaries_rebuilt(month=month)
    MonthSummary.objects.filter(month=month).delete()
    MonthSummary.objects.bulk_create(
        [MonthSummary(month=month, staff_id=staff_id, **row) for staff_id, row in rebuilt.items()], batch_size=5000
    )
    return len(rebuilt)
