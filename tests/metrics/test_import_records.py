"""The four record files: the value rules, refs, customer hashes, finalized months and --update."""

import datetime
from decimal import Decimal

from audit.models import Change
from metrics.models import AccountOpening, Deposit, EbankingSale, Feedback, ImportBatch
from metrics.pseudonyms import customer_hash
from metrics.services import month_lock
from tests import factories
from tests.metrics.helpers import ImportTestCase

DEPOSITS = ["ref", "date", "employee_no", "customer_ref", "amount", "product"]
FEEDBACK = ["ref", "date", "employee_no", "channel", "kind", "rating", "score", "upheld", "severity", "text"]
EBANKING = ["ref", "date", "employee_no", "customer_ref", "product", "activated"]
ACCOUNTS = ["ref", "date", "employee_no", "customer_ref", "account_type", "avg_assets"]


class RecordTestCase(ImportTestCase):
    """Alice works at outlet A and Bob at outlet B; the day is 2026-04-30."""

    def setUp(self):
        super().setUp()
        tree = factories.bank_tree()
        self.alice = factories.staff("A001", "Alice", tree["outlet_a"])
        self.bob = factories.staff("B001", "Bob", tree["outlet_b"])

    def deposit(self, ref="D1", date="2026-03-02", employee_no="A001", customer="C1", amount="100.00", product=""):
        return [ref, date, employee_no, customer, amount, product]

    def feedback(self, ref="F1", kind="rating", channel="pad", rating="", score="", upheld="", severity="", text=""):
        return [ref, "2026-03-02", "A001", channel, kind, rating, score, upheld, severity, text]


class DepositTests(RecordTestCase):
    def test_it_imports_deposits_with_thousands_separators(self):
        rows = [
            DEPOSITS,
            self.deposit(amount="1,234.50"),
            self.deposit(ref="D2", amount="1,234,567"),
            self.deposit(ref="D3", amount="0.5"),
        ]
        self.assertImported(self.run_import("deposits", rows), created=3)
        amounts = dict(Deposit.objects.values_list("ref", "amount"))
        self.assertEqual(amounts, {"D1": Decimal("1234.50"), "D2": Decimal("1234567.00"), "D3": Decimal("0.50")})

    def test_it_rejects_an_unknown_employee(self):
        result = self.run_import("deposits", [DEPOSITS, self.deposit(employee_no="Z999")])
        self.assertRejected(result, "row 2, column employee_no: unknown employee Z999")

    def test_it_rejects_an_impossible_date(self):
        result = self.run_import("deposits", [DEPOSITS, self.deposit(date="2026-02-30")])
        self.assertRejected(result, "row 2, column date: 2026-02-30 is not a real date")

    def test_it_rejects_a_date_that_is_not_a_date(self):
        result = self.run_import("deposits", [DEPOSITS, self.deposit(date="02/03/2026")])
        self.assertRejected(result, "row 2, column date: 02/03/2026 is not a date (write YYYY-MM-DD")

    def test_it_takes_slashes_in_dates(self):
        self.assertImported(self.run_import("deposits", [DEPOSITS, self.deposit(date="2026/3/2")]), created=1)
        self.assertEqual(Deposit.objects.get().date, datetime.date(2026, 3, 2))

    def test_it_rejects_a_date_after_today(self):
        result = self.run_import("deposits", [DEPOSITS, self.deposit(date="2026-05-01")])
        self.assertRejected(result, "row 2, column date: 2026-05-01 is after today (2026-04-30)")

    def test_it_takes_a_record_dated_today(self):
        self.assertImported(self.run_import("deposits", [DEPOSITS, self.deposit(date="2026-04-30")]), created=1)

    def test_it_rejects_a_negative_amount(self):
        result = self.run_import("deposits", [DEPOSITS, self.deposit(amount="-100")])
        self.assertRejected(result, "row 2, column amount: -100 is negative")

    def test_it_rejects_an_amount_that_is_not_a_number(self):
        for amount in ("abc", "12,34", "1.2.3", "¥100"):
            with self.subTest(amount=amount):
                result = self.run_import("deposits", [DEPOSITS, self.deposit(amount=amount)])
                self.assertRejected(result, f"row 2, column amount: {amount} is not an amount")

    def test_it_rejects_an_amount_with_more_than_two_decimals(self):
        result = self.run_import("deposits", [DEPOSITS, self.deposit(amount="1.234")])
        self.assertRejected(result, "row 2, column amount: 1.234 has more than 2 decimals")

    def test_it_rejects_an_empty_required_cell(self):
        result = self.run_import("deposits", [DEPOSITS, self.deposit(customer="")])
        self.assertRejected(result, "row 2, column customer_ref: is empty; a value is required")

    def test_it_stores_customer_references_only_as_their_keyed_hash(self):
        self.assertImported(self.run_import("deposits", [DEPOSITS, self.deposit(customer=" 6222020000001 ")]))
        stored = Deposit.objects.values_list("customer_hash", flat=True).get()
        self.assertEqual(stored, customer_hash("6222020000001"))
        self.assertNotIn("6222020000001", str(list(Deposit.objects.values())))


class RefTests(RecordTestCase):
    def test_it_rejects_a_ref_given_twice_in_one_file_naming_the_first_row(self):
        rows = [DEPOSITS, self.deposit(), self.deposit(ref="D2"), self.deposit()]
        result = self.run_import("deposits", rows)
        self.assertEqual(
            [str(error) for error in result.errors],
            ["row 4, column ref: ref D1 appears twice in this file (first at row 2)"],
        )

    def test_importing_the_same_file_again_changes_nothing(self):
        rows = [DEPOSITS, self.deposit(amount="1,234.5"), self.deposit(ref="D2", employee_no="B001")]
        self.assertImported(self.run_import("deposits", rows), created=2)
        again = self.run_import("deposits", rows)
        self.assertImported(again, created=0, updated=0, unchanged=2)
        self.assertEqual(again.summary, "Import complete: created 0, updated 0, unchanged 2.")
        self.assertEqual(Deposit.objects.count(), 2)

    def test_a_stored_ref_with_other_content_is_an_error_until_update_changes_it_with_history(self):
        self.assertImported(self.run_import("deposits", [DEPOSITS, self.deposit(amount="100")]), created=1)
        changed = [DEPOSITS, self.deposit(amount="120", employee_no="B001"), self.deposit(ref="D2")]

        refused = self.run_import("deposits", changed)
        self.assertEqual(
            [str(error) for error in refused.errors],
            [
                "row 2, column employee_no: ref D1 is already stored with different content: "
                "employee_no A001→B001, amount 100.00→120.00; use --update to change it"
            ],
        )
        self.assertEqual(Deposit.objects.get().amount, Decimal("100.00"))

        updated = self.run_import("deposits", changed, update=True)
        self.assertImported(updated, created=1, updated=1, unchanged=0)
        deposit = Deposit.objects.get(ref="D1")
        self.assertEqual((deposit.amount, deposit.staff), (Decimal("120.00"), self.bob))
        change = Change.objects.get(object_id=str(deposit.pk), action=Change.Action.UPDATE)
        self.assertEqual(change.fields, {"staff": ["A001", "B001"], "amount": ["100.00", "120.00"]})
        self.assertEqual((change.reason, change.source), ("import --update", f"import #{updated.batch_id}"))
        self.assertTrue(ImportBatch.objects.get(pk=updated.batch_id).update_mode)

    def test_a_changed_customer_is_reported_without_showing_either_reference(self):
        self.run_import("deposits", [DEPOSITS, self.deposit(customer="C-secret-1")])
        result = self.run_import("deposits", [DEPOSITS, self.deposit(customer="C-secret-2")])
        self.assertRejected(
            result,
            "row 2, column customer_ref: ref D1 is already stored with different content: "
            "customer_ref changed; use --update",
        )
        self.assertNotIn("secret", str(result.errors))

    def test_a_ref_stored_by_another_kind_does_not_count(self):
        self.run_import("deposits", [DEPOSITS, self.deposit(ref="X1")])
        rows = [EBANKING, ["X1", "2026-03-02", "A001", "C1", "mobile_banking", "true"]]
        self.assertImported(self.run_import("ebanking", rows), created=1)


class FinalizedMonthTests(RecordTestCase):
    def test_it_rejects_a_row_in_a_finalized_month(self):
        month_lock(month=datetime.date(2026, 3, 1))
        rows = [DEPOSITS, self.deposit(date="2026-04-01"), self.deposit(ref="D2", date="2026-03-31")]
        result = self.run_import("deposits", rows)
        self.assertEqual(
            [str(error) for error in result.errors], ["row 3, column date: month 2026-03 is finalized; reopen it first"]
        )
        self.assertEqual(Deposit.objects.count(), 0)

    def test_update_cannot_move_a_record_out_of_a_finalized_month(self):
        self.run_import("deposits", [DEPOSITS, self.deposit(date="2026-03-02")])
        month_lock(month=datetime.date(2026, 3, 1))
        result = self.run_import("deposits", [DEPOSITS, self.deposit(date="2026-04-02")], update=True)
        self.assertRejected(
            result,
            "row 2, column date: ref D1 is stored in a finalized month: month 2026-03 is finalized; reopen it first",
        )


class FeedbackTests(RecordTestCase):
    def test_it_imports_each_kind_of_feedback_with_chinese_labels(self):
        rows = [
            FEEDBACK,
            self.feedback("F1", kind="评价", channel="评价器", rating="5"),
            self.feedback("F2", kind="inspection", channel="神秘人", score="92.5"),
            self.feedback("F3", kind="complaint", channel="客服热线", upheld="是", severity="重大", text="态度差"),
            self.feedback("F4", kind="complaint", channel="letter"),
            self.feedback("F5", kind="表扬", channel="问卷"),
        ]
        self.assertImported(self.run_import("feedback", rows), created=5)
        stored = {row["ref"]: row for row in Feedback.objects.values()}
        self.assertEqual((stored["F1"]["channel"], stored["F1"]["kind"], stored["F1"]["rating"]), ("pad", "rating", 5))
        self.assertEqual((stored["F2"]["channel"], stored["F2"]["score"]), ("mystery_shopper", Decimal("92.50")))
        self.assertEqual(
            (stored["F3"]["upheld"], stored["F3"]["severity"], stored["F3"]["text"]),
            (True, "major", "态度差"),
        )
        self.assertEqual((stored["F4"]["upheld"], stored["F4"]["severity"]), (False, "normal"))
        self.assertEqual(stored["F5"]["kind"], "praise")
        self.assertImported(self.run_import("feedback", rows), unchanged=5)

    def test_it_stores_text_exactly_whatever_characters_it_holds(self):
        text = 'line one\nline two\twith a tab, a back\\slash, "quotes" and \\N'
        self.assertImported(self.run_import("feedback", [FEEDBACK, self.feedback(kind="praise", text=text)]))
        self.assertEqual(Feedback.objects.get().text, text)

    def test_it_rejects_a_rating_outside_one_to_five(self):
        for rating in ("0", "6", "4.5", "five"):
            with self.subTest(rating=rating):
                result = self.run_import("feedback", [FEEDBACK, self.feedback(rating=rating)])
                self.assertRejected(
                    result, f"row 2, column rating: {rating} is not allowed; it must be a whole number from 1 to 5"
                )

    def test_it_requires_a_rating_for_a_rating(self):
        result = self.run_import("feedback", [FEEDBACK, self.feedback(kind="rating")])
        self.assertRejected(result, "row 2, column rating: is empty; a rating (1–5) is required")

    def test_it_rejects_a_score_outside_zero_to_one_hundred(self):
        for score, message in (
            ("100.01", "is out of range"),
            ("-1", "is out of range"),
            ("99.999", "has more than 2 decimals"),
            ("good", "is not a number"),
        ):
            with self.subTest(score=score):
                result = self.run_import("feedback", [FEEDBACK, self.feedback(kind="inspection", score=score)])
                self.assertRejected(result, f"row 2, column score: {score} {message}")

    def test_it_takes_the_ends_of_the_score_range(self):
        rows = [
            FEEDBACK,
            self.feedback("F1", kind="inspection", score="0"),
            self.feedback("F2", kind="inspection", score="100.00"),
        ]
        self.assertImported(self.run_import("feedback", rows), created=2)

    def test_it_requires_a_score_for_an_inspection(self):
        result = self.run_import("feedback", [FEEDBACK, self.feedback(kind="inspection")])
        self.assertRejected(result, "row 2, column score: is empty; a score (0–100) is required")

    def test_it_rejects_an_unknown_channel_or_kind_listing_the_allowed_values(self):
        result = self.run_import("feedback", [FEEDBACK, self.feedback(channel="wechat", kind="gossip", rating="3")])
        self.assertRejected(
            result,
            "row 2, column channel: wechat is not one of the allowed values: pad (评价器), survey (问卷), "
            "hotline (客服热线), mystery_shopper (神秘人), letter (来信), other (其他)",
            "row 2, column kind: gossip is not one of the allowed values: rating (评价), inspection (暗访), "
            "praise (表扬), complaint (投诉)",
        )

    def test_it_rejects_an_unknown_severity(self):
        result = self.run_import("feedback", [FEEDBACK, self.feedback(kind="complaint", severity="huge")])
        self.assertRejected(
            result,
            "row 2, column severity: huge is not one of the allowed values: normal (一般), major (重大)",
        )


class EbankingTests(RecordTestCase):
    def test_it_reads_yes_and_no_in_every_spelling(self):
        answers = {"是": True, "否": False, "TRUE": True, "false": False, "1": True, "0": False}
        rows = [
            EBANKING,
            *[[f"E{i}", "2026-03-02", "A001", f"C{i}", "手机银行", text] for i, text in enumerate(answers)],
        ]
        self.assertImported(self.run_import("ebanking", rows), created=6)
        stored = dict(EbankingSale.objects.values_list("ref", "activated"))
        self.assertEqual(stored, {f"E{i}": value for i, value in enumerate(answers.values())})
        self.assertEqual(set(EbankingSale.objects.values_list("product", flat=True)), {"mobile_banking"})

    def test_it_rejects_a_yes_no_value_it_cannot_read(self):
        result = self.run_import("ebanking", [EBANKING, ["E1", "2026-03-02", "A001", "C1", "online_banking", "maybe"]])
        self.assertRejected(
            result, "row 2, column activated: maybe is not a yes/no value (write true/false, 1/0 or 是/否)"
        )

    def test_it_rejects_an_unknown_product(self):
        result = self.run_import("ebanking", [EBANKING, ["E1", "2026-03-02", "A001", "C1", "支付宝", "1"]])
        self.assertRejected(
            result,
            "row 2, column product: 支付宝 is not one of the allowed values: online_banking (网上银行)",
        )


class AccountTests(RecordTestCase):
    def test_it_imports_account_openings(self):
        rows = [
            ACCOUNTS,
            ["A1", "2026-03-02", "A001", "C1", "借记卡", "20,000"],
            ["A2", "2026-03-02", "B001", "C2", "", "0"],
        ]
        self.assertImported(self.run_import("accounts", rows), created=2)
        self.assertEqual(
            dict(AccountOpening.objects.values_list("ref", "avg_assets")),
            {"A1": Decimal("20000.00"), "A2": Decimal("0.00")},
        )
        self.assertImported(self.run_import("accounts", rows), unchanged=2)

    def test_it_rejects_negative_average_assets(self):
        result = self.run_import("accounts", [ACCOUNTS, ["A1", "2026-03-02", "A001", "C1", "", "-1.00"]])
        self.assertRejected(result, "row 2, column avg_assets: -1.00 is negative")
