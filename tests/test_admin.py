"""The admin: every model is there, with Chinese labels, and it opens for HR only."""

from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import TestCase
from django.urls import reverse

from tests import factories

OUR_APPS = ("audit", "staff", "metrics", "notices", "appraisals", "api")
INLINE_ONLY = {"staff.assignment", "appraisals.caseevent"}


class AdminTests(TestCase):
    def setUp(self):
        factories.bank_tree()
        self.hr = get_user_model().objects.create_superuser("hr-admin", password="x" * 12)

    def our_models(self):
        return [model for label in OUR_APPS for model in apps.get_app_config(label).get_models()]

    def test_every_model_of_ours_is_in_the_admin_or_inline_there(self):
        missing = [
            model._meta.label_lower
            for model in self.our_models()
            if model not in admin.site._registry and model._meta.label_lower not in INLINE_ONLY
        ]
        self.assertEqual(missing, [])

    def test_every_model_has_a_chinese_name(self):
        for model in self.our_models():
            name = str(model._meta.verbose_name)
            self.assertTrue(any("\u4e00" <= ch <= "\u9fff" for ch in name), model._meta.label)

    def test_hr_can_open_every_list_in_the_admin(self):
        self.client.force_login(self.hr)
        for model in admin.site._registry:
            if model._meta.app_label not in OUR_APPS:
                continue
            url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
            self.assertEqual(self.client.get(url).status_code, 200, url)
