from django.urls import reverse

from tests.console.base import BaseTestCase


class RecordFormTests(BaseTestCase):
    def test_the_date_input_carries_an_iso_date_in_chinese(self):
        self.sign_in(self.hr_user)
        url = reverse("console:record_edit", args=["accounts", self.olivia_record.pk])
        page = self.client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        self.assertIn(f'value="{self.olivia_record.date.isoformat()}"', page)

    def test_a_refused_form_says_why(self):
        self.sign_in(self.hr_user)
        url = reverse("console:record_edit", args=["accounts", self.olivia_record.pk])
        response = self.client.post(url, {"date": "", "reason": "更正日期"}, follow=True)
        self.assertContains(response, "未保存：请更正下面标出的错误。")
