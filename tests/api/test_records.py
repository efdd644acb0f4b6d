"""Batches of rows: the file's rules through the file's own code — whole or nothing, idempotent
by ref, dry runs and --update, the same row messages with rows counted from the first element."""

import json

from django.test import override_settings

from audit.models import Change
from metrics.models import Deposit, ImportBatch
from metrics.pseudonyms import customer_hash
from metrics.services import month_lock
from staff.models import Branch, Staff
from tests.api.base import OCTOBER, ApiTestCase


class DepositBatchTests(ApiTestCase):
    def test_a_good_batch_is_created_and_counted(self):
        rows = [self.deposit(), self.deposit(ref="D2", amount="1,234.50"), self.deposit(ref="D3", amount=250)]
        response = self.post_rows("deposits", rows)
        self.assertEqual(response.status_code, 201, response.content)
        body = response.json()
        self.assertEqual((body["created"], body["updated"], body["unchanged"], body["rows"]), (3, 0, 0, 3))
        self.assertEqual(Deposit.objects.filter(ref__in=["D1", "D2", "D3"]).count(), 3)
        self.assertEqual(str(Deposit.objects.get(ref="D3").amount), "250.00")
        batch = ImportBatch.objects.get(pk=body["batch"])
        self.assertEqual((batch.filename, batch.outcome, batch.kind), ("api:core-banking", "imported", "deposits"))
        change = Change.objects.get(source=f"api:core-banking #{batch.pk}")
        self.assertEqual((change.object_id, change.fields["created"]), (str(batch.pk), [None, 3]))

    def test_the_customer_reference_is_stored_only_as_a_keyed_hash(self):
        self.post_rows("deposits", [self.deposit(customer_ref="CUST-778899")])
        deposit = Deposit.objects.get(ref="D1")
        self.assertEqual(deposit.customer_hash, customer_hash("CUST-778899"))
        self.assertNotIn("CUST-778899", json.dumps(list(Deposit.objects.filter(ref="D1").values()), default=str))

    def test_sending_the_same_batch_again_changes_nothing(self):
        self.post_rows("deposits", [self.deposit(), self.deposit(ref="D2")])
        response = self.post_rows("deposits", [self.deposit(), self.deposit(ref="D2")])
        self.assertEqual(response.status_code, 200)
        self.assertEqual((response.json()["created"], response.json()["unchanged"]), (0, 2))
        self.assertEqual(Deposit.objects.filter(ref__in=["D1", "D2"]).count(), 2)

    def test_chinese_column_names_are_taken_too(self):
        row = {"流水号": "D9", "日期": "2026-11-02", "员工编号": "E001", "客户号": "C1", "金额": 88}
        response = self.post_rows("deposits", [row])
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(str(Deposit.objects.get(ref="D9").amount), "88.00")

    def test_a_dry_run_checks_everything_and_writes_nothing(self):
        response = self.post_rows("deposits", [self.deposit()], query="?dry_run=true")
        self.assertEqual(response.status_code, 200)
        self.assertEqual((response.json()["created"], response.json()["dry_run"]), (1, True))
        self.assertFalse(Deposit.objects.filter(ref="D1").exists())

    def test_changed_content_is_an_error_without_update_and_a_change_in_the_history_with_it(self):
        self.post_rows("deposits", [self.deposit()])
        refused = self.post_rows("deposits", [self.deposit(amount="200.00")])
        self.assertEqual(refused.status_code, 400)
        self.assertEqual(refused.json()["errors"][0]["row"], 1)
        self.assertEqual(str(Deposit.objects.get(ref="D1").amount), "100.00")

        response = self.post_rows("deposits", [self.deposit(amount="200.00")], query="?update=true")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["updated"], 1)
        self.assertEqual(str(Deposit.objects.get(ref="D1").amount), "200.00")
        change = Change.objects.get(object_id=str(Deposit.objects.get(ref="D1").pk), action="update")
        self.assertEqual(change.source, f"api:core-banking #{response.json()['batch']}")

    def test_a_bad_flag_is_refused(self):
        response = self.post_rows("deposits", [self.deposit()], query="?dry_run=maybe")
        self.assertEqual(response.status_code, 400)
        self.assertIn("dry_run", response.json()["message"])
        self.assertFalse(Deposit.objects.filter(ref="D1").exists())


class BadBatchTests(ApiTestCase):
    """Each bad input of the importer tests: 400, every bad row named, nothing written. The
    client asks for English, the language of CONTRACT.md's examples."""

    def post_rows(self, kind: str, rows: list, token: str | None = None, query: str = ""):
        token = self.records_token if token is None else token
        return self.call("post", f"/api/v1/records/{kind}/{query}", token, {"rows": rows}, HTTP_ACCEPT_LANGUAGE="en")

    def assertRefused(self, response, *expected: tuple):
        self.assertEqual(response.status_code, 400, response.content)
        errors = response.json()["errors"]
        found = {(error["row"], error["column"]) for error in errors}
        for row, column, text in expected:
            self.assertIn((row, column), found, errors)
            self.assertTrue(any(text in error["message"] for error in errors if error["row"] == row), errors)
        self.assertIn("message", response.json())
        self.assertFalse(Deposit.objects.exclude(ref__startswith="DEP").exists(), "a refused batch wrote rows")
        self.assertEqual(ImportBatch.objects.get().outcome, "rejected")

    def good_and(self, bad: dict) -> list:
        return [self.deposit(ref="G1"), self.deposit(ref="G2"), bad]

    def test_a_bad_date_rejects_the_whole_batch(self):
        response = self.post_rows("deposits", self.good_and(self.deposit(ref="X", date="2026-02-30")))
        self.assertRefused(response, (3, "date", "not a real date"))

    def test_a_date_after_today_rejects_the_whole_batch(self):
        response = self.post_rows("deposits", self.good_and(self.deposit(ref="X", date="2999-01-01")))
        self.assertRefused(response, (3, "date", "after today"))

    def test_an_unknown_employee_rejects_the_whole_batch(self):
        response = self.post_rows("deposits", self.good_and(self.deposit(ref="X", employee_no="Z999")))
        self.assertRefused(response, (3, "employee_no", "unknown employee Z999"))

    def test_a_ref_twice_in_one_batch_rejects_it_naming_the_first_row(self):
        response = self.post_rows("deposits", [self.deposit(), self.deposit(ref="D2"), self.deposit()])
        self.assertRefused(response, (3, "ref", "first at row 2"))

    def test_a_row_in_a_finalized_month_rejects_the_whole_batch(self):
        month_lock(month=OCTOBER)
        response = self.post_rows("deposits", self.good_and(self.deposit(ref="X", date="2026-10-15")))
        self.assertRefused(response, (3, "date", "finalized"))

    def test_a_missing_column_rejects_the_batch_as_a_whole(self):
        rows = [{key: value for key, value in self.deposit().items() if key != "amount"}]
        self.assertRefused(self.post_rows("deposits", rows), (None, "amount", "required column is missing"))

    def test_a_bad_amount_and_a_bad_value_type_are_each_named(self):
        response = self.post_rows("deposits", [self.deposit(amount="-5"), self.deposit(ref="D2", amount=[1])])
        self.assertEqual(response.status_code, 400)
        self.assertEqual({(e["row"], e["column"]) for e in response.json()["errors"]}, {(2, "amount")})
        self.assertFalse(Deposit.objects.exclude(ref__startswith="DEP").exists())

    def test_text_no_database_can_hold_is_a_bad_row_not_a_failure(self):
        rows = [self.deposit(), self.deposit(ref="D2\u0000"), {**self.deposit(ref="D3"), "\ud800": "x"}]
        response = self.post_rows("deposits", rows)
        self.assertEqual(response.status_code, 400)
        self.assertEqual([(e["row"], e["column"]) for e in response.json()["errors"]], [(2, "-"), (3, "-")])
        self.assertFalse(Deposit.objects.exclude(ref__startswith="DEP").exists())

    def test_a_row_that_is_not_an_object_is_named(self):
        response = self.post_rows("deposits", [self.deposit(), "D2,2026-11-02"])
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json()["errors"][0]["row"], 2)
        self.assertFalse(Deposit.objects.exclude(ref__startswith="DEP").exists())


class RowMessageLanguageTests(ApiTestCase):
    """The row messages are the import page's and the command's, in the language the client
    negotiates (Chinese by default), naming each column as the batch named it."""

    def test_row_messages_are_chinese_by_default_and_name_the_column_as_sent(self):
        row = {"流水号": "X1", "日期": "2026-13-01", "员工编号": "E001", "客户号": "C1", "金额": 88}
        response = self.post_rows("deposits", [row])
        self.assertEqual(response.status_code, 400, response.content)
        self.assertEqual(
            response.json()["errors"], [{"row": 1, "column": "日期", "message": "2026-13-01 不是有效日期"}]
        )

    def test_row_messages_follow_accept_language(self):
        response = self.call(
            "post",
            "/api/v1/records/deposits/",
            self.records_token,
            {"rows": [self.deposit(date="2026-13-01")]},
            HTTP_ACCEPT_LANGUAGE="en",
        )
        self.assertEqual(
            response.json()["errors"], [{"row": 1, "column": "date", "message": "2026-13-01 is not a real date"}]
        )


class BatchShapeTests(ApiTestCase):
    def test_a_body_without_rows_is_400_with_a_message(self):
        for body in ({}, {"rows": "D1"}, [1, 2], {"rows": []}):
            with self.subTest(body=body):
                response = self.call("post", "/api/v1/records/deposits/", self.records_token, body)
                self.assertEqual(response.status_code, 400)
                self.assertTrue(response.json()["message"])
        self.assertFalse(ImportBatch.objects.exists())

    def test_a_body_that_is_not_json_is_400_in_json(self):
        response = self.client.post(
            "/api/v1/records/deposits/",
            data="ref,date\nD1,2026-11-02",
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {self.records_token}",
        )
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response["Content-Type"], "application/json")
        self.assertIn("JSON", response.json()["message"])

    def test_more_than_ten_thousand_rows_is_413_and_nothing_is_written(self):
        rows = [self.deposit(ref=f"D{i}") for i in range(10_001)]
        response = self.post_rows("deposits", rows)
        self.assertEqual(response.status_code, 413)
        self.assertIn("10,000", response.json()["message"])
        self.assertFalse(Deposit.objects.exclude(ref__startswith="DEP").exists())

    @override_settings(API_MAX_BODY_MB=1)
    def test_a_body_over_the_size_limit_is_413_in_json(self):
        rows = [self.deposit(ref=f"D{i}", text="x" * 200) for i in range(6000)]
        response = self.post_rows("deposits", rows)
        self.assertEqual(response.status_code, 413)
        self.assertIn("MB", response.json()["message"])
        self.assertFalse(Deposit.objects.exclude(ref__startswith="DEP").exists())

    def test_an_unknown_kind_is_a_json_404(self):
        response = self.post_rows("loans", [self.deposit()])
        self.assertEqual(response.status_code, 404)
        self.assertIn("loans", response.json()["message"])


class OrganisationBatchTests(ApiTestCase):
    def test_branches_may_come_child_first_and_are_written_whole(self):
        rows = [
            {"code": "110102", "name": "保俶路网点", "parent_code": "110103", "level": "outlet"},
            {"code": "110103", "name": "北山支行", "parent_code": "110000", "level": "sub_branch"},
        ]
        response = self.post_rows("branches", rows, token=self.organisation_token)
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(Branch.objects.get(code="110102").parent.code, "110103")

    def test_a_new_lobby_manager_joins_through_the_api(self):
        row = {
            "员工编号": "E003",
            "姓名": "陈晨",
            "机构号": "110101",
            "岗位": "大堂经理",
            "任职日期": "2026-11-01",
        }
        response = self.post_rows("staff", [row], token=self.organisation_token)
        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(Staff.objects.get(employee_no="E003").position, "lobby_manager")


class BatchTableTests(ApiTestCase):
    """A batch becomes the same Table whether it is read a column at a time (the usual batch)
    or row by row (any batch with something to name)."""

    def test_the_column_reading_gives_the_row_reading_table(self):
        from api import services

        rows = [
            {"ref": "R1", "amount": 12.5, "flag": True, "note": None},
            {"amount": "1,000.00", "ref": "R2", "extra": "x"},
            {"ref": "R3", "flag": False},
        ]
        quick = services._table_by_columns(rows)
        with self.settings():
            from unittest import mock

            with mock.patch.object(services, "_table_by_columns", return_value=None):
                slow = services.table_from_rows(rows)
        self.assertEqual(quick.header, slow.header)
        self.assertEqual(quick.cells.values.tolist(), slow.cells.values.tolist())
        self.assertEqual(quick.numbers.tolist(), slow.numbers.tolist())

    def test_a_batch_with_a_bad_value_is_read_row_by_row(self):
        from api import services

        self.assertIsNone(services._table_by_columns([{"ref": "R1"}, {"ref": "a\x00b"}]))
        self.assertIsNone(services._table_by_columns([{"ref": "R1"}, {"ref": ["list"]}]))
        self.assertIsNone(services._table_by_columns([{"ref": "R1"}, "not an object"]))
