"""Kinds of import file: a `KindSpec` is a kind's columns and a `prepare(rows, context)`
function that checks everything and returns a `Plan` (the counts, and a `write(batch)` that
does the writing). `metrics.services.import_file` runs it: read → map header → prepare → if
any row was flagged, reject the whole file; otherwise write the plan in one transaction.

Each app declares its kinds in its own `importers.py` and registers them from
AppConfig.ready():

    from core.imports.kinds import KindSpec, register
    register(KindSpec(name="targets", label="目标", columns=(...), prepare=prepare_targets))

Inside `prepare`, read cells with `rows.value(name)` (parsed, with bad cells already flagged)
or `rows.text(name)`, flag bad rows with `rows.flag(mask, column, message)`, and do nothing
that writes: `prepare` also serves the dry run.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.imports.cells import Column, stripped, text_lengths
from core.imports.errors import FileRejected, RowError
from core.imports.files import Table

# An answer lists the first errors, then how many there are in all (CONTRACT.md §1); the
# ImportBatch keeps the same list.
LISTED_ERRORS = 100
# No cell of a table a person makes is longer; a longer one is a bad cell, and only its start
# is read any further.
MAX_CELL_CHARS = 1000
IMPORT_REASON = "import"  # the reason history gives for changes an import makes
UPDATE_REASON = "import --update"


# ─── rows of a kind ───────────────────────────────────────────────────────────────────────


class Rows:
    """The data rows of a file, by English column name, with the errors found so far."""

    def __init__(self, spec: KindSpec, cells: dict[str, pd.Series], numbers: np.ndarray):
        self.spec = spec
        self.columns = {column.name: column for column in spec.columns}
        self._cells = cells
        self.numbers = numbers
        self.bad = np.zeros(len(numbers), dtype=bool)
        # (file row numbers, column, one message or one per row)
        self._errors: list[tuple[np.ndarray, str, Any]] = []
        self.skipped = 0  # rows the reader could not split into the header's columns
        self._values: dict[str, pd.Series] = {}
        self.too_long: dict[str, np.ndarray] = {}  # cells already flagged as too long, by column
        self.index = pd.RangeIndex(len(numbers))

    def __len__(self) -> int:
        return len(self.numbers)

    def has(self, name: str) -> bool:
        return name in self._cells

    def text(self, name: str) -> pd.Series:
        """Trimmed text of a column; "" for empty cells and for a column the file does not have."""
        if name in self._cells:
            return self._cells[name]
        return pd.Series("", index=self.index, dtype=object)

    def value(self, name: str) -> pd.Series:
        """Parsed values of a column, None where empty or bad; bad cells are flagged once."""
        if name not in self._values:
            column = self.columns[name]
            cells = self.text(name)
            values = np.full(len(self), None, dtype=object)
            filled = cells != ""
            readable = filled & ~self.too_long[name] if name in self.too_long else filled
            if readable.any():
                parsed, messages = column.type.parse(cells[readable])
                values[readable.to_numpy()] = parsed.to_numpy(dtype=object)
                self.flag(messages != "", name, messages)
            if column.required:
                self.flag(~filled, name, "is empty; a value is required")
            self._values[name] = pd.Series(values, index=self.index)
        return self._values[name]

    def flag(self, mask, column: str, message: str | pd.Series) -> None:
        """Records an error on every row where `mask` is true. `message` is one text for all,
        or a Series aligned with the rows (only the flagged entries are read)."""
        if isinstance(mask, pd.Series):
            mask = mask.reindex(self.index, fill_value=False).to_numpy(dtype=bool)
        else:
            mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return
        positions = np.flatnonzero(mask)
        if isinstance(message, pd.Series):
            message = message.reindex(self.index).to_numpy(dtype=object)[positions]
        self._errors.append((self.numbers[positions], column, message))
        self.bad[positions] = True

    def flag_at(self, position: int, column: str, message: str) -> None:
        """Records an error on one row, by its position among the data rows (0-based)."""
        self._errors.append((self.numbers[[position]], column, message))
        self.bad[position] = True

    @property
    def has_errors(self) -> bool:
        return bool(self._errors)

    def error_count(self) -> int:
        return sum(len(numbers) for numbers, _column, _message in self._errors)

    def errors(self, limit: int | None = None) -> list[RowError]:
        """The errors (the first `limit` of them), ordered by row and then by the column's
        place in the file kind."""
        if not self._errors:
            return []
        order = {column.name: i for i, column in enumerate(self.spec.columns)}
        rows, columns, messages = [], [], []
        for numbers, column, message in self._errors:
            rows.append(numbers)
            columns.append(np.full(len(numbers), order.get(column, -1)))
            if isinstance(message, str):
                message = np.full(len(numbers), message, dtype=object)
            messages.append((column, message))
        row_numbers = np.concatenate(rows)
        column_ranks = np.concatenate(columns)
        names = np.concatenate([np.full(len(m), c, dtype=object) for c, m in messages])
        texts = np.concatenate([m for _, m in messages])
        sequence = np.lexsort((np.arange(len(row_numbers)), column_ranks, row_numbers))[:limit]
        return [RowError(int(row_numbers[i]), names[i], str(texts[i])) for i in sequence.tolist()]


def _columns_by_header(spec: KindSpec) -> Callable[[str], Column | None]:
    """The kind's column a header cell names: English names case-insensitive, Chinese names
    exact, both trimmed; None for a column the kind does not know."""
    by_header = {}
    for column in spec.columns:
        by_header[column.name.lower()] = column
        by_header[column.chinese] = column

    def column_of(raw) -> Column | None:
        name = str(raw).strip().lstrip("\ufeff").strip()
        return by_header.get(name) or by_header.get(name.lower())

    return column_of


def header_filter(spec: KindSpec) -> Callable[[str], bool]:
    """Which columns of a file `read_table` needs to read for this kind."""
    column_of = _columns_by_header(spec)
    return lambda raw: column_of(raw) is not None


def rows_from_table(table: Table, spec: KindSpec) -> Rows:
    """Maps the header to the kind's columns (unknown columns ignored) and keeps the rows that
    hold anything."""
    column_of = _columns_by_header(spec)
    positions: dict[str, list[int]] = {}
    for i, raw in enumerate(table.header):
        column = column_of(raw)
        if column:
            positions.setdefault(column.name, []).append(i)
    errors = []
    for column in spec.columns:
        found = positions.get(column.name, [])
        if column.required and not found:
            errors.append(RowError(1, column.name, f"required column is missing ({column.chinese})"))
        if len(found) > 1:
            places = " and ".join(str(i + 1) for i in found)
            errors.append(RowError(1, column.name, f"the column appears more than once (columns {places})"))
    cells = {name: stripped(table.cells[found[0]]) for name, found in positions.items()}
    too_long = {}
    for name, series in cells.items():
        long = text_lengths(series) > MAX_CELL_CHARS
        if long.any():
            too_long[name] = long
            cells[name] = series.where(~long, series.str[:MAX_CELL_CHARS])
    filled = np.zeros(len(table.numbers), dtype=bool)
    for series in cells.values():
        filled |= (series != "").to_numpy()
    if not filled.any() and not table.long_rows and not (table.cells != "").to_numpy().any():
        errors.append(RowError(1, "-", "the file has a header but no data rows"))
    if errors:
        raise FileRejected(errors)
    if not filled.all():
        cells = {name: series[filled].reset_index(drop=True) for name, series in cells.items()}
        too_long = {name: long[filled].reset_index(drop=True) for name, long in too_long.items()}
    rows = Rows(spec, cells, table.numbers[filled])
    for name, long in too_long.items():
        rows.flag(long, name, f"is longer than {MAX_CELL_CHARS} characters")
        rows.too_long[name] = long.to_numpy(dtype=bool)
    for number, expected, saw in table.long_rows:
        rows._errors.append((np.array([number]), "-", f"the row has {saw} cells but the header has {expected}"))
    rows.skipped = len(table.long_rows)
    return rows


# ─── kinds, plans and the run ─────────────────────────────────────────────────────────────


@dataclass
class ImportContext:
    kind: str
    today: datetime.date
    update: bool = False
    dry_run: bool = False
    user: Any = None
    # Months closed to changes (finalized), read by the run so that a kind of file in any
    # app can refuse rows that fall in them without knowing where locks are kept.
    locked_months: frozenset[datetime.date] = frozenset()


@dataclass
class Plan:
    """What an import would do: the counts, and the writing, run only when every row is good."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    write: Callable[[Any], None] = lambda batch: None  # given the ImportBatch being written


@dataclass(frozen=True)
class KindSpec:
    """A kind of import file: its columns, and `prepare(rows, context) -> Plan`."""

    name: str
    label: str
    columns: tuple[Column, ...]
    prepare: Callable[[Rows, ImportContext], Plan]


KINDS: dict[str, KindSpec] = {}


def register(kind_spec: KindSpec) -> None:
    """Adds (or replaces) a kind of file; call it from AppConfig.ready()."""
    KINDS[kind_spec.name] = kind_spec


def flag_repeated(rows: Rows, keys: pd.Series, column: str, *, prefix: str = "") -> None:
    """Flags every row whose key (text, None when the row has none) already appeared higher up
    in the file, naming that row: "<prefix><key> appears twice in this file (first at row N)"."""
    filled = keys.notna()
    repeated = keys.duplicated(keep="first") & filled
    if repeated.any():
        numbers = pd.Series(rows.numbers, index=rows.index)[filled]
        first_row = numbers.groupby(keys[filled], sort=False).transform("first")
        rows.flag(
            repeated,
            column,
            prefix
            + keys[repeated].astype(str)
            + " appears twice in this file (first at row "
            + first_row[repeated].astype(str)
            + ")",
        )


def history_source(batch) -> str:
    """What the history of a change made by this import names as its source. A batch sent
    through the API is named after its client ("api:NAME"), so the history says who sent it."""
    if batch.filename.startswith("api:"):
        return f"{batch.filename} #{batch.pk}"[:100]
    return f"import #{batch.pk}"


def finalized_message(month: datetime.date) -> str:
    return f"month {month:%Y-%m} is finalized; reopen it first"
