"""Reading an import file: CSV (UTF-8 or GB18030) or the first sheet of an XLSX, every cell
as text; anything else is refused whole.

A file is also refused whole, before it can cost much memory, when it is not a table a person
would make (CONTRACT.md §1): more than MAX_COLUMNS columns or MAX_ROWS rows, more than
IMPORT_MAX_MB megabytes, a NUL byte anywhere, or text that is not valid in its encoding. An XLSX
is read as a stream from its zip, cell by cell, and what it says about its own size (its
`<dimension>`, its zip headers) is never trusted.
"""

from __future__ import annotations

import codecs
import datetime
import io
import re
import struct
import warnings
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from xml.etree import ElementTree

import numpy as np
import pandas as pd
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.imports.errors import FileRejected, RowError

MAX_COLUMNS = 200
MAX_ROWS = 2_000_000
# An XLSX is a zip of XML: the parts we read may not unpack to more than this, nor to more than
# MAX_RATIO times their packed size once they are large (a zip bomb packs gigabytes of nothing
# into a few kilobytes; a real sheet packs 5 to 20 times).
XLSX_MAX_UNPACKED = 1 << 30
XLSX_MAX_RATIO = 100
XLSX_RATIO_FROM = 10 << 20
_MAX_STRINGS = 4 * MAX_ROWS


@dataclass
class Table:
    header: list[str]
    cells: pd.DataFrame  # positional columns, every cell text
    numbers: np.ndarray  # the file row of each data row (the header is row 1)
    long_rows: list[tuple[int, int, int]] = field(default_factory=list)  # (row, expected, saw)


_SIGNATURES = [
    (b"%PDF", gettext_lazy("PDF 文档")),
    (b"\x89PNG", gettext_lazy("PNG 图片")),
    (b"\xff\xd8\xff", gettext_lazy("JPEG 图片")),
    (b"GIF8", gettext_lazy("GIF 图片")),
    (b"\xd0\xcf\x11\xe0", gettext_lazy("旧版 Excel（.xls）或加了密码的 Office 文件")),
    (b"\x1f\x8b", gettext_lazy("gzip 压缩包")),
    (b"Rar!", gettext_lazy("RAR 压缩包")),
    (b"7z\xbc\xaf", gettext_lazy("7-Zip 压缩包")),
    (b"\xff\xfe", gettext_lazy("UTF-16 文本")),
    (b"\xfe\xff", gettext_lazy("UTF-16 文本")),
]


def _not_readable(detail: str) -> str:
    """ "The file is neither CSV nor XLSX: <detail>"."""
    return _("文件既不是 CSV（UTF-8 或 GB18030）也不是 XLSX：%(detail)s") % {"detail": detail}


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _whole_file_error(message: str) -> FileRejected:
    return FileRejected([RowError(1, "-", message)])


def max_bytes() -> int:
    """The largest import file accepted, from the IMPORT_MAX_MB setting."""
    return int(getattr(settings, "IMPORT_MAX_MB", 200)) * 1024 * 1024


def too_large_error() -> FileRejected:
    return _whole_file_error(
        _("文件超过 %(limit)d MB 的上限，请拆分成几个文件再导入。") % {"limit": max_bytes() // (1024 * 1024)}
    )


def _too_many_columns() -> FileRejected:
    return _whole_file_error(
        _("文件超过 %(limit)d 列，不是一张正常的表格；请只保留需要的列。") % {"limit": MAX_COLUMNS}
    )


def _too_many_rows() -> FileRejected:
    return _whole_file_error(_("文件超过 %(limit)s 行，请拆分成几个文件再导入。") % {"limit": f"{MAX_ROWS:,}"})


def _nul_error() -> FileRejected:
    return _whole_file_error(_("文件中含有 NUL 字节（二进制数据），不是 CSV 或 XLSX 表格。"))


def read_table(data: bytes, filename: str = "", keep: Callable[[str], bool] | None = None) -> Table:
    """Reads CSV or the first sheet of an XLSX, every cell as text; refuses anything else.

    `keep(header text)` says which columns to read (all when None): the kind's own columns, so
    a file padded with columns nobody reads costs nothing to hold (the header is kept whole)."""
    if len(data) > max_bytes():
        raise too_large_error()
    if not data.strip():
        raise _whole_file_error(_("文件是空的"))
    if data[:4] == b"PK\x03\x04":
        return _read_xlsx(data, keep)
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise _whole_file_error(_not_readable(_("文件名是 .xlsx，但内容不是 Excel 工作簿")))
    for signature, what in _SIGNATURES:
        if data.startswith(signature):
            raise _whole_file_error(_not_readable(_("它看起来是%(what)s；请另存为 .xlsx 或 CSV") % {"what": what}))
    return _read_csv(data, keep)


# ─── CSV ──────────────────────────────────────────────────────────────────────────────────

# What GB18030 decodes Big5 (or other non-GB) bytes into: kana, hangul and private-use
# characters (陳大文 in Big5 reads as 朝ゅ). Text a Chinese bank writes holds none of them.
_NOT_GB_TEXT = re.compile(
    "[\u3040-\u30ff\u31f0-\u31ff\u1100-\u11ff\u3130-\u318f\uac00-\ud7af\ue000-\uf8ff\U000f0000-\U0010ffff]"
)


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
                if encoding == "gb18030" and _NOT_GB_TEXT.search(text):
                    raise _wrong_encoding(data)
            return encoding
        except UnicodeDecodeError:
            continue
    raise _whole_file_error(_not_readable(_("它看起来是二进制数据")))


def _wrong_encoding(data: bytes) -> FileRejected:
    """GB18030 takes almost any bytes; text that decodes into kana or private-use characters was
    written in another encoding, most often Big5 (traditional Chinese)."""
    try:
        data.decode("big5")
    except UnicodeDecodeError:
        return _whole_file_error(_("文件的文字不是有效的 UTF-8 或 GB18030 编码，请在 Excel 中另存为 UTF-8 CSV。"))
    return _whole_file_error(_("文件看起来是繁体 Big5 编码，请在 Excel 中另存为 UTF-8 CSV。"))


def _looks_binary(text: str) -> bool:
    """More than a few control characters: binary data that happened to decode.
    (A stray one, such as the Ctrl-Z some old systems end a file with, is still text.)"""
    return len(_CONTROL.findall(text)) > max(3, len(text) // 200)


def _check_csv_shape(data: bytes) -> None:
    """Counts the header's cells and the lines before pandas does: pandas makes a column for
    every header cell and a row for every line, whatever they cost."""
    # pandas ends a line at \n, \r\n or a lone \r: count whichever there are more of.
    if max(data.count(b"\n", 0, len(data) - 1), data.count(b"\r", 0, len(data) - 1)) > MAX_ROWS:
        raise _too_many_rows()
    end = data.find(b"\n")
    first_line = data if end < 0 else data[:end]
    if first_line.count(b",") < MAX_COLUMNS:
        return
    # Quoted commas do not separate cells: count properly, still on the first line only.
    import csv

    header = next(csv.reader([first_line.decode("latin-1")]), [])
    if len(header) > MAX_COLUMNS:
        raise _too_many_columns()


_SKIPPED = re.compile(r"Skipping line (\d+): expected (\d+) fields, saw (\d+)")


def _read_csv(data: bytes, keep: Callable[[str], bool] | None) -> Table:
    _check_csv_shape(data)
    encoding = _encoding_of(data)
    if b"\x00" in data:
        # PostgreSQL would cut a text at its NUL; no table a person makes holds one.
        raise _nul_error()
    options = dict(
        encoding=encoding,
        header=None,
        dtype=str,
        keep_default_na=False,
        na_filter=False,
        skip_blank_lines=False,
        on_bad_lines="warn",
        engine="c",
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            # In slices, keeping only the columns wanted: a file of 200 columns nobody reads
            # costs the slice, not the file. (usecols would do it too, but then pandas no longer
            # tells of rows with more cells than the header.)
            header, kept, frames = None, None, []
            for chunk in pd.read_csv(io.BytesIO(data), chunksize=50_000, **options):
                if header is None:
                    header = [str(cell) for cell in chunk.iloc[0].tolist()]
                    if chunk.shape[1] > MAX_COLUMNS:
                        raise _too_many_columns()
                    kept = [i for i, name in enumerate(header) if keep is None or keep(name)]
                frames.append(chunk[kept])
            frame = pd.concat(frames) if len(frames) > 1 else frames[0]
        except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError) as exc:
            raise _whole_file_error(_not_readable(str(exc)[:200]).strip()) from None
    # Rows with more cells than the header are skipped by the parser: report them, and
    # shift the numbers of the rows after them so every row keeps its own number.
    long_rows = [
        (int(line), int(expected), int(saw))
        for warning in caught
        for line, expected, saw in _SKIPPED.findall(str(warning.message))
    ]
    cells = frame.iloc[1:].reset_index(drop=True)
    numbers = np.arange(2, len(cells) + 2)
    for line, _expected, _saw in sorted(long_rows):
        numbers[numbers >= line] += 1
    return Table(header, cells, numbers, long_rows)


# ─── XLSX, as a stream ────────────────────────────────────────────────────────────────────


class _Unreadable(Exception):
    """The workbook is not what an XLSX should be; the message says what was wrong."""


class _Bounded(io.RawIOBase):
    """A part of the zip, read through a counter: stops at `limit` unpacked bytes whatever the
    zip's headers claimed."""

    def __init__(self, stream, limit: int):
        self.stream, self.limit, self.count = stream, limit, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        chunk = self.stream.read(min(len(buffer), 1 << 16))
        self.count += len(chunk)
        if self.count > self.limit:
            raise _ZipBomb
        buffer[: len(chunk)] = chunk
        return len(chunk)


class _ZipBomb(Exception):
    pass


def _local(tag: str) -> str:
    """The tag without its namespace (transitional and strict OOXML use different ones)."""
    return tag.rpartition("}")[2]


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + (ord(letter) - 64)
    return number


_CELL_REF = re.compile(r"([A-Z]{1,3})(\d{1,7})")
_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")


def _unescape(text: str) -> str:
    """Excel writes control characters as _xHHHH_ in its XML."""
    if "_x" not in text:
        return text
    return _ESCAPE.sub(lambda match: chr(int(match[1], 16)), text)


# Built-in number formats that show a date (ECMA-376 §18.8.30, and the Chinese ones 27–36, 50–58).
_DATE_FORMATS = set(range(14, 23)) | set(range(27, 37)) | set(range(45, 48)) | set(range(50, 59))
_FORMAT_NOISE = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.|_.|\*.')


def _is_date_format(code: str) -> bool:
    return bool(re.search(r"[dmyhsDMYHS年月日]", _FORMAT_NOISE.sub("", code)))


class _Workbook:
    def __init__(self, data: bytes):
        try:
            self.zip = zipfile.ZipFile(io.BytesIO(data))
            self.names = set(self.zip.namelist())
        except (zipfile.BadZipFile, ValueError, OSError) as exc:
            raise _Unreadable(str(exc)) from None
        self.unpacked = 0

    def open(self, name: str) -> _Bounded:
        try:
            info = self.zip.getinfo(name)
        except KeyError:
            raise _Unreadable(f"the part {name} is missing") from None
        # The sizes in the zip's headers may lie; they are checked here, and again while reading.
        if info.file_size > XLSX_RATIO_FROM and info.file_size > XLSX_MAX_RATIO * max(info.compress_size, 1):
            raise _ZipBomb
        limit = XLSX_MAX_UNPACKED - self.unpacked
        if info.compress_size > XLSX_RATIO_FROM // XLSX_MAX_RATIO:
            limit = min(limit, max(XLSX_RATIO_FROM, XLSX_MAX_RATIO * info.compress_size))
        try:
            return _Bounded(self.zip.open(info), limit)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, ValueError) as exc:
            raise _Unreadable(str(exc)) from None

    def parse(self, name: str):
        """iterparse over a part, counting what it unpacks to."""
        stream = self.open(name)
        try:
            yield from ElementTree.iterparse(io.BufferedReader(stream, 1 << 16), events=("start", "end"))
        finally:
            self.unpacked += stream.count

    def first_sheet(self) -> str:
        relationships = {}
        if "xl/_rels/workbook.xml.rels" in self.names:
            for event, element in self.parse("xl/_rels/workbook.xml.rels"):
                if event == "end" and _local(element.tag) == "Relationship":
                    relationships[element.get("Id")] = element.get("Target", "")
        self.date1904 = False
        first = None
        for event, element in self.parse("xl/workbook.xml"):
            if event != "end":
                continue
            tag = _local(element.tag)
            if tag == "workbookPr":
                self.date1904 = element.get("date1904", "0").lower() in ("1", "true")
            elif tag == "sheet" and first is None:
                first = next((value for key, value in element.attrib.items() if _local(key) == "id"), None)
        target = relationships.get(first, "")
        if target:
            path = target.lstrip("/") if target.startswith("/") else "xl/" + target
            if path in self.names:
                return path
        if "xl/worksheets/sheet1.xml" in self.names:
            return "xl/worksheets/sheet1.xml"
        raise _Unreadable("it has no worksheet")

    def shared_strings(self) -> list[str]:
        strings: list[str] = []
        if "xl/sharedStrings.xml" not in self.names:
            return strings
        parent = None
        for event, element in self.parse("xl/sharedStrings.xml"):
            tag = _local(element.tag)
            if event == "start":
                if tag == "sst":
                    parent = element
                continue
            if tag == "si":
                strings.append(_unescape(_string_item(element)))
                if len(strings) > _MAX_STRINGS:
                    raise _ZipBomb  # more distinct texts than any table of MAX_ROWS rows holds
                if parent is not None:
                    parent.clear()
        return strings

    def date_styles(self) -> set[int]:
        """The style indexes whose number format shows a date."""
        if "xl/styles.xml" not in self.names:
            return set()
        custom: dict[int, str] = {}
        formats: list[int] = []
        in_cell_xfs = False
        for event, element in self.parse("xl/styles.xml"):
            tag = _local(element.tag)
            if tag == "cellXfs":
                in_cell_xfs = event == "start"
            elif event == "end" and tag == "numFmt":
                custom[int(element.get("numFmtId", "0"))] = element.get("formatCode", "")
            elif event == "end" and tag == "xf" and in_cell_xfs:
                formats.append(int(element.get("numFmtId", "0")))
        return {
            index
            for index, number in enumerate(formats)
            if number in _DATE_FORMATS or (number in custom and _is_date_format(custom[number]))
        }


def _string_item(element) -> str:
    """The text of a shared string or an inline string: its <t>, or its runs' <t>s (phonetic
    guides left out)."""
    parts = []
    for child in element:
        tag = _local(child.tag)
        if tag == "t":
            parts.append(child.text or "")
        elif tag == "r":
            parts.extend(grandchild.text or "" for grandchild in child if _local(grandchild.tag) == "t")
    return "".join(parts)


def _number_text(text: str) -> str:
    try:
        value = float(text)
    except ValueError:
        return text
    if value != value or value in (float("inf"), float("-inf")):
        return text
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(round(value, 9))  # a typed 1234.56 may come back as 1234.5600000000002


def _date_text(serial: str, date1904: bool) -> str:
    try:
        days = float(serial)
        start = datetime.date(1904, 1, 1) if date1904 else datetime.date(1899, 12, 30)
        return (start + datetime.timedelta(days=int(days))).isoformat()
    except (ValueError, OverflowError):
        return _number_text(serial)


# What a damaged or crafted zip or XML raises on the way (a bad deflate stream, a bad CRC,
# a password, a truncated part, an index out of range).
_UNREADABLE = (
    _Unreadable,
    ElementTree.ParseError,
    zipfile.BadZipFile,
    zlib.error,
    struct.error,
    EOFError,
    OSError,
    ValueError,
    KeyError,
    IndexError,
    NotImplementedError,
    RuntimeError,
)


def _read_xlsx(data: bytes, keep: Callable[[str], bool] | None) -> Table:
    try:
        return _read_sheet(_Workbook(data), keep)
    except _ZipBomb:
        raise _whole_file_error(
            _("XLSX 文件解压后大得异常（疑似压缩炸弹），拒绝读取；请另存为普通的 XLSX 或 CSV。")
        ) from None
    except _UNREADABLE as exc:
        raise _whole_file_error(
            _not_readable(_("无法读取这个工作簿（%(detail)s）") % {"detail": str(exc)[:200]})
        ) from None


_NOTHING_KEPT: dict[int, str] = {}


def _read_sheet(book: _Workbook, keep: Callable[[str], bool] | None) -> Table:
    sheet = book.first_sheet()
    strings = book.shared_strings()
    date_styles = book.date_styles()
    rows: list[tuple[int, dict[int, str]]] = []  # only the rows that hold something
    row_number = column = width = 0
    values: dict[int, str] = {}
    kept: set[int] | None = None  # the columns read, once the header (row 1) is known
    row_element = sheet_data = None
    kind = style = ""
    for event, element in book.parse(sheet):
        tag = _local(element.tag)
        if event == "start":
            if tag == "row":
                number = element.get("r")
                row_number = int(number) if number and number.isdigit() else row_number + 1
                if row_number > MAX_ROWS + 1:
                    raise _too_many_rows()
                row_element, values, column = element, {}, 0
            elif tag == "c":
                reference = _CELL_REF.fullmatch(element.get("r") or "")
                column = _column_number(reference[1]) if reference else column + 1
                if column > MAX_COLUMNS:
                    raise _too_many_columns()
                if reference and int(reference[2]) != row_number:
                    row_number = int(reference[2])
                    if row_number > MAX_ROWS + 1:
                        raise _too_many_rows()
                kind, style = element.get("t", "n"), element.get("s", "0")
            elif tag == "sheetData":
                sheet_data = element
            continue
        if tag == "c":
            text = _cell_text(element, kind, style, strings, date_styles, book.date1904)
            if text:
                if "\x00" in text:
                    raise _nul_error()
                values[column] = text
                if row_number == 1:
                    width = max(width, column)
            if row_element is not None:
                row_element.clear()  # its cells are read; keep memory flat on a long row
        elif tag == "row":
            if keep is not None and kept is None:
                header = values if row_number == 1 else {}
                kept = {number for number, text in header.items() if keep(text)}
            if values:
                if row_number > 1 and kept is not None:
                    values = {number: text for number, text in values.items() if number in kept} or _NOTHING_KEPT
                rows.append((row_number, values))
            if sheet_data is not None:
                sheet_data.clear()
    return _table_from_rows(rows, width, kept)


def _cell_text(element, kind: str, style: str, strings: list[str], date_styles: set[int], date1904: bool) -> str:
    if kind == "inlineStr":
        inline = next((child for child in element if _local(child.tag) == "is"), None)
        return "" if inline is None else _unescape(_string_item(inline))
    value = next((child.text or "" for child in element if _local(child.tag) == "v"), "")
    if not value:
        return ""
    if kind == "s":
        try:
            return strings[int(value)]
        except (ValueError, IndexError):
            raise _Unreadable(f"a cell names shared string {value[:20]}, which is not there") from None
    if kind == "b":
        return "true" if value.strip() in ("1", "true") else "false"
    if kind == "d":
        return value[:10] if re.match(r"\d{4}-\d{2}-\d{2}", value) else value
    if kind in ("str", "e"):
        return _unescape(value)
    if style.isdigit() and int(style) in date_styles:
        return _date_text(value, date1904)
    return _number_text(value)


def _table_from_rows(rows: list[tuple[int, dict[int, str]]], width: int, kept: set[int] | None) -> Table:
    """The header (row 1) whole; of the data rows, the kept columns, labelled by their place."""
    if not rows:
        raise _whole_file_error(_("文件是空的"))
    header_values = rows[0][1] if rows[0][0] == 1 else {}
    data_rows = rows[1:] if rows[0][0] == 1 else rows
    header = [header_values.get(column, "") for column in range(1, width + 1)]
    if kept is None:
        kept = set(range(1, max([width, *(max(values, default=0) for _number, values in data_rows)]) + 1))
    cells = pd.DataFrame(
        {
            column - 1: pd.Series([values.get(column, "") for _number, values in data_rows], dtype=object)
            for column in sorted(kept)
        },
        index=pd.RangeIndex(len(data_rows)),
    )
    numbers = np.array([number for number, _values in data_rows], dtype=np.int64)
    return Table(header, cells, numbers)
