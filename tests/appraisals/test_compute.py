"""Computing a month end to end: records in the database → scorecards, cases and the workflow."""

import datetime
from decimal import Decimal

from django.test import TestCase

from appraisals.models import CaseStatus, ImprovementCase, Period, PeriodStatus, Scheme, Scorecard, Target
from appraisals.services.cases import case_close
from appraisals.services.periods import (
    PeriodError,
    period_compute,
    period_finalize,
    period_reopen,
    period_review,
)
from audit.models import Change
from metrics.models import MonthLock
from reports.exports import SCORECARD_COLUMNS, ScorecardExport
from scoring import DEFAULT_SCHEME
from staff.models import Absence
from tests import factories
from tests.periods import finalize, hr_user

OCTOBER = datetime.date(2026, 10, 1)
AUGUST = datetime.date(2026, 8, 1)
SEPTEMBER = datetime.date(2026, 9, 1)


class ComputeTestCase(TestCase):
    """Branch A has ten lobby managers: Alice the star, Bob the steady low performer, and
    eight colleagues at ordinary levels; branch B has Olivia alone."""

    def setUp(self):
        self.tree = factories.bank_tree()
        self.alice = factories.staff("E001", "张丽", self.tree["outlet_a"])
        self.bob = factories.staff("E002", "王博", self.tree["outlet_a"])
        self.colleagues = [factories.staff(f"E1{i:02d}", f"同事{i}", self.tree["outlet_a"]) for i in range(8)]
        self.olivia = factories.staff("E900", "欧阳奥利维娅", self.tree["outlet_b"])

    def month_of_work(self, month, *, bob_share=0.3):
        factories.full_month(self.alice, month, share=1.2)
        factories.full_month(self.bob, month, share=bob_share)
        for i, colleague in enumerate(self.colleagues):
            factories.full_month(colleague, month, share=0.85 + i * 0.02)
        factories.full_month(self.olivia, month, share=1.0)


class ComputeMonthTests(ComputeTestCase):
    def test_every_active_lobby_manager_gets_one_scorecard(self):
        factories.staff("E500", "柜员甲", self.tree["outlet_a"], position="teller")
        factories.staff("E501", "离职者", self.tree["outlet_a"], status="left")
        self.month_of_work(OCTOBER)
        result = period_compute(month=OCTOBER)
        self.assertEqual(result.scorecards, 11)
        self.assertEqual(Scorecard.objects.filter(period__month=OCTOBER).count(), 11)

    def test_the_star_scores_the_capped_maximum_and_ranks_first(self):
        self.month_of_work(OCTOBER)
        period_compute(month=OCTOBER)
        card = Scorecard.objects.get(staff=self.alice)
        # 18 + 24 + 24 + 18 at the cap, satisfaction (48 + 9.5) / 58 → 0.9914 → 19.83, mystery 100 → 10
        self.assertEqual(card.points_accounts, Decimal("18.00"))
        self.assertEqual(card.points_deposits, Decimal("18.00"))
        self.assertEqual(card.rank, 1)
        self.assertEqual(card.grade, "excellent")
        self.assertEqual(card.group_size, 10)
        self.assertEqual(card.peer_group, self.tree["branch_a"])
        self.assertEqual(card.scheme.code, "lobby-2026")
        self.assertEqual(len(card.input_fingerprint), 64)

    def test_a_group_of_one_has_rank_one_and_percentile_zero(self):
        self.month_of_work(OCTOBER)
        period_compute(month=OCTOBER)
        card = Scorecard.objects.get(staff=self.olivia)
        self.assertEqual((card.rank, card.group_size, card.percentile), (1, 1, Decimal("0.0000")))

    def test_the_most_specific_target_wins_from_the_database(self):
        self.month_of_work(OCTOBER)
        Target.objects.create(month=OCTOBER, scope_kind="bank", item="accounts", target=40)
        Target.objects.create(month=OCTOBER, scope_kind="branch", branch=self.tree["sub_a"], item="accounts", target=30)
        Target.objects.create(month=OCTOBER, scope_kind="staff", staff=self.bob, item="accounts", target=5)
        period_compute(month=OCTOBER)
        items = {
            card.staff_id: {item["code"]: item for item in card.items}
            for card in Scorecard.objects.filter(staff__in=[self.alice, self.bob, self.olivia])
        }
        self.assertEqual(items[self.bob.pk]["accounts"]["target"], 5)
        self.assertEqual(items[self.alice.pk]["accounts"]["target"], 30)
        self.assertEqual(items[self.olivia.pk]["accounts"]["target"], 40)

    def test_an_absent_member_is_exempt_and_unranked(self):
        self.month_of_work(OCTOBER)
        Absence.objects.create(
            staff=self.colleagues[0],
            start=datetime.date(2026, 9, 20),
            end=datetime.date(2026, 10, 20),
            kind="sick",
        )
        period_compute(month=OCTOBER)
        card = Scorecard.objects.get(staff=self.colleagues[0])
        self.assertEqual(card.present_days, 11)
        self.assertTrue(card.exempt)
        self.assertIsNone(card.rank)
        self.assertEqual(card.group_size, 9)

    def test_computing_a_month_twice_gives_identical_scorecards(self):
        self.month_of_work(OCTOBER)
        period_compute(month=OCTOBER)
        first = list(Scorecard.objects.order_by("staff_id").values(*SCORECARD_FIELDS))
        period_compute(month=OCTOBER)
        second = list(Scorecard.objects.order_by("staff_id").values(*SCORECARD_FIELDS))
        self.assertEqual(first, second)


SCORECARD_FIELDS = [
    "staff_id",
    "score",
    "base",
    "bonus",
    "deduction",
    "grade",
    "rank",
    "group_size",
    "percentile",
    "rolling",
    "bottom_flag",
    "points_accounts",
    "points_mystery",
    "input_fingerprint",
    "items",
]


class BottomFlagAndCaseTests(ComputeTestCase):
    def compute_three_months(self):
        for month in (AUGUST, SEPTEMBER, OCTOBER):
            self.month_of_work(month)
            period_compute(month=month)

    def test_three_flagged_months_open_one_improvement_case(self):
        self.compute_three_months()
        flags = list(
            Scorecard.objects.filter(staff=self.bob).order_by("period__month").values_list("bottom_flag", "case_opened")
        )
        self.assertEqual(flags, [(True, False), (True, False), (True, True)])
        case = ImprovementCase.objects.get(staff=self.bob)
        self.assertEqual((case.stage, case.status, case.opened_period.month), (1, CaseStatus.OPEN, OCTOBER))
        self.assertEqual(case.events.get().kind, "opened")
        self.assertFalse(ImprovementCase.objects.exclude(staff=self.bob).exists())

    def test_recomputing_the_month_that_opened_a_case_keeps_it(self):
        self.compute_three_months()
        case = ImprovementCase.objects.get(staff=self.bob)
        period_compute(month=OCTOBER)
        self.assertEqual(list(ImprovementCase.objects.values_list("pk", flat=True)), [case.pk])
        self.assertTrue(Scorecard.objects.get(staff=self.bob, period__month=OCTOBER).case_opened)

    def test_a_case_is_withdrawn_not_deleted_when_the_rule_no_longer_holds(self):
        self.compute_three_months()
        # A sick leave recorded late: Bob was away most of October, so he is exempt, not flagged.
        Absence.objects.create(
            staff=self.bob, start=datetime.date(2026, 10, 5), end=datetime.date(2026, 10, 31), kind="sick"
        )
        result = period_compute(month=OCTOBER)
        case = ImprovementCase.objects.get(staff=self.bob)
        self.assertEqual(case.status, CaseStatus.WITHDRAWN)
        self.assertIn("不再满足", case.outcome_note)
        self.assertEqual(result.cases_withdrawn, [case.pk])

    def test_a_fourth_flagged_month_opens_no_second_case(self):
        self.compute_three_months()
        november = datetime.date(2026, 11, 1)
        self.month_of_work(november)
        period_compute(month=november)
        self.assertTrue(Scorecard.objects.get(staff=self.bob, period__month=november).bottom_flag)
        self.assertEqual(ImprovementCase.objects.filter(staff=self.bob).count(), 1)

    def test_after_closing_a_case_only_three_later_flags_open_a_new_one(self):
        self.compute_three_months()
        case = ImprovementCase.objects.get(staff=self.bob)
        case_close(case=case, note="改进计划完成，业绩回升", month=OCTOBER, user=None)
        november = datetime.date(2026, 11, 1)
        self.month_of_work(november)
        period_compute(month=november)
        self.assertEqual(ImprovementCase.objects.filter(staff=self.bob).count(), 1)


class PeriodWorkflowTests(ComputeTestCase):
    def setUp(self):
        super().setUp()
        self.month_of_work(OCTOBER)
        period_compute(month=OCTOBER)

    def test_a_finalized_month_refuses_computation_with_a_clear_message(self):
        finalize(OCTOBER)
        with self.assertRaisesMessage(PeriodError, "已定稿"):
            period_compute(month=OCTOBER)
        self.assertTrue(MonthLock.objects.filter(month=OCTOBER).exists())

    def test_a_month_cannot_be_finalized_twice(self):
        finalize(OCTOBER)
        with self.assertRaisesMessage(PeriodError, "已定稿"):
            period_finalize(month=OCTOBER, user=hr_user("hr-frank"))

    def test_the_month_moves_draft_computed_reviewed_finalized(self):
        self.assertEqual(Period.objects.get().status, PeriodStatus.COMPUTED)
        with self.assertRaisesMessage(PeriodError, "未签核"):
            period_review(month=OCTOBER)
        period_review(
            month=OCTOBER, user=hr_user("hr-hannah"), without_signoffs=True, reason="支行行长休假，人力资源部代为复核"
        )
        period = period_finalize(month=OCTOBER, user=hr_user("hr-frank"))
        self.assertEqual(period.status, PeriodStatus.FINALIZED)
        transitions = Change.objects.filter(action="transition").order_by("id")
        self.assertEqual(
            [c.fields["status"] for c in transitions],
            [["draft", "computed"], ["computed", "reviewed"], ["reviewed", "finalized"]],
        )

    def test_reopening_needs_a_written_reason(self):
        finalize(OCTOBER)
        with self.assertRaisesMessage(PeriodError, "原因"):
            period_reopen(month=OCTOBER, reason="  ")

    def test_the_recomputation_after_a_reopen_records_every_change(self):
        finalize(OCTOBER)
        period_reopen(month=OCTOBER, reason="补录王博十月漏记的开户数据")
        self.assertFalse(MonthLock.objects.filter(month=OCTOBER).exists())
        before = Scorecard.objects.get(staff=self.bob)
        factories.accounts(self.bob, OCTOBER, 10)
        result = period_compute(month=OCTOBER)
        after = Scorecard.objects.get(staff=self.bob)
        self.assertGreater(after.score, before.score)
        self.assertGreaterEqual(result.changes, 1)
        change = Change.objects.get(source="recompute 2026-10", object_id=str(after.pk))
        self.assertEqual(change.fields["score"], [str(before.score), str(after.score)])
        self.assertEqual(change.reason, "补录王博十月漏记的开户数据")


class ExportTests(ComputeTestCase):
    def test_the_csv_has_the_contract_columns_and_order(self):
        self.month_of_work(OCTOBER)
        Absence.objects.create(staff=self.colleagues[0], start=OCTOBER, end=datetime.date(2026, 10, 25))
        period_compute(month=OCTOBER)
        filename, content_type, content = ScorecardExport(period=Period.objects.get()).render("csv")
        self.assertEqual(filename, "scorecards-2026-10.csv")
        lines = content.decode("utf-8").split("\n")
        self.assertEqual(lines[0], ",".join(SCORECARD_COLUMNS))
        self.assertEqual(lines[-1], "")
        rows = [line.split(",") for line in lines[1:-1]]
        self.assertEqual(len(rows), 11)
        # Branch A (110000) first, by rank, the exempt colleague last; then branch B.
        self.assertEqual([row[4] for row in rows], ["110000"] * 10 + ["120000"])
        self.assertEqual(rows[0][1], "E001")
        exempt = rows[9]
        self.assertEqual(exempt[1], "E100")
        self.assertEqual((exempt[26], exempt[28], exempt[30]), ("true", "", ""))
        alice = dict(zip(SCORECARD_COLUMNS, rows[0], strict=True))
        self.assertEqual(alice["deposits"], "120.0000")
        self.assertEqual(alice["points_accounts"], "18.00")
        self.assertEqual(alice["grade"], "excellent")
        self.assertEqual(alice["veto"], "false")
        self.assertEqual(alice["group_size"], "9")

    def test_the_xlsx_has_the_same_rows(self):
        import io

        from openpyxl import load_workbook

        self.month_of_work(OCTOBER)
        period_compute(month=OCTOBER)
        _, content_type, content = ScorecardExport(period=Period.objects.get()).render("xlsx")
        sheet = load_workbook(io.BytesIO(content)).active
        rows = list(sheet.iter_rows(values_only=True))
        self.assertEqual(list(rows[0]), SCORECARD_COLUMNS)
        self.assertEqual(len(rows), 12)


class SchemeMigrationTests(TestCase):
    def test_the_shipped_scheme_is_exactly_scoring_md(self):
        scheme = Scheme.objects.get(code="lobby-2026", version=1)
        self.assertEqual(scheme.parameters, DEFAULT_SCHEME.to_dict())


class NoSchemeTests(ComputeTestCase):
    def test_a_month_cannot_be_computed_without_an_active_scheme_and_says_so(self):
        Scheme.objects.update(active=False)
        with self.assertRaisesMessage(PeriodError, "没有启用的大堂经理考核方案"):
            period_compute(month=OCTOBER)
        self.assertFalse(Scorecard.objects.exists())
