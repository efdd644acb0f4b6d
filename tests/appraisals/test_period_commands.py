"""The month's commands (CONTRACT.md §2): review_period, finalize_period --as, void_period,
reopen_period and compute_scorecards refuse with a clear Chinese message, exit 1 and change
nothing; `--as` must name an HR sign-in."""

import datetime
import io
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

from django.core.management import CommandError, call_command
from django.test import TestCase
from django.utils import translation

from appraisals.models import Appeal, Period, PeriodStatus, Scorecard
from appraisals.services.periods import period_compute
from metrics.models import MonthLock
from tests import factories
from tests.periods import hr_user

OCTOBER = datetime.date(2026, 10, 1)
ROOT = Path(__file__).resolve().parents[2]


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


class PeriodCommandTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        tree = factories.bank_tree()
        cls.alice = factories.staff("E001", "张丽", tree["outlet_a"])
        cls.olivia = factories.staff("E900", "欧阳奥利维娅", tree["outlet_b"])
        for member in (cls.alice, cls.olivia):
            factories.full_month(member, OCTOBER)
        cls.hannah, cls.frank = hr_user("hr-hannah"), hr_user("hr-frank")

    def setUp(self):
        period_compute(month=OCTOBER)

    def status(self):
        return Period.objects.get(month=OCTOBER).status

    def test_review_waits_for_the_sign_offs_unless_a_reason_is_given(self):
        with self.assertRaisesMessage(CommandError, "还有 2 个支行未签核"):
            run("review_period", "2026-10", "--as", "hr-hannah")
        with self.assertRaisesMessage(CommandError, "必须写明原因"):
            run("review_period", "2026-10", "--as", "hr-hannah", "--without-signoffs")
        self.assertEqual(self.status(), PeriodStatus.COMPUTED)
        out = run("review_period", "2026-10", "--as", "hr-hannah", "--without-signoffs", "--reason", "支行行长均在休假")
        self.assertIn("2026-10 已由 hr-hannah 复核并发布", out)
        period = Period.objects.get()
        self.assertEqual((period.status, period.reviewed_by), (PeriodStatus.REVIEWED, self.hannah))

    def test_as_must_name_an_hr_sign_in(self):
        from django.contrib.auth import get_user_model

        get_user_model().objects.create_user("visitor")
        with self.assertRaisesMessage(CommandError, "没有登录名为 nobody 的账号"):
            run("review_period", "2026-10", "--as", "nobody", "--without-signoffs", "--reason", "支行行长均在休假")
        with self.assertRaisesMessage(CommandError, "visitor 不是人力资源部的登录账号"):
            run("review_period", "2026-10", "--as", "visitor", "--without-signoffs", "--reason", "支行行长均在休假")
        self.assertEqual(self.status(), PeriodStatus.COMPUTED)

    def test_finalize_needs_as_the_review_and_another_hr_user(self):
        with self.assertRaises(CommandError):
            run("finalize_period", "2026-10")  # --as is required
        with self.assertRaisesMessage(CommandError, "须先复核"):
            run("finalize_period", "2026-10", "--as", "hr-frank")
        run("review_period", "2026-10", "--as", "hr-hannah", "--without-signoffs", "--reason", "支行行长均在休假")
        with self.assertRaisesMessage(CommandError, "需另一位人力资源用户定稿"):
            run("finalize_period", "2026-10", "--as", "hr-hannah")
        Appeal.objects.create(period=Period.objects.get(), staff=self.alice, text="开户记录被记到了同事名下。")
        with self.assertRaisesMessage(CommandError, "该月尚有 1 项未处理的申诉"):
            run("finalize_period", "2026-10", "--as", "hr-frank")
        self.assertEqual((self.status(), MonthLock.objects.count()), (PeriodStatus.REVIEWED, 0))
        Appeal.objects.update(status="rejected")
        self.assertIn("2026-10 已由 hr-frank 定稿", run("finalize_period", "2026-10", "--as", "hr-frank"))
        self.assertEqual(self.status(), PeriodStatus.FINALIZED)

    def test_void_removes_a_computed_months_scorecards_and_refuses_a_finalized_one(self):
        out = run("void_period", "2026-10", "--reason", "存款文件导错了月份", "--as", "hr-hannah")
        self.assertIn("2026-10 已作废：删除考核结果 2 份", out)
        self.assertEqual((self.status(), Scorecard.objects.count()), (PeriodStatus.DRAFT, 0))
        period_compute(month=OCTOBER)
        run("review_period", "2026-10", "--as", "hr-hannah", "--without-signoffs", "--reason", "支行行长均在休假")
        run("finalize_period", "2026-10", "--as", "hr-frank")
        with self.assertRaisesMessage(CommandError, "已定稿的月份不能作废"):
            run("void_period", "2026-10", "--reason", "想撤回已定稿的结果")
        self.assertEqual((self.status(), Scorecard.objects.count()), (PeriodStatus.FINALIZED, 2))

    def test_reopen_takes_as_and_a_reason(self):
        run("review_period", "2026-10", "--as", "hr-hannah", "--without-signoffs", "--reason", "支行行长均在休假")
        run("finalize_period", "2026-10", "--as", "hr-frank")
        out = run("reopen_period", "2026-10", "--reason", "补录漏记的存款", "--as", "hr-frank")
        self.assertIn("2026-10 已重开", out)
        period = Period.objects.get()
        self.assertEqual((period.status, period.finalized_at), (PeriodStatus.COMPUTED, None))

    def test_recomputing_says_how_many_scorecards_were_written(self):
        out = run("compute_scorecards", "2026-10")
        self.assertIn("2026-10：考核结果 2 份", out)
        self.assertIn("（新写入 0 份，更新 0 份，删除 0 份，未变 2 份）", out)
        factories.deposit(self.olivia, OCTOBER, Decimal("50000.00"))  # a group of her own
        with translation.override("en"):
            out = run("compute_scorecards", "2026-10")
        self.assertIn("(written: 0 new, 1 updated, 0 removed, 1 unchanged)", out)

    def test_a_bad_month_is_a_clear_message_not_a_traceback(self):
        with self.assertRaisesMessage(CommandError, "月份格式应为 YYYY-MM"):
            run("finalize_period", "2026/10", "--as", "hr-frank")


class CommandExitStatusTests(TestCase):
    def test_computing_a_month_that_has_not_ended_exits_1_with_a_chinese_message(self):
        # A real process: the refusal comes before any database is touched.
        result = subprocess.run(
            [sys.executable, "manage.py", "compute_scorecards", "2999-01"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        self.assertEqual(result.returncode, 1, result.stderr)
        self.assertIn("2999-01 尚未结束（按北京时间），月末之后才能计算。", result.stderr)
        self.assertEqual(result.stdout, "")
