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
