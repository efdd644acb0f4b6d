"""`manage.py render_scorecards`: every file once, nothing twice, and a crash costs nothing done."""

import importlib
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest
import uuid
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import SimpleTestCase, TestCase, TransactionTestCase

from appraisals.models import Period, Scheme, WriteUp
from appraisals.services.periods import period_compute
from appraisals.services.writeups import writeup_edit, writeups_generate
from reports.pdf import run
from tests import factories
from tests.reports.pdf_helpers import (
    OCTOBER,
    database_url_for_subprocess,
    lobby_bank,
    pdf_pages,
    pdf_text,
    poppler_available,
    redis_available,
)

STAFF = ["E001", "E002", "E003", "E004", "E005", "E100", "E101", "E102", "E103", "E104", "E900"]
REDIS_URL = "redis://127.0.0.1:6379/15"
EPOCH = "1793700000"  # 2026-11-03, so both paths print the same time


def render(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("render_scorecards", "2026-10", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def pdfs(folder: Path) -> list[str]:
    return sorted(str(path.relative_to(folder)) for path in folder.rglob("*.pdf"))


class OutputFolder:
    def setUp(self):
        super().setUp()
        self.folder = Path(tempfile.mkdtemp(prefix="lobbystar-pdf-"))
        self.addCleanup(shutil.rmtree, self.folder, ignore_errors=True)


@unittest.skipUnless(poppler_available(), "poppler-utils is not installed")
class RenderCommandTests(OutputFolder, TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.bank = lobby_bank(months=(OCTOBER,))
        cls.period = Period.objects.get(month=OCTOBER)
        writeups_generate(period=cls.period, scope="month")

    def test_it_writes_one_pdf_per_person_and_one_pack_per_sub_branch_with_a_progress_bar(self):
        out, err = render("--output", str(self.folder), "--workers", "2")
        expected = [f"packs/{code}.pdf" for code in ("110100", "120100")] + [f"staff/{no}.pdf" for no in STAFF]
        self.assertEqual(pdfs(self.folder), expected)
        for employee_no in STAFF:
            self.assertEqual(pdf_pages(self.folder / f"staff/{employee_no}.pdf"), 1, employee_no)
        self.assertEqual(pdf_pages(self.folder / "packs/110100.pdf"), 1 + 10)
        self.assertEqual(pdf_pages(self.folder / "packs/120100.pdf"), 1 + 1)
        self.assertIn("王博", pdf_text(self.folder / "staff/E002.pdf"))
        self.assertIn("生成 13 个文件（个人 11 份、汇总 2 份），未变 0 个", out)
        self.assertIn("13/13", err)
        self.assertIn("/s", err)
        self.assertIn("ETA", err)
        manifest = json.loads((self.folder / "manifest.json").read_text())
        self.assertEqual(sorted(manifest["files"]), expected)
        self.assertFalse((self.folder / run.JOURNAL).exists())

        out, _ = render("--output", str(self.folder))
        self.assertIn("生成 0 个文件（个人 0 份、汇总 0 份），未变 13 个", out)

    def test_a_changed_write_up_renders_only_that_person_and_their_pack_again(self):
        render("--output", str(self.folder), "--branch", "120100")
        writeup = WriteUp.objects.get(staff=self.bank["olivia"], period=self.period, scope="month")
        writeup_edit(
            writeup=writeup, text_zh="本月表现良好。", text_en="A good month.", user=get_user_model().objects.create()
        )
        out, _ = render("--output", str(self.folder), "--branch", "120100")
        self.assertIn("生成 2 个文件（个人 1 份、汇总 1 份），未变 0 个", out)
        self.assertIn("本月表现良好。", pdf_text(self.folder / "staff/E900.pdf"))
        out, _ = render("--output", str(self.folder), "--branch", "120100", "--force")
        self.assertIn("生成 2 个文件", out)

    def test_a_file_deleted_by_hand_is_rendered_again(self):
        render("--output", str(self.folder), "--branch", "120100")
        (self.folder / "staff/E900.pdf").unlink()
        out, _ = render("--output", str(self.folder), "--branch", "120100")
        self.assertIn("生成 1 个文件（个人 1 份、汇总 0 份），未变 1 个", out)

    def test_a_killed_run_resumes_without_redoing_finished_files(self):
        real_write = run.write_atomic
        written = []

        def crash_after_four(path, content):
            if str(path).endswith(".pdf"):
                if len(written) == 4:
                    raise KeyboardInterrupt("simulated crash")
                written.append(Path(path).name)
            real_write(path, content)

        with mock.patch.object(run, "write_atomic", crash_after_four), self.assertRaises(KeyboardInterrupt):
            render("--output", str(self.folder), "--workers", "1")
        finished = set(pdfs(self.folder))
        self.assertEqual(len(finished), 4)
        self.assertEqual(len((self.folder / run.JOURNAL).read_text().splitlines()), 4)
        self.assertEqual(list(self.folder.rglob("*.part")), [], "no half-written file is left")

        rendered_again = []

        def count(path, content):
            if str(path).endswith(".pdf"):
                rendered_again.append(str(Path(path).relative_to(self.folder)))
            real_write(path, content)

        with mock.patch.object(run, "write_atomic", count):
            out, _ = render("--output", str(self.folder), "--workers", "1")
        self.assertIn("生成 9 个文件", out)
        self.assertEqual(len(rendered_again), 9)
        self.assertFalse(finished & set(rendered_again), "a finished file was rendered again")
        self.assertEqual(len(pdfs(self.folder)), 13)

    def test_english_files_sit_beside_the_chinese_ones_and_each_fits_one_page(self):
        out, _ = render("--output", str(self.folder), "--branch", "110100", "--language", "en")
        self.assertIn("生成 11 个文件", out)
        for employee_no in STAFF[:-1]:
            self.assertEqual(pdf_pages(self.folder / f"staff/{employee_no}.en.pdf"), 1, employee_no)
        self.assertIn("Lobby managers' monthly appraisal summary", pdf_text(self.folder / "packs/110100.en.pdf"))

    def test_a_month_never_computed_is_refused(self):
        with self.assertRaisesMessage(CommandError, "尚未计算"):
            call_command("render_scorecards", "2025-01", stdout=io.StringIO(), stderr=io.StringIO())

    def test_an_unknown_branch_is_refused(self):
        with self.assertRaisesMessage(CommandError, "没有机构号为"):
            render("--branch", "999999")


@pytest.mark.slow
@unittest.skipUnless(poppler_available(), "poppler-utils is not installed")
@unittest.skipUnless(redis_available(REDIS_URL), f"no Redis at {REDIS_URL}")
class CeleryRenderTests(OutputFolder, TransactionTestCase):
    """Real Redis, real Celery workers in their own processes, reading the test's database."""

    def setUp(self):
        super().setUp()
        # A transactional test before this one emptied the tables, data migrations' rows included,
        # and gave the content types new ids: put the shipped scheme back, forget cached ids.
        from django.apps import apps
        from django.contrib.contenttypes.models import ContentType

        ContentType.objects.clear_cache()
        if not Scheme.objects.exists():
            importlib.import_module("appraisals.migrations.0002_default_scheme").create_default_scheme(apps, None)

    def test_celery_workers_write_the_same_files_as_the_local_processes(self):
        # Two sub-branches, so two tasks for two workers; three people keep it quick.
        tree = factories.bank_tree()
        for employee_no, name, outlet in (
            ("E001", "张丽", "outlet_a"),
            ("E002", "王博", "outlet_a"),
            ("E900", "欧阳晓", "outlet_b"),
        ):
            factories.full_month(factories.staff(employee_no, name, tree[outlet]), OCTOBER, share=0.9)
        period_compute(month=OCTOBER)
        writeups_generate(period=Period.objects.get(month=OCTOBER), scope="month")
        env = {
            **os.environ,
            "DATABASE_URL": database_url_for_subprocess(self.folder),
            "CELERY_BROKER_URL": REDIS_URL,
            "CELERY_RESULT_BACKEND": REDIS_URL,
            "SOURCE_DATE_EPOCH": EPOCH,
        }
        queue = f"lobbystar-test-pdf-{uuid.uuid4().hex[:10]}"
        workers = [
            subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "config", "worker", "-P", "solo", "-Q", queue]
                + ["-n", f"{queue}-{number}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"]
                + ["--prefetch-multiplier", "1"]
                + ["-l", "WARNING"],
                cwd=settings.BASE_DIR,
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            for number in range(2)
        ]
        try:
            by_celery = subprocess.run(
                [sys.executable, "manage.py", "render_scorecards", "2026-10"]
                + ["--output", str(self.folder / "celery"), "--queue", queue],
                cwd=settings.BASE_DIR,
                env=env,
                capture_output=True,
                text=True,
                timeout=180,
            )
        finally:
            for worker in workers:
                worker.terminate()
            for worker in workers:
                try:
                    worker.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    worker.kill()
        self.assertEqual(by_celery.returncode, 0, by_celery.stderr)
        self.assertIn("使用 Celery 工作进程", by_celery.stdout)
        self.assertIn("生成 5 个文件（个人 3 份、汇总 2 份）", by_celery.stdout)

        with mock.patch.dict(os.environ, {"SOURCE_DATE_EPOCH": EPOCH}):
            render("--output", str(self.folder / "local"), "--workers", "2")
        celery_files, local_files = pdfs(self.folder / "celery"), pdfs(self.folder / "local")
        self.assertEqual(len(celery_files), 5)
        self.assertEqual(celery_files, local_files)
        for name in celery_files:
            self.assertEqual(
                (self.folder / "celery" / name).read_bytes(), (self.folder / "local" / name).read_bytes(), name
            )
        self.assertEqual(
            json.loads((self.folder / "celery/manifest.json").read_text()),
            json.loads((self.folder / "local/manifest.json").read_text()),
        )


def _state(pid: int) -> str | None:
    """A process's state letter from /proc (R, S, Z …), or None once it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return None


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _write_until_ended(folder: str) -> None:
    """In a forked process, as a pool worker: write a file, stuck after its bytes are written."""
    signal.signal(signal.SIGTERM, run._worker_end)
    with mock.patch.object(run.os, "chmod", lambda *args: time.sleep(60)):
        run.write_atomic(Path(folder) / "staff" / "E001.pdf", b"%PDF-1.7 half of it")


@unittest.skipUnless(hasattr(os, "fork"), "pool workers are forked")
class WorkerEndedMidFileTests(SimpleTestCase):
    def test_a_worker_ended_while_writing_removes_its_half_written_file_and_goes_at_once(self):
        import multiprocessing

        folder = Path(tempfile.mkdtemp(prefix="lobbystar-worker-end-"))
        self.addCleanup(shutil.rmtree, folder, ignore_errors=True)
        worker = multiprocessing.get_context("fork").Process(target=_write_until_ended, args=(str(folder),))
        worker.start()
        self.addCleanup(worker.kill)
        deadline = time.monotonic() + 30
        while not list(folder.rglob("*.part")) and time.monotonic() < deadline:
            time.sleep(0.01)
        self.assertTrue(list(folder.rglob("*.part")), "the worker never began its file")
        started = time.monotonic()
        worker.terminate()  # SIGTERM, as the command's clean-up ends its pool
        worker.join(timeout=10)
        self.assertEqual(worker.exitcode, 128 + signal.SIGTERM)
        self.assertLess(time.monotonic() - started, 5, "it went at once")
        self.assertEqual(list(folder.rglob("*")), [folder / "staff"], "no half-written file, no finished one")


@pytest.mark.slow
@unittest.skipUnless(Path("/proc/self/stat").exists(), "needs Linux's /proc")
class EndingTheCommandTests(OutputFolder, TransactionTestCase):
    """Ending `render_scorecards` — Ctrl-C, SIGTERM or kill -9 — ends its pool's workers too."""

    def setUp(self):
        super().setUp()
        from django.apps import apps
        from django.contrib.contenttypes.models import ContentType

        ContentType.objects.clear_cache()
        if not Scheme.objects.exists():
            importlib.import_module("appraisals.migrations.0002_default_scheme").create_default_scheme(apps, None)
        lobby_bank(months=(OCTOBER,))
        self.env = {**os.environ, "DATABASE_URL": database_url_for_subprocess(self.folder)}

    def start_and_end(self, signal_number: int) -> tuple[subprocess.Popen, list[int]]:
        command = subprocess.Popen(
            [sys.executable, "manage.py", "render_scorecards", "2026-10", "--workers", "2", "--force"]
            + ["--output", str(self.folder / "out")],
            cwd=settings.BASE_DIR,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.addCleanup(command.kill)
        workers, deadline = [], time.monotonic() + 60
        while len(workers) < 2 and time.monotonic() < deadline and command.poll() is None:
            workers = _children(command.pid)
            time.sleep(0.02)
        self.assertEqual(len(workers), 2, "the pool's two workers never started")
        for pid in workers:
            self.addCleanup(lambda pid=pid: _state(pid) and os.kill(pid, signal.SIGKILL))
        os.kill(command.pid, signal_number)
        command.wait(timeout=30)
        return command, workers

    def assertGone(self, workers: list[int]) -> None:
        deadline = time.monotonic() + 10
        while any(_state(pid) not in (None, "Z") for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        self.assertEqual([pid for pid in workers if _state(pid) not in (None, "Z")], [], "a pool worker outlived it")

    def test_kill_9_of_the_command_ends_its_pool_workers(self):
        command, workers = self.start_and_end(signal.SIGKILL)
        self.assertEqual(command.returncode, -signal.SIGKILL)
        self.assertGone(workers)

    def test_sigterm_ends_the_command_and_its_pool_workers(self):
        command, workers = self.start_and_end(signal.SIGTERM)
        self.assertEqual(command.returncode, 128 + signal.SIGTERM)
        self.assertGone(workers)

    def test_ctrl_c_ends_the_command_and_its_pool_workers(self):
        command, workers = self.start_and_end(signal.SIGINT)
        self.assertNotEqual(command.returncode, 0)
        self.assertGone(workers)
        self.assertEqual(list((self.folder / "out").rglob("*.part")), [], "no half-written file is left")
