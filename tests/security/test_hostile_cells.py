"""A staff name that a spreadsheet would run as a formula leaves every export as text: the CSV
cell gets a leading single quote (OWASP, CSV injection), the XLSX cell is a text cell with the
same quote, and numbers, negative ones too, stay numbers."""

import csv
import io
import tempfile
import zipfile
from pathlib import Path

from django.core.management import call_command
from openpyxl import load_workbook

from reports.exports import ScorecardExport, TabularExport, neutralised
from staff.models import Staff
from tests.console.base import BaseTestCase

FORMULA = '=HYPERLINK("http://x","y")'


class Cells(TabularExport):
    identifier = "cells"

    def header(self):
        return ["text", "number"]

    def rows(self):
        return [["=1+1", "-3.50"], ["+1", "12"], ["-x", "0"], ["@SUM(A1)", "-7"], ["\tx", "1.5"], ["007", "8"]]


class NeutralisedTests(BaseTestCase):
    def test_leading_formula_characters_get_a_quote_and_numbers_do_not(self):
        self.assertEqual(
            [neutralised(text) for text in ("=1", "+1", "-x", "@a", "\tx", "\rx", "-3.50", "12", "张丽", "")],
            ["'=1", "'+1", "'-x", "'@a", "'\tx", "'\rx", "-3.50", "12", "张丽", ""],
        )

    def test_a_csv_export_neutralises_text_and_keeps_numbers(self):
        _name, _type, content = Cells().render("csv")
        rows = list(csv.reader(io.StringIO(content.decode())))
        self.assertEqual(
            rows[1:],
            [["'=1+1", "-3.50"], ["'+1", "12"], ["'-x", "0"], ["'@SUM(A1)", "-7"], ["'\tx", "1.5"], ["007", "8"]],
        )

    def test_an_xlsx_export_writes_text_cells_as_text_and_numbers_as_numbers(self):
        _name, _type, content = Cells().render("xlsx")
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            sheet_xml = archive.read(next(n for n in archive.namelist() if n.startswith("xl/worksheets/")))
        self.assertNotIn(b"<f>", sheet_xml)
        sheet = load_workbook(io.BytesIO(content)).active
        cells = [[(cell.value, cell.data_type) for cell in row] for row in sheet.iter_rows(min_row=2)]
        self.assertEqual(cells[0], [("'=1+1", "s"), (-3.5, "n")])
        self.assertEqual(cells[3], [("'@SUM(A1)", "s"), (-7, "n")])
        self.assertEqual(cells[5], [("007", "s"), (8, "n")])


class ScorecardExportTests(BaseTestCase):
    def setUp(self):
        Staff.objects.filter(pk=self.alice.pk).update(name=FORMULA)

    def test_the_contract_csv_quotes_the_name_and_nothing_else(self):
        _name, _type, content = ScorecardExport(period=self.period).render("csv")
        rows = {row["employee_no"]: row for row in csv.DictReader(io.StringIO(content.decode()))}
        self.assertEqual(rows["E001"]["name"], "'" + FORMULA)
        self.assertEqual(rows["E002"]["name"], "王博")
        self.assertRegex(rows["E001"]["score"], r"^\d+\.\d{2}$")

    def test_export_scorecards_xlsx_writes_no_live_formula(self):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "cards.xlsx"
            call_command(
                "export_scorecards", "2026-10", "--format", "xlsx", "--output", str(path), stderr=io.StringIO()
            )
            content = path.read_bytes()
        self.assert_no_formula(content)

    def test_the_console_export_writes_no_live_formula(self):
        self.sign_in(self.hr_user)
        response = self.client.get("/months/2026-10/scorecards/?export=xlsx")
        self.assertEqual(response.status_code, 200)
        self.assert_no_formula(b"".join(response.streaming_content), number="员工编号", name="姓名", score="总分")
        response = self.client.get("/months/2026-10/scorecards/?export=csv")
        body = b"".join(response.streaming_content).decode("utf-8-sig")
        self.assertIn("'" + FORMULA.replace('"', '""'), body)

    def assert_no_formula(self, content: bytes, number="employee_no", name="name", score="score"):
        sheet = load_workbook(io.BytesIO(content)).active
        header = [cell.value for cell in sheet[1]]
        rows = {}
        for row in sheet.iter_rows(min_row=2):
            cells = dict(zip(header, row, strict=True))
            rows[cells[number].value] = cells
        self.assertEqual((rows["E001"][name].value, rows["E001"][name].data_type), ("'" + FORMULA, "s"))
        self.assertEqual(rows["E001"][score].data_type, "n")
