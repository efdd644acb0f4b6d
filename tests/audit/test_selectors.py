import datetime

from django.test import TestCase

from appraisals.models import Period, PeriodStatus
from audit.models import Change
from audit.selectors import change_fields, history_for_object
from audit.services import change_record
from tests import factories


class ChangeFieldsTests(TestCase):
    """The history reads as a person would write it, never as the database stores it."""

    @classmethod
    def setUpTestData(cls):
        cls.tree = factories.bank_tree()
        cls.alice = factories.staff("E001", "张丽", cls.tree["outlet_a"])

    def test_a_status_change_shows_the_labels_of_its_choices(self):
        period = Period.objects.create(month=datetime.date(2026, 10, 1), status=PeriodStatus.FINALIZED)
        change_record(
            obj=period, action=Change.Action.TRANSITION, fields={"status": ["computed", "finalized"]}, user=None
        )
        (line,) = change_fields(Change.objects.get())
        self.assertEqual((line.label, line.old, line.new), ("状态", "已计算", "已定稿"))

    def test_a_branch_is_named_and_an_empty_value_is_a_dash(self):
        change_record(
            obj=self.alice,
            action=Change.Action.UPDATE,
            fields={"branch": [None, self.tree["outlet_a"].pk]},
            user=None,
        )
        (line,) = history_for_object(self.alice)[0].lines
        self.assertEqual(line.old, "—")
        self.assertIn(self.tree["outlet_a"].name, line.new)
        self.assertNotEqual(line.new, str(self.tree["outlet_a"].pk))

    def test_an_unknown_field_keeps_its_name(self):
        change_record(obj=self.alice, action=Change.Action.UPDATE, fields={"gone": ["a", "b"]}, user=None)
        (line,) = change_fields(Change.objects.get())
        self.assertEqual((line.label, line.old, line.new), ("gone", "a", "b"))
