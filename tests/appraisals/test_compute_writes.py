"""A recomputation writes only the scorecards that changed, and leaves exactly what computing
from nothing would (core.bulk.sync_rows; issue 15)."""

from decimal import Decimal

from django.db.models import F
from django.test import TransactionTestCase

from appraisals.models import Period, Scorecard
from appraisals.services.periods import period_compute, period_void
from core.bulk import SyncCounts, sync_rows
from staff.models import Assignment, Staff
from tests import factories
from tests.appraisals.test_compute import OCTOBER, ComputeTestCase
from tests.periods import hr_user

# Everything a scorecard says but its id and the computation that last wrote it.
FIGURES = [
    field.attname
    for field in Scorecard._meta.concrete_fields
    if field.attname not in {"id", "computed_at", "input_fingerprint"}
]


def figures() -> dict[int, dict]:
    return {row["staff_id"]: row for row in Scorecard.objects.filter(period__month=OCTOBER).values(*FIGURES)}


def written_at() -> dict[int, tuple]:
    return {
        staff_id: (pk, at)
        for staff_id, pk, at in Scorecard.objects.filter(period__month=OCTOBER).values_list(
            "staff_id", "pk", "computed_at"
        )
    }


class WritingOnlyWhatChangedTests(ComputeTestCase):
    def setUp(self):
        super().setUp()
        self.month_of_work(OCTOBER)
        self.first = period_compute(month=OCTOBER)

    def assert_as_if_computed_from_nothing(self):
        kept = figures()
        Scorecard.objects.filter(period__month=OCTOBER).delete()
        fresh = period_compute(month=OCTOBER)
        self.assertEqual(fresh.written, SyncCounts(inserted=len(kept), updated=0, deleted=0, unchanged=0))
        self.assertEqual(figures(), kept)

    def test_the_first_computation_inserts_every_scorecard(self):
        self.assertEqual(self.first.written, SyncCounts(inserted=11, updated=0, deleted=0, unchanged=0))
        period = Period.objects.get(month=OCTOBER)
        self.assertEqual(len(period.input_fingerprint), 64)
        self.assertFalse(Scorecard.objects.exclude(input_fingerprint=period.input_fingerprint).exists())
        self.assertFalse(Scorecard.objects.exclude(computed_at=period.computed_at).exists())

    def test_a_voided_month_keeps_no_fingerprint(self):
        # It has no scorecards: a simulation must not take kept inputs for them.
        period_void(month=OCTOBER, reason="数据导错", user=hr_user("hr-void"))
        self.assertEqual(Period.objects.get(month=OCTOBER).input_fingerprint, "")

    def test_the_same_inputs_write_nothing(self):
        before, period_before = written_at(), Period.objects.get(month=OCTOBER)
        again = period_compute(month=OCTOBER)
        self.assertEqual(again.written, SyncCounts(inserted=0, updated=0, deleted=0, unchanged=11))
        # Same rows, same ids, same time: the JSON columns and the decimals compare equal as
        # values on PostgreSQL (jsonb reorders keys) and as text on SQLite.
        self.assertEqual(written_at(), before)
        period = Period.objects.get(month=OCTOBER)
        self.assertGreater(period.computed_at, period_before.computed_at)
        self.assertEqual(period.input_fingerprint, period_before.input_fingerprint)

    def test_a_correction_rewrites_only_the_scorecards_it_changes(self):
        before = written_at()
        factories.deposit(self.olivia, OCTOBER, Decimal("50000.00"))  # branch B: a group of one
        again = period_compute(month=OCTOBER)
        self.assertEqual(again.written, SyncCounts(inserted=0, updated=1, deleted=0, unchanged=10))
        after = written_at()
        self.assertEqual(after[self.olivia.pk][0], before[self.olivia.pk][0])  # updated in place
        self.assertGreater(after[self.olivia.pk][1], before[self.olivia.pk][1])
        self.assertEqual(
            {k: v for k, v in after.items() if k != self.olivia.pk},
            {k: v for k, v in before.items() if k != self.olivia.pk},
        )
        period = Period.objects.get(month=OCTOBER)
        card = Scorecard.objects.get(staff=self.olivia, period=period)
        self.assertEqual((card.computed_at, card.input_fingerprint), (period.computed_at, period.input_fingerprint))
        self.assertEqual(Scorecard.objects.exclude(input_fingerprint=F("period__input_fingerprint")).count(), 10)
        self.assert_as_if_computed_from_nothing()

    def test_someone_who_left_loses_the_scorecard_and_the_group_is_ranked_again(self):
        # A correction of the staff list: this colleague had left before October.
        Staff.objects.filter(pk=self.colleagues[0].pk).update(status="left")
        Assignment.objects.filter(staff=self.colleagues[0]).update(status="left")
        again = period_compute(month=OCTOBER)
        self.assertEqual(again.written.deleted, 1)
        self.assertEqual(again.written.inserted, 0)
        self.assertGreater(again.written.updated, 0)  # group sizes and percentiles of branch A
        self.assertFalse(Scorecard.objects.filter(staff=self.colleagues[0]).exists())
        self.assertEqual(Scorecard.objects.filter(period__month=OCTOBER).count(), 10)
        self.assert_as_if_computed_from_nothing()

    def test_a_newcomer_gets_a_scorecard(self):
        newcomer = factories.staff("E901", "新同事", self.tree["outlet_b"])
        factories.full_month(newcomer, OCTOBER, share=0.9)
        again = period_compute(month=OCTOBER)
        self.assertEqual(again.written.inserted, 1)
        self.assertEqual(again.written.deleted, 0)
        self.assertTrue(Scorecard.objects.filter(staff=newcomer, period__month=OCTOBER).exists())
        self.assert_as_if_computed_from_nothing()


class SyncRowsTests(TransactionTestCase):
    def test_it_refuses_to_run_outside_a_transaction(self):
        # Its reads and writes must see and leave one state: outside a transaction another
        # computation could write between them.
        with self.assertRaises(RuntimeError):
            sync_rows(
                table=Scorecard._meta.db_table,
                columns={"period_id": [], "staff_id": []},
                key="staff_id",
                scope={"period_id": 1},
                digest="figures_digest",
            )
