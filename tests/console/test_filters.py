from django.urls import reverse

from tests.console.base import BaseTestCase


class FilterFormTests(BaseTestCase):
    def test_an_empty_choice_reads_all_and_labels_carry_no_ascii_colon(self):
        self.sign_in(self.hr_user)
        page = self.client.get(reverse("console:scorecards", args=["2026-10"])).content.decode()
        self.assertIn(">全部</option>", page)
        self.assertNotIn("---------", page)
        self.assertNotIn("等次:", page)
