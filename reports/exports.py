"""Exports. Each is one small class whose `render()` returns (filename, content_type, bytes).

Tabular exports only yield rows; `TabularExport` writes them as CSV or XLSX, so every
table the product hands out shares one contract (CONTRACT.md §3).
"""

import csv
import io
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal

from appraisals.models import Period, Scorecard
from core.numbers import fixed

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class TabularExport:
    """Subclasses set `identifier` and implement `header()` and `rows()` (cells as text)."""

    identifier = "export"

    def header(self) -> list[str]:
        raise NotImplementedError

    def rows(self) -> Iterable[list[str]]:
        raise NotImplementedError

    def filename(self, extension: str) -> str:
        return f"{self.identifier}.{extension}"

    def render(self, format: str = "csv") -> tuple[str, str, bytes]:
        if format == "csv":
            return self.filename("csv"), CONTENT_TYPES["csv"], self._csv()
        if format == "xlsx":
            return self.filename("xlsx"), CONTENT_TYPES["xlsx"], self._xlsx()
        raise ValueError(f"unknown export format {format!r}: use csv or xlsx")

    def _csv(self) -> bytes:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([_csv_cell(cell) for cell in self.header()])
        writer.writerows([_csv_cell(cell) for cell in row] for row in self.rows())
        return buffer.getvalue().encode("utf-8")

    def _xlsx(self) -> bytes:
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet(self.identifier[:31])
        sheet.append([_xlsx_cell(sheet, cell) for cell in self.header()])
        for row in self.rows():
            sheet.append([_xlsx_cell(sheet, cell) for cell in row])
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()


# A cell that starts with one of these is read as a formula by Excel and its kin (OWASP, "CSV
# injection"): a staff name =HYPERLINK("http://x","y") would become a live link.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?")  # "007" is a code, not a number


def _is_number(text: str) -> bool:
    return bool(_NUMBER.fullmatch(text))


def neutralised(text: str) -> str:
    """A text cell as it may leave the product: a leading =, +, -, @, tab or CR is prefixed with a
    single quote, so no spreadsheet takes it for a formula. Numbers (-3.50 too) stay as they are."""
    if text.startswith(_FORMULA_START) and not _is_number(text):
        return "'" + text
    return text


def _csv_cell(text: str) -> str:
    return neutralised(text)


def _xlsx_cell(sheet, text: str):
    """Numbers become numbers in the workbook (so Excel can sum them); everything else is a text
    cell (type 's', never a formula openpyxl guessed from a leading "=")."""
    if text not in ("", "true", "false") and _is_number(text):
        number = Decimal(text)
        return int(number) if "." not in text else float(number)
    return xlsx_text_cell(sheet, text)


def xlsx_text_cell(sheet, text: str):
    """A write-only workbook's text cell as it may leave the product: neutralised, and of type
    's' whatever it looks like ("007" stays "007", "=1" never becomes a formula)."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=neutralised(text))
    cell.data_type = "s"
    return cell


SCORECARD_COLUMNS = [
    "period",
    "employee_no",
    "name",
    "branch_code",
    "peer_group",
    "accounts",
    "effective",
    "ebanking",
    "deposits",
    "satisfaction",
    "mystery",
    "praise",
    "complaints",
    "major_complaints",
    "points_accounts",
    "points_effective",
    "points_ebanking",
    "points_deposits",
    "points_satisfaction",
    "points_mystery",
    "base",
    "bonus",
    "deduction",
    "score",
    "grade",
    "veto",
    "exempt",
    "probation",
    "rank",
    "group_size",
    "percentile",
    "rolling",
    "bottom_flag",
    "case_opened",
]


def _flag(value: bool) -> str:
    return "true" if value else "false"


# The columns the export reads, as `.values()` names: plain rows, no model instances, so a
# 20,000-member month (and the API's pages, which are this export) is written quickly.
SCORECARD_VALUES = [
    "staff__employee_no",
    "staff__name",
    "branch__code",
    "peer_group__code",
    *SCORECARD_COLUMNS[5:],  # the scorecard's own columns, by the same names
]


def scorecards_in_export_order(queryset) -> list[dict]:
    """The scorecards' exported values: peer group code, then rank with exempt members last,
    then employee number, all as text."""
    cards = list(queryset.values(*SCORECARD_VALUES))
    cards.sort(
        key=lambda card: (card["peer_group__code"], card["rank"] is None, card["rank"] or 0, card["staff__employee_no"])
    )
    return cards


class ScorecardExport(TabularExport):
    """The month's scorecards, exactly CONTRACT.md §3."""

    def __init__(self, *, period: Period, queryset=None):
        self.period = period
        self.queryset = queryset if queryset is not None else Scorecard.objects.filter(period=period)
        self.identifier = f"scorecards-{period.label}"

    def header(self) -> list[str]:
        return SCORECARD_COLUMNS

    def rows(self) -> Iterator[list[str]]:
        label = self.period.label
        for card in scorecards_in_export_order(self.queryset):
            yield scorecard_row(label, card)


def scorecard_row(label: str, card: dict) -> list[str]:
    """One scorecard's §3 row, as text, from its `SCORECARD_VALUES` (the API's pages too)."""
    return [
        label,
        card["staff__employee_no"],
        card["staff__name"],
        card["branch__code"],
        card["peer_group__code"],
        str(card["accounts"]),
        str(card["effective"]),
        str(card["ebanking"]),
        fixed(card["deposits"], 4, empty=""),
        fixed(card["satisfaction"], 4, empty=""),
        fixed(card["mystery"], 2, empty=""),
        str(card["praise"]),
        str(card["complaints"]),
        str(card["major_complaints"]),
        fixed(card["points_accounts"], 2, empty=""),
        fixed(card["points_effective"], 2, empty=""),
        fixed(card["points_ebanking"], 2, empty=""),
        fixed(card["points_deposits"], 2, empty=""),
        fixed(card["points_satisfaction"], 2, empty=""),
        fixed(card["points_mystery"], 2, empty=""),
        fixed(card["base"], 2, empty=""),
        fixed(card["bonus"], 2, empty=""),
        fixed(card["deduction"], 2, empty=""),
        fixed(card["score"], 2, empty=""),
        card["grade"],
        _flag(card["veto"]),
        _flag(card["exempt"]),
        _flag(card["probation"]),
        "" if card["rank"] is None else str(card["rank"]),
        str(card["group_size"]),
        fixed(card["percentile"], 4, empty=""),
        fixed(card["rolling"], 2, empty=""),
        _flag(card["bottom_flag"]),
        _flag(card["case_opened"]),
    ]
