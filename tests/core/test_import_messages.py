"""Import messages speak the language of whoever imports (Chinese by default, English when
asked) and name each column as the file named it: a file headed 日期 hears of 日期, one headed
date of date. The same words reach the console, the command and the API."""

import contextlib
import datetime
import io
from unittest import mock

from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from metrics.management.commands.import_data import Command
from metrics.services import month_lock
from tests import factories
from tests.metrics.helpers import ImportTestCase

HEADER = ["ref", "date", "employee_no", "customer_ref", "amount", "product"]
CHINESE_HEADER = ["流水号", "日期", "员工编号", "客户号", "金额", "产品"]
FEEDBACK_CHINESE = ["流水号", "日期", "员工编号", "渠道", "类型", "评分", "得分"]


class MessageTestCase(ImportTestCase):
    language = "zh-hans"

    def setUp(self):
        super().setUp()
        tree = factories.bank_tree()
        factories.staff("A001", "Alice", tree["outlet_a"])

    def deposit(self, ref="D1", date="2026-03-02", amount="100.00"):
        return [ref, date, "A001", "C1", amount, ""]

    def lines(self, result) -> list[str]:
        return [str(error) for error in result.errors]


class ChineseMessageTests(MessageTestCase):
    def test_a_bad_date_is_told_in_chinese_naming_the_chinese_column(self):
        rows = [
            CHINESE_HEADER,
            self.deposit(),
            self.deposit("D2"),
            self.deposit("D3"),
            self.deposit("D4", "2026-13-01"),
        ]
        result = self.run_import("deposits", rows)
        self.assertEqual(self.lines(result), ["第 5 行「日期」：2026-13-01 不是有效日期"])
        self.assertEqual(result.errors[0].as_dict(), {"row": 5, "column": "日期", "message": "2026-13-01 不是有效日期"})

    def test_an_english_header_is_named_in_english_inside_the_chinese_message(self):
        result = self.run_import("deposits", [HEADER, self.deposit(date="2026-13-01")])
        self.assertEqual(self.lines(result), ["第 2 行「date」：2026-13-01 不是有效日期"])

    def test_a_finalized_month_is_told_in_chinese(self):
        month_lock(month=datetime.date(2026, 3, 1))
        result = self.run_import("deposits", [CHINESE_HEADER, self.deposit()])
        self.assertEqual(self.lines(result), ["第 2 行「日期」：2026-03 已定稿；请先重开该月"])

    def test_feedback_names_评分_not_rating(self):
        rows = [
            FEEDBACK_CHINESE,
            ["F1", "2026-03-02", "A001", "评价器", "评价", "6", ""],
            ["F2", "2026-03-02", "A001", "评价器", "评价", "", ""],
        ]
        lines = self.lines(self.run_import("feedback", rows))
        self.assertEqual(
            lines,
            [
                "第 2 行「评分」：6 不符合要求；应为 1 到 5 之间的整数",
                "第 3 行「评分」：为空；类型为“评价”（rating）时必须填写 1–5 的评分",
            ],
        )
        self.assertFalse(any("rating" in line.split("：")[0] for line in lines))

    def test_changed_content_names_the_columns_as_the_file_did(self):
        self.assertImported(self.run_import("deposits", [CHINESE_HEADER, self.deposit()]), created=1)
        result = self.run_import("deposits", [CHINESE_HEADER, self.deposit(amount="200.00")])
        self.assertEqual(
            self.lines(result),
            ["第 2 行「金额」：流水号 D1 已存有不同的内容：金额 100.00→200.00；如要修改，请用更新模式（--update）"],
        )

    def test_a_missing_column_is_named_in_the_language_of_the_header(self):
        chinese = self.run_import("deposits", [CHINESE_HEADER[:4], ["D1", "2026-03-02", "A001", "C1"]])
        self.assertEqual(self.lines(chinese), ["第 1 行「金额」：缺少必填列「金额」（amount）"])
        english = self.run_import("deposits", [HEADER[:4], ["D1", "2026-03-02", "A001", "C1"]])
        self.assertEqual(self.lines(english), ["第 1 行「amount」：缺少必填列「金额」（amount）"])

    def test_a_repeated_ref_and_an_unknown_employee(self):
        rows = [CHINESE_HEADER, self.deposit(), self.deposit(), ["D3", "2026-03-02", "Z999", "C1", "5", ""]]
        self.assertEqual(
            self.lines(self.run_import("deposits", rows)),
            [
                "第 3 行「流水号」：流水号 D1 在本文件中出现了两次（首次在第 2 行）",
                "第 4 行「员工编号」：未知员工 Z999（请先导入员工文件，或更正员工编号）",
            ],
        )

    def test_a_whole_file_problem_has_no_column(self):
        self.assertEqual(self.lines(self.run_import("deposits", b"")), ["第 1 行：文件是空的"])

    def test_the_success_line(self):
        result = self.run_import("deposits", [CHINESE_HEADER, self.deposit(), self.deposit("D2")])
        self.assertEqual(result.summary, "导入完成：新建 2 条，更新 0 条，未变 0 条。")
        with translation.override("en"):
            self.assertEqual(result.summary, "Import complete: created 2, updated 0, unchanged 0.")


class OtherKindsTests(MessageTestCase):
    def test_staff_and_targets_files_speak_chinese_too(self):
        staff = [
            ["员工编号", "姓名", "机构号", "岗位", "任职日期"],
            ["S1", "赵一", "999999", "大堂经理", "2026-01-01"],
        ]
        self.assertEqual(
            self.lines(self.run_import("staff", staff)),
            ["第 2 行「机构号」：未知机构 999999（请先导入机构文件，或更正机构号）"],
        )
        targets = [["考核期", "范围", "指标", "目标值"], ["2026-03", "nowhere", "accounts", "10"]]
        self.assertEqual(
            self.lines(self.run_import("targets", targets)),
            ["第 2 行「范围」：nowhere 既不是 bank，也不是已知的机构号或员工编号"],
        )


class EnglishMessageTests(MessageTestCase):
    language = "en"

    def test_english_names_the_column_as_the_file_named_it_too(self):
        result = self.run_import("deposits", [CHINESE_HEADER, self.deposit(date="2026-13-01")])
        self.assertEqual(self.lines(result), ["row 2, column 日期: 2026-13-01 is not a real date"])

    def test_feedback_in_english(self):
        rows = [FEEDBACK_CHINESE, ["F1", "2026-03-02", "A001", "评价器", "评价", "", ""]]
        self.assertEqual(
            self.lines(self.run_import("feedback", rows)),
            ["row 2, column 评分: is empty; a rating (1–5) is required when 类型 is rating (评价)"],
        )

    def test_a_finalized_month_in_english(self):
        month_lock(month=datetime.date(2026, 3, 1))
        result = self.run_import("deposits", [HEADER, self.deposit()])
        self.assertEqual(self.lines(result), ["row 2, column date: month 2026-03 is finalized; reopen it first"])


class CommandLanguageTests(MessageTestCase):
    """import_data speaks Chinese unless the active language says otherwise."""

    def run_command(self, *argv):
        out, err = io.StringIO(), io.StringIO()
        status = 0
        with (
            contextlib.redirect_stdout(out),
            contextlib.redirect_stderr(err),
            mock.patch("django.core.management.base.connections.close_all"),
        ):
            try:
                Command().run_from_argv(["manage.py", "import_data", *argv])
            except SystemExit as exit:
                status = exit.code
        return status, out.getvalue(), err.getvalue()

    def test_the_command_speaks_chinese(self):
        bad = self.write("bad.csv", [CHINESE_HEADER, self.deposit(date="2026-13-01")])
        status, out, err = self.run_command("deposits", str(bad))
        self.assertEqual(status, 1)
        self.assertIn("第 2 行「日期」：2026-13-01 不是有效日期\n", err)
        self.assertIn("bad.csv 被拒绝：共 1 处错误，什么也没有写入", err)
        good = self.write("good.csv", [CHINESE_HEADER, self.deposit()])
        self.assertEqual(
            self.run_command("deposits", str(good))[:2],
            # People read the Chinese; the bank's scripts the line of CONTRACT.md §1, kept whole.
            (0, "导入完成：新建 1 条，更新 0 条，未变 0 条。（created 1, updated 0, unchanged 0）\n"),
        )
        with self.assertRaisesMessage(CommandError, "nothing.csv：文件不存在"):
            call_command("import_data", "deposits", str(self.folder / "nothing.csv"))

    def test_the_command_in_english(self):
        with translation.override("en"):
            bad = self.write("bad.csv", [CHINESE_HEADER, self.deposit(date="2026-13-01")])
            status, _out, err = self.run_command("deposits", str(bad))
        self.assertEqual(status, 1)
        self.assertIn("row 2, column 日期: 2026-13-01 is not a real date\n", err)
        self.assertIn("bad.csv rejected: 1 error(s); nothing was written", err)
        with translation.override("en"):
            good = self.write("good.csv", [CHINESE_HEADER, self.deposit()])
            self.assertEqual(
                self.run_command("deposits", str(good))[:2],
                (0, "Import complete: created 1, updated 0, unchanged 0.\n"),
            )
