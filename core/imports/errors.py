"""What an import answers when a row or the whole file is wrong."""

from dataclasses import dataclass

import pandas as pd
from django.utils.translation import gettext as _

from core.errors import LobbyStarError


@dataclass(frozen=True)
class RowError:
    """One bad cell or row: `row` counts the header as row 1; `column` is the column as the file
    named it (its English or its Chinese name), or "-" when the problem is the whole row or file.
    `message` is in the language active when the file was checked."""

    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return row_line(self.row, self.column, self.message)

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "message": self.message}


def row_line(row, column: str, message: str) -> str:
    """ "第 5 行「日期」：…" / "row 5, column date: …" (CONTRACT.md §1), in the active language."""
    if column == "-":
        return _("第 %(row)s 行：%(message)s") % {"row": row, "column": column, "message": message}
    return _("第 %(row)s 行「%(column)s」：%(message)s") % {"row": row, "column": column, "message": message}


def fill(template: str, values: pd.Series, **others) -> pd.Series:
    """`template % {"value": v, **others}` for every v of a Series of texts, done as two string
    additions rather than a formatting per cell (a file may hold a million bad cells)."""
    marker = "\x00value\x00"
    before, found, after = (template % {"value": marker, **others}).partition(marker)
    if not found:
        return pd.Series(before, index=values.index, dtype=object)
    return before + values.astype(str) + after


class FileRejected(LobbyStarError):
    """The file as a whole cannot be read (empty, not CSV/XLSX, a required column missing)."""

    def __init__(self, errors: list[RowError]):
        super().__init__("; ".join(str(error) for error in errors))
        self.errors = errors
