"""Every list page of the console downloads its rows as filtered, scoped as the page is, as an
XLSX and a CSV for people; and export_scorecards keeps its machine format unless asked for labels."""

import csv
import io
import tempfile
from pathlib import Path
from unittest import mock

from django.core.management import call_command
from django.urls import reverse
from openpyxl import load_workbook

from appraisals.models import Grade
from reports.exports import SCORECARD_COLUMNS, ScorecardExport
from tests.console.base import OLIVIA_NAME, BaseTestCase

M = "2026-10"
# (url name, args) of every list page with a download, and who may open it.
LISTS = [
    ("staff", []),
    ("records", ["accounts"]),
    ("records", ["deposits"]),
    ("records", ["ebanking"]),
    ("records", ["feedback"]),
    ("scorecards", [M]),
    ("cases", []),
    ("appeals", []),
    ("history", []),
    ("writeups", []),
]
HR_ONLY = {"cases", "history"}


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def csv_of(response) -> list[list[str]]:
    content = body(response)
    assert content.startswith(b"\xef\xbb\xbf"), content[:20]
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def sheet_of(response):
    return load_workbook(io.BytesIO(body(response))).active


class DownloadTests(BaseTestCase):
    def get(self, name, args, **params):
        return self.client.get(reverse(f"console:{name}", args=args), params)

    def test_every_list_page_shows_the_control_and_downloads_both_formats(self):
        self.sign_in(self.hr_user)
        for name, args in LISTS:
            page = self.get(name, args)
            self.assertContains(page, "下载筛选结果", msg_prefix=name)
            self.assertContains(page, "export=xlsx", msg_prefix=name)
            self.assertContains(page, "export=csv", msg_prefix=name)
            xlsx = self.get(name, args, export="xlsx")
            self.assertEqual(xlsx.status_code, 200, name)
            self.assertEqual(xlsx["Content-Type"], "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
            self.assertIn("attachment; filename", xlsx["Content-Disposition"])
            sheet = sheet_of(xlsx)
            self.assertEqual(sheet.freeze_panes, "A2", name)
            rows = csv_of(self.get(name, args, export="csv"))
            self.assertEqual(rows[0], [cell.value for cell in sheet[1]], name)

    def test_headers_follow_the_consoles_language(self):
        self.sign_in(self.hr_user)
        self.assertEqual(csv_of(self.get("staff", [], export="csv"))[0][:2], ["员工编号", "姓名"])
        self.client.cookies["django_language"] = "en"
        self.assertEqual(csv_of(self.get("staff", [], export="csv"))[0][:2], ["Employee no.", "Name"])
        sheet = sheet_of(self.get("scorecards", [M], export="xlsx"))
        header = [cell.value for cell in sheet[1]]
        self.assertIn("Score", header)
        grade = header.index("Grade")
        self.assertTrue(
            {row[grade].value for row in sheet.iter_rows(min_row=2)} <= {"Excellent", "Good", "Pass", "Fail"}
        )

    def test_the_scorecards_have_labels_typed_numbers_and_codes_as_text(self):
        self.sign_in(self.hr_user)
        sheet = sheet_of(self.get("scorecards", [M], export="xlsx"))
        header = [cell.value for cell in sheet[1]]
        rows = {row[1].value: dict(zip(header, row, strict=True)) for row in sheet.iter_rows(min_row=2)}
        alice = rows["E001"]
        self.assertEqual((alice["员工编号"].data_type, alice["机构号"].data_type), ("s", "s"))
        self.assertEqual(alice["机构号"].value, self.tree["outlet_a"].code)
        self.assertEqual((alice["总分"].data_type, alice["总分"].number_format), ("n", "0.00"))
        self.assertEqual(alice["客户满意度"].number_format, "0.0%")
        self.assertEqual(alice["存款日均（万元）"].number_format, "#,##0.00")
        self.assertIn(alice["等次"].value, {"优秀", "良好", "合格", "不合格"})
        self.assertIn(alice["末位预警"].value, {"是", "否"})
        self.assertEqual(rows["E900"]["复核中"].value, "是")  # Olivia's open appeal

    def test_a_branch_code_with_a_leading_zero_keeps_it(self):
        branch = self.tree["outlet_a"]
        branch.code = "0110101"
        branch.save()
        self.sign_in(self.hr_user)
        sheet = sheet_of(self.get("staff", [], export="xlsx"))
        codes = {row[2].value for row in sheet.iter_rows(min_row=2)}
        self.assertIn("0110101", codes)
        rows = csv_of(self.get("staff", [], export="csv"))
        self.assertIn("0110101", {row[2] for row in rows[1:]})

    def test_the_download_holds_exactly_the_pages_filtered_rows(self):
        self.sign_in(self.hr_user)
        cases = [
            ("scorecards", [M], {"grade": Grade.EXCELLENT}),
            ("scorecards", [M], {"q": "E00"}),
            ("staff", [], {"branch": self.tree["sub_a"].pk}),
            ("records", ["feedback"], {"kind": "rating"}),
            ("records", ["accounts"], {"branch": self.tree["sub_a"].pk}),
            ("records", ["deposits"], {"q": "E002"}),
            ("appeals", [], {"status": "open"}),
        ]
        for name, args, params in cases:
            page = self.get(name, args, **params, per_page=500)
            shown = sorted(self.number_of(name, record) for record in page.context["filter"].qs)
            self.assertTrue(shown, f"{name} {params}: the filter keeps some rows")
            rows = csv_of(self.get(name, args, **params, export="csv"))
            number = rows[0].index("员工编号")
            self.assertEqual(sorted(row[number] for row in rows[1:]), shown, f"{name} {params}")
        everyone = len(csv_of(self.get("scorecards", [M], export="csv"))) - 1
        self.assertGreater(everyone, len(csv_of(self.get("scorecards", [M], grade=Grade.EXCELLENT, export="csv"))) - 1)

    def test_more_rows_than_an_excel_sheet_holds_is_refused_before_writing_and_the_csv_still_comes(self):
        self.sign_in(self.hr_user)
        rows = len(csv_of(self.get("records", ["deposits"], q="E00", export="csv"))) - 1
        self.assertGreater(rows, 1)
        with mock.patch("reports.xlsx.MAX_ROWS", rows), mock.patch("reports.xlsx.SheetWriter") as writer:
            response = self.get("records", ["deposits"], q="E00", export="xlsx")
            writer.assert_not_called()
        url = reverse("console:records", args=["deposits"])
        self.assertRedirects(response, f"{url}?q=E00", fetch_redirect_response=False)
        page = self.client.get(response["Location"])
        self.assertContains(page, f"共 {rows:,} 行，超过 Excel 工作表的 {rows - 1:,} 行上限")
        self.assertContains(page, "下载 CSV")
        with mock.patch("reports.xlsx.MAX_ROWS", rows + 1):
            self.assertEqual(
                len(list(sheet_of(self.get("records", ["deposits"], q="E00", export="xlsx")).rows)), rows + 1
            )

    def number_of(self, name, record):
        return record.employee_no if name == "staff" else record.staff.employee_no

    def test_the_case_list_downloads_the_open_cases_it_shows_by_default(self):
        self.sign_in(self.hr_user)
        rows = csv_of(self.get("cases", [], export="csv"))
        self.assertEqual([row[0] for row in rows[1:]], ["E900"])
        self.assertEqual(rows[1][rows[0].index("状态")], "进行中")

    def test_a_branch_head_downloads_only_their_subtree(self):
        self.sign_in(self.head_user)
        for name, args in LISTS:
            for format in ("csv", "xlsx"):
                response = self.get(name, args, export=format)
                if name in HR_ONLY:
                    self.assertEqual(response.status_code, 403, name)
                    continue
                self.assertEqual(response.status_code, 200, f"{name} {format}")
                if format == "csv":
                    text = "\n".join(",".join(row) for row in csv_of(response))
                else:
                    sheet = sheet_of(response)
                    text = "\n".join(",".join(str(v) for v in row) for row in sheet.iter_rows(values_only=True))
                self.assertNotIn("E900", text, f"{name} {format}")
                self.assertNotIn(OLIVIA_NAME, text, f"{name} {format}")
        self.assertIn("E001", "".join(",".join(row) for row in csv_of(self.get("scorecards", [M], export="csv"))))

    def test_a_lobby_manager_downloads_only_their_own_records(self):
        self.sign_in(self.alice_user)
        rows = csv_of(self.get("records", ["accounts"], export="csv"))
        self.assertTrue(rows[1:])
        self.assertEqual({row[2] for row in rows[1:]}, {"E001"})

    def test_a_hostile_name_is_neutralised_in_every_format(self):
        formula = '=HYPERLINK("http://x","y")'
        self.alice.name = formula
        self.alice.save()
        self.sign_in(self.hr_user)
        rows = csv_of(self.get("staff", [], export="csv"))
        self.assertIn("'" + formula, {row[1] for row in rows})
        sheet = sheet_of(self.get("staff", [], export="xlsx"))
        cell = next(row[1] for row in sheet.iter_rows(min_row=2) if row[0].value == "E001")
        self.assertEqual((cell.value, cell.data_type), ("'" + formula, "s"))


class ExportCommandTests(BaseTestCase):
    def run_command(self, *args) -> bytes:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "out"
            call_command("export_scorecards", M, *args, "--output", str(path), stderr=io.StringIO())
            return path.read_bytes()

    def test_the_default_is_the_contracts_machine_format_byte_for_byte(self):
        content = self.run_command()
        self.assertEqual(content, ScorecardExport(period=self.period).render("csv")[2])
        self.assertTrue(content.startswith(",".join(SCORECARD_COLUMNS).encode() + b"\n"))
        self.assertNotIn(b"\r\n", content)
        self.assertIn(b",excellent,", content.replace(b",good,", b",excellent,"))  # codes, not labels

    def test_labels_zh_gives_the_peoples_version(self):
        content = self.run_command("--labels", "zh")
        self.assertTrue(content.startswith(b"\xef\xbb\xbf"))
        rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
        self.assertEqual(rows[0][:3], ["考核月份", "员工编号", "姓名"])
        grade = rows[0].index("等次")
        self.assertTrue({row[grade] for row in rows[1:]} <= {"优秀", "良好", "合格", "不合格"})
        self.assertEqual({row[rows[0].index("一票否决")] for row in rows[1:]} - {"是", "否"}, set())
        self.assertEqual(len(rows) - 1, len(ScorecardExport(period=self.period).render("csv")[2].splitlines()) - 1)

    def test_labels_en_in_xlsx_keeps_codes_as_text(self):
        sheet = load_workbook(io.BytesIO(self.run_command("--labels", "en", "--format", "xlsx"))).active
        header = [cell.value for cell in sheet[1]]
        self.assertEqual(header[:3], ["Appraisal month", "Employee no.", "Name"])
        self.assertEqual(sheet.freeze_panes, "A2")
        self.assertEqual({row[1].data_type for row in sheet.iter_rows(min_row=2)}, {"s"})

    def test_a_bad_month_is_refused_in_chinese(self):
        from django.core.management.base import CommandError

        with self.assertRaisesMessage(CommandError, "月份格式应为 YYYY-MM"):
            call_command("export_scorecards", "2026-13x", stdout=io.StringIO())
        with self.assertRaisesMessage(CommandError, "尚未计算"):
            call_command("export_scorecards", "2025-01", "--labels", "zh", stdout=io.StringIO())
