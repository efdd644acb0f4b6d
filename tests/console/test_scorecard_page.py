import re

from django.urls import reverse

from appraisals.models import Scorecard
from tests.console.base import OCTOBER, BaseTestCase


class ScorecardPageTests(BaseTestCase):
    def page(self):
        self.sign_in(self.hr_user)
        url = reverse("console:scorecard", args=["2026-10", self.alice.employee_no])
        return self.client.get(url).content.decode()

    def test_every_item_reads_in_its_unit_with_one_rounding(self):
        page = self.page()
        card = Scorecard.objects.get(period__month=OCTOBER, staff=self.alice)
        self.assertIn("存款日均（万元）", page)
        self.assertIn(f"{card.satisfaction * 100:.1f}%", page)
        self.assertNotIn(f">{card.satisfaction}<", page)  # never the raw rate 0.9889
        self.assertIsNone(re.search(r">−0\.00<", page))

    def test_the_page_explains_rescaling_rank_and_the_rolling_score(self):
        page = self.page()
        self.assertIn("权重按比例放大到合计 100", page)
        self.assertIn("百分位 0% 为第一名", page)
        self.assertIn("末位预警按它判断", page)
