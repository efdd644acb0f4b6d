"""Cells and files that are not what a person types: dates with a time, cells too long to be
true, NUL written the XLSX way, and the streaming XLSX reader on ordinary workbooks."""

import datetime

from core.imports.files import read_table
from metrics.models import Deposit
from tests import factories
from tests.metrics.helpers import ImportTestCase, xlsx_bytes
from tests.security import hostile

HEADER = hostile.DEPOSITS_HEADER


class CellLimitTests(ImportTestCase):
    def setUp(self):
        super().setUp()
        factories.staff("A001", "Alice", factories.bank_tree()["outlet_a"])

    def test_it_refuses_a_date_with_a_time_part(self):
        result = self.run_import("deposits", [HEADER, ["D1", "2026-03-02T00:00", "A001", "C1", "10", ""]])
        self.assertRejected(result, "row 2, column date: 2026-03-02T00:00 is not a date")

    def test_it_refuses_a_customer_reference_longer_than_64_characters(self):
        result = self.run_import("deposits", [HEADER, ["D1", "2026-03-02", "A001", "C" * 65, "10", ""]])
        lines = self.assertRejected(result, "row 2, column customer_ref: is longer than 64 characters")
        self.assertLess(len(lines[0]), 120)  # the message quotes the start of the cell, not all of it

    def test_a_million_character_cell_is_one_short_row_error(self):
        result = self.run_import("deposits", [HEADER, ["D1", "2026-03-02", "A001", "C" * 1_000_000, "10", ""]])
        self.assertEqual(
            [str(error) for error in result.errors],
            ["row 2, column customer_ref: is longer than 1000 characters"],
        )
        self.assertEqual(Deposit.objects.count(), 0)

    def test_any_text_cell_longer_than_1000_characters_is_refused(self):
        result = self.run_import("deposits", [HEADER, ["D1", "2026-03-02", "A001", "C1", "10", "产" * 1001]])
        self.assertRejected(result, "row 2, column product: is longer than 1000 characters")

    def test_an_xlsx_nul_written_as_an_escape_is_refused(self):
        sheet = hostile.deposits_sheet(hostile.row(3, ["D2", "2026-03-02", "A001", "NP_x0000_Y", "10", ""]))
        result = self.run_import("deposits", hostile.workbook(sheet), name="nul.xlsx")
        self.assertRejected(result, "NUL")
        self.assertEqual(Deposit.objects.count(), 0)

    def test_a_hand_written_workbook_imports(self):
        result = self.run_import("deposits", hostile.workbook(hostile.deposits_sheet()), name="good.xlsx")
        self.assertImported(result, created=1)


class StreamingReaderTests(ImportTestCase):
    def test_it_reads_shared_strings_numbers_booleans_and_dates_of_an_openpyxl_workbook(self):
        content = xlsx_bytes(
            [
                ["text", "number", "decimal", "flag", "day", "moment", "empty", "formula"],
                ["陳大文", 7, 1234.56, True, datetime.date(2026, 3, 2), datetime.datetime(2026, 3, 3, 9), None, "x"],
                [None, None, None, None, None, None, None, None],
                ["second", -2, 0.1, False, datetime.date(2024, 2, 29), None, None, None],
            ]
        )
        table = read_table(content, "x.xlsx")
        self.assertEqual(table.header, ["text", "number", "decimal", "flag", "day", "moment", "empty", "formula"])
        self.assertEqual(
            table.cells.values.tolist(),
            [
                ["陳大文", "7", "1234.56", "true", "2026-03-02", "2026-03-03", "", "x"],
                ["second", "-2", "0.1", "false", "2024-02-29", "", "", ""],
            ],
        )
        self.assertEqual(table.numbers.tolist(), [2, 4])  # the blank row 3 is skipped, numbers kept

    def test_it_never_trusts_the_dimension_a_sheet_declares(self):
        sheet = hostile.deposits_sheet(dimension="A1:XFD1048576")
        table = read_table(hostile.workbook(sheet), "x.xlsx")
        self.assertEqual((table.cells.shape, table.numbers.tolist()), ((1, 6), [2]))
