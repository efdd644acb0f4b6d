"""Reads of the API: a client by its token, the months it may read, and scorecards as the
values of the §3 export (reports.exports), so a warehouse loads them the same way as the CSV."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db.models import Count, F, QuerySet

from api.models import ApiClient
from api.services import token_hash
from appraisals.models import Period, PeriodStatus, Scorecard
from appraisals.selectors import period_version
from core.cache import version_cached
from reports.exports import SCORECARD_COLUMNS, SCORECARD_VALUES, ScorecardExport, scorecard_row

# Months a client may read: those published to their lobby managers (reviewed) or locked.
PUBLISHED = (PeriodStatus.REVIEWED, PeriodStatus.FINALIZED)

# How each §3 column is typed in JSON; every other column is text, an empty cell is null.
INTEGER_COLUMNS = frozenset(
    {"accounts", "effective", "ebanking", "praise", "complaints", "major_complaints", "rank", "group_size"}
)
BOOLEAN_COLUMNS = frozenset({"veto", "exempt", "probation", "bottom_flag", "case_opened"})
DECIMAL_PLACES = {
    "deposits": 4,
    "satisfaction": 4,
    "percentile": 4,
    "mystery": 2,
    "rolling": 2,
    "base": 2,
    "bonus": 2,
    "deduction": 2,
    "score": 2,
    **{name: 2 for name in SCORECARD_COLUMNS if name.startswith("points_")},
}
EMPLOYEE_NO = SCORECARD_COLUMNS.index("employee_no")
NULLABLE_COLUMNS = frozenset(
    {"mystery", "rank", "percentile", "rolling"} | {n for n in SCORECARD_COLUMNS if n.startswith("points_")}
)


def client_for_token(token: str) -> ApiClient | None:
    """The client that holds this token, revoked or not (the caller tells the two apart)."""
    return ApiClient.objects.filter(token_hash=token_hash(token)).first()


def periods_listed() -> QuerySet[Period]:
    return Period.objects.order_by("-month")


def period_published(month: datetime.date) -> Period | None:
    return Period.objects.filter(month=month, status__in=PUBLISHED).first()


def scorecards_in_order(queryset: QuerySet[Scorecard]) -> QuerySet[Scorecard]:
    """The §3 order, by the database: peer group code, rank with exempt members last, employee number."""
    return queryset.order_by("peer_group__code", F("rank").asc(nulls_last=True), "staff__employee_no")


def _month_filtered(*, period: Period, filters: dict) -> QuerySet[Scorecard]:
    query = Scorecard.objects.filter(period=period)
    if filters.get("peer_group"):
        query = query.filter(peer_group__code=filters["peer_group"])
    if filters.get("branch_code"):
        query = query.filter(branch__code=filters["branch_code"])
    if filters.get("grade"):
        query = query.filter(grade=filters["grade"])
    if filters.get("bottom_flag") is not None:
        query = query.filter(bottom_flag=filters["bottom_flag"])
    return query


def scorecards_of_month(*, period: Period, filters: dict) -> QuerySet[Scorecard]:
    return scorecards_in_order(_month_filtered(period=period, filters=filters))


class MonthScorecards:
    """A published month's scorecards in the §3 order, as a sequence a paginator slices.

    The order is the peer group's code, then rank (exempt members last), then employee number;
    the table's index (period, peer group, rank) already holds it inside each peer group. So a
    page is read from the one or few peer groups it spans, each in its index order, and the
    count is one GROUP BY peer group on that index: no page sorts or counts the whole month
    again, and none loads a model instance (docs/benchmarks.md, "API").
    """

    def __init__(self, *, period: Period, filters: dict):
        self.period = period
        self.filters = filters
        self.query = _month_filtered(period=period, filters=filters).order_by()
        self._groups: list[tuple[int, int]] | None = None

    def groups(self) -> list[tuple[int, int]]:
        """(peer group id, how many scorecards the filters keep there), by the peer group's code.
        Only computing the month changes them (a branch's code names it and never changes), so
        they are counted once per computation and filters (core.cache), not on every page: on
        PostgreSQL the GROUP BY over a 20,000-scorecard month was ~40 ms of each page's time."""
        if self._groups is None:

            def build() -> list[tuple[int, int]]:
                rows = self.query.values("peer_group_id", "peer_group__code").annotate(n=Count("id"))
                return [
                    (row["peer_group_id"], row["n"]) for row in sorted(rows, key=lambda row: row["peer_group__code"])
                ]

            filters = sorted((name, value) for name, value in self.filters.items() if value not in (None, ""))
            self._groups = version_cached(period_version(self.period), "api-month-groups", build, filters)
        return self._groups

    def count(self) -> int:
        return sum(n for _group, n in self.groups())

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key: slice) -> list[dict]:
        if not isinstance(key, slice) or key.step not in (None, 1):
            raise TypeError("MonthScorecards is read a page (a slice) at a time")
        start, stop = key.start or 0, self.count() if key.stop is None else key.stop
        cards, offset = [], 0
        for group_id, n in self.groups():
            if offset >= stop:
                break
            if offset + n > start:
                in_group = self.query.filter(peer_group_id=group_id).order_by(
                    F("rank").asc(nulls_last=True), "staff__employee_no"
                )
                cards += in_group.values(*SCORECARD_VALUES)[max(start - offset, 0) : min(stop - offset, n)]
            offset += n
        label = self.period.label
        return [typed_row(scorecard_row(label, card)) for card in cards]


def scorecards_of_staff(*, employee_no: str) -> QuerySet[Scorecard]:
    """One person's published months, the latest first."""
    return Scorecard.objects.filter(staff__employee_no=employee_no, period__status__in=PUBLISHED).order_by(
        "-period__month"
    )


def _typed(name: str, cell: str):
    if cell == "":
        return None
    if name in INTEGER_COLUMNS:
        return int(cell)
    if name in BOOLEAN_COLUMNS:
        return cell == "true"
    return cell  # text, and decimals as the CSV writes them ("12.50"), so nothing is lost to floats


# For each §3 column: how its text becomes JSON (None: stays text).
_CONVERTERS = [
    (name, int if name in INTEGER_COLUMNS else (lambda cell: cell == "true") if name in BOOLEAN_COLUMNS else None)
    for name in SCORECARD_COLUMNS
]


def typed_row(row: list[str]) -> dict:
    """A §3 row as JSON values: `_typed` for every cell, without a call per cell."""
    return {
        name: None if cell == "" else (convert(cell) if convert else cell)
        for (name, convert), cell in zip(_CONVERTERS, row, strict=True)
    }


def scorecard_results(pks: Iterable[int]) -> list[dict]:
    """The scorecards `pks` as §3 rows with typed values, in the order given. The values come
    from the CSV export itself, one export per month."""
    pks = list(pks)
    where = {
        pk: (period_id, employee_no)
        for pk, period_id, employee_no in Scorecard.objects.filter(pk__in=pks).values_list(
            "pk", "period_id", "staff__employee_no"
        )
    }
    periods = Period.objects.in_bulk({period_id for period_id, _number in where.values()})
    results: dict[tuple[int, str], dict] = {}
    for period in periods.values():
        query = Scorecard.objects.filter(pk__in=pks, period=period)
        for row in ScorecardExport(period=period, queryset=query).rows():
            results[period.pk, row[EMPLOYEE_NO]] = {
                name: _typed(name, cell) for name, cell in zip(SCORECARD_COLUMNS, row, strict=True)
            }
    return [results[where[pk]] for pk in pks]
