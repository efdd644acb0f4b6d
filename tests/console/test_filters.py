from django.urls import reverse

from tests.console.base import BaseTestCase


class FilterFormTests(BaseTestCase):
    def test_an_empty_choice_reads_all_and_labels_carry_no_ascii_colon(self):
        self.sign_in(self.hr_user)
        page = self.client.get(reverse("console:scorecards", args=["2026-10"])).content.decode()
        self.assertIn(">全部</option>", page)
        self.assertNotIn("---------", page)
        self.assertNotIn("等次:", page)


class TableFooterTests(BaseTestCase):
    def test_a_list_says_how_many_rows_and_offers_page_sizes(self):
        self.sign_in(self.hr_user)
        page = self.client.get(reverse("console:staff")).content.decode()
        self.assertIn("共 3 条", page)
        self.assertIn("per_page=100", page)

    def test_no_page_is_larger_than_two_hundred_rows(self):
        self.sign_in(self.hr_user)
        response = self.client.get(reverse("console:staff"), {"per_page": "1000000"})
        self.assertEqual(response.context["table"].paginator.per_page, 200)
