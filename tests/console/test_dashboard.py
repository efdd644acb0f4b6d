"""The dashboard's charts (the months' trend, the grade mix, the comparison of branches with
their drill-down), a branch head's own sign-off prompt, and the scorecard page's charts."""

import re

from django.urls import reverse
from django.utils import timezone

from appraisals.models import Period, PeriodStatus, Scorecard
from tests.console.base import OCTOBER, OLIVIA_NAME, BaseTestCase


class DashboardChartTests(BaseTestCase):
    def dashboard(self, user):
        self.sign_in(user)
        return self.client.get("/").content.decode()

    def test_hr_compares_the_tier1_branches_best_average_first(self):
        page = self.dashboard(self.hr_user)
        rows = re.findall(r'data-branch="(\w+)">([^<]+)</a>', page)
        cards = Scorecard.objects.filter(period__month=OCTOBER)
        averages = {}
        for code in ("110000", "120000"):
            scores = [card.score for card in cards if f"/{code}/" in card.branch_path]
            averages[code] = sum(scores) / len(scores)
        expected = sorted(averages, key=averages.get, reverse=True)
        self.assertEqual([code for code, _ in rows], expected)
        self.assertEqual(dict(rows), {"110000": "杭州分行", "120000": "宁波分行"})

    def test_a_branch_head_compares_only_the_branches_below_their_own(self):
        page = self.dashboard(self.head_user)
        self.assertEqual(re.findall(r'data-branch="(\w+)"', page), [self.tree["outlet_a"].code])
        self.assertNotIn("宁波分行", page)
        self.assertIn("下属机构对比", page)

    def test_each_branch_drills_down_into_the_scorecards_of_that_branch(self):
        page = self.dashboard(self.hr_user)
        link = re.search(r'href="([^"]+)" data-branch="120000"', page).group(1).replace("&amp;", "&")
        self.assertEqual(link, reverse("console:scorecards", args=["2026-10"]) + f"?branch={self.tree['branch_b'].pk}")
        listing = self.client.get(link)
        self.assertContains(listing, OLIVIA_NAME)
        self.assertNotContains(listing, "张丽")

    def test_a_branch_head_drills_down_into_an_outlet_but_not_outside_their_subtree(self):
        page = self.dashboard(self.head_user)
        link = re.search(r'href="([^"]+)" data-branch="110101"', page).group(1)
        listing = self.client.get(link)
        self.assertContains(listing, "张丽")
        self.assertContains(listing, "王博")
        outside = self.client.get(reverse("console:scorecards", args=["2026-10"]), {"branch": self.tree["outlet_b"].pk})
        self.assertNotContains(outside, OLIVIA_NAME)

    def test_the_trend_lists_each_month_with_its_count_average_and_grades(self):
        page = self.dashboard(self.hr_user)
        cards = list(Scorecard.objects.filter(period__month=OCTOBER))
        average = sum(card.score for card in cards) / len(cards)
        self.assertIn("各月平均分", page)
        self.assertIn(f"2026年10月 {average:.2f} 分（3 人）", page)  # the chart's text alternative
        row = re.search(r"2026年10月</a></th>(.*?)</tr>", page, re.S).group(1)
        figures = re.findall(r'<td class="num">([^<]*)</td>', row)
        grades = [sum(1 for card in cards if card.grade == grade) for grade in ("excellent", "good", "pass", "fail")]
        self.assertEqual(figures, ["3", f"{average:.2f}"] + [str(count) for count in grades])

    def test_the_charts_have_a_text_alternative(self):
        page = self.dashboard(self.hr_user)
        for svg in re.findall(r"<svg[^>]*>", page):
            self.assertIn('role="img"', svg)
            self.assertIn("aria-label=", svg)

    def test_the_english_dashboard_names_its_charts_in_english(self):
        self.sign_in(self.hr_user)
        self.client.cookies.load({"django_language": "en"})
        page = self.client.get("/").content.decode()
        self.assertIn("Comparison of branches", page)
        self.assertIn("Average score by month", page)
        self.assertNotIn("各分行对比", page)


class SignoffPromptTests(BaseTestCase):
    def setUp(self):
        Period.objects.filter(pk=self.period.pk).update(status=PeriodStatus.COMPUTED)

    def test_a_branch_head_is_asked_for_their_own_sign_off(self):
        self.sign_in(self.head_user)
        response = self.client.get("/")
        self.assertContains(response, "本月待您签核：2026年10月")
        self.assertContains(response, "去签核")
        self.assertContains(response, reverse("console:month", args=["2026-10"]) + "#signoff")
        self.assertNotContains(response, "个支行签核。")

    def test_once_signed_the_head_is_told_it_waits_for_hr(self):
        self.sign_in(self.head_user)
        self.client.post(reverse("console:month_signoff", args=["2026-10"]), {"note": ""})
        response = self.client.get("/")
        self.assertContains(response, "您已签核 2026年10月，等待人力资源部复核发布。")

    def test_hr_is_told_how_many_sub_branches_it_waits_for(self):
        self.sign_in(self.hr_user)
        self.assertContains(self.client.get("/"), "等待 2 个支行签核。")


class FinalizedAtTests(BaseTestCase):
    def month_page(self):
        self.sign_in(self.hr_user)
        return self.client.get(reverse("console:month", args=["2026-10"]))

    def test_a_finalized_month_shows_when_it_was_finalized(self):
        Period.objects.filter(pk=self.period.pk).update(status=PeriodStatus.FINALIZED, finalized_at=timezone.now())
        self.assertContains(self.month_page(), "定稿时间")

    def test_a_reopened_month_does_not_show_its_old_finalized_time(self):
        Period.objects.filter(pk=self.period.pk).update(status=PeriodStatus.COMPUTED, finalized_at=timezone.now())
        self.assertNotContains(self.month_page(), "定稿时间")


class ScorecardChartTests(BaseTestCase):
    def test_the_scorecard_page_draws_the_pdfs_trend_and_completion_charts(self):
        self.sign_in(self.hr_user)
        page = self.client.get(reverse("console:scorecard", args=["2026-10", self.alice.employee_no])).content.decode()
        card = Scorecard.objects.get(period__month=OCTOBER, staff=self.alice)
        labels = re.findall(r'<svg[^>]*aria-label="([^"]*)"', page)
        self.assertEqual(len(labels), 2)
        self.assertTrue(labels[0].startswith("近12个月总分：2026年10月 "), labels[0])
        self.assertIn(f"{card.score:.2f}", labels[0])
        self.assertTrue(labels[1].startswith("各项完成率：开户 "), labels[1])
        self.assertIn('class="tracks"', page)  # the completion bars' tracks, as in the PDF

    def test_the_trend_shows_only_months_the_viewer_may_see(self):
        # A lobby manager sees published months only: a computed month of theirs stays out.
        self.sign_in(self.olivia_user)
        page = self.client.get(reverse("console:scorecard", args=["2026-10", self.olivia.employee_no]))
        self.assertContains(page, "近12个月总分：2026年10月")
