"""Downloads for people (reports.downloads): a table of rows as an XLSX and a CSV that a
Chinese Excel opens as it should — headers in the reader's language, codes as text, figures as
typed numbers rounded once, a frozen header, a BOM, and no cell a spreadsheet would run."""

import csv
import datetime
import io
from decimal import Decimal

from django.test import SimpleTestCase
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from openpyxl import load_workbook

from reports import downloads
from reports.downloads import Column, Download

FORMULA = '=HYPERLINK("http://x","y")'

COLUMNS = [
    Column("employee_no", _("员工编号"), "code"),
    Column("name", _("姓名")),
    Column("branch_code", _("机构号"), "code"),
    Column("accounts", _("开户数（户）"), "count"),
    Column("deposits", _("存款日均（万元）"), "wan"),
    Column("satisfaction", _("客户满意度"), "percent"),
    Column("percentile", _("百分位"), "percent", places=0),
    Column("score", _("总分"), "score"),
    Column("grade", _("等次"), choices=[("excellent", _("优秀")), ("fail", _("不合格"))]),
    Column("bottom_flag", _("末位预警"), "flag"),
    Column("date", _("日期"), "date"),
    Column("at", _("时间"), "datetime"),
]

ROWS = [
    {
        "employee_no": "007",
        "name": "张丽",
        "branch_code": "0110100",
        "accounts": Decimal("24"),
        "deposits": Decimal("133.1556"),
        "satisfaction": Decimal("0.98885"),
        "percentile": Decimal("0.0435"),
        "score": Decimal("95.555"),
        "grade": "excellent",
        "bottom_flag": False,
        "date": datetime.date(2026, 10, 31),
        "at": datetime.datetime(2026, 11, 3, 2, 30, tzinfo=datetime.UTC),
    },
    {
        "employee_no": "E002",
        "name": FORMULA,
        "branch_code": "@SUM(A1)",
        "accounts": 0,
        "deposits": None,
        "satisfaction": None,
        "percentile": None,
        "score": Decimal("-0.001"),
        "grade": "fail",
        "bottom_flag": True,
        "date": None,
        "at": None,
    },
]


def table(rows=ROWS) -> Download:
    return Download(_("考核表"), COLUMNS, iter(rows), stem="2026-10")


def workbook(download: Download):
    _name, _type, content = downloads.render(download, "xlsx")
    return load_workbook(io.BytesIO(content)).active


def csv_rows(download: Download) -> tuple[bytes, list[list[str]]]:
    _name, _type, content = downloads.render(download, "csv")
    return content, list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


class HeaderTests(SimpleTestCase):
    def test_headers_are_chinese_in_chinese_and_english_in_english(self):
        with translation.override("zh-hans"):
            self.assertEqual([c.value for c in workbook(table())[1]][:2], ["员工编号", "姓名"])
            self.assertEqual(csv_rows(table())[1][0][:2], ["员工编号", "姓名"])
            self.assertEqual(table().filename("xlsx"), "考核表-2026-10.xlsx")
        with translation.override("en"):
            self.assertEqual([c.value for c in workbook(table())[1]][:2], ["Employee no.", "Name"])
            self.assertEqual(csv_rows(table())[1][0][:2], ["Employee no.", "Name"])
            self.assertEqual(table().filename("csv"), "Scorecards-2026-10.csv")

    def test_codes_get_their_labels(self):
        with translation.override("zh-hans"):
            sheet = workbook(table())
            self.assertEqual([sheet["I2"].value, sheet["I3"].value], ["优秀", "不合格"])
            self.assertEqual([sheet["J2"].value, sheet["J3"].value], ["否", "是"])
        with translation.override("en"):
            self.assertEqual(csv_rows(table())[1][1][8:10], ["Excellent", "No"])


class XlsxTests(SimpleTestCase):
    def setUp(self):
        translation.activate("zh-hans")
        self.addCleanup(translation.deactivate)
        self.sheet = workbook(table())

    def test_codes_are_text_and_keep_their_leading_zeros(self):
        for ref, value in (("A2", "007"), ("C2", "0110100"), ("A3", "E002")):
            self.assertEqual((self.sheet[ref].value, self.sheet[ref].data_type), (value, "s"), ref)
            self.assertEqual(self.sheet[ref].number_format, "@")

    def test_figures_are_numbers_rounded_once_as_the_page_shows_them(self):
        cells = {ref: self.sheet[ref] for ref in ("D2", "E2", "F2", "G2", "H2", "H3")}
        self.assertTrue(all(cell.data_type == "n" for cell in cells.values()))
        self.assertEqual((cells["D2"].value, cells["D2"].number_format), (24, "0"))
        self.assertEqual((cells["E2"].value, cells["E2"].number_format), (133.16, "#,##0.00"))
        self.assertEqual((cells["F2"].value, cells["F2"].number_format), (0.989, "0.0%"))  # 98.9%, half up
        self.assertEqual((cells["G2"].value, cells["G2"].number_format), (0.04, "0%"))
        self.assertEqual((cells["H2"].value, cells["H2"].number_format), (95.56, "0.00"))  # half up
        self.assertEqual(str(cells["H3"].value), "0")  # never −0.00

    def test_dates_are_dates_and_times_are_the_banks_local_time(self):
        self.assertEqual(self.sheet["K2"].value, datetime.datetime(2026, 10, 31))
        self.assertEqual(self.sheet["K2"].number_format, "yyyy-mm-dd")
        self.assertEqual(self.sheet["L2"].value, datetime.datetime(2026, 11, 3, 10, 30))  # Asia/Shanghai
        self.assertIsNone(self.sheet["K3"].value)

    def test_the_header_is_frozen_bold_and_the_columns_fit(self):
        self.assertEqual(self.sheet.freeze_panes, "A2")
        self.assertTrue(self.sheet["A1"].font.b)
        self.assertEqual(self.sheet.title, "考核表")
        widths = {letter: dimension.width for letter, dimension in self.sheet.column_dimensions.items()}
        self.assertGreaterEqual(widths["E"], len("存款日均（万元）") * 2)  # Chinese characters count two
        self.assertLess(widths["D"], widths["E"])

    def test_a_cell_a_spreadsheet_would_run_stays_text(self):
        self.assertEqual((self.sheet["B3"].value, self.sheet["B3"].data_type), ("'" + FORMULA, "s"))
        self.assertEqual((self.sheet["C3"].value, self.sheet["C3"].data_type), ("'@SUM(A1)", "s"))


class CsvTests(SimpleTestCase):
    def setUp(self):
        translation.activate("zh-hans")
        self.addCleanup(translation.deactivate)
        self.content, self.rows = csv_rows(table())

    def test_it_is_utf8_with_a_byte_order_mark_and_excels_line_ends(self):
        self.assertTrue(self.content.startswith(b"\xef\xbb\xbf\xe5\x91\x98"))  # BOM, then 员
        self.assertIn(b"\r\n", self.content)

    def test_the_figures_are_those_of_the_workbook_as_text(self):
        self.assertEqual(
            self.rows[1],
            ["007", "张丽", "0110100", "24", "133.16", "98.9%", "4%", "95.56", "优秀", "否", "2026-10-31",
             "2026-11-03 10:30"],
        )  # fmt: skip
        self.assertEqual(self.rows[2][3:8], ["0", "", "", "", "0.00"])

    def test_a_cell_a_spreadsheet_would_run_gets_a_quote(self):
        self.assertEqual(self.rows[2][1], "'" + FORMULA)
        self.assertEqual(self.rows[2][2], "'@SUM(A1)")

    def test_lines_are_written_as_rows_are_read(self):
        read = []

        def rows():
            for number in range(20_000):
                read.append(number)
                yield {**ROWS[0], "employee_no": f"{number:05d}"}

        lines = downloads.csv_lines(Download("t", COLUMNS, rows()))
        next(lines)  # the header
        next(lines)  # the first batch of rows
        self.assertLess(len(read), 1000, "rows are streamed, not read all at once")
        self.assertEqual(sum(chunk.count(b"\r\n") for chunk in lines), 20_000 - 500)


class XlsxStreamTests(SimpleTestCase):
    def test_a_large_list_is_written_as_a_stream_to_a_file(self):
        rows = ({"employee_no": f"{number:05d}", "score": number / 7} for number in range(20_000))
        with translation.override("zh-hans"):
            handle = downloads.xlsx_file(Download("t", [COLUMNS[0], COLUMNS[7]], rows))
        with handle:
            sheet = load_workbook(handle, read_only=True).active
            numbers = [row[0] for row in sheet.iter_rows(min_row=2, max_col=1, values_only=True)]
        self.assertEqual(len(numbers), 20_000)
        self.assertEqual(numbers[-1], "19999")
