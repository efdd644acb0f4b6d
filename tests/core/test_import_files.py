"""Reading import files: encodings, XLSX, headers, whole-file problems, the all-or-nothing
run, dry runs, the ImportBatch record of every run, and the import_data command."""

import contextlib
import datetime
import io
from decimal import Decimal
from unittest import mock

from django.core.management import call_command
from django.core.management.base import CommandError

from core.imports.cells import Column, Text
from core.imports.errors import RowError
from core.imports.kinds import KINDS, KindSpec, Plan, register
from metrics.management.commands.import_data import Command
from metrics.models import Deposit, ImportBatch
from metrics.services import import_file
from tests import factories
from tests.metrics.helpers import TODAY, ImportTestCase, csv_bytes

HEADER = ["ref", "date", "employee_no", "customer_ref", "amount", "product"]
CHINESE_HEADER = ["流水号", "日期", "员工编号", "客户号", "金额", "产品"]


class FileTestCase(ImportTestCase):
    def setUp(self):
        super().setUp()
        tree = factories.bank_tree()
        self.alice = factories.staff("A001", "Alice", tree["outlet_a"])
        self.bob = factories.staff("B001", "Bob", tree["outlet_b"])

    def deposits(self, *rows, header=HEADER):
        return [header, *[list(row) for row in rows]]


class EncodingTests(FileTestCase):
    def test_it_reads_gb18030_with_chinese_headers(self):
        content = csv_bytes(
            self.deposits(["D1", "2026-03-02", "A001", "C1", "100.00", "定期存款"], header=CHINESE_HEADER),
            encoding="gb18030",
        )
        self.assertNotEqual(content, content.decode("gb18030").encode("utf-8"))  # really GB18030
        result = self.run_import("deposits", content)
        self.assertImported(result, created=1)
        self.assertEqual(Deposit.objects.get().product, "定期存款")

    def test_it_reads_utf8_with_a_byte_order_mark(self):
        content = b"\xef\xbb\xbf" + csv_bytes(self.deposits(["D1", "2026-03-02", "A001", "C1", "5", "活期"]))
        result = self.run_import("deposits", content)
        self.assertImported(result, created=1)
        self.assertEqual(Deposit.objects.get().ref, "D1")

    def test_it_reads_real_date_cells_of_an_xlsx(self):
        rows = self.deposits(
            ["D1", datetime.date(2026, 3, 2), "A001", "C1", 1234.5, "定期"],
            ["D2", datetime.datetime(2026, 3, 3, 0, 0), "B001", "C2", 20, ""],
        )
        result = self.run_import("deposits", self.write("deposits.xlsx", rows))
        self.assertImported(result, created=2)
        stored = dict(Deposit.objects.values_list("ref", "date"))
        self.assertEqual(stored, {"D1": datetime.date(2026, 3, 2), "D2": datetime.date(2026, 3, 3)})
        self.assertEqual(Deposit.objects.get(ref="D1").amount, Decimal("1234.50"))

    def test_it_reads_an_xlsx_whatever_its_name_says(self):
        rows = self.deposits(["D1", datetime.date(2026, 3, 2), "A001", "C1", 10, ""])
        path = self.write("deposits.csv", self.write("real.xlsx", rows).read_bytes())
        self.assertImported(self.run_import("deposits", path), created=1)


class WholeFileProblemTests(FileTestCase):
    def test_it_rejects_a_file_missing_a_required_column(self):
        result = self.run_import(
            "deposits", [["ref", "date", "employee_no", "customer_ref"], ["D1", "2026-03-02", "A001", "C1"]]
        )
        self.assertEqual(result.errors, [RowError(1, "amount", "required column is missing: amount (金额)")])
        self.assertEqual(str(result.errors[0]), "row 1, column amount: required column is missing: amount (金额)")

    def test_it_rejects_an_empty_file(self):
        result = self.run_import("deposits", b"")
        self.assertEqual([str(error) for error in result.errors], ["row 1, column -: the file is empty"])

    def test_it_rejects_a_file_with_a_header_and_no_rows(self):
        result = self.run_import("deposits", ",".join(HEADER) + "\n\n,,,,,\n")
        self.assertRejected(result, "row 1, column -: the file has a header but no data rows")
        self.assertEqual(len(result.errors), 1)

    def test_it_rejects_a_pdf_renamed_csv(self):
        result = self.run_import("deposits", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\n")
        self.assertRejected(result, "row 1, column -: the file is neither CSV (UTF-8 or GB18030) nor XLSX", "PDF")
        self.assertEqual(len(result.errors), 1)

    def test_it_rejects_a_png_and_binary_junk(self):
        for content in (
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
            bytes(range(256)) * 4,
            b"PK\x03\x04junk that is no zip",
        ):
            with self.subTest(content=content[:8]):
                result = self.run_import("deposits", content)
                self.assertRejected(result, "the file is neither CSV (UTF-8 or GB18030) nor XLSX")
                self.assertEqual(len(result.errors), 1)

    def test_it_rejects_a_row_with_more_cells_than_the_header(self):
        content = (
            ",".join(HEADER)
            + "\nD1,2026-03-02,A001,C1,10,\nD2,2026-03-02,A001,C1,10,,extra\nD3,2026-03-32,A001,C1,10,\n"
        )
        result = self.run_import("deposits", content)
        self.assertEqual(
            [str(error) for error in result.errors],
            [
                "row 3, column -: the row has 7 cells but the header has 6",
                "row 4, column date: 2026-03-32 is not a real date",
            ],
        )


class HeaderTests(FileTestCase):
    def test_it_ignores_unknown_columns_and_the_case_and_spaces_of_english_headers(self):
        rows = [
            [" REF ", "Date", "EMPLOYEE_NO", "customer_ref", "Amount ", "remark"],
            ["D1", "2026-03-02", "A001", "C1", "7", "x"],
        ]
        self.assertImported(self.run_import("deposits", rows), created=1)

    def test_it_rejects_a_column_given_twice(self):
        rows = [[*HEADER, "金额"], ["D1", "2026-03-02", "A001", "C1", "7", "", "8"]]
        self.assertRejected(
            self.run_import("deposits", rows), "row 1, column amount: the column appears more than once"
        )


class AllOrNothingTests(FileTestCase):
    def test_it_reports_every_bad_row_at_once_with_row_numbers(self):
        rows = self.deposits(
            ["D1", "2026-03-02", "A001", "C1", "10", ""],
            ["D2", "2026-02-30", "A001", "C2", "10", ""],
            ["D3", "2026-03-02", "Z999", "C3", "-5", ""],
            ["D4", "2026-03-02", "A001", "C4", "ten", ""],
        )
        result = self.run_import("deposits", rows)
        self.assertEqual(
            [str(error) for error in result.errors],
            [
                "row 3, column date: 2026-02-30 is not a real date",
                "row 4, column employee_no: unknown employee Z999 (import the staff file first, or correct the "
                "employee number)",
                "row 4, column amount: -5 is negative; amounts cannot be negative",
                "row 5, column amount: ten is not an amount (yuan with up to 2 decimals, e.g. 1,234.50)",
            ],
        )

    def test_one_bad_row_among_good_ones_writes_nothing(self):
        good = [[f"D{i}", "2026-03-02", "A001", f"C{i}", "10", ""] for i in range(50)]
        result = self.run_import("deposits", self.deposits(*good, ["BAD", "2026-03-02", "A001", "C", "x", ""]))
        self.assertRejected(result, "row 52, column amount")
        self.assertEqual(Deposit.objects.count(), 0)
        self.assertEqual((result.created, result.updated, result.unchanged), (0, 0, 0))

    def test_a_dry_run_checks_everything_and_writes_nothing(self):
        result = self.run_import("deposits", self.deposits(["D1", "2026-03-02", "A001", "C1", "10", ""]), dry_run=True)
        self.assertImported(result, created=1)
        self.assertEqual(Deposit.objects.count(), 0)
        batch = ImportBatch.objects.get(pk=result.batch_id)
        self.assertEqual((batch.outcome, batch.created), (ImportBatch.Outcome.DRY_RUN, 1))

    def test_every_run_is_recorded_with_its_outcome_counts_and_errors(self):
        imported = self.run_import("deposits", self.deposits(["D1", "2026-03-02", "A001", "C1", "10", ""]))
        rejected = self.run_import("deposits", self.deposits(["D2", "2026-03-02", "A001", "C1", "x", ""]))
        batches = {batch.pk: batch for batch in ImportBatch.objects.all()}
        self.assertEqual(batches[imported.batch_id].outcome, ImportBatch.Outcome.IMPORTED)
        self.assertEqual(batches[imported.batch_id].created, 1)
        self.assertEqual(len(batches[imported.batch_id].sha256), 64)
        self.assertEqual(Deposit.objects.get().batch_id, imported.batch_id)
        self.assertEqual(batches[rejected.batch_id].outcome, ImportBatch.Outcome.REJECTED)
        self.assertEqual(
            batches[rejected.batch_id].errors,
            [
                {
                    "row": 2,
                    "column": "amount",
                    "message": "x is not an amount (yuan with up to 2 decimals, e.g. 1,234.50)",
                }
            ],
        )

    def test_the_result_and_the_batch_list_the_first_hundred_errors_and_count_them_all(self):
        rows = self.deposits(*[[f"D{i}", "2026-03-02", "A001", "C", "x", ""] for i in range(1200)])
        result = self.run_import("deposits", rows)
        self.assertEqual((len(result.errors), result.error_count, result.unlisted_errors), (100, 1200, 1100))
        self.assertEqual([error.row for error in result.errors[:3]], [2, 3, 4])
        batch = ImportBatch.objects.get(pk=result.batch_id)
        self.assertEqual((len(batch.errors), batch.error_count), (100, 1200))

    def test_deleting_a_batch_keeps_its_records(self):
        result = self.run_import("deposits", self.deposits(["D1", "2026-03-02", "A001", "C1", "10", ""]))
        ImportBatch.objects.filter(pk=result.batch_id).delete()
        self.assertEqual(Deposit.objects.get().batch_id, None)

    def test_it_takes_an_open_binary_file_and_its_name(self):
        content = io.BytesIO(csv_bytes(self.deposits(["D1", "2026-03-02", "A001", "C1", "10", ""])))
        result = import_file("deposits", content, filename="march.csv", today=TODAY)
        self.assertImported(result, created=1)
        self.assertEqual(ImportBatch.objects.get(pk=result.batch_id).filename, "march.csv")

    def test_it_refuses_an_unknown_kind(self):
        with self.assertRaisesMessage(ValueError, "unknown kind 'salaries'"):
            import_file("salaries", io.BytesIO(b"a\n1\n"))


class RegistryTests(ImportTestCase):
    def test_another_app_can_register_a_kind(self):
        seen = []

        def prepare(rows, context):
            seen.extend(rows.value("word").tolist())
            rows.flag(rows.value("word") == "bad", "word", "is bad")
            return Plan(created=len(rows))

        register(
            KindSpec(
                name="words",
                label="词",
                columns=(Column("word", "词语", Text(), required=True),),
                prepare=prepare,
            )
        )
        self.addCleanup(KINDS.pop, "words")
        self.assertImported(self.run_import("words", "词语\nhello\n"), created=1)
        self.assertRejected(self.run_import("words", "word\nok\nbad\n"), "row 3, column word: is bad")
        self.assertEqual(seen, ["hello", "ok", "bad"])

    def test_the_built_in_kinds_come_in_file_order(self):
        self.assertEqual(
            list(KINDS)[:7], ["branches", "staff", "absences", "accounts", "deposits", "ebanking", "feedback"]
        )


class CommandTests(FileTestCase):
    def run_command(self, *argv):
        """Runs the command as manage.py does, returning (exit status, stdout, stderr)."""
        out, err = io.StringIO(), io.StringIO()
        status = 0
        with (
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
            mock.patch("django.core.management.base.connections.close_all"),  # keep the test database
        ):
            try:
                Command().run_from_argv(["manage.py", "import_data", *argv])
            except SystemExit as exit:
                status = exit.code
        return status, out.getvalue(), err.getvalue()

    def test_it_prints_every_error_and_exits_with_status_1(self):
        path = self.write(
            "bad.csv",
            self.deposits(["D1", "2026-02-30", "A001", "C1", "10", ""], ["D2", "2026-03-01", "A001", "C2", "-1", ""]),
        )
        status, out, err = self.run_command("deposits", str(path))
        self.assertEqual(status, 1)
        self.assertIn("row 2, column date: 2026-02-30 is not a real date\n", err)
        self.assertIn("row 3, column amount: -1 is negative; amounts cannot be negative\n", err)
        self.assertEqual(out, "")
        self.assertEqual(Deposit.objects.count(), 0)

    def test_it_prints_the_summary_line_on_success(self):
        path = self.write("good.csv", self.deposits(["D1", "2026-03-02", "A001", "C1", "10", ""]))
        status, out, _ = self.run_command("deposits", str(path))
        self.assertEqual((status, out), (0, "Import complete: created 1, updated 0, unchanged 0.\n"))
        status, out, _ = self.run_command("deposits", str(path), "--dry-run")
        self.assertEqual(
            (status, out), (0, "Check passed: created 0, updated 0, unchanged 1 (dry run: nothing written).\n")
        )

    def test_call_command_raises_with_return_code_1(self):
        path = self.write("bad.csv", self.deposits(["D1", "2026-03-02", "A001", "C1", "x", ""]))
        with self.assertRaises(CommandError) as raised:
            call_command("import_data", "deposits", str(path), stderr=io.StringIO())
        self.assertEqual(raised.exception.returncode, 1)
