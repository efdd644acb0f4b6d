"""The `targets` import file (CONTRACT.md §1) and how its scopes resolve."""

import datetime
from decimal import Decimal

from django.core.files.base import ContentFile
from django.test import TestCase
from django.utils import translation

from appraisals.models import ScopeKind, Target
from audit.models import Change
from metrics.services import import_file, month_lock
from tests import factories

TODAY = datetime.date(2026, 11, 29)


def targets_file(lines: str) -> ContentFile:
    return ContentFile(lines.encode("utf-8"), name="targets.csv")


class TargetImportTests(TestCase):
    def setUp(self):
        self.enterContext(translation.override("en"))  # the English of CONTRACT.md's examples
        self.tree = factories.bank_tree()
        self.alice = factories.staff("E001", "张丽", self.tree["outlet_a"])

    def run_import(self, text: str, **options):
        return import_file("targets", targets_file(text), filename="targets.csv", today=TODAY, **options)

    def test_bank_branch_and_employee_scopes_are_stored(self):
        result = self.run_import(
            "period,scope,item,target\n"
            "2026-10,bank,accounts,20\n"
            "2026-10,100000,effective,8\n"  # the head office's code means bank
            "2026-10,110100,ebanking,12\n"
            '2026-10,E001,deposits,"1,000.50"\n'.replace('"1,000.50"', "80.5")
        )
        self.assertTrue(result.ok, [str(e) for e in result.errors])
        self.assertEqual(result.summary, "Import complete: created 4, updated 0, unchanged 0.")
        kinds = dict(Target.objects.values_list("item", "scope_kind"))
        self.assertEqual(
            kinds,
            {
                "accounts": ScopeKind.BANK,
                "effective": ScopeKind.BANK,
                "ebanking": ScopeKind.BRANCH,
                "deposits": ScopeKind.STAFF,
            },
        )
        self.assertEqual(Target.objects.get(item="deposits").target, Decimal("80.50"))

    def test_chinese_headers_and_labels_are_accepted(self):
        result = self.run_import("考核期,范围,指标,目标值\n2026-10,bank,开户数,25\n")
        self.assertTrue(result.ok, [str(e) for e in result.errors])
        self.assertEqual(Target.objects.get().item, "accounts")

    def test_an_unknown_scope_is_a_row_error(self):
        result = self.run_import("period,scope,item,target\n2026-10,999999,accounts,20\n")
        self.assertEqual(
            [str(e) for e in result.errors],
            ["row 2, column scope: 999999 is neither bank, a known branch code nor a known employee number"],
        )
        self.assertFalse(Target.objects.exists())

    def test_a_scope_that_is_both_a_branch_and_an_employee_is_refused(self):
        factories.staff("110100", "撞号员工", self.tree["outlet_a"])
        result = self.run_import("period,scope,item,target\n2026-10,110100,accounts,20\n")
        self.assertIn("both a branch code and an employee number", str(result.errors[0]))

    def test_satisfaction_has_no_target(self):
        result = self.run_import("period,scope,item,target\n2026-10,bank,satisfaction,0.9\n")
        self.assertEqual(result.errors[0].column, "item")

    def test_a_negative_target_and_a_bad_month_are_refused(self):
        result = self.run_import("period,scope,item,target\n2026-13,bank,accounts,20\n2026-10,bank,ebanking,-1\n")
        self.assertEqual([(e.row, e.column) for e in result.errors], [(2, "period"), (3, "target")])

    def test_the_same_target_twice_in_a_file_is_an_error(self):
        result = self.run_import("period,scope,item,target\n2026-10,bank,accounts,20\n2026-10,bank,accounts,20\n")
        self.assertEqual(
            str(result.errors[0]),
            "row 3, column item: the accounts target of bank for 2026-10 appears twice in this file (first at row 2)",
        )

    def test_a_changed_target_needs_update_and_keeps_history(self):
        self.run_import("period,scope,item,target\n2026-10,bank,accounts,20\n")
        again = self.run_import("period,scope,item,target\n2026-10,bank,accounts,20\n")
        self.assertEqual(again.summary, "Import complete: created 0, updated 0, unchanged 1.")
        refused = self.run_import("period,scope,item,target\n2026-10,bank,accounts,25\n")
        self.assertIn("use --update", str(refused.errors[0]))
        updated = self.run_import("period,scope,item,target\n2026-10,bank,accounts,25\n", update=True)
        self.assertEqual(updated.summary, "Import complete: created 0, updated 1, unchanged 0.")
        self.assertEqual(Target.objects.get().target, Decimal("25.00"))
        change = Change.objects.get(action="update")
        self.assertEqual(change.fields, {"target": ["20.00", "25.00"]})

    def test_a_target_in_a_finalized_month_is_refused(self):
        month_lock(month=datetime.date(2026, 10, 1))
        result = self.run_import("period,scope,item,target\n2026-10,bank,accounts,20\n")
        self.assertEqual(str(result.errors[0]), "row 2, column period: month 2026-10 is finalized; reopen it first")
