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
from django.utils.translation import gettext as _

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

    def __init__(
        self,
        spec: KindSpec,
        cells: dict[str, pd.Series],
        numbers: np.ndarray,
        headers: dict[str, str] | None = None,
    ):
        self.spec = spec
        # Each column as the file named it: messages name it so ("评分", not "rating").
        self.headers = headers or {}
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

    def label(self, name: str) -> str:
        """The column `name` as the file named it; a column the file does not have, in the
        file's language (its Chinese name when the file's header is Chinese)."""
        if name in self.headers:
            return self.headers[name]
        column = self.columns.get(name)
        return column_label(column, self.headers, self.columns) if column else name

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
                self.flag(~filled, name, _("为空；此列必须填写"))
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
        texts = np.concatenate([m for _column, m in messages])
        sequence = np.lexsort((np.arange(len(row_numbers)), column_ranks, row_numbers))[:limit]
        return [RowError(int(row_numbers[i]), self.label(names[i]), str(texts[i])) for i in sequence.tolist()]


def _is_chinese_header(headers: dict[str, str], columns: dict[str, Column]) -> bool:
    return any(text == columns[name].chinese for name, text in headers.items() if name in columns)


def column_label(column: Column, headers: dict[str, str], columns: dict[str, Column]) -> str:
    """A column the file does not name: by its Chinese name when the file's header is Chinese."""
    return column.chinese if _is_chinese_header(headers, columns) else column.name


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
    headers: dict[str, str] = {}
    for i, raw in enumerate(table.header):
        column = column_of(raw)
        if column:
            positions.setdefault(column.name, []).append(i)
            headers.setdefault(column.name, str(raw).strip().lstrip("\ufeff").strip())
    columns = {column.name: column for column in spec.columns}
    errors = []
    for column in spec.columns:
        found = positions.get(column.name, [])
        if column.required and not found:
            errors.append(
                RowError(
                    1,
                    column_label(column, headers, columns),
                    _("缺少必填列「%(chinese)s」（%(name)s）") % {"chinese": column.chinese, "name": column.name},
                )
            )
        if len(found) > 1:
            places = _("、").join(str(i + 1) for i in found)
            errors.append(
                RowError(1, headers[column.name], _("此列出现了不止一次（第 %(places)s 列）") % {"places": places})
            )
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
        errors.append(RowError(1, "-", _("文件只有表头，没有数据行")))
    if errors:
        raise FileRejected(errors)
    if not filled.all():
        cells = {name: series[filled].reset_index(drop=True) for name, series in cells.items()}
        too_long = {name: long[filled].reset_index(drop=True) for name, long in too_long.items()}
    rows = Rows(spec, cells, table.numbers[filled], headers)
    for name, long in too_long.items():
        rows.flag(long, name, _("超过 %(limit)d 个字符") % {"limit": MAX_CELL_CHARS})
        rows.too_long[name] = long.to_numpy(dtype=bool)
    for number, expected, saw in table.long_rows:
        message = _("这一行有 %(saw)d 个单元格，但表头只有 %(expected)d 列") % {"saw": saw, "expected": expected}
        rows._errors.append((np.array([number]), "-", message))
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


def flag_repeated(rows: Rows, keys: pd.Series, column: str, *, what: str = "%(value)s") -> None:
    """Flags every row whose key (text, None when the row has none) already appeared higher up
    in the file, naming that row: "<what> appears twice in this file (first at row N)", where
    `what` (translated) holds the key as %(value)s, e.g. _("流水号 %(value)s")."""
    filled = keys.notna()
    repeated = keys.duplicated(keep="first") & filled
    if repeated.any():
        numbers = pd.Series(rows.numbers, index=rows.index)[filled]
        first_row = numbers.groupby(keys[filled], sort=False).transform("first")
        template = _("%(what)s 在本文件中出现了两次（首次在第 %(first)s 行）")
        messages = [
            template % {"what": what % {"value": key}, "first": first}
            for key, first in zip(keys[repeated].astype(str), first_row[repeated].astype(str), strict=True)
        ]
        rows.flag(repeated, column, pd.Series(messages, index=keys[repeated].index, dtype=object))


def history_source(batch) -> str:
    """What the history of a change made by this import names as its source. A batch sent
    through the API is named after its client ("api:NAME"), so the history says who sent it."""
    if batch.filename.startswith("api:"):
        return f"{batch.filename} #{batch.pk}"[:100]
    return f"import #{batch.pk}"


def finalized_message(month: datetime.date) -> str:
    return _("%(month)s 已定稿；请先重开该月") % {"month": f"{month:%Y-%m}"}
