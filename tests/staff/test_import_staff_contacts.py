"""The staff file's optional contact columns, 邮箱 and 企业微信账号 (CONTRACT.md §1)."""

from staff.models import Assignment, Staff
from tests import factories
from tests.metrics.helpers import ImportTestCase

HEADER = ["employee_no", "name", "branch_code", "position", "position_since", "email", "wecom_userid"]


class StaffContactImportTests(ImportTestCase):
    def setUp(self):
        super().setUp()
        factories.bank_tree()

    def row(self, email="alice@bank.example", wecom="zhangli"):
        return ["A001", "张丽", "110101", "大堂经理", "2024-01-01", email, wecom]

    def test_it_stores_the_email_and_wecom_account_given(self):
        self.assertImported(self.run_import("staff", [HEADER, self.row()]), created=1)
        alice = Staff.objects.get()
        self.assertEqual((alice.email, alice.wecom_userid), ("alice@bank.example", "zhangli"))

    def test_it_reads_the_chinese_column_names(self):
        rows = [["员工编号", "姓名", "机构号", "岗位", "任职日期", "邮箱", "企业微信账号"], self.row()]
        self.assertImported(self.run_import("staff", rows), created=1)
        self.assertEqual(Staff.objects.get().email, "alice@bank.example")

    def test_a_file_without_the_columns_keeps_what_is_stored(self):
        self.run_import("staff", [HEADER, self.row()])
        result = self.run_import("staff", [HEADER[:5], self.row()[:5]])
        self.assertImported(result, unchanged=1)
        self.assertEqual(Staff.objects.get().email, "alice@bank.example")

    def test_a_new_address_changes_the_member_but_not_the_assignment(self):
        self.run_import("staff", [HEADER, self.row()])
        self.assertImported(self.run_import("staff", [HEADER, self.row(email="li.zhang@bank.example")]), updated=1)
        self.assertEqual(Staff.objects.get().email, "li.zhang@bank.example")
        self.assertEqual(Assignment.objects.count(), 1)

    def test_it_rejects_an_address_that_is_not_one(self):
        result = self.run_import("staff", [HEADER, self.row(email="alice at bank")])
        self.assertRejected(result, "row 2, column email: alice at bank is not an e-mail address")
        self.assertEqual(Staff.objects.count(), 0)
