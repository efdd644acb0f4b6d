"""The machinery every import shares (CONTRACT.md §1): reading a file, mapping its header,
parsing cells, collecting row errors, and the all-or-nothing run.

A kind of file is a `KindSpec`: its columns and a `prepare(rows, context)` function that
checks everything and returns a `Plan` (the counts, and a `write(batch)` that does the
writing). `import_file` runs it: read → map header → prepare → if any row was flagged,
reject the whole file; otherwise write the plan in one transaction. Every run is recorded
as an `ImportBatch`, rejected and dry runs included.

Another app adds a kind from its AppConfig.ready():

    from metrics.importers import Column, KindSpec, Plan, register
    register(KindSpec(name="targets", label="目标", columns=(...), prepare=prepare_targets))

Inside `prepare`, read cells with `rows.value(name)` (parsed, with bad cells already flagged)
or `rows.text(name)`, flag bad rows with `rows.flag(mask, column, message)`, and do nothing
that writes: `prepare` also serves the dry run.
"""

from __future__ import annotations

import codecs
import datetime
import hashlib
import io
import re
import time
import warnings
import zoneinfo
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd
from django.conf import settings
from django.db import IntegrityError, connection, models, transaction
from django.db.models import TextChoices
from django.utils import timezone, translation

from metrics.models import ImportBatch, MonthLock

# ImportBatch keeps the first errors; the result object has them all.
STORED_ERRORS = 1000
IMPORT_REASON = "import"  # the reason history gives for changes an import makes
UPDATE_REASON = "import --update"


# ─── results ──────────────────────────────────────────────────────────────────────────────


@dataclass(frozen=True)
class RowError:
    """One bad cell or row: `row` counts the header as row 1; `column` is the English name,
    or "-" when the problem is the whole row or file."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.message}"

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


@dataclass
class ImportResult:
    kind: str
    rows: int
    created: int
    updated: int
    unchanged: int
    errors: list[RowError]
    batch_id: int
    seconds: float
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def summary(self) -> str:
        return f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}"


class FileRejected(Exception):
    """The file as a whole cannot be read (empty, not CSV/XLSX, a required column missing)."""

    def __init__(self, errors: list[RowError]):
        super().__init__("; ".join(str(error) for error in errors))
        self.errors = errors


# ─── value types: how a cell's text becomes a value ────────────────────────────────────────


def or_default(values: pd.Series, default) -> pd.Series:
    """`values` with `default` where a value is missing (fillna without pandas' downcasting)."""
    return pd.Series(np.where(values.notna(), values, default), index=values.index, dtype=object)


def map_unique(values: pd.Series, function: Callable[[Any], Any]) -> pd.Series:
    """`values.map(function)`, calling `function` once per distinct value."""
    codes, uniques = pd.factorize(values, sort=False)
    answers = np.empty(len(uniques) + 1, dtype=object)
    for i, value in enumerate(uniques):
        answers[i] = function(value)
    answers[-1] = None  # code -1: a missing value
    return pd.Series(answers[codes], index=values.index)


def parse_unique(cells: pd.Series, parse_one: Callable[[str], tuple[Any, str]]) -> tuple[pd.Series, pd.Series]:
    """Parses each distinct text once (dates, codes and choices repeat a lot) and spreads the
    answers back over the rows. `parse_one` returns (value, message); message "" when fine."""
    codes, uniques = pd.factorize(cells, sort=False)
    values = np.empty(len(uniques), dtype=object)
    messages = np.empty(len(uniques), dtype=object)
    for i, text in enumerate(uniques):
        values[i], messages[i] = parse_one(text)
    return pd.Series(values[codes], index=cells.index), pd.Series(messages[codes], index=cells.index)


class Text:
    """Any text, trimmed; optionally at most `max_length` characters."""

    hint = "text"

    def __init__(self, max_length: int | None = None):
        self.max_length = max_length

    def parse(self, cells: pd.Series) -> tuple[pd.Series, pd.Series]:
        messages = pd.Series("", index=cells.index, dtype=object)
        if self.max_length:
            too_long = cells.str.len() > self.max_length
            if too_long.any():
                messages[too_long] = f"is longer than {self.max_length} characters: " + cells[too_long]
        return cells, messages


_DATE = re.compile(r"(\d{4})([-/])(\d{1,2})\2(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")


def parse_date_text(text: str) -> tuple[datetime.date | None, str]:
    match = _DATE.fullmatch(text)
    if not match:
        return None, f"{text} is not a date (write YYYY-MM-DD, e.g. 2026-03-31)"
    try:
        return datetime.date(int(match[1]), int(match[3]), int(match[4])), ""
    except ValueError:
        return None, f"{text} is not a real date"


class Date:
    """YYYY-MM-DD or YYYY/MM/DD (an XLSX date cell arrives as YYYY-MM-DD); values are dates."""

    hint = "YYYY-MM-DD"

    def parse(self, cells):
        return parse_unique(cells, parse_date_text)


_MONTH = re.compile(r"(\d{4})[-/](\d{1,2})")


def _parse_month_text(text: str) -> tuple[datetime.date | None, str]:
    match = _MONTH.fullmatch(text)
    if not match or not 1 <= int(match[2]) <= 12:
        return None, f"{text} is not a month (write YYYY-MM, e.g. 2026-03)"
    return datetime.date(int(match[1]), int(match[2]), 1), ""


class Month:
    """YYYY-MM; values are the first day of the month."""

    hint = "YYYY-MM"

    def parse(self, cells):
        return parse_unique(cells, _parse_month_text)


def _decimal_texts(cells: pd.Series, *, places: int, thousands: bool) -> tuple[pd.Series, ...]:
    """Vectorised: canonical text with exactly `places` decimals (None when not a number),
    is_number, is_negative, too_precise, and the number of digits before the point.

    The canonical text ("1234.50") is what is stored and what stored values are compared to,
    so "1,234.5" and a stored Decimal("1234.50") are the same content."""
    # Most exports already write the canonical form; only the other cells take the long way.
    canonical_form = cells.str.fullmatch(rf"(?:0|[1-9]\d*)\.\d{{{places}}}" if places else r"0|[1-9]\d*")
    canonical = cells.where(canonical_form, None).astype(object)
    is_number = canonical_form.copy()
    is_negative = pd.Series(False, index=cells.index)
    too_precise = pd.Series(False, index=cells.index)
    digits = cells.str.len() - (places + 1 if places else 0)
    rest = cells[~canonical_form]
    if len(rest):
        integer = r"(?:\d{1,3}(?:,\d{3})+|\d+)" if thousands else r"\d+"
        number = rf"{integer}(?:\.\d*)?|\.\d+"
        unsigned = rest.str.lstrip("+")
        rest_number = unsigned.str.fullmatch(number)
        is_negative[rest.index] = ~rest_number & rest.str.startswith("-") & rest.str[1:].str.fullmatch(number)
        plain = unsigned.str.replace(",", "", regex=False) if thousands else unsigned
        parts = plain.str.partition(".")
        whole = parts[0].str.lstrip("0").replace("", "0")
        fraction = parts[2].str.rstrip("0")
        rest_too_precise = rest_number & (fraction.str.len() > places)
        text = (whole + "." + fraction.str.ljust(places, "0")) if places else whole
        is_number[rest.index] = rest_number
        too_precise[rest.index] = rest_too_precise
        canonical[rest.index] = text.where(rest_number & ~rest_too_precise, None)
        digits[rest.index] = whole.str.len()
    return canonical, is_number, is_negative, too_precise, digits


class Amount:
    """Yuan with up to 2 decimals, thousands separators allowed (1,234.50); never negative.
    Values are canonical texts such as "1234.50" (exact, unlike floats; stored as Decimal)."""

    hint = "1,234.50"

    def __init__(self, max_digits: int = 18):
        self.max_whole_digits = max_digits - 2

    def parse(self, cells):
        canonical, is_number, is_negative, too_precise, whole_digits = _decimal_texts(cells, places=2, thousands=True)
        messages = pd.Series("", index=cells.index, dtype=object)
        bad = ~is_number & ~is_negative
        messages[bad] = cells[bad] + " is not an amount (yuan with up to 2 decimals, e.g. 1,234.50)"
        messages[is_negative] = cells[is_negative] + " is negative; amounts cannot be negative"
        messages[too_precise] = cells[too_precise] + " has more than 2 decimals"
        too_large = is_number & ~too_precise & (whole_digits > self.max_whole_digits)
        messages[too_large] = cells[too_large] + " is too large"
        return canonical.where(messages == "", None), messages


class Number:
    """A decimal number between `minimum` and `maximum` with up to `places` decimals
    (a score 0–100). Values are canonical texts such as "92.50"."""

    def __init__(self, minimum: int, maximum: int, places: int = 2):
        self.minimum, self.maximum, self.places = minimum, maximum, places
        self.hint = f"{minimum}–{maximum}, up to {places} decimals"

    def parse(self, cells):
        canonical, is_number, is_negative, too_precise, _ = _decimal_texts(cells, places=self.places, thousands=False)
        messages = pd.Series("", index=cells.index, dtype=object)
        range_text = f"must be a number from {self.minimum} to {self.maximum}"
        bad = ~is_number & ~is_negative
        messages[bad] = cells[bad] + f" is not a number; it {range_text}"
        valid = (is_number & ~too_precise).astype(bool)
        # Compare as floats where the text is a plain number; NaN elsewhere compares False.
        as_float = pd.to_numeric(canonical.where(valid), errors="coerce").astype(float)
        in_range = (as_float >= self.minimum) & (as_float <= self.maximum)
        out_of_range = (valid & ~in_range) | is_negative
        messages[out_of_range] = cells[out_of_range] + f" is out of range; it {range_text}"
        messages[too_precise] = cells[too_precise] + f" has more than {self.places} decimals"
        return canonical.where(messages == "", None), messages


class WholeNumber:
    """A whole number between `minimum` and `maximum` (a rating 1–5); values are ints."""

    def __init__(self, minimum: int, maximum: int):
        self.minimum, self.maximum = minimum, maximum
        self.hint = f"a whole number {minimum}–{maximum}"

    def _parse_one(self, text: str) -> tuple[int | None, str]:
        match = re.fullmatch(r"[+]?(\d+)(?:\.0*)?", text)
        if not match or not self.minimum <= int(match[1]) <= self.maximum:
            return (
                None,
                f"{text} is not allowed; it must be a whole number from {self.minimum} to {self.maximum}",
            )
        return int(match[1]), ""

    def parse(self, cells):
        return parse_unique(cells, self._parse_one)


_TRUE = {"true", "1", "是", "yes", "y"}
_FALSE = {"false", "0", "否", "no", "n"}


def _parse_boolean_text(text: str) -> tuple[bool | None, str]:
    lowered = text.lower()
    if lowered in _TRUE:
        return True, ""
    if lowered in _FALSE:
        return False, ""
    return None, f"{text} is not a yes/no value (write true/false, 1/0 or 是/否)"


class Boolean:
    """true/false, 1/0 or 是/否 (case-insensitive); values are bools."""

    hint = "true/false, 1/0, 是/否"

    def parse(self, cells):
        return parse_unique(cells, _parse_boolean_text)


class Choice:
    """The English code or the Chinese label of a TextChoices (the English label works too);
    values are codes."""

    def __init__(self, choices: type[TextChoices]):
        self.choices = choices

    def labels(self) -> list[tuple[str, str]]:
        with translation.override("zh-hans"):
            return [(code, str(label)) for code, label in self.choices.choices]

    @property
    def hint(self) -> str:
        return ", ".join(f"{code} ({label})" for code, label in self.labels())

    def _lookup(self) -> dict[str, str]:
        lookup = {}
        with translation.override("en"):
            lookup.update({str(label).lower(): code for code, label in self.choices.choices})
        lookup.update({label.lower(): code for code, label in self.labels()})
        lookup.update({code.lower(): code for code in self.choices.values})
        return lookup

    def parse(self, cells):
        lookup = self._lookup()
        allowed = self.hint

        def parse_one(text: str):
            code = lookup.get(text.lower())
            return (code, "") if code else (None, f"{text} is not one of the allowed values: {allowed}")

        return parse_unique(cells, parse_one)


ValueType = Text | Date | Month | Amount | Number | WholeNumber | Boolean | Choice


@dataclass(frozen=True)
class Column:
    """A column of an import file. `required`: the column must be there and no cell empty."""

    name: str
    chinese: str
    type: ValueType = field(default_factory=Text)
    required: bool = False


# ─── reading a file ───────────────────────────────────────────────────────────────────────


@dataclass
class Table:
    header: list[str]
    cells: pd.DataFrame  # positional columns, every cell text
    numbers: np.ndarray  # the file row of each data row (the header is row 1)
    long_rows: list[tuple[int, int, int]] = field(default_factory=list)  # (row, expected, saw)


_SIGNATURES = [
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\xd0\xcf\x11\xe0", "an old-style Excel (.xls) or password-protected Office file"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"Rar!", "a RAR archive"),
    (b"7z\xbc\xaf", "a 7-Zip archive"),
    (b"\xff\xfe", "UTF-16 text"),
    (b"\xfe\xff", "UTF-16 text"),
]
_NOT_READABLE = "the file is neither CSV (UTF-8 or GB18030) nor XLSX"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _whole_file_error(message: str) -> FileRejected:
    return FileRejected([RowError(1, "-", message)])


def read_table(data: bytes, filename: str = "") -> Table:
    """Reads CSV or the first sheet of an XLSX, every cell as text; refuses anything else."""
    if not data.strip():
        raise _whole_file_error("the file is empty")
    if data[:4] == b"PK\x03\x04":
        return _read_xlsx(data)
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise _whole_file_error(f"{_NOT_READABLE}: it is named .xlsx but is not an Excel workbook")
    for signature, what in _SIGNATURES:
        if data.startswith(signature):
            raise _whole_file_error(f"{_NOT_READABLE}: it looks like {what}; save it as .xlsx or CSV")
    return _read_csv(data)


def _encoding_of(data: bytes) -> str:
    """utf-8-sig first, then GB18030 (what Excel in China saves); checked in slices, so a
    large file is not copied whole into a string."""
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            step = 1 << 22
            for start in range(0, len(data), step):
                text = decoder.decode(data[start : start + step], final=start + step >= len(data))
                if start == 0 and _looks_binary(text[:65536]):
                    raise UnicodeDecodeError(encoding, b"", 0, 1, "control characters")
            return encoding
        except UnicodeDecodeError:
            continue
    raise _whole_file_error(f"{_NOT_READABLE}: it looks like binary data")


def _looks_binary(text: str) -> bool:
    """NUL, or more than a few control characters: binary data that happened to decode.
    (A stray one, such as the Ctrl-Z some old systems end a file with, is still text.)"""
    return "\x00" in text or len(_CONTROL.findall(text)) > max(3, len(text) // 200)


_SKIPPED = re.compile(r"Skipping line (\d+): expected (\d+) fields, saw (\d+)")


def _read_csv(data: bytes) -> Table:
    encoding = _encoding_of(data)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            frame = pd.read_csv(
                io.BytesIO(data),
                encoding=encoding,
                header=None,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                skip_blank_lines=False,
                on_bad_lines="warn",
                engine="c",
            )
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
            raise _whole_file_error(f"{_NOT_READABLE}: {exc}".strip()) from None
    # Rows with more cells than the header are skipped by the parser: report them, and
    # shift the numbers of the rows after them so every row keeps its own number.
    long_rows = [
        (int(line), int(expected), int(saw))
        for warning in caught
        for line, expected, saw in _SKIPPED.findall(str(warning.message))
    ]
    header = [str(cell) for cell in frame.iloc[0].tolist()]
    cells = frame.iloc[1:].reset_index(drop=True)
    numbers = np.arange(2, len(cells) + 2)
    for line, _, _ in sorted(long_rows):
        numbers[numbers >= line] += 1
    return Table(header, cells, numbers, long_rows)


def _xlsx_text(value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        return value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(round(value, 9))  # a typed 1234.56 may come back as 1234.5600000000002
    return str(value)


def _read_xlsx(data: bytes) -> Table:
    from python_calamine import CalamineError, CalamineWorkbook

    try:
        sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
        grid = sheet.to_python(skip_empty_area=False)
    except (CalamineError, ValueError, IndexError, OSError) as exc:
        raise _whole_file_error(f"{_NOT_READABLE}: the workbook cannot be read ({exc})") from None
    if not grid:
        raise _whole_file_error("the file is empty")
    width = max(len(row) for row in grid)
    texts = [[_xlsx_text(value) for value in row] + [""] * (width - len(row)) for row in grid]
    cells = pd.DataFrame(texts[1:], columns=range(width), dtype=object)
    return Table(texts[0], cells, np.arange(2, len(texts) + 1))


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
            if filled.any():
                parsed, messages = column.type.parse(cells[filled])
                values[filled.to_numpy()] = parsed.to_numpy(dtype=object)
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

    def errors(self) -> list[RowError]:
        """Every error, ordered by row and then by the column's place in the file kind."""
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
        sequence = np.lexsort((np.arange(len(row_numbers)), column_ranks, row_numbers))
        return [RowError(int(row_numbers[i]), names[i], str(texts[i])) for i in sequence.tolist()]


def rows_from_table(table: Table, spec: KindSpec) -> Rows:
    """Maps the header to the kind's columns (English names case-insensitive, Chinese names
    exact, both trimmed; unknown columns ignored) and keeps the rows that hold anything."""
    by_header = {}
    for column in spec.columns:
        by_header[column.name.lower()] = column
        by_header[column.chinese] = column
    positions: dict[str, list[int]] = {}
    for i, raw in enumerate(table.header):
        name = str(raw).strip().lstrip("\ufeff").strip()
        column = by_header.get(name) or by_header.get(name.lower())
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
    cells = {name: table.cells[found[0]].str.strip() for name, found in positions.items()}
    filled = np.zeros(len(table.numbers), dtype=bool)
    for series in cells.values():
        filled |= (series != "").to_numpy()
    if not filled.any() and not table.long_rows and not (table.cells != "").to_numpy().any():
        errors.append(RowError(1, "-", "the file has a header but no data rows"))
    if errors:
        raise FileRejected(errors)
    if not filled.all():
        cells = {name: series[filled].reset_index(drop=True) for name, series in cells.items()}
    rows = Rows(spec, cells, table.numbers[filled])
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


@dataclass
class Plan:
    """What an import would do: the counts, and the writing, run only when every row is good."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    write: Callable[[ImportBatch], None] = lambda batch: None


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


def history_source(batch: ImportBatch) -> str:
    """What the history of a change made by this import names as its source."""
    return f"import #{batch.pk}"


def today_in_shanghai() -> datetime.date:
    return timezone.localdate(timezone=zoneinfo.ZoneInfo(settings.TIME_ZONE))


def locked_months() -> set[datetime.date]:
    return set(MonthLock.objects.values_list("month", flat=True))


def finalized_message(month: datetime.date) -> str:
    return f"month {month:%Y-%m} is finalized; reopen it first"


def chunks(values: Sequence, size: int = 5000) -> Iterable[Sequence]:
    """Slices for `__in` look-ups, so a big file never makes one query per row nor one huge query."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


def insert_rows(*, table: str, columns: dict[str, Sequence]) -> None:
    """Inserts many rows at once, given column by column (database column names): COPY on
    PostgreSQL, executemany elsewhere. Values must be ready for the database: dates as ISO
    text, decimals as text, plain Python ints and bools, None for NULL."""
    quote = connection.ops.quote_name
    names = ", ".join(quote(name) for name in columns)
    count = len(next(iter(columns.values()), ()))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Writing COPY's text format ourselves, a block at a time, is several times
            # faster than psycopg's write_row() for each row; the queued writer sends one
            # block from a thread while the next is being formatted.
            from psycopg.copy import QueuedLibpqWriter

            raw = cursor.cursor
            with raw.copy(f"COPY {quote(table)} ({names}) FROM STDIN", writer=QueuedLibpqWriter(raw)) as copy:
                for start in range(0, count, COPY_BLOCK):
                    texts = [_copy_texts(values[start : start + COPY_BLOCK]) for values in columns.values()]
                    lines = texts[0].str.cat(texts[1:], sep="\t") if len(texts) > 1 else texts[0]
                    copy.write(("\n".join(lines.tolist()) + "\n").encode())
        else:
            placeholders = ", ".join(["%s"] * len(columns))
            cursor.executemany(
                f"INSERT INTO {quote(table)} ({names}) VALUES ({placeholders})",
                zip(*columns.values(), strict=True),
            )


def model_columns(model: type[models.Model], values: dict[str, Sequence]) -> dict[str, Sequence]:
    """`values` by model field name → by database column name, for `insert_rows`."""
    return {model._meta.get_field(name).column: column for name, column in values.items()}


COPY_BLOCK = 100_000
_COPY_ESCAPES = {"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _copy_texts(values: Sequence) -> pd.Series:
    """One column of a COPY block in PostgreSQL's text format: \\N for NULL, t/f, escapes."""
    series = pd.Series(np.asarray(values, dtype=object))
    missing = series.isna().to_numpy()
    first = series[~missing].iloc[0] if not missing.all() else None
    if isinstance(first, bool):
        texts = series.map({True: "t", False: "f"})
    else:
        texts = series.astype(str)
        joined = "".join(texts.tolist())  # one pass in C, far quicker than .str.contains
        if any(special in joined for special in _COPY_ESCAPES):
            for raw, escaped in _COPY_ESCAPES.items():
                texts = texts.str.replace(raw, escaped, regex=False)
    if missing.any():
        texts[missing] = "\\N"
    return texts


def update_rows(*, model: type[models.Model], fields: Sequence[str], rows: Iterable[tuple]) -> None:
    """Updates many rows by primary key: each row is the new values of `fields`, then the pk."""
    quote = connection.ops.quote_name
    assignments = ", ".join(f"{quote(model._meta.get_field(name).column)} = %s" for name in fields)
    sql = f"UPDATE {quote(model._meta.db_table)} SET {assignments} WHERE {quote(model._meta.pk.column)} = %s"
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def _read_source(source, filename: str | None) -> tuple[bytes, str]:
    if isinstance(source, (str, Path)):
        path = Path(source)
        return path.read_bytes(), filename or path.name
    data = source.read()
    if isinstance(data, str):
        raise TypeError("open the file in binary mode ('rb')")
    return data, filename or Path(str(getattr(source, "name", "") or "upload")).name


def import_file(
    kind: str,
    source: str | Path | BinaryIO,
    *,
    filename: str | None = None,
    user=None,
    dry_run: bool = False,
    update: bool = False,
    today: datetime.date | None = None,
) -> ImportResult:
    """Imports one file whole or not at all (CONTRACT.md §1) and records the run as an ImportBatch."""
    spec = KINDS.get(kind)
    if spec is None:
        raise ValueError(f"unknown kind {kind!r}; expected one of: {', '.join(KINDS)}")
    started = time.perf_counter()
    data, name = _read_source(source, filename)
    context = ImportContext(kind=kind, today=today or today_in_shanghai(), update=update, dry_run=dry_run, user=user)
    batch_fields = dict(
        kind=kind, filename=name[:255], sha256=hashlib.sha256(data).hexdigest(), update_mode=update, user=user
    )
    plan, row_count = Plan(), 0
    try:
        table = read_table(data, name)
        del data  # a million rows: the bytes can go once they are cells
        rows = rows_from_table(table, spec)
        del table
        row_count = len(rows) + rows.skipped
        plan = spec.prepare(rows, context)
        errors = rows.errors()
        del rows  # the plan keeps what it writes; the cells can go
    except FileRejected as exc:
        errors = exc.errors
    batch_fields["rows"] = row_count
    if errors:
        plan = Plan()  # a rejected file changes nothing
    batch = None
    if not errors and not dry_run:
        try:
            with transaction.atomic():
                batch = ImportBatch.objects.create(
                    outcome=ImportBatch.Outcome.IMPORTED,
                    created=plan.created,
                    updated=plan.updated,
                    unchanged=plan.unchanged,
                    **batch_fields,
                )
                plan.write(batch)
                batch.seconds = time.perf_counter() - started
                batch.save(update_fields=["seconds"])
        except IntegrityError as exc:
            # Another import stored some of the same rows between our check and our write.
            batch, plan = None, Plan()
            errors = [RowError(1, "-", f"the database refused the rows, nothing was written ({exc}); try again")]
    if batch is None:
        batch = ImportBatch.objects.create(
            outcome=ImportBatch.Outcome.REJECTED if errors else ImportBatch.Outcome.DRY_RUN,
            created=plan.created,
            updated=plan.updated,
            unchanged=plan.unchanged,
            errors=[error.as_dict() for error in errors[:STORED_ERRORS]],
            seconds=time.perf_counter() - started,
            **batch_fields,
        )
    return ImportResult(
        kind=kind,
        rows=row_count,
        created=plan.created,
        updated=plan.updated,
        unchanged=plan.unchanged,
        errors=errors,
        batch_id=batch.pk,
        seconds=time.perf_counter() - started,
        dry_run=dry_run,
    )
