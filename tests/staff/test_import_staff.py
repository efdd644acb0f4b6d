"""The staff file: the first row from the start of time, moves as assignment changes, history."""

import datetime

from audit.models import Change
from metrics.services import month_lock
from staff.models import Assignment, Staff
from staff.selectors import assignments_on
from staff.services import START_OF_TIME
from tests import factories
from tests.metrics.helpers import ImportTestCase

HEADER = [
    "employee_no",
    "name",
    "branch_code",
    "position",
    "position_since",
    "hired_on",
    "status",
    "changed_on",
]


class StaffImportTests(ImportTestCase):
    """Outlets A (110101) and B (120101); the day is 2026-04-30."""

    def setUp(self):
        super().setUp()
        factories.bank_tree()

    def row(self, branch="110101", position="大堂经理", since="2024-01-01", status="", changed_on="", name="Alice"):
        return ["A001", name, branch, position, since, "2019-07-01", status, changed_on]

    def branch_on(self, day: datetime.date) -> str:
        return assignments_on(day=day).get(staff__employee_no="A001").branch.code

    def test_a_first_row_holds_from_the_start_of_time(self):
        self.assertImported(self.run_import("staff", [HEADER, self.row()]), created=1)
        alice = Staff.objects.get(employee_no="A001")
        self.assertEqual((alice.branch.code, alice.position, alice.status), ("110101", "lobby_manager", "active"))
        self.assertEqual(alice.hired_on, datetime.date(2019, 7, 1))
        assignment = alice.assignments.get()
        self.assertEqual((assignment.valid_from, assignment.valid_to), (START_OF_TIME, None))
        self.assertEqual(self.branch_on(datetime.date(2000, 1, 1)), "110101")

    def test_importing_the_same_row_again_changes_nothing(self):
        self.run_import("staff", [HEADER, self.row()])
        self.assertImported(self.run_import("staff", [HEADER, self.row()]), created=0, updated=0, unchanged=1)
        self.assertEqual(Assignment.objects.count(), 1)

    def test_a_move_is_an_assignment_change_on_its_day(self):
        self.run_import("staff", [HEADER, self.row()])
        result = self.run_import("staff", [HEADER, self.row(branch="120101", changed_on="2026-03-10")])
        self.assertImported(result, updated=1)
        self.assertEqual(self.branch_on(datetime.date(2026, 3, 9)), "110101")
        self.assertEqual(self.branch_on(datetime.date(2026, 3, 10)), "120101")
        self.assertEqual(Staff.objects.get().branch.code, "120101")
        closed, opened = Assignment.objects.order_by("valid_from")
        self.assertEqual((closed.valid_from, closed.valid_to), (START_OF_TIME, datetime.date(2026, 3, 10)))
        self.assertEqual((opened.valid_from, opened.valid_to), (datetime.date(2026, 3, 10), None))
        change = Change.objects.get(action=Change.Action.UPDATE)
        self.assertEqual(change.fields, {"branch": ["110101", "120101"], "changed_on": [None, "2026-03-10"]})
        self.assertImported(
            self.run_import("staff", [HEADER, self.row(branch="120101", changed_on="2026-03-10")]),
            unchanged=1,
        )

    def test_a_change_without_a_day_takes_effect_on_the_day_of_the_import(self):
        self.run_import("staff", [HEADER, self.row()])
        self.run_import("staff", [HEADER, self.row(status="离职")])
        self.assertEqual(assignments_on(day=datetime.date(2026, 4, 29)).get().status, "active")
        self.assertEqual(assignments_on(day=datetime.date(2026, 4, 30)).get().status, "left")

    def test_successive_moves_in_one_file_are_taken_in_date_order(self):
        rows = [
            HEADER,
            self.row(branch="120101", changed_on="2026-02-01"),
            self.row(changed_on="2025-01-01"),
            self.row(branch="110101", position="teller", changed_on="2026-03-01"),
        ]
        self.assertImported(self.run_import("staff", rows), created=1, updated=2)
        self.assertEqual(self.branch_on(datetime.date(2026, 1, 31)), "110101")
        self.assertEqual(self.branch_on(datetime.date(2026, 2, 1)), "120101")
        self.assertEqual(assignments_on(day=datetime.date(2026, 3, 1)).get().position, "teller")

    def test_a_new_position_since_updates_the_member_and_the_open_assignment(self):
        self.run_import("staff", [HEADER, self.row()])
        self.assertImported(self.run_import("staff", [HEADER, self.row(since="2024-02-01")]), updated=1)
        self.assertEqual(Staff.objects.get().position_since, datetime.date(2024, 2, 1))
        self.assertEqual(Assignment.objects.get().position_since, datetime.date(2024, 2, 1))

    def test_a_new_name_changes_no_assignment(self):
        self.run_import("staff", [HEADER, self.row()])
        self.assertImported(self.run_import("staff", [HEADER, self.row(name="Alice Wang")]), updated=1)
        self.assertEqual((Staff.objects.get().name, Assignment.objects.count()), ("Alice Wang", 1))

    def test_it_rejects_an_unknown_branch(self):
        result = self.run_import("staff", [HEADER, self.row(branch="999999")])
        self.assertRejected(result, "row 2, column branch_code: unknown branch 999999")
        self.assertEqual(Staff.objects.count(), 0)

    def test_it_rejects_an_unknown_position_and_status(self):
        result = self.run_import("staff", [HEADER, self.row(position="行长助理", status="retired")])
        self.assertRejected(
            result,
            "row 2, column position: 行长助理 is not one of the allowed values: lobby_manager (大堂经理), "
            "teller (柜员)",
            "row 2, column status: retired is not one of the allowed values: active (在岗), left (离职)",
        )

    def test_it_rejects_a_change_before_the_current_assignment_began(self):
        self.run_import("staff", [HEADER, self.row()])
        self.run_import("staff", [HEADER, self.row(branch="120101", changed_on="2026-03-10")])
        result = self.run_import("staff", [HEADER, self.row(changed_on="2026-03-01")])
        self.assertRejected(
            result, "row 2, column changed_on: changed_on 2026-03-01 is before the current assignment began"
        )

    def test_it_rejects_a_change_in_a_finalized_month(self):
        self.run_import("staff", [HEADER, self.row()])
        month_lock(month=datetime.date(2026, 3, 1))
        result = self.run_import("staff", [HEADER, self.row(branch="120101", changed_on="2026-03-10")])
        self.assertRejected(
            result,
            "row 2, column changed_on: the change takes effect on 2026-03-10: month 2026-03 is finalized",
        )

    def test_it_reads_chinese_headers(self):
        rows = [
            ["员工编号", "姓名", "机构号", "岗位", "任职日期", "状态"],
            ["B001", "Bob", "120101", "柜员", "2023/5/1", "在岗"],
        ]
        self.assertImported(self.run_import("staff", rows), created=1)
        self.assertEqual(Staff.objects.get().position, "teller")
