"""Reading an import file: CSV (UTF-8 or GB18030) or the first sheet of an XLSX, every cell
as text; anything else is refused whole."""

from __future__ import annotations

import codecs
import datetime
import io
import re
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.imports.errors import FileRejected, RowError


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
