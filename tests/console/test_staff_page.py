from django.urls import reverse

from tests.console.base import BaseTestCase


class StaffPageTests(BaseTestCase):
    def test_the_record_cards_are_named_and_say_what_each_record_is(self):
        self.sign_in(self.hr_user)
        page = self.client.get(reverse("console:staff_detail", args=[self.olivia.employee_no])).content.decode()
        self.assertIn("开户记录", page)
        self.assertIn("存款记录", page)
        self.assertIn("日均资产", page)
        self.assertNotIn(">accounts</a>", page)

    def test_the_search_box_goes_straight_to_the_one_person_it_finds(self):
        self.sign_in(self.hr_user)
        response = self.client.get(reverse("console:staff"), {"q": self.olivia.employee_no})
        self.assertRedirects(response, reverse("console:staff_detail", args=[self.olivia.employee_no]))

    def test_the_search_box_is_on_every_page_for_hr_and_heads_only(self):
        self.sign_in(self.hr_user)
        self.assertContains(self.client.get(reverse("console:months")), 'id="person-search"')
        self.sign_in(self.olivia_user)
        self.assertNotContains(self.client.get(reverse("console:me")), 'id="person-search"')
