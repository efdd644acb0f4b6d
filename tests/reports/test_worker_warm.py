"""A process that renders PDFs warms up once as it starts — not on its first task — and then
leaves what it holds out of the cycle collector's scans (reports.pdf.run.worker_warm)."""

import gc
from types import SimpleNamespace
from unittest import mock

from celery.signals import worker_init, worker_process_init
from django.test import SimpleTestCase

from reports import tasks
from reports.pdf import fonts, run


class WorkerWarmTests(SimpleTestCase):
    def tearDown(self):
        gc.unfreeze()

    def test_warming_makes_the_fonts_and_freezes_what_the_process_holds(self):
        gc.unfreeze()
        fonts._state.update(font_config=None, registered=0)
        fonts._cuts.clear()
        run.worker_warm()
        self.assertIsNotNone(fonts._state["font_config"])
        self.assertGreater(gc.get_freeze_count(), 0)
        # The warm-up's own document leaves its cut for the next documents of the process to share.
        if fonts._harfbuzz_or_none() is not None:
            self.assertEqual(len(fonts._cuts), 2)

    def test_a_second_warm_up_keeps_the_font_configuration(self):
        run.worker_warm()
        first = fonts._state["font_config"]
        run.worker_warm()
        self.assertIs(fonts._state["font_config"], first)


def receivers(signal) -> list:
    return [reference() if callable(reference) else reference for _key, reference in signal.receivers]


class WorkerSignalTests(SimpleTestCase):
    def test_the_warm_ups_are_connected(self):
        self.assertIn(tasks.warm_pool_process, receivers(worker_process_init))
        self.assertIn(tasks.warm_solo_worker, receivers(worker_init))

    def test_each_prefork_process_warms_as_it_starts(self):
        with mock.patch.object(tasks, "worker_warm") as warm:
            tasks.warm_pool_process(sender=None)
        warm.assert_called_once_with()

    def test_a_solo_worker_warms_itself(self):
        for pool in ("solo", "threads", "celery.concurrency.solo:TaskPool"):
            with self.subTest(pool=pool), mock.patch.object(tasks, "worker_warm") as warm:
                tasks.warm_solo_worker(sender=SimpleNamespace(pool_cls=pool))
            warm.assert_called_once_with()

    def test_a_prefork_workers_main_process_does_not(self):
        for pool in ("prefork", "celery.concurrency.prefork:TaskPool"):
            with self.subTest(pool=pool), mock.patch.object(tasks, "worker_warm") as warm:
                tasks.warm_solo_worker(sender=SimpleNamespace(pool_cls=pool))
            warm.assert_not_called()
