"""Month locks hold under concurrency (SCORING.md §6, CONTRACT.md §1): an import and a record edit
run side by side with a finalize of the same month, on PostgreSQL, each in its own thread and
database connection. Whatever the order, no row lands in a finalized month: the write either
commits before the finalize takes the lock, or is refused whole with the finalized-month message.

The threads meet at events placed inside the services, so each interleaving is forced, not hoped
for."""

import dataclasses
import datetime
import importlib
import io
import threading
import time
import unittest
from unittest import mock

from django.db import connection
from django.test import TestCase, TransactionTestCase

from appraisals.models import Period, PeriodStatus, Scheme
from appraisals.services.periods import period_compute, period_finalize
from core.imports.kinds import KINDS
from metrics import services as metrics_services
from metrics.models import Deposit, ImportBatch, MonthLock
from metrics.services import RecordError, import_file, record_save
from tests import factories
from tests.periods import hr_user, review

OCTOBER = datetime.date(2026, 10, 1)
WAIT = 20  # seconds: far longer than any step needs, so a hang fails the test instead of the run


def deposits_file(count: int, *, prefix: str = "DEP-C") -> io.BytesIO:
    rows = [f"{prefix}{i:05d},2026-10-{1 + i % 28:02d},E001,C{i:05d},1000.00" for i in range(count)]
    return io.BytesIO(("ref,date,employee_no,customer_ref,amount\n" + "\n".join(rows) + "\n").encode())


class Worker(threading.Thread):
    """Runs `work` in a thread with its own database connection; keeps its result or error."""

    def __init__(self, work):
        super().__init__(daemon=True)
        self.work, self.result, self.error = work, None, None

    def run(self):
        try:
            self.result = self.work()
        except Exception as error:  # the test asserts on it
            self.error = error
        finally:
            connection.close()

    def finish(self):
        self.join(WAIT)
        assert not self.is_alive(), "the thread did not finish"
        return self


@unittest.skipUnless(
    connection.vendor == "postgresql", "row and advisory locks are PostgreSQL's; SQLite has one writer"
)
class MonthLockConcurrencyTests(TransactionTestCase):
    def setUp(self):
        super().setUp()
        # A transactional test before this one emptied the tables, data migrations' rows included,
        # and gave the content types new ids: put the shipped scheme back, forget cached ids.
        from django.apps import apps
        from django.contrib.contenttypes.models import ContentType

        ContentType.objects.clear_cache()
        if not Scheme.objects.exists():
            importlib.import_module("appraisals.migrations.0002_default_scheme").create_default_scheme(apps, None)
        tree = factories.bank_tree()
        self.alice = factories.staff("E001", "张丽", tree["outlet_a"])
        factories.full_month(self.alice, OCTOBER)
        period_compute(month=OCTOBER)
        review(OCTOBER, user=hr_user("hr-hannah"))
        self.frank = hr_user("hr-frank")
        self.deposits_before = Deposit.objects.count()

    def finalize(self):
        return period_finalize(month=OCTOBER, user=self.frank)

    def pause_deposits_import(self, *, after_prepare=None, before_write=None):
        """Replaces the deposits kind for the test: the import stops where asked until released."""
        spec = KINDS["deposits"]

        def prepare(rows, context):
            plan = spec.prepare(rows, context)
            if after_prepare:
                after_prepare()
            if before_write:
                write = plan.write

                def paused_write(batch):
                    before_write()
                    write(batch)

                plan.write = paused_write
            return plan

        return mock.patch.dict(KINDS, {"deposits": dataclasses.replace(spec, prepare=prepare)})

    def test_an_import_checked_before_the_finalize_is_refused_whole_when_it_comes_to_write(self):
        checked, finalized = threading.Event(), threading.Event()

        def after_prepare():
            checked.set()
            finalized.wait(WAIT)

        with self.pause_deposits_import(after_prepare=after_prepare):
            importer = Worker(lambda: import_file("deposits", deposits_file(500), filename="deposits.csv"))
            importer.start()
            self.assertTrue(checked.wait(WAIT))
            self.finalize()  # commits while the import holds its plan, checked against no lock
            finalized.set()
            importer.finish()
        self.assertIsNone(importer.error)
        result = importer.result
        self.assertFalse(result.ok)
        self.assertIn("2026-10 已定稿；请先重开该月", result.errors[0].message)
        self.assertEqual(Deposit.objects.count(), self.deposits_before)
        self.assertEqual(ImportBatch.objects.get(pk=result.batch_id).outcome, ImportBatch.Outcome.REJECTED)
        self.assertEqual(Period.objects.get().status, PeriodStatus.FINALIZED)

    def test_a_finalize_waits_for_an_import_that_is_writing_which_lands_before_the_lock(self):
        writing, release = threading.Event(), threading.Event()

        def before_write():
            writing.set()
            release.wait(WAIT)

        with self.pause_deposits_import(before_write=before_write):
            importer = Worker(lambda: import_file("deposits", deposits_file(500), filename="deposits.csv"))
            importer.start()
            self.assertTrue(writing.wait(WAIT))
            finalizer = Worker(self.finalize)
            finalizer.start()
            time.sleep(1)
            self.assertTrue(finalizer.is_alive(), "the finalize must wait for the import's transaction")
            self.assertFalse(MonthLock.objects.exists())
            release.set()
            importer.finish()
            finalizer.finish()
        self.assertIsNone(importer.error)
        self.assertIsNone(finalizer.error)
        self.assertTrue(importer.result.ok)
        self.assertEqual(Deposit.objects.count(), self.deposits_before + 500)
        batch = ImportBatch.objects.get(pk=importer.result.batch_id)
        self.assertLess(batch.started_at, MonthLock.objects.get(month=OCTOBER).locked_at)

    def test_an_edit_under_way_commits_before_the_finalize_takes_the_lock(self):
        record = Deposit.objects.filter(staff=self.alice).first()
        editing, release = threading.Event(), threading.Event()
        change_record = metrics_services.change_record

        def paused_change_record(**kwargs):
            editing.set()
            release.wait(WAIT)
            return change_record(**kwargs)

        with mock.patch.object(metrics_services, "change_record", paused_change_record):
            editor = Worker(
                lambda: record_save(
                    kind="deposits", record=record, values={"amount": "7777.00"}, reason="核心系统更正", user=None
                )
            )
            editor.start()
            self.assertTrue(editing.wait(WAIT))
            finalizer = Worker(self.finalize)
            finalizer.start()
            time.sleep(1)
            self.assertTrue(finalizer.is_alive(), "the finalize must wait for the edit's transaction")
            release.set()
            editor.finish()
            finalizer.finish()
        self.assertIsNone(editor.error)
        self.assertIsNone(finalizer.error)
        record.refresh_from_db()
        self.assertEqual(str(record.amount), "7777.00")
        self.assertEqual(Period.objects.get().status, PeriodStatus.FINALIZED)

    def test_an_edit_that_comes_while_the_month_is_being_finalized_waits_and_is_refused(self):
        record = Deposit.objects.filter(staff=self.alice).first()
        amount = record.amount
        locking, release = threading.Event(), threading.Event()
        month_lock = metrics_services.month_lock

        def paused_month_lock(**kwargs):
            month_lock(**kwargs)
            locking.set()
            release.wait(WAIT)

        with mock.patch("appraisals.services.periods.month_lock", paused_month_lock):
            finalizer = Worker(self.finalize)
            finalizer.start()
            self.assertTrue(locking.wait(WAIT))
            editor = Worker(
                lambda: record_save(
                    kind="deposits", record=record, values={"amount": "1.00"}, reason="试图在定稿时修改", user=None
                )
            )
            editor.start()
            time.sleep(1)
            self.assertTrue(editor.is_alive(), "the edit must wait for the finalize's transaction")
            release.set()
            finalizer.finish()
            editor.finish()
        self.assertIsNone(finalizer.error)
        self.assertIsInstance(editor.error, RecordError)
        self.assertIn("2026-10 已定稿", str(editor.error))
        record.refresh_from_db()
        self.assertEqual(record.amount, amount)


class FinalizedWhileImportingTests(TestCase):
    """The same check on any database: the locks are read again where the rows are written."""

    def setUp(self):
        super().setUp()
        tree = factories.bank_tree()
        factories.staff("E001", "张丽", tree["outlet_a"])

    def test_a_month_locked_after_the_rows_were_checked_gets_none_of_them(self):
        spec = KINDS["deposits"]

        def prepare(rows, context):
            plan = spec.prepare(rows, context)
            MonthLock.objects.create(month=OCTOBER)  # the month is finalized meanwhile
            return plan

        with mock.patch.dict(KINDS, {"deposits": dataclasses.replace(spec, prepare=prepare)}):
            result = import_file("deposits", deposits_file(20), filename="deposits.csv")
        self.assertFalse(result.ok)
        self.assertEqual(len(result.errors), 1)
        self.assertIn("2026-10 已定稿；请先重开该月（在导入这个文件期间定稿）", result.errors[0].message)
        self.assertFalse(Deposit.objects.exists())
        self.assertEqual(ImportBatch.objects.get().outcome, ImportBatch.Outcome.REJECTED)
