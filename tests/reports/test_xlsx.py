"""The streamed XLSX writer (reports.xlsx): a package every part of which is well-formed XML,
cells typed as given, and no value that makes a file Excel has to repair."""

import datetime
import hashlib
import io
import zipfile
from decimal import Decimal
from unittest import mock
from xml.etree import ElementTree

from django.test import SimpleTestCase
from django.utils import translation
from openpyxl import load_workbook

from reports.xlsx import MAX_TEXT, ROWS_PER_WRITE, SheetWriter, TooManyRows, column_letter

FORMATS = [None, "@", "0", "#,##0.00", "0.0%", "yyyy-mm-dd", "yyyy-mm-dd hh:mm"]
HEADER = ["文本", "编号", "户数", "万元", "比率", "日期", "时间"]


def written(rows, *, header=HEADER, formats=FORMATS, title="考核表") -> bytes:
    stream = io.BytesIO()
    sheet = SheetWriter(stream, title=title, widths=[12.0] * len(formats), formats=formats)
    sheet.header(header)
    for row in rows:
        sheet.row(row)
    sheet.close()
    return stream.getvalue()


def sheet_of(content: bytes):
    return load_workbook(io.BytesIO(content)).active


class PackageTests(SimpleTestCase):
    def test_every_part_is_well_formed_and_named_in_the_content_types(self):
        content = written([["张丽", "007", 24, Decimal("133.16"), Decimal("0.989"), None, None]])
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
            for name in names:
                ElementTree.fromstring(archive.read(name))
            types = archive.read("[Content_Types].xml").decode()
        self.assertEqual(
            names,
            {
                "[Content_Types].xml",
                "_rels/.rels",
                "docProps/core.xml",
                "docProps/app.xml",
                "xl/workbook.xml",
                "xl/_rels/workbook.xml.rels",
                "xl/styles.xml",
                "xl/worksheets/sheet1.xml",
            },
        )
        for part in ("/xl/workbook.xml", "/xl/worksheets/sheet1.xml", "/xl/styles.xml"):
            self.assertIn(f'PartName="{part}"', types)

    def test_the_header_is_bold_shaded_and_frozen_and_the_widths_are_kept(self):
        sheet = sheet_of(written([]))
        self.assertEqual(sheet.title, "考核表")
        self.assertEqual([cell.value for cell in sheet[1]], HEADER)
        self.assertTrue(all(cell.font.b and cell.fill.fgColor.rgb == "FFE8EEF4" for cell in sheet[1]))
        self.assertTrue(sheet["A1"].alignment.wrap_text)
        self.assertEqual(sheet.freeze_panes, "A2")
        self.assertEqual(sheet.column_dimensions["G"].width, 12.0)

    def test_column_letters(self):
        self.assertEqual(
            [column_letter(index) for index in (1, 26, 27, 52, 702, 703, 16384)],
            ["A", "Z", "AA", "AZ", "ZZ", "AAA", "XFD"],
        )


class CellTests(SimpleTestCase):
    def test_cells_are_typed_and_formatted_as_given(self):
        at = datetime.datetime(2026, 11, 3, 10, 30)
        sheet = sheet_of(
            written([["张丽", "007", 24, Decimal("133.16"), Decimal("0.989"), datetime.date(2026, 10, 31), at]])
        )
        cells = {cell.column_letter: cell for cell in sheet[2]}
        self.assertEqual((cells["A"].value, cells["A"].data_type, cells["A"].number_format), ("张丽", "s", "General"))
        self.assertEqual((cells["B"].value, cells["B"].data_type, cells["B"].number_format), ("007", "s", "@"))
        self.assertEqual((cells["C"].value, cells["C"].number_format), (24, "0"))
        self.assertEqual((cells["D"].value, cells["D"].number_format), (133.16, "#,##0.00"))
        self.assertEqual((cells["E"].value, cells["E"].number_format), (0.989, "0.0%"))
        self.assertEqual((cells["F"].value, cells["F"].number_format), (datetime.datetime(2026, 10, 31), "yyyy-mm-dd"))
        self.assertEqual((cells["G"].value, cells["G"].number_format), (at, "yyyy-mm-dd hh:mm"))

    def test_numbers_are_written_plainly(self):
        rows = [[None, None, 0, value, None, None, None] for value in (Decimal("1E+3"), Decimal("-0.00"), 1e-7)]
        content = written(rows)
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            xml = archive.read("xl/worksheets/sheet1.xml").decode()
        self.assertIn("<v>1000</v>", xml)
        self.assertNotIn("-0<", xml)
        self.assertEqual([row[3].value for row in sheet_of(content).iter_rows(min_row=2)], [1000, 0, 1e-7])

    def test_what_no_cell_holds_is_left_empty(self):
        sheet = sheet_of(written([["", None, float("nan"), Decimal("Infinity"), float("-inf"), None, None]]))
        self.assertEqual([cell.value for cell in sheet[2]], [None] * len(FORMATS))

    def test_text_keeps_its_spaces_and_markup_and_loses_what_xml_cannot_hold(self):
        texts = [" 前后有空格 ", "<b>&amp;</b>", "控制\x00字符\x0b\x1f\ud800", "换\n行", "x" * (MAX_TEXT + 10)]
        sheet = sheet_of(written([[text, None, None, None, None, None, None] for text in texts]))
        self.assertEqual(
            [row[0].value for row in sheet.iter_rows(min_row=2)],
            [" 前后有空格 ", "<b>&amp;</b>", "控制字符", "换\n行", "x" * MAX_TEXT],
        )

    def test_a_formula_looking_text_stays_text(self):
        sheet = sheet_of(written([["=1+1", "=SUM(A1)", None, None, None, None, None]]))
        self.assertEqual([(cell.value, cell.data_type) for cell in sheet[2][:2]], [("=1+1", "s"), ("=SUM(A1)", "s")])

    def test_a_row_of_the_wrong_length_or_a_value_of_no_kind_is_refused(self):
        stream = io.BytesIO()
        sheet = SheetWriter(stream, title="t", widths=[9.0], formats=[None])
        with self.assertRaises(ValueError):
            sheet.row(["a", "b"])
        for value in (True, object(), ["a"]):
            with self.subTest(value=value), self.assertRaises(TypeError):
                sheet.row([value])


class RowLimitTests(SimpleTestCase):
    def test_a_row_past_what_a_sheet_holds_is_refused_in_words(self):
        sheet = SheetWriter(io.BytesIO(), title="t", widths=[9.0], formats=["0"])
        sheet.header(["n"])
        with mock.patch("reports.xlsx.MAX_ROWS", 3):
            sheet.row([1])
            sheet.row([2])
            with translation.override("zh-hans"), self.assertRaisesMessage(TooManyRows, "超过 Excel 工作表的 2 行上限"):
                sheet.row([3])


class StreamTests(SimpleTestCase):
    def test_rows_reach_the_stream_as_they_are_written_not_at_the_end(self):
        texts = [hashlib.sha256(str(number).encode()).hexdigest() for number in range(ROWS_PER_WRITE * 20)]
        stream = io.BytesIO()
        sheet = SheetWriter(stream, title="t", widths=[9.0], formats=[None])
        sheet.header(["n"])
        sizes = []
        for text in texts:
            sheet.row([text])
            sizes.append(stream.tell())
        sheet.close()
        self.assertGreater(sizes[ROWS_PER_WRITE * 10], 100_000, "half the rows are in the stream already")
        rows = list(sheet_of(stream.getvalue()).iter_rows(min_row=2, values_only=True))
        self.assertEqual([row[0] for row in rows], texts)
