"""The month page: who sees a computed month, a disabled step says why beside it, HR voids with a
reason, and a month that has not ended is not computed from the console."""

import datetime
from unittest import mock

from django.urls import reverse

from appraisals.models import BranchSignoff, Job, Period, PeriodStatus, Scorecard
from appraisals.services.periods import period_compute
from tests.console.base import OCTOBER, BaseTestCase

M = "2026-10"


class ComputedMonthTests(BaseTestCase):
    """October has just been computed again, so it is not published; September was."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.period = period_compute(month=OCTOBER).period

    def test_a_lobby_manager_cannot_open_a_computed_months_scorecard(self):
        self.sign_in(self.alice_user)
        self.assertEqual(self.client.get(reverse("console:scorecard", args=[M, "E001"])).status_code, 404)
        page = self.client.get(reverse("console:me"))
        self.assertNotContains(page, "查看并确认")
        self.assertIsNone(page.context["latest"])

    def test_the_me_page_shows_the_last_published_month(self):
        september = Period.objects.create(month=datetime.date(2026, 9, 1), status=PeriodStatus.FINALIZED)
        card = Scorecard.objects.get(period=self.period, staff=self.alice)
        card.pk, card.period = None, september
        card.save()
        self.sign_in(self.alice_user)
        self.assertEqual(self.client.get(reverse("console:me")).context["latest"].period, september)

    def test_a_branch_head_sees_the_computed_month_of_their_subtree(self):
        self.sign_in(self.head_user)
        self.assertEqual(self.client.get(reverse("console:scorecard", args=[M, "E001"])).status_code, 200)

    def test_a_branch_head_sees_only_their_own_sub_branches_sign_off_notes(self):
        BranchSignoff.objects.create(
            period=self.period, branch=self.tree["sub_a"], user=self.head_user, note="西湖已核对"
        )
        BranchSignoff.objects.create(
            period=self.period, branch=self.tree["sub_b"], user=self.hr_user, note="海曙有疑问"
        )
        self.sign_in(self.head_user)
        page = self.client.get(reverse("console:month", args=[M]))
        self.assertContains(page, "西湖已核对")
        self.assertNotContains(page, "海曙有疑问")
        self.sign_in(self.hr_user)
        self.assertContains(self.client.get(reverse("console:month", args=[M])), "海曙有疑问")

    def test_the_review_button_is_disabled_and_says_how_many_sub_branches_have_not_signed_off(self):
        self.sign_in(self.hr_user)
        page = self.client.get(reverse("console:month", args=[M]))
        self.assertContains(page, "尚有 2 个支行未签核")
        self.assertContains(page, "须先复核（标记为已复核）才能定稿")
        self.assertContains(page, "disabled>标记为已复核")

    def test_hr_may_publish_without_the_sign_offs_only_with_a_reason(self):
        self.sign_in(self.hr_user)
        self.client.post(reverse("console:month_review", args=[M]), {"review-reason": " "})
        self.assertEqual(Period.objects.get(month=OCTOBER).status, PeriodStatus.COMPUTED)
        self.client.post(reverse("console:month_review", args=[M]), {"review-reason": "两位支行行长出差"})
        period = Period.objects.get(month=OCTOBER)
        self.assertEqual((period.status, period.reviewed_by), (PeriodStatus.REVIEWED, self.hr_user))

    def test_hr_voids_the_month_with_a_reason_and_a_branch_head_cannot(self):
        self.sign_in(self.head_user)
        self.assertEqual(
            self.client.post(reverse("console:month_void", args=[M]), {"void-reason": "不对不对"}).status_code, 403
        )
        self.sign_in(self.hr_user)
        self.client.post(reverse("console:month_void", args=[M]), {"void-reason": ""})
        self.assertEqual(Period.objects.get(month=OCTOBER).status, PeriodStatus.COMPUTED)
        response = self.client.post(
            reverse("console:month_void", args=[M]), {"void-reason": "十月存款数据导错了文件"}, follow=True
        )
        self.assertContains(response, "考核结果已作废")
        self.assertContains(response, "十月存款数据导错了文件")
        self.assertEqual(Period.objects.get(month=OCTOBER).status, PeriodStatus.DRAFT)
        self.assertFalse(Scorecard.objects.exists())


class PublishedMonthTests(BaseTestCase):
    """October was reviewed by Hana; Olivia's appeal is still open."""

    def test_finalizing_is_disabled_while_an_appeal_is_open_and_says_so(self):
        self.sign_in(self.hr2_user)
        page = self.client.get(reverse("console:month", args=[M]))
        self.assertContains(page, "该月尚有 1 项未处理的申诉")
        self.assertContains(page, "disabled>定稿")

    def test_the_reviewer_sees_that_another_hr_user_must_finalize(self):
        self.olivia_appeal.delete()
        self.sign_in(self.hr_user)
        self.assertContains(self.client.get(reverse("console:month", args=[M])), "需另一位人力资源用户定稿")
        self.client.post(reverse("console:month_finalize", args=[M]), {"confirm": "on"}, follow=True)
        self.assertEqual(Period.objects.get(month=OCTOBER).status, PeriodStatus.REVIEWED)
        self.sign_in(self.hr2_user)
        self.assertNotContains(self.client.get(reverse("console:month", args=[M])), "disabled>定稿")

    def test_the_english_console_says_why_in_english(self):
        self.sign_in(self.hr2_user)
        self.client.post(reverse("console:set_language"), {"language": "en"})
        page = self.client.get(reverse("console:month", args=[M]))
        self.assertContains(page, "1 appeal of this month is still open")


class UnfinishedMonthTests(BaseTestCase):
    def test_a_month_that_has_not_ended_is_not_computed_from_the_console(self):
        self.sign_in(self.hr_user)
        with mock.patch("core.months.today", return_value=datetime.date(2026, 12, 3)):
            page = self.client.get(reverse("console:month", args=["2026-12"]))
            self.assertContains(page, "2026-12 尚未结束（按北京时间），月末之后才能计算。")
            response = self.client.post(reverse("console:month_compute", args=["2026-12"]), follow=True)
        self.assertContains(response, "2026-12 尚未结束")
        self.assertFalse(Job.objects.exists())
        self.assertFalse(Period.objects.filter(month=datetime.date(2026, 12, 1)).exists())
