"""Downloads for people: a table of rows as an XLSX or a CSV that opens as it should in a
Chinese Excel.

Every list of the console hands out its rows through here (reports.lists says which columns
each one has), and `export_scorecards --labels` too. What a person gets, unlike the machine
format of CONTRACT.md §3 (reports.exports):

- headers in the reader's language (the labels are gettext, read when the file is written);
  codes given their labels (优秀 not `excellent`, 是/否 not `false`);
- XLSX: real numbers and dates in the cells, written as a Chinese bank writes them (万元 with
  two decimals, whole counts, percentages) and rounded once, by core.numbers, so a cell holds
  exactly the figure the page shows; codes (employee numbers, branch codes) stored as text, so
  "007" keeps its zeros; a frozen, bold header row; widths that fit the column;
- CSV: UTF-8 with a byte-order mark (else Excel reads the Chinese as mojibake), the same
  figures as text;
- every text cell neutralised (reports.exports.neutralised): nothing starting with = + - @
  becomes a formula.

Rows are written as they are read: the CSV is a stream of lines, the XLSX a stream of rows into
its zip entry (reports.xlsx), so 20,000 rows cost no more memory than twenty.
"""

from __future__ import annotations

import csv
import datetime
import io
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import IO, Any

from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.numbers import decimal, fixed, rounded
from reports import xlsx
from reports.exports import CONTENT_TYPES, neutralised

FORMATS = ("xlsx", "csv")
BOM = "\ufeff"
UNSAFE_IN_NAMES = set('\\/:*?"<>|')


@dataclass(frozen=True)
class Kind:
    """How a kind of column is written: the cell's number format in the XLSX, and its width."""

    number_format: str | None
    width: float


# The kinds of column. Amounts in 万元 and 元 have two decimals, scores two, counts none,
# percentages one place (of the percentage); a code is text ("@").
KINDS = {
    "text": Kind(None, 14),
    "long": Kind(None, 48),  # free text: a reason, an appeal, a write-up
    "code": Kind("@", 12),
    "count": Kind("0", 9),
    "score": Kind("0.00", 9),
    "wan": Kind("#,##0.00", 12),  # 万元
    "yuan": Kind("#,##0.00", 15),  # 元
    "percent": Kind("0.0%", 9),
    "date": Kind("yyyy-mm-dd", 11),
    "datetime": Kind("yyyy-mm-dd hh:mm", 16),
    "month": Kind("yyyy-mm", 9),
    "flag": Kind(None, 7),  # 是 / 否
}


@dataclass(frozen=True)
class Column:
    """One column: where its value comes from (`key` of a row dict, or `value(row)`), its header
    (a gettext label), its kind, and for a coded value the labels of its codes."""

    key: str
    label: Any
    kind: str = "text"
    choices: Iterable | None = None
    value: Callable[[dict], Any] | None = None
    places: int | None = None  # decimals, where the kind's default does not fit (percentile: 0)
    width: float | None = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")

    def read(self, row: dict):
        value = self.value(row) if self.value is not None else row.get(self.key)
        if self.choices is not None and value is not None and value != "":
            return dict(self.choices).get(value, value)
        return value


@dataclass
class Download:
    """A table for people: its title (the sheet's name and the file's), its columns, and its
    rows as dicts (read lazily, once)."""

    title: Any
    columns: list[Column]
    rows: Iterable[dict]
    stem: str = ""  # what follows the title in the file name, e.g. the month
    widths: dict[str, float] = field(default_factory=dict)
    count: Callable[[], int] | None = None  # how many rows there are, asked before an XLSX is written

    def filename(self, extension: str) -> str:
        parts = [str(self.title), self.stem or f"{timezone.localdate():%Y-%m-%d}"]
        safe = "-".join(part for part in parts if part)
        return "".join("_" if ch in UNSAFE_IN_NAMES else ch for ch in safe) + "." + extension

    def header(self) -> list[str]:
        return [str(column.label) for column in self.columns]


# --- values ------------------------------------------------------------------------------------


def _places(column: Column) -> int:
    if column.places is not None:
        return column.places
    return {"count": 0, "percent": 1}.get(column.kind, 2)


def _number(column: Column, value) -> Decimal | int | None:
    """The figure as the page shows it, rounded once (core.numbers): a percentage's value is the
    rate rounded to the shown places (0.9889 → 0.989, shown 98.9%)."""
    if value is None or value == "":
        return None
    places = _places(column)
    if column.kind == "percent":
        return rounded(decimal(value) * 100, places) / 100
    if column.kind == "count":
        return int(rounded(value, 0))
    number = rounded(value, places)
    return number if number else abs(number)  # never -0.00


def _local(value: datetime.datetime) -> datetime.datetime:
    """Excel has no time zones: the bank's local time, without one."""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.replace(tzinfo=None, microsecond=0)


def _flag(value) -> str:
    if value is None or value == "":
        return ""
    return _("是") if value else _("否")


def _text(value) -> str:
    return "" if value is None else str(value)


def number_format(column: Column) -> str | None:
    """The cell's format: the kind's, with the column's own decimals where it has them."""
    if column.places is None or column.kind not in ("score", "wan", "yuan", "percent"):
        return KINDS[column.kind].number_format
    decimals = "." + "0" * column.places if column.places else ""
    grouping = "#,##" if column.kind in ("wan", "yuan") else ""
    return f"{grouping}0{decimals}" + ("%" if column.kind == "percent" else "")


def cell_value(column: Column, row: dict):
    """The typed value of one cell: Decimal/int, date, datetime, or text (not yet neutralised)."""
    value = column.read(row)
    kind = column.kind
    if kind in ("count", "score", "wan", "yuan", "percent"):
        return _number(column, value)
    if kind == "flag":
        return _flag(value)
    if kind == "datetime":
        return _local(value) if isinstance(value, datetime.datetime) else None
    if kind in ("date", "month"):
        if isinstance(value, datetime.datetime):
            return _local(value).date()
        return value if isinstance(value, datetime.date) else None
    return _text(value)


def csv_text(column: Column, value) -> str:
    """A typed value as the CSV writes it: the same figure as the XLSX cell, as text."""
    if value is None:
        return ""
    kind = column.kind
    if kind == "percent":
        return fixed(value * 100, _places(column)) + "%"
    if kind in ("score", "wan", "yuan"):
        return fixed(value, _places(column))
    if kind == "count":
        return str(value)
    if kind == "datetime":
        return f"{value:%Y-%m-%d %H:%M}"
    if kind == "date":
        return f"{value:%Y-%m-%d}"
    if kind == "month":
        return f"{value:%Y-%m}"
    return neutralised(value)


# --- CSV ---------------------------------------------------------------------------------------


class _Line:
    def write(self, text: str) -> str:
        return text


def csv_lines(download: Download) -> Iterator[bytes]:
    """The CSV, a line at a time, in UTF-8 beginning with a byte-order mark. The language active
    now is the one it is written in, however late the lines are read (a streamed response)."""
    language = translation.get_language()
    writer = csv.writer(_Line(), lineterminator="\r\n")  # Excel's own line end
    with translation.override(language):
        header = writer.writerow([neutralised(label) for label in download.header()])
    yield (BOM + header).encode("utf-8")
    batch = []
    with translation.override(language):
        for row in download.rows:
            batch.append(writer.writerow([csv_text(column, cell_value(column, row)) for column in download.columns]))
            if len(batch) >= 500:
                yield "".join(batch).encode("utf-8")
                batch = []
    if batch:
        yield "".join(batch).encode("utf-8")


# --- XLSX --------------------------------------------------------------------------------------


def display_width(text: str) -> float:
    """How wide text is in Excel's character widths: a Chinese character counts two."""
    return sum(2 if ord(ch) > 0x2E7F else 1 for ch in text)


def column_width(column: Column, label: str) -> float:
    if column.width is not None:
        return column.width
    return min(60.0, max(KINDS[column.kind].width, display_width(label) + 3))


def sheet_title(title: str) -> str:
    """An Excel sheet's name: at most 31 characters, none of []:*?/\\."""
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in title).strip("'")
    return cleaned[:31] or "Sheet1"


def xlsx_write(download: Download, stream: IO[bytes]) -> None:
    """Writes the workbook to `stream`, a batch of rows at a time (reports.xlsx)."""
    header = download.header()
    sheet = xlsx.SheetWriter(
        stream,
        title=sheet_title(str(download.title)),
        widths=[column_width(column, label) for column, label in zip(download.columns, header, strict=True)],
        formats=[number_format(column) for column in download.columns],
    )
    sheet.header(neutralised(label) for label in header)
    columns = download.columns
    for row in download.rows:
        values = [cell_value(column, row) for column in columns]
        sheet.row([neutralised(value) if isinstance(value, str) else value for value in values])
    sheet.close()


def xlsx_refusal(download: Download) -> str:
    """Why the download cannot be an XLSX (more rows than an Excel sheet holds), else "": asked
    before writing, so a person is told at once rather than after minutes of work."""
    if download.count is None:
        return ""
    count = download.count()
    return xlsx.too_many_rows_message(count) if count > xlsx.MAX_ROWS - 1 else ""


def xlsx_file(download: Download) -> IO[bytes]:
    """The workbook in an anonymous temporary file, rewound: for a response to stream from."""
    handle = tempfile.TemporaryFile(prefix="lobbystar-download-")
    try:
        xlsx_write(download, handle)
    except BaseException:
        handle.close()
        raise
    handle.seek(0)
    return handle


def write(download: Download, format: str, stream: IO[bytes]) -> None:
    """The download in `format` (xlsx or csv) to a binary stream."""
    if format == "xlsx":
        xlsx_write(download, stream)
    elif format == "csv":
        for chunk in csv_lines(download):
            stream.write(chunk)
    else:
        raise ValueError(f"unknown download format {format!r}: use xlsx or csv")


def render(download: Download, format: str) -> tuple[str, str, bytes]:
    """(filename, content type, bytes), like every export of the product."""
    buffer = io.BytesIO()
    write(download, format, buffer)
    return download.filename(format), CONTENT_TYPES[format], buffer.getvalue()


def content_type(format: str) -> str:
    return CONTENT_TYPES[format]
