"""A month a bank can trust (SCORING.md §6): computed only after it ends, published by a review,
finalized by a second HR user with no appeal open, voided with a reason, and seen by lobby
managers only once published.

Hannah (hr-hannah) reviews, Frank (hr-frank) finalizes; Hugo heads sub-branch A; Alice and Bob
are lobby managers at outlet A, Olivia at outlet B.
"""

import datetime
from unittest import mock

from django.contrib.auth import get_user_model
from django.test import TestCase, override_settings

from appraisals.models import (
    Acknowledgement,
    Appeal,
    AppealStatus,
    BranchSignoff,
    CaseEvent,
    CaseStatus,
    ImprovementCase,
    Period,
    PeriodStatus,
    Scorecard,
)
from appraisals.selectors import scorecards_for_user, signoff_state_for_user
from appraisals.services.periods import (
    PeriodError,
    period_compute,
    period_finalize,
    period_reopen,
    period_review,
    period_void,
)
from audit.models import Change
from metrics.models import MonthLock
from staff.models import Membership, Role
from tests import factories
from tests.periods import finalize, hr_user, review

OCTOBER = datetime.date(2026, 10, 1)
NOVEMBER = datetime.date(2026, 11, 1)


class MonthTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.tree = factories.bank_tree()
        cls.alice = factories.staff("E001", "张丽", cls.tree["outlet_a"])
        cls.bob = factories.staff("E002", "王博", cls.tree["outlet_a"])
        cls.olivia = factories.staff("E900", "欧阳奥利维娅", cls.tree["outlet_b"])
        for member, share in ((cls.alice, 1.1), (cls.bob, 0.6), (cls.olivia, 0.9)):
            factories.full_month(member, OCTOBER, share=share)
        cls.hannah, cls.frank = hr_user("hr-hannah"), hr_user("hr-frank")
        User = get_user_model()
        cls.hugo = User.objects.create_user("hugo")
        Membership.objects.create(user=cls.hugo, role=Role.BRANCH_HEAD, branch=cls.tree["sub_a"])
        cls.alice_user = User.objects.create_user("alice")
        Membership.objects.create(user=cls.alice_user, role=Role.LOBBY_MANAGER, staff=cls.alice)

    def compute(self):
        return period_compute(month=OCTOBER).period

    def status(self) -> str:
        return Period.objects.get(month=OCTOBER).status


class ComputeWhenTheMonthHasEndedTests(MonthTestCase):
    def test_a_month_that_has_not_ended_is_refused_and_nothing_is_written(self):
        with mock.patch("core.months.today", return_value=datetime.date(2026, 10, 31)):
            with self.assertRaisesMessage(PeriodError, "2026-10 尚未结束"):
                period_compute(month=OCTOBER)
        self.assertFalse(Period.objects.exists())
        self.assertFalse(Scorecard.objects.exists())

    def test_the_month_can_be_computed_once_its_last_day_is_over_in_shanghai(self):
        # 16:30 UTC on 31 October is half past midnight on 1 November in Shanghai.
        shanghai_midnight = datetime.datetime(2026, 10, 31, 16, 30, tzinfo=datetime.UTC)
        with mock.patch("django.utils.timezone.now", return_value=shanghai_midnight):
            period = period_compute(month=OCTOBER).period
        self.assertEqual((period.status, period.scorecard_count), (PeriodStatus.COMPUTED, 3))

    def test_half_an_hour_earlier_it_is_still_october_in_shanghai(self):
        before_midnight = datetime.datetime(2026, 10, 31, 15, 30, tzinfo=datetime.UTC)
        with mock.patch("django.utils.timezone.now", return_value=before_midnight):
            with self.assertRaises(PeriodError):
                period_compute(month=OCTOBER)


class ReviewAndFinalizeTests(MonthTestCase):
    def setUp(self):
        self.compute()

    def test_the_reviewer_is_recorded_and_a_recomputation_needs_a_new_review(self):
        period = review(OCTOBER, user=self.hannah)
        self.assertEqual((period.status, period.reviewed_by), (PeriodStatus.REVIEWED, self.hannah))
        period = self.compute()
        self.assertEqual((period.status, period.reviewed_by, period.reviewed_at), (PeriodStatus.COMPUTED, None, None))

    def test_a_computed_month_cannot_be_finalized_without_its_review(self):
        with self.assertRaisesMessage(PeriodError, "须先复核"):
            period_finalize(month=OCTOBER, user=self.frank)
        self.assertEqual(self.status(), PeriodStatus.COMPUTED)
        self.assertFalse(MonthLock.objects.exists())

    def test_the_reviewer_cannot_finalize_the_month_too(self):
        review(OCTOBER, user=self.hannah)
        with self.assertRaisesMessage(PeriodError, "需另一位人力资源用户定稿"):
            period_finalize(month=OCTOBER, user=self.hannah)
        self.assertEqual(self.status(), PeriodStatus.REVIEWED)
        self.assertFalse(MonthLock.objects.exists())

    def test_nobody_in_particular_cannot_finalize_under_four_eyes(self):
        review(OCTOBER, user=self.hannah)
        with self.assertRaisesMessage(PeriodError, "四眼原则"):
            period_finalize(month=OCTOBER, user=None)

    @override_settings(FOUR_EYES=False)
    def test_a_one_person_hr_office_finalizes_what_it_reviewed_when_four_eyes_is_off(self):
        review(OCTOBER, user=self.hannah)
        period = period_finalize(month=OCTOBER, user=self.hannah)
        self.assertEqual((period.status, period.finalized_by), (PeriodStatus.FINALIZED, self.hannah))

    def test_a_second_hr_user_finalizes_and_the_month_is_locked(self):
        period = finalize(OCTOBER, reviewer=self.hannah, finalizer=self.frank)
        self.assertEqual(
            (period.status, period.reviewed_by, period.finalized_by), ("finalized", self.hannah, self.frank)
        )
        self.assertTrue(MonthLock.objects.filter(month=OCTOBER).exists())

    def test_an_open_appeal_holds_the_finalization(self):
        review(OCTOBER, user=self.hannah)
        Appeal.objects.create(period=Period.objects.get(), staff=self.bob, text="存款记录漏记了一笔，请复核。")
        with self.assertRaisesMessage(PeriodError, "该月尚有 1 项未处理的申诉"):
            period_finalize(month=OCTOBER, user=self.frank)
        self.assertEqual(self.status(), PeriodStatus.REVIEWED)
        self.assertFalse(MonthLock.objects.exists())

    def test_a_branch_head_can_neither_review_nor_finalize(self):
        with self.assertRaisesMessage(PeriodError, "不是人力资源部的登录账号"):
            period_review(month=OCTOBER, user=self.hugo, without_signoffs=True, reason="行长代为复核")
        review(OCTOBER, user=self.hannah)
        with self.assertRaisesMessage(PeriodError, "不是人力资源部的登录账号"):
            period_finalize(month=OCTOBER, user=self.hugo)
        self.assertEqual(self.status(), PeriodStatus.REVIEWED)

    def test_a_reopened_month_forgets_its_finalization_on_the_period_but_not_in_the_history(self):
        finalized = finalize(OCTOBER, reviewer=self.hannah, finalizer=self.frank)
        period = period_reopen(month=OCTOBER, reason="补录王博十月漏记的开户数据", user=self.frank)
        self.assertEqual(period.status, PeriodStatus.COMPUTED)
        self.assertEqual((period.finalized_at, period.finalized_by, period.reviewed_by), (None, None, None))
        change = Change.objects.filter(action="transition", reason="补录王博十月漏记的开户数据").get()
        self.assertEqual(change.fields["finalized_at"], [str(finalized.finalized_at), None])
        self.assertEqual(change.fields["finalized_by_id"], [str(self.frank.pk), None])


class VoidTests(MonthTestCase):
    def setUp(self):
        self.period = self.compute()

    def test_a_computed_month_is_voided_with_its_reason_and_can_be_computed_again(self):
        case = ImprovementCase.objects.create(staff=self.bob, opened_period=self.period)
        result = period_void(month=OCTOBER, reason="十月存款数据导错了文件", user=self.hannah)
        self.assertEqual((result.scorecards, result.cases_withdrawn), (3, [case.pk]))
        period = Period.objects.get()
        self.assertEqual(
            (period.status, period.scorecard_count, period.void_reason), ("draft", 0, "十月存款数据导错了文件")
        )
        self.assertIsNotNone(period.voided_at)
        self.assertFalse(Scorecard.objects.exists())
        case.refresh_from_db()
        self.assertEqual(case.status, CaseStatus.WITHDRAWN)
        self.assertIn("十月存款数据导错了文件", CaseEvent.objects.get(case=case, kind="withdrawn").note)
        change = Change.objects.get(action="transition", fields__status=["computed", "draft"])
        self.assertEqual(
            (change.reason, change.user, change.fields["scorecard_count"]),
            ("十月存款数据导错了文件", self.hannah, [3, 0]),
        )

        period = self.compute()
        self.assertEqual((period.status, period.scorecard_count), (PeriodStatus.COMPUTED, 3))

    def test_voiding_a_published_month_closes_what_rested_on_its_scorecards_and_keeps_it_in_the_history(self):
        review(OCTOBER, user=self.hannah)
        appeal = Appeal.objects.create(period=self.period, staff=self.bob, text="存款记录漏记了一笔，请复核。")
        Acknowledgement.objects.create(period=self.period, staff=self.alice, user=self.alice_user)
        BranchSignoff.objects.create(period=self.period, branch=self.tree["sub_a"], user=self.hugo, note="已核对")
        result = period_void(month=OCTOBER, reason="考核方案版本选错", user=self.frank)
        self.assertEqual((result.appeals_closed, result.acknowledgements_removed, result.signoffs_removed), (1, 1, 1))
        appeal.refresh_from_db()
        self.assertEqual((appeal.status, appeal.resolved_by), (AppealStatus.VOIDED, self.frank))
        self.assertFalse(Acknowledgement.objects.exists())
        self.assertFalse(BranchSignoff.objects.exists())
        deleted = Change.objects.filter(action="delete", reason="考核方案版本选错", source="void 2026-10")
        self.assertEqual(
            sorted(deleted.values_list("content_type__model", flat=True)), ["acknowledgement", "branchsignoff"]
        )

    def test_a_finalized_month_cannot_be_voided_and_nothing_changes(self):
        finalize(OCTOBER)
        with self.assertRaisesMessage(PeriodError, "已定稿的月份不能作废"):
            period_void(month=OCTOBER, reason="想要撤回已定稿的结果", user=self.hannah)
        self.assertEqual((self.status(), Scorecard.objects.count()), (PeriodStatus.FINALIZED, 3))

    def test_a_month_is_not_voided_without_a_written_reason(self):
        with self.assertRaisesMessage(PeriodError, "作废考核结果必须填写原因"):
            period_void(month=OCTOBER, reason=" 错 ", user=self.hannah)
        self.assertEqual(Scorecard.objects.count(), 3)


class WhoSeesWhatTests(MonthTestCase):
    def setUp(self):
        self.period = self.compute()

    def test_a_lobby_manager_does_not_see_a_computed_month_until_it_is_reviewed(self):
        self.assertFalse(scorecards_for_user(user=self.alice_user).exists())
        self.assertEqual(scorecards_for_user(user=self.hugo, period=self.period).count(), 2)  # Alice and Bob
        self.assertEqual(scorecards_for_user(user=self.hannah, period=self.period).count(), 3)
        review(OCTOBER, user=self.hannah)
        self.assertEqual(
            list(scorecards_for_user(user=self.alice_user).values_list("staff", flat=True)), [self.alice.pk]
        )

    def test_a_branch_head_sees_only_the_sign_off_notes_of_their_own_subtree(self):
        BranchSignoff.objects.create(period=self.period, branch=self.tree["sub_a"], user=self.hugo, note="西湖已核对")
        BranchSignoff.objects.create(period=self.period, branch=self.tree["sub_b"], user=self.frank, note="海曙有疑问")
        notes = [signoff.note for signoff in signoff_state_for_user(period=self.period, user=self.hugo)["signoffs"]]
        self.assertEqual(notes, ["西湖已核对"])
        everyone = signoff_state_for_user(period=self.period, user=self.hannah)["signoffs"]
        self.assertEqual(sorted(signoff.note for signoff in everyone), ["海曙有疑问", "西湖已核对"])


class NobodyBeforeTheirPostTests(MonthTestCase):
    def test_a_lobby_manager_since_august_has_no_july_scorecard_and_july_does_not_count_in_their_rolling_score(self):
        july, august = datetime.date(2026, 7, 1), datetime.date(2026, 8, 1)
        newcomer = factories.staff("E300", "新人", self.tree["outlet_a"], position_since=august)
        for month in (july, august):
            for member in (self.alice, self.bob, newcomer):
                factories.full_month(member, month, share=0.8)
        self.assertEqual(period_compute(month=july).scorecards, 3)  # Alice, Bob and Olivia
        self.assertFalse(Scorecard.objects.filter(staff=newcomer, period__month=july).exists())
        self.assertEqual(Scorecard.objects.get(staff=self.alice, period__month=july).group_size, 2)
        period_compute(month=august)
        card = Scorecard.objects.get(staff=newcomer, period__month=august)
        self.assertEqual(card.rolling, card.score)  # August alone: July does not count

    def test_a_lobby_manager_first_imported_with_position_since_august_is_scored_from_august_only(self):
        import io

        from metrics.services import import_file

        staff_file = io.BytesIO(
            "employee_no,name,branch_code,position,position_since,hired_on\n"
            "E301,新任经理,110101,大堂经理,2026-08-01,2026-03-01\n".encode()
        )
        result = import_file("staff", staff_file, filename="staff.csv", today=datetime.date(2026, 9, 1))
        self.assertTrue(result.ok, result.errors)
        july, august = datetime.date(2026, 7, 1), datetime.date(2026, 8, 1)
        period_compute(month=july)
        period_compute(month=august)
        months = Scorecard.objects.filter(staff__employee_no="E301").values_list("period__month", flat=True)
        self.assertEqual(list(months), [august])
