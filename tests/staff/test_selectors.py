import datetime

from django.test import TestCase, override_settings

from staff.models import Branch, Level
from staff.selectors import assignments_on, bank_name, branch_paths, branch_subtree
from tests import factories


class OrganisationSelectorTests(TestCase):
    def setUp(self):
        self.tree = factories.bank_tree()

    def test_the_bank_is_named_after_its_head_office_without_zonghang(self):
        Branch.objects.filter(level=Level.HEAD_OFFICE).update(name="之江银行总行")
        self.assertEqual(bank_name(), "之江银行")

    def test_a_head_office_called_only_zonghang_keeps_its_name(self):
        self.assertEqual(bank_name(), "总行")

    @override_settings(BANK_NAME="东海农商银行")
    def test_the_bank_name_setting_wins(self):
        self.assertEqual(bank_name(), "东海农商银行")

    def test_a_subtree_is_the_branch_and_everything_under_it_in_one_query(self):
        with self.assertNumQueries(1):
            codes = sorted(branch_subtree(branch=self.tree["branch_a"]).values_list("code", flat=True))
        self.assertEqual(codes, ["110000", "110100", "110101"])

    def test_branch_paths_run_from_the_branch_up_to_the_head_office(self):
        paths = branch_paths()
        tree = self.tree
        self.assertEqual(
            paths[tree["outlet_a"].pk], (tree["outlet_a"].pk, tree["sub_a"].pk, tree["branch_a"].pk, tree["head"].pk)
        )

    def test_what_somebody_held_on_a_day_is_one_query_before_and_after_a_move(self):
        alice = factories.staff("E001", "张丽", self.tree["outlet_a"])
        first = alice.assignments.get()
        first.valid_to = datetime.date(2026, 5, 16)
        first.save()
        alice.assignments.create(
            branch=self.tree["outlet_b"],
            position="lobby_manager",
            position_since=first.position_since,
            status="active",
            valid_from=datetime.date(2026, 5, 16),
        )
        with self.assertNumQueries(1):
            before = assignments_on(day=datetime.date(2026, 5, 15)).get(staff=alice).branch_id
        after = assignments_on(day=datetime.date(2026, 5, 16)).get(staff=alice).branch_id
        self.assertEqual((before, after), (self.tree["outlet_a"].pk, self.tree["outlet_b"].pk))
