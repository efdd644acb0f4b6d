"""The absences file: keyed by employee, start and end; planned leave may lie ahead."""

import datetime

from audit.models import Change
from metrics.services import month_lock
from staff.models import Absence
from tests import factories
from tests.metrics.helpers import ImportTestCase

HEADER = ["employee_no", "start", "end", "kind"]


class AbsenceImportTests(ImportTestCase):
    def setUp(self):
        super().setUp()
        self.alice = factories.staff("A001", "Alice", factories.bank_tree()["outlet_a"])

    def test_it_imports_absences_including_planned_leave(self):
        rows = [
            HEADER,
            ["A001", "2026-03-02", "2026-03-06", "年假"],
            ["A001", "2026-07-01", "2026-10-31", "maternity"],
            ["A001", "2026-04-01", "2026-04-01", ""],
        ]
        self.assertImported(self.run_import("absences", rows), created=3)
        kinds = dict(Absence.objects.values_list("start", "kind"))
        self.assertEqual(kinds[datetime.date(2026, 3, 2)], "annual")
        self.assertEqual(kinds[datetime.date(2026, 7, 1)], "maternity")
        self.assertEqual(kinds[datetime.date(2026, 4, 1)], "other")
        self.assertImported(self.run_import("absences", rows), unchanged=3)

    def test_it_rejects_an_absence_that_ends_before_it_starts(self):
        result = self.run_import("absences", [HEADER, ["A001", "2026-03-06", "2026-03-02", "sick"]])
        self.assertEqual(
            [str(error) for error in result.errors],
            ["row 2, column end: the absence ends (2026-03-02) before it starts (2026-03-06)"],
        )

    def test_another_kind_for_a_stored_absence_is_an_error_until_update(self):
        self.run_import("absences", [HEADER, ["A001", "2026-03-02", "2026-03-06", "annual"]])
        rows = [HEADER, ["A001", "2026-03-02", "2026-03-06", "病假"]]
        self.assertRejected(
            self.run_import("absences", rows),
            "row 2, column kind: this absence of A001 from 2026-03-02 to 2026-03-06 is already stored as "
            "年假 (annual); use --update to change it",
        )
        self.assertImported(self.run_import("absences", rows, update=True), updated=1)
        self.assertEqual(Absence.objects.get().kind, "sick")
        self.assertEqual(Change.objects.get(action=Change.Action.UPDATE).fields, {"kind": ["annual", "sick"]})

    def test_it_rejects_an_unknown_employee_and_an_absence_given_twice(self):
        rows = [
            HEADER,
            ["Z999", "2026-03-02", "2026-03-06", ""],
            ["A001", "2026-03-02", "2026-03-06", ""],
            ["A001", "2026-03-02", "2026-03-06", "sick"],
        ]
        self.assertRejected(
            self.run_import("absences", rows),
            "row 2, column employee_no: unknown employee Z999",
            "row 4, column start: the absence A001 2026-03-02–2026-03-06 appears twice in this file (first at row 3)",
        )

    def test_it_rejects_a_new_absence_touching_a_finalized_month(self):
        month_lock(month=datetime.date(2026, 3, 1))
        result = self.run_import("absences", [HEADER, ["A001", "2026-02-25", "2026-03-02", "sick"]])
        self.assertRejected(result, "row 2, column start: month 2026-03 is finalized; reopen it first")
