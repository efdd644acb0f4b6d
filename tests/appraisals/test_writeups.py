"""Appraisal write-ups: every sentence rests on a figure, and HR's own words are never lost."""

import copy
import io

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import SimpleTestCase, TestCase

from appraisals.models import Period, WriteUp, WriteUpStatus
from appraisals.services.periods import period_compute
from appraisals.services.writeups import (
    WriteUpError,
    approximate,
    rounded_en,
    rounded_zh,
    writeup_approve,
    writeup_edit,
    writeup_facts,
    writeup_generate,
    writeup_text,
    yuan_en,
)
from audit.selectors import history_for_object
from tests import factories
from tests.reports.pdf_helpers import OCTOBER, lobby_bank

FACTS = {
    "version": 1,
    "scope": "month",
    "year": 2026,
    "month": 10,
    "first_month": 10,
    "months": 1,
    "name": "张丽",
    "employee_no": "E001",
    "position": "lobby_manager",
    "position_since": "2010-11-01",
    "branch": "准旗支行营业部",
    "peer_group": "鄂尔多斯分行",
    "accounts": 120,
    "effective": 99,
    "ebanking": 73,
    "deposits": "4012.5000",
    "effective_threshold": "10000",
    "praise": 2,
    "ratings": 40,
    "ratings_good": 39,
    "complaints": 0,
    "major_complaints": 0,
    "complaints_recorded": 0,
    "deduction": "0.00",
    "score": "104.50",
    "grade": "excellent",
    "veto": False,
    "exempt": False,
    "present_days": 31,
    "exempt_min": 15,
    "rank": 1,
    "group_size": 10,
    "assessed_items": 6,
    "shortfalls": [{"item": "ebanking", "method": "ratio", "completion": "0.8533", "actual": "12.8"}],
}

EXPECTED_ZH = (
    "张丽同志自2010年11月起担任大堂经理，现任职于准旗支行营业部。"
    "2026年10月，该同志开立各类账户120户，其中日均资产在1万元以上的有效客户90余户；"
    "成功营销各类存款累计4000余万元；通过交叉销售开通网上银行、手机银行等电子银行产品70余户。"
    "当月收到客户表扬2次，客户评价好评率97.5%（共40次评价），服务热情周到，得到客户好评。"
    "当月未发生经查属实的客户投诉。"
    "当月考核得分104.50分，考核等次为优秀，在鄂尔多斯分行大堂经理中排第1名（共10名）。"
    "今后应重点改进：电子银行签约完成目标的85.3%，需加强网上银行、手机银行等电子银行产品的交叉销售。"
)
EXPECTED_EN = (
    "张丽 has served as a lobby manager since November 2010 and works at 准旗支行营业部. "
    "In October 2026, 张丽 opened 120 accounts, more than 90 of them effective customers with a "
    "daily-average balance of RMB 10,000 or more; won deposits totalling more than RMB 40 million; and "
    "signed up more than 70 customers for e-banking such as online and mobile banking through "
    "cross-selling. "
    "That month, 张丽 received 2 commendations from customers and 97.5% of 40 customer ratings were good, "
    "evidence of warm and attentive service. "
    "No upheld customer complaint was recorded in October 2026. "
    "The month's score is 104.50, graded Excellent, ranking 1st of 10 lobby managers in 鄂尔多斯分行. "
    "To improve: e-banking sign-ups reached 85.3% of target — cross-sell online and mobile banking more "
    "consistently."
)

ZERO_COMPLAINTS_ZH = "未发生经查属实的客户投诉"
ZERO_COMPLAINTS_EN = "No upheld customer complaint"
WARM_ZH = "服务热情周到"
WARM_EN = "warm and attentive"


def facts(**changes) -> dict:
    return {**copy.deepcopy(FACTS), **changes}


class WriteUpTextTests(SimpleTestCase):
    def test_the_draft_for_a_fixed_example_reads_exactly_so_in_both_languages(self):
        zh, en = writeup_text(FACTS)
        self.assertEqual(zh, EXPECTED_ZH)
        self.assertEqual(en, EXPECTED_EN)

    def test_the_same_facts_always_give_the_same_text(self):
        self.assertEqual(writeup_text(facts()), writeup_text(facts()))

    def test_figures_are_rounded_the_way_appraisals_round_them(self):
        self.assertEqual(rounded_zh("4012.5"), "4000余")
        self.assertEqual(rounded_zh(73), "70余")
        self.assertEqual(rounded_zh(4321), "4300余")
        self.assertEqual(rounded_zh(120), "120")
        self.assertEqual(rounded_zh(123), "120余")
        self.assertEqual(rounded_zh(8), "8")
        self.assertEqual(rounded_zh(70), "70")
        self.assertEqual(rounded_en(4321), "more than 4,300")
        self.assertEqual(yuan_en(4012), "more than RMB 40 million")
        self.assertEqual(approximate(99), (90, True))
        zh, _ = writeup_text(FACTS)
        self.assertIn("4000余万元", zh)
        self.assertIn("70余户", zh)

    def test_a_complaint_on_the_scorecard_rules_out_the_zero_complaint_sentence(self):
        zh, en = writeup_text(facts(complaints=1, deduction="5.00"))
        self.assertNotIn(ZERO_COMPLAINTS_ZH, zh)
        self.assertNotIn(ZERO_COMPLAINTS_EN, en)
        self.assertIn("当月有经查属实的客户投诉1起；按规定扣5分。", zh)
        self.assertIn("1 customer complaint was upheld; 5 points were deducted.", en)

    def test_a_complaint_found_only_in_the_records_also_rules_it_out(self):
        zh, en = writeup_text(facts(complaints_recorded=1))
        self.assertNotIn(ZERO_COMPLAINTS_ZH, zh)
        self.assertNotIn(ZERO_COMPLAINTS_EN, en)

    def test_a_major_complaint_is_stated_with_the_veto(self):
        zh, en = writeup_text(facts(major_complaints=1, veto=True, grade="fail"))
        self.assertIn("当月有经查属实的客户投诉1起，属重大投诉；按规定实行一票否决。", zh)
        self.assertIn("考核等次为不合格（一票否决）", zh)
        self.assertIn("graded Fail (veto)", en)

    def test_no_warm_phrase_without_praise_or_enough_good_ratings(self):
        for changes in (
            {"praise": 0, "ratings": 40, "ratings_good": 37},  # 92.5% good
            {"praise": 0, "ratings": 5, "ratings_good": 5},  # too few ratings to tell
            {"praise": 0, "ratings": 0, "ratings_good": 0},
        ):
            with self.subTest(**changes):
                zh, en = writeup_text(facts(**changes))
                self.assertNotIn(WARM_ZH, zh)
                self.assertNotIn(WARM_EN, en)
                self.assertNotIn("好评率", zh)

    def test_praise_alone_supports_the_warm_phrase_and_is_counted(self):
        zh, en = writeup_text(facts(praise=1, ratings=0, ratings_good=0))
        self.assertIn("当月收到客户表扬1次，服务热情周到，得到客户好评。", zh)
        self.assertIn("received 1 commendation from customers, evidence of warm", en)

    def test_an_exempt_month_says_why_there_is_no_rank(self):
        zh, en = writeup_text(facts(exempt=True, rank=None, present_days=11))
        self.assertIn("当月出勤11天，不足15天，按规定不参与排名", zh)
        self.assertNotIn("排第", zh)
        self.assertIn("with 11 days present, fewer than 15, 张丽 is not ranked", en)

    def test_nothing_below_target_is_said_plainly(self):
        zh, en = writeup_text(facts(shortfalls=[]))
        self.assertTrue(zh.endswith("各项考核指标均已达标，希望继续保持。"))
        self.assertTrue(en.endswith("Every assessed item met its mark; keep it up."))

    def test_no_work_recorded_is_said_rather_than_zeros(self):
        zh, en = writeup_text(facts(accounts=0, effective=0, ebanking=0, deposits="0"))
        self.assertIn("该同志未录得开户、存款和电子银行业绩", zh)
        self.assertNotIn("0户", zh)
        self.assertIn("no accounts, deposits or e-banking sign-ups were recorded", en)

    def test_the_year_scope_names_the_span_and_counts_the_grades(self):
        year = facts(
            scope="year",
            first_month=1,
            months=10,
            score="96.12",
            grades={"excellent": 3, "good": 7, "pass": 0, "fail": 0},
            rank=2,
        )
        zh, en = writeup_text(year)
        self.assertIn("2026年1—10月，该同志开立", zh)
        self.assertIn("2026年1—10月未发生经查属实的客户投诉", zh)
        self.assertIn("2026年1—10月共10个月参加考核，月均得分96.12分，其中优秀3个月、良好7个月；", zh)
        self.assertIn("10月考核等次为优秀，在鄂尔多斯分行大堂经理中排第2名（共10名）", zh)
        self.assertIn("January–October 2026", en)
        self.assertIn("3 months Excellent, 7 months Good", en)


class WriteUpServiceTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.bank = lobby_bank()
        cls.period = Period.objects.get(month=OCTOBER)
        cls.hr = get_user_model().objects.create_user("hr-officer")

    def test_generating_keeps_the_draft_as_the_text_with_the_facts_and_history(self):
        writeup = writeup_generate(staff=self.bank["alice"], period=self.period, scope="month")
        self.assertEqual(writeup.text_zh, writeup.draft_zh)
        self.assertEqual(writeup.text_en, writeup.draft_en)
        self.assertEqual(writeup.status, WriteUpStatus.DRAFT)
        self.assertEqual(writeup.facts["accounts"], 24)
        self.assertEqual(writeup.facts["deposits"], "120.0000")
        self.assertIn("张丽同志自2018年3月起担任大堂经理，现任职于西湖支行文三路营业部。", writeup.text_zh)
        self.assertIn("成功营销各类存款累计120万元", writeup.text_zh)
        self.assertIn("收到客户表扬2次", writeup.text_zh)
        self.assertIn("当月未发生经查属实的客户投诉", writeup.text_zh)
        self.assertIn("排第1名（共9名）", writeup.text_zh)
        self.assertEqual([change.action for change in history_for_object(writeup)], ["create"])

    def test_someone_with_an_upheld_complaint_never_reads_the_zero_complaint_sentence(self):
        for key in ("fang", "deng"):
            writeup = writeup_generate(staff=self.bank[key], period=self.period, scope="month")
            self.assertNotIn(ZERO_COMPLAINTS_ZH, writeup.text_zh)
            self.assertNotIn(ZERO_COMPLAINTS_EN, writeup.text_en)
        self.assertIn("一票否决", WriteUp.objects.get(staff=self.bank["deng"]).text_zh)

    def test_a_low_satisfaction_earns_no_warm_phrase_but_a_point_to_work_on(self):
        writeup = writeup_generate(staff=self.bank["bob"], period=self.period, scope="month")
        self.assertNotIn(WARM_ZH, writeup.text_zh)
        self.assertIn("客户满意度为", writeup.text_zh)
        self.assertIn("有效客户完成目标的25.0%", writeup.text_zh)
        self.assertNotIn("开户数完成目标", writeup.text_zh, "only the weakest three items are named")

    def test_regenerating_keeps_the_text_hr_edited_and_renews_the_draft(self):
        writeup = writeup_generate(staff=self.bank["bob"], period=self.period, scope="month")
        writeup_edit(writeup=writeup, text_zh="人力资源部修改的评语。", text_en="HR's words.", user=self.hr)
        factories.accounts(self.bank["bob"], OCTOBER, 10)
        period_compute(month=OCTOBER)
        again = writeup_generate(staff=self.bank["bob"], period=self.period, scope="month")
        self.assertEqual(again.pk, writeup.pk)
        self.assertEqual(again.text_zh, "人力资源部修改的评语。")
        self.assertNotEqual(again.draft_zh, writeup.draft_zh)
        self.assertIn("开立各类账户10余户", again.draft_zh)
        self.assertEqual(
            [change.source for change in history_for_object(again)],
            ["writeup generate", "writeup edit", "writeup generate"],
        )

    def test_regenerating_an_untouched_text_follows_the_new_draft(self):
        writeup = writeup_generate(staff=self.bank["bob"], period=self.period, scope="month")
        factories.accounts(self.bank["bob"], OCTOBER, 10)
        period_compute(month=OCTOBER)
        again = writeup_generate(staff=self.bank["bob"], period=self.period, scope="month")
        self.assertEqual(again.text_zh, again.draft_zh)
        self.assertNotEqual(again.text_zh, writeup.text_zh)

    def test_approving_moves_a_draft_to_approved_only_once(self):
        writeup = writeup_generate(staff=self.bank["alice"], period=self.period, scope="month")
        approved = writeup_approve(writeup=writeup, user=self.hr)
        self.assertEqual((approved.status, approved.approved_by), (WriteUpStatus.APPROVED, self.hr))
        with self.assertRaises(WriteUpError):
            writeup_approve(writeup=approved, user=self.hr)

    def test_editing_an_approved_write_up_returns_it_to_draft_with_history(self):
        writeup = writeup_approve(
            writeup=writeup_generate(staff=self.bank["alice"], period=self.period, scope="month"), user=self.hr
        )
        edited = writeup_edit(
            writeup=writeup, text_zh="修改后的评语。", text_en="Edited.", user=self.hr, reason="补充培训情况"
        )
        self.assertEqual(edited.status, WriteUpStatus.DRAFT)
        self.assertIsNone(edited.approved_by)
        change = history_for_object(edited)[0]
        self.assertEqual(change.fields["status"], ["approved", "draft"])
        self.assertEqual(change.fields["text_zh"][1], "修改后的评语。")
        self.assertEqual(change.reason, "补充培训情况")

    def test_an_edit_from_a_stale_copy_is_refused(self):
        writeup = writeup_generate(staff=self.bank["alice"], period=self.period, scope="month")
        stale = WriteUp.objects.get(pk=writeup.pk)
        writeup_edit(writeup=writeup, text_zh="甲。", text_en="A.", user=self.hr)
        with self.assertRaises(WriteUpError):
            writeup_edit(writeup=stale, text_zh="乙。", text_en="B.", user=self.hr)

    def test_the_year_write_up_sums_the_months_from_january(self):
        facts = writeup_facts(staff=self.bank["alice"], period=self.period, scope="year")
        self.assertEqual((facts["first_month"], facts["months"]), (1, 3))
        self.assertEqual(facts["accounts"], 72)
        self.assertEqual(facts["deposits"], "360.0000")
        self.assertEqual(facts["grades"]["excellent"], 3)
        writeup = writeup_generate(staff=self.bank["alice"], period=self.period, scope="year")
        self.assertIn("2026年1—10月共3个月参加考核", writeup.text_zh)
        self.assertIn("成功营销各类存款累计360万元", writeup.text_zh)

    def test_a_staff_member_without_a_scorecard_that_month_is_refused(self):
        teller = factories.staff("E777", "柜员", self.bank["tree"]["outlet_a"], position="teller")
        with self.assertRaisesMessage(WriteUpError, "没有考核结果"):
            writeup_generate(staff=teller, period=self.period, scope="month")

    def test_the_command_drafts_one_write_up_per_scorecard_and_keeps_edits(self):
        out = io.StringIO()
        call_command("write_appraisals", "2026-10", stdout=out)
        self.assertIn("新建 11 份", out.getvalue())
        self.assertEqual(WriteUp.objects.filter(period=self.period, scope="month").count(), 11)
        writeup_edit(
            writeup=WriteUp.objects.get(staff=self.bank["bob"]), text_zh="改。", text_en="Changed.", user=self.hr
        )
        out = io.StringIO()
        call_command("write_appraisals", "2026-10", stdout=out)
        self.assertIn("未变 11 份；保留人力资源部改过的文字 1 份", out.getvalue())
        call_command("write_appraisals", "2026-10", "--year", stdout=io.StringIO())
        self.assertEqual(WriteUp.objects.filter(period=self.period, scope="year").count(), 11)

    def test_the_command_refuses_a_month_never_computed(self):
        with self.assertRaisesMessage(CommandError, "尚未计算"):
            call_command("write_appraisals", "2025-01", stdout=io.StringIO())
