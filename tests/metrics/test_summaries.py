"""Month summaries: every import and hand correction keeps them equal to the records, in the
same transaction; `check_summaries` proves it; the engine's actuals read them and equal what
the records give, at the default effective threshold and at any other."""

import datetime
import io
import tempfile
import threading
import unittest
from decimal import Decimal
from pathlib import Path
from unittest import mock

from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import TransactionTestCase
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase
from pandas.testing import assert_frame_equal

from metrics import importers
from metrics.models import AccountOpening, Deposit, Feedback, MonthSummary
from metrics.selectors import actuals, actuals_from_records, record_totals
from metrics.services import import_file, record_save
from metrics.summaries import summaries_refresh
from tests import factories
from tests.metrics.helpers import TODAY, csv_bytes
from tests.metrics.test_import_records import ACCOUNTS, DEPOSITS, FEEDBACK, RecordTestCase

MARCH = datetime.date(2026, 3, 1)
APRIL = datetime.date(2026, 4, 1)


class SummaryAssertions:
    def assertSummariesAgree(self, *months: datetime.date):
        """`check_summaries` finds the stored summaries equal to the records for each month."""
        for month in months:
            out = io.StringIO()
            try:
                call_command("check_summaries", f"{month:%Y-%m}", stdout=out)
            except CommandError as error:
                self.fail(f"check_summaries {month:%Y-%m}: {out.getvalue()}{error}")

    def summary(self, member, month) -> dict:
        row = MonthSummary.objects.filter(staff=member, month=month).values().first()
        return row or {}


class ImportKeepsSummariesTests(SummaryAssertions, RecordTestCase):
    def test_an_import_writes_the_summaries_of_every_month_and_member_it_touches(self):
        rows = [
            DEPOSITS,
            self.deposit(ref="D1", date="2026-03-01", amount="310.00"),
            self.deposit(ref="D2", date="2026-03-31", amount="100.00"),
            self.deposit(ref="D3", date="2026-04-02", employee_no="B001", amount="50.00"),
        ]
        self.assertImported(self.run_import("deposits", rows), created=3)
        alice = self.summary(self.alice, MARCH)
        # Σ amount × (D − d + 1): 310 × 31 + 100 × 1
        self.assertEqual(alice["deposits_weighted"], Decimal("9710.00"))
        self.assertEqual(alice["deposits_total"], Decimal("410.00"))
        self.assertEqual(self.summary(self.bob, APRIL)["deposits_total"], Decimal("50.00"))
        self.assertEqual(self.summary(self.bob, MARCH), {})
        self.assertSummariesAgree(MARCH, APRIL)

    def test_feedback_and_accounts_fill_their_own_columns_of_the_same_row(self):
        self.run_import(
            "accounts",
            [
                ACCOUNTS,
                ["A1", "2026-03-02", "A001", "C1", "", "10000"],
                ["A2", "2026-03-03", "A001", "C2", "", "9999.99"],
            ],
        )
        self.run_import(
            "feedback",
            [
                FEEDBACK,
                self.feedback(ref="F1", rating="5"),
                self.feedback(ref="F2", rating="3"),
                self.feedback(ref="F3", kind="inspection", channel="mystery_shopper", score="88.5"),
                self.feedback(ref="F4", kind="complaint", upheld="true", severity="major"),
                self.feedback(ref="F5", kind="complaint", upheld="false"),
            ],
        )
        alice = self.summary(self.alice, MARCH)
        self.assertEqual(
            {name: alice[name] for name in ("accounts", "effective", "ratings", "ratings_good", "inspections")},
            {"accounts": 2, "effective": 1, "ratings": 2, "ratings_good": 1, "inspections": 1},
        )
        self.assertEqual((alice["inspection_sum"], alice["complaints"], alice["major_complaints"]), (88.5, 0, 1))
        self.assertSummariesAgree(MARCH)

    def test_an_update_that_moves_a_record_changes_both_summaries(self):
        self.run_import("deposits", [DEPOSITS, self.deposit(ref="D1", date="2026-03-05", amount="100.00")])
        moved = [DEPOSITS, self.deposit(ref="D1", date="2026-04-05", employee_no="B001", amount="100.00")]
        self.assertImported(self.run_import("deposits", moved, update=True), updated=1)
        self.assertEqual(self.summary(self.alice, MARCH), {})  # nothing left: no row
        self.assertEqual(self.summary(self.bob, APRIL)["deposits_total"], Decimal("100.00"))
        self.assertSummariesAgree(MARCH, APRIL)

    def test_a_rejected_file_leaves_the_summaries_alone(self):
        self.run_import("deposits", [DEPOSITS, self.deposit(ref="D1")])
        result = self.run_import("deposits", [DEPOSITS, self.deposit(ref="D2"), self.deposit(ref="D3", amount="-1")])
        self.assertFalse(result.ok)
        self.assertEqual(self.summary(self.alice, MARCH)["deposits_total"], Decimal("100.00"))
        self.assertSummariesAgree(MARCH)

    def test_a_failed_write_takes_its_summaries_with_it(self):
        with mock.patch.object(importers, "summaries_refresh", side_effect=RuntimeError("disk full")):
            with self.assertRaises(RuntimeError):
                self.run_import("deposits", [DEPOSITS, self.deposit(ref="D1")])
        self.assertFalse(Deposit.objects.exists())
        self.assertFalse(MonthSummary.objects.exists())


class HandCorrectionsKeepSummariesTests(SummaryAssertions, RecordTestCase):
    def test_a_record_added_by_hand_counts_at_once(self):
        record_save(
            kind="feedback",
            values={
                "ref": "P1",
                "date": datetime.date(2026, 3, 9),
                "staff": self.alice,
                "channel": "pad",
                "kind": "praise",
            },
            reason="客户来信表扬",
            user=None,
        )
        self.assertEqual(self.summary(self.alice, MARCH)["praise"], 1)
        self.assertSummariesAgree(MARCH)

    def test_a_correction_that_moves_a_record_to_another_month_and_member_changes_both(self):
        self.run_import("accounts", [ACCOUNTS, ["A1", "2026-03-02", "A001", "C1", "", "20000"]])
        record = AccountOpening.objects.get(ref="A1")
        record_save(
            kind="accounts",
            record=record,
            values={"date": datetime.date(2026, 4, 2), "staff": self.bob, "avg_assets": Decimal("500")},
            reason="录错了经办人",
            user=None,
        )
        self.assertEqual(self.summary(self.alice, MARCH), {})
        bob = self.summary(self.bob, APRIL)
        self.assertEqual((bob["accounts"], bob["effective"]), (1, 0))
        self.assertSummariesAgree(MARCH, APRIL)


class CheckSummariesTests(SummaryAssertions, RecordTestCase):
    language = "zh-hans"  # the command speaks the console's language, Chinese by default

    def test_it_reports_every_difference_and_fixes_them_when_asked(self):
        self.run_import("deposits", [DEPOSITS, self.deposit(ref="D1")])
        # A record written behind the summaries' back: the drift the command is there to find.
        Feedback.objects.create(ref="X1", date=datetime.date(2026, 3, 3), staff=self.bob, channel="pad", kind="praise")
        Deposit.objects.filter(ref="D1").update(amount=Decimal("300.00"))
        out = io.StringIO()
        with self.assertRaises(CommandError) as caught:
            call_command("check_summaries", "2026-03", stdout=out)
        self.assertEqual(caught.exception.returncode, 1)
        printed = out.getvalue()
        self.assertIn("员工 A001：存款合计（元） 汇总为 100.00，按记录应为 300.00", printed)
        self.assertIn("员工 B001：表扬数 汇总为 0，按记录应为 1", printed)
        self.assertIn("2026-03 的月度汇总与记录有", str(caught.exception))

        with self.assertRaises(CommandError) as fixed:
            call_command("check_summaries", "2026-03", "--fix", stdout=io.StringIO())
        self.assertIn("已按记录重建（2 行）", str(fixed.exception))
        self.assertSummariesAgree(MARCH)

    def test_it_says_so_when_all_agree(self):
        self.run_import("deposits", [DEPOSITS, self.deposit(ref="D1")])
        out = io.StringIO()
        call_command("check_summaries", "2026-03", stdout=out)
        self.assertIn("2026-03 的月度汇总与记录一致（1 名员工）", out.getvalue())


class RecordTotalsTests(SummaryAssertions, RecordTestCase):
    def test_whole_months_from_summaries_and_partial_ones_from_records_add_up(self):
        rows = [DEPOSITS] + [
            self.deposit(ref=f"D{month}-{day}", date=f"2026-{month:02d}-{day:02d}", amount="10.00")
            for month in (2, 3, 4)
            for day in (1, 15, 28)
        ]
        self.assertImported(self.run_import("deposits", rows), created=9)
        totals = record_totals(
            staff_ids=[self.alice.pk], first=datetime.date(2026, 2, 10), last=datetime.date(2026, 4, 20)
        )
        # 15 and 28 February, all of March, 1 and 15 April
        self.assertEqual(totals[self.alice.pk]["deposits_total"], Decimal("7") * 10 / 10000)


# ─── both paths give the same actuals ──────────────────────────────────────────────────────

DAYS = st.dates(min_value=datetime.date(2026, 2, 1), max_value=datetime.date(2026, 4, 30))
AMOUNTS = st.decimals(min_value=0, max_value=Decimal("9999999.99"), places=2)
RECORDS = st.lists(
    st.one_of(
        st.tuples(st.just("accounts"), st.integers(0, 2), DAYS, AMOUNTS),
        st.tuples(st.just("deposits"), st.integers(0, 2), DAYS, AMOUNTS),
        st.tuples(st.just("ebanking"), st.integers(0, 2), DAYS, st.booleans()),
        st.tuples(
            st.just("feedback"),
            st.integers(0, 2),
            DAYS,
            st.one_of(
                st.tuples(st.just("rating"), st.integers(1, 5)),
                st.tuples(st.just("inspection"), st.decimals(min_value=0, max_value=100, places=2)),
                st.tuples(st.just("praise"), st.none()),
                st.tuples(st.just("complaint"), st.sampled_from(["normal", "major", "not upheld"])),
            ),
        ),
    ),
    max_size=30,
)


class BothPathsTests(HypothesisTestCase):
    """Random records written in random batches, as the writers do: the summaries' actuals equal
    the records' actuals exactly, at the default threshold and at another."""

    def setUp(self):
        tree = factories.bank_tree()
        self.members = [factories.staff(f"E{i}", f"员工{i}", tree["outlet_a"]) for i in range(3)]

    @settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(records=RECORDS, threshold=st.sampled_from([Decimal("10000"), Decimal("0"), Decimal("5000.50")]))
    def test_summaries_and_records_give_identical_actuals(self, records, threshold):
        for kind, who, day, value in records:
            member = self.members[who]
            if kind == "accounts":
                factories.accounts(member, day, 1, avg_assets=value)
            elif kind == "deposits":
                factories.deposit(member, day, value)
            elif kind == "ebanking":
                factories.ebanking(member, day, 1, activated=value)
            else:
                feedback_kind, detail = value
                fields = {
                    "rating": {"rating": detail},
                    "inspection": {"score": detail},
                    "praise": {},
                    "complaint": {
                        "upheld": detail != "not upheld",
                        "severity": "normal" if detail != "major" else "major",
                    },
                }[feedback_kind]
                factories.feedback(member, day, feedback_kind, **fields)
        for month in (datetime.date(2026, 2, 1), MARCH, APRIL):
            from_summaries = actuals(month=month, effective_threshold=threshold)
            from_records = actuals_from_records(month=month, effective_threshold=threshold)
            assert_frame_equal(from_summaries, from_records, check_exact=True)


# ─── two imports at once ───────────────────────────────────────────────────────────────────


@unittest.skipUnless(connection.vendor == "postgresql", "SQLite has one writer at a time: nothing to race")
class ConcurrentImportsTests(SummaryAssertions, TransactionTestCase):
    """Two imports of the same staff member and month whose records are both written before
    either counts its summaries: the later count must include the earlier's records."""

    def setUp(self):
        tree = factories.bank_tree()
        factories.staff("A001", "Alice", tree["outlet_a"])

    def test_two_imports_touching_the_same_summary_lose_nothing(self):
        folder = Path(self.enterContext(tempfile.TemporaryDirectory()))
        both_written = threading.Barrier(2, timeout=20)
        refresh = importers.summaries_refresh

        def refresh_after_both_wrote(**kwargs):
            both_written.wait()  # each transaction holds its records, uncommitted
            refresh(**kwargs)

        def run(name, ref, amount):
            path = folder / name
            path.write_bytes(csv_bytes([DEPOSITS, [ref, "2026-03-02", "A001", "C1", amount, ""]]))
            try:
                results[name] = import_file("deposits", path, today=TODAY)
            finally:
                connection.close()

        results = {}
        with mock.patch.object(importers, "summaries_refresh", refresh_after_both_wrote):
            threads = [
                threading.Thread(target=run, args=("one.csv", "D1", "100.00")),
                threading.Thread(target=run, args=("two.csv", "D2", "200.00")),
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        self.assertTrue(all(result.ok for result in results.values()), results)
        self.assertEqual(MonthSummary.objects.get().deposits_total, Decimal("300.00"))
        self.assertSummariesAgree(MARCH)


class RefreshTests(SummaryAssertions, RecordTestCase):
    def test_refreshing_many_members_at_once_recounts_the_whole_month(self):
        members = [factories.staff(f"M{i:04d}", f"员工{i}", self.alice.branch) for i in range(3)]
        for member in members:
            factories.deposit(member, datetime.date(2026, 3, 3), Decimal("1.00"))
        Deposit.objects.filter(staff=members[0]).delete()  # behind the summaries' back
        with mock.patch("metrics.summaries.in_size", return_value=2):
            summaries_refresh(kind="deposits", pairs=[(member.pk, MARCH) for member in members])
        self.assertEqual(MonthSummary.objects.filter(month=MARCH).count(), 2)
        self.assertSummariesAgree(MARCH)

    def row_version(self, pk: int):
        """PostgreSQL: where the row version lies (ctid), new at every write; None elsewhere."""
        if connection.vendor != "postgresql":
            return None
        with connection.cursor() as cursor:
            cursor.execute("SELECT ctid::text FROM metrics_monthsummary WHERE id = %s", [pk])
            return cursor.fetchone()[0]

    def test_a_whole_month_refresh_writes_the_touched_members_only_and_in_one_statement(self):
        members = [factories.staff(f"M{i:04d}", f"员工{i}", self.alice.branch) for i in range(4)]
        for member in members:
            factories.deposit(member, datetime.date(2026, 3, 3), Decimal("1.00"))
        summaries_refresh(kind="deposits", pairs=[(member.pk, MARCH) for member in members])
        factories.deposit(members[1], datetime.date(2026, 3, 9), Decimal("2.50"))
        factories.deposit(members[2], datetime.date(2026, 3, 9), Decimal("4.00"))
        newcomer = factories.staff("M0009", "新人", self.alice.branch)
        factories.deposit(newcomer, datetime.date(2026, 3, 30), Decimal("7.00"))
        untouched = MonthSummary.objects.get(staff=members[0], month=MARCH)
        touched = [members[1].pk, members[2].pk, newcomer.pk]
        version = self.row_version(untouched.pk)
        with mock.patch("metrics.summaries.in_size", return_value=2), CaptureQueriesContext(connection) as queries:
            summaries_refresh(kind="deposits", pairs=[(pk, MARCH) for pk in touched])
        upserts = [query["sql"] for query in queries if 'INSERT INTO "metrics_monthsummary"' in query["sql"]]
        self.assertEqual(len(upserts), 1)
        if connection.vendor == "postgresql":
            self.assertIn("unnest", upserts[0])  # every row in one statement
            self.assertEqual(self.row_version(untouched.pk), version)  # not rewritten
        else:
            self.assertTrue(upserts[0].startswith("3 times: "), upserts[0][:40])  # the three touched rows only
        self.assertEqual(self.summary(members[1], MARCH)["deposits_total"], Decimal("3.50"))
        self.assertEqual(self.summary(newcomer, MARCH)["deposits_total"], Decimal("7.00"))
        self.assertEqual(MonthSummary.objects.get(pk=untouched.pk).deposits_total, Decimal("1.00"))
        self.assertSummariesAgree(MARCH)
