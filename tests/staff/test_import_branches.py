"""The branches file: a tree in any order, paths, and the rules of the levels."""

from audit.models import Change
from staff.models import Branch
from tests.metrics.helpers import ImportTestCase

HEADER = ["code", "name", "parent_code", "level"]
TREE = [
    HEADER,
    ["O010101", "文三路营业部", "S0101", "网点"],  # a child before its parent
    ["S0101", "西湖支行", "B01", "sub_branch"],
    ["HO", "总行", "", "总行"],
    ["B01", "杭州分行", "HO", "branch"],
]


class BranchImportTests(ImportTestCase):
    def paths(self):
        return dict(Branch.objects.values_list("code", "path"))

    def test_it_builds_the_tree_from_rows_in_any_order(self):
        self.assertImported(self.run_import("branches", TREE), created=4)
        self.assertEqual(
            self.paths(),
            {"HO": "/HO/", "B01": "/HO/B01/", "S0101": "/HO/B01/S0101/", "O010101": "/HO/B01/S0101/O010101/"},
        )
        outlet = Branch.objects.get(code="O010101")
        self.assertEqual((outlet.parent.code, outlet.level), ("S0101", "outlet"))
        self.assertEqual(Change.objects.filter(action=Change.Action.CREATE).count(), 4)

    def test_importing_the_same_tree_again_changes_nothing(self):
        self.run_import("branches", TREE)
        self.assertImported(self.run_import("branches", TREE), created=0, updated=0, unchanged=4)

    def test_a_parent_may_already_be_stored(self):
        self.run_import("branches", TREE[:1] + TREE[2:])
        result = self.run_import("branches", [HEADER, ["O010102", "古荡营业部", "S0101", "outlet"]])
        self.assertImported(result, created=1)
        self.assertEqual(self.paths()["O010102"], "/HO/B01/S0101/O010102/")

    def test_it_rejects_a_branch_whose_parent_is_missing(self):
        result = self.run_import(
            "branches", [HEADER, ["HO", "总行", "", "head_office"], ["B02", "宁波分行", "HX", "branch"]]
        )
        self.assertEqual(
            [str(error) for error in result.errors],
            ["row 3, column parent_code: unknown parent branch HX: it is neither in this file nor stored"],
        )
        self.assertEqual(Branch.objects.count(), 0)

    def test_it_rejects_a_branch_whose_level_does_not_fit_its_parent(self):
        result = self.run_import(
            "branches", [HEADER, ["HO", "总行", "", "head_office"], ["O1", "营业部", "HO", "outlet"]]
        )
        self.assertRejected(
            result,
            "row 3, column level: parent HO is a 总行 (head_office); "
            "a 网点 (outlet) must sit under a 支行 (sub_branch)",
        )

    def test_it_rejects_a_branch_below_the_head_office_without_a_parent(self):
        result = self.run_import("branches", [HEADER, ["B01", "杭州分行", "", "branch"]])
        self.assertRejected(
            result, "row 2, column parent_code: a 分行 (branch) needs a parent_code (its 总行 (head_office))"
        )

    def test_it_rejects_a_head_office_with_a_parent_or_a_second_head_office(self):
        self.run_import("branches", TREE)
        result = self.run_import("branches", [HEADER, ["HO2", "另一总行", "", "总行"], ["HO3", "总行三", "HO", "总行"]])
        self.assertRejected(
            result,
            "row 2, column level: there can be only one head office (总行), and HO is one",
            "row 3, column parent_code: the head office (总行) has no parent; leave parent_code empty",
        )

    def test_it_rejects_a_cycle_naming_its_branches(self):
        rows = [
            HEADER,
            ["HO", "总行", "", "head_office"],
            ["B01", "杭州分行", "B02", "branch"],
            ["B02", "宁波分行", "B01", "branch"],
        ]
        result = self.run_import("branches", rows)
        self.assertEqual(
            [str(error) for error in result.errors],
            ["row 3, column parent_code: the branch tree has a cycle: B01 → B02 → B01"],
        )

    def test_it_rejects_a_cycle_through_a_stored_branch(self):
        self.run_import("branches", TREE)
        result = self.run_import("branches", [HEADER, ["S0101", "西湖支行", "O010101", "sub_branch"]])
        self.assertRejected(result, "row 2, column parent_code: the branch tree has a cycle: S0101 → O010101 → S0101")

    def test_it_rejects_a_code_given_twice_and_an_unknown_level(self):
        rows = [
            HEADER,
            ["HO", "总行", "", "总行"],
            ["HO", "总行", "", "总行"],
            ["B01", "杭州分行", "HO", "province"],
        ]
        self.assertRejected(
            self.run_import("branches", rows),
            "row 3, column code: branch HO appears twice in this file (first at row 2)",
            "row 4, column level: province is not one of the allowed values: head_office (总行), branch (分行), "
            "sub_branch (支行), outlet (网点)",
        )

    def test_moving_a_branch_moves_the_paths_beneath_it_and_keeps_history(self):
        self.run_import("branches", TREE)
        result = self.run_import(
            "branches", [HEADER, ["B02", "宁波分行", "HO", "branch"], ["S0101", "西湖支行", "B02", "支行"]]
        )
        self.assertImported(result, created=1, updated=1)
        self.assertEqual(self.paths()["S0101"], "/HO/B02/S0101/")
        self.assertEqual(self.paths()["O010101"], "/HO/B02/S0101/O010101/")
        change = Change.objects.get(action=Change.Action.UPDATE)
        self.assertEqual(change.fields, {"parent": ["B01", "B02"]})
        self.assertEqual(change.source, f"import #{result.batch_id}")

    def test_a_level_change_must_still_fit_the_stored_branches_below(self):
        self.run_import("branches", TREE)
        result = self.run_import("branches", [HEADER, ["S0101", "西湖支行", "HO", "branch"]])
        self.assertRejected(
            result,
            "row 2, column level: 网点 (outlet) O010101 sits under S0101, which cannot become a 分行 (branch)",
        )
