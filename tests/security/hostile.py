"""Hostile import files, built by hand in the test: the workbooks are written as zip and XML
directly, so they can claim anything (a cell at XFD1048576, a sheet a zip bomb unpacks to)."""

import io
import zipfile
from xml.sax.saxutils import escape

from reports.xlsx import column_letter

DEPOSITS_HEADER = ["ref", "date", "employee_no", "customer_ref", "amount", "product"]

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
    'worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)
SHEET_START = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<dimension ref="{dimension}"/><sheetData>'
)
SHEET_END = "</sheetData></worksheet>"


def cell(reference: str, text: str) -> str:
    return f'<c r="{reference}" t="inlineStr"><is><t>{escape(text)}</t></is></c>'


def row(number: int, texts: list[str]) -> str:
    cells = "".join(cell(f"{column_letter(i + 1)}{number}", text) for i, text in enumerate(texts))
    return f'<row r="{number}">{cells}</row>'


def workbook(sheet_xml: str | bytes, *, compression=zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        archive.writestr("xl/worksheets/sheet1.xml", sheet_xml)
    return out.getvalue()


def deposits_sheet(*extra_rows: str, dimension: str = "A1:F2") -> str:
    """A good deposits sheet (the header and one row), then `extra_rows` as XML."""
    good = row(2, ["D1", "2026-03-02", "A001", "C1", "10", ""])
    return SHEET_START.format(dimension=dimension) + row(1, DEPOSITS_HEADER) + good + "".join(extra_rows) + SHEET_END


def one_far_cell(reference: str) -> bytes:
    """A tiny workbook whose one cell, far away, makes a reader that trusts sizes allocate gigabytes."""
    return workbook(
        deposits_sheet(
            f'<row r="{reference.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")}">{cell(reference, "x")}</row>',
            dimension=f"A1:{reference}",
        )
    )


def zip_bomb(unpacked_mb: int = 2048) -> bytes:
    """A sheet that unpacks to `unpacked_mb` megabytes of blank rows, written in a stream."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", _CONTENT_TYPES)
        archive.writestr("_rels/.rels", _ROOT_RELS)
        archive.writestr("xl/workbook.xml", _WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            sheet.write((SHEET_START.format(dimension="A1:F2") + row(1, DEPOSITS_HEADER)).encode())
            blank = b" " * (1 << 20)
            for _ in range(unpacked_mb):
                sheet.write(blank)
            sheet.write(SHEET_END.encode())
    return out.getvalue()


def empty_rows(count: int) -> bytes:
    """A good header and row, then `count` rows that hold nothing, then one bad row."""
    blanks = "".join(f'<row r="{number}"/>' for number in range(3, count + 3))
    bad = row(count + 3, ["D2", "2026-03-02", "A001", "C2", "x", ""])
    return workbook(deposits_sheet(blanks, bad))
