"""The console's whole-month PDF pack: every file of the month, however many were rendered
before, both in-process and as a chord of sub-branch tasks (run eagerly here; tests/e2e runs it
on a real worker)."""

import shutil
import tempfile
import unittest
import zipfile
from pathlib import Path
from unittest import mock

from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import TestCase

from appraisals.models import Job, Period
from appraisals.services.jobs import job_create, job_run
from reports import services
from tests.reports.pdf_helpers import OCTOBER, lobby_bank, pdf_pages, poppler_available

WEST_LAKE = ["E001-张丽", "E002-王博", "E003-陈晨", "E004-邓军", "E005-方芳"] + [f"E10{i}-同事{i}" for i in range(5)]
# Each sub-branch's folder holds its pack and its people's scorecards, named by number and name.
EVERY_FILE = sorted(
    ["西湖支行/西湖支行-汇总.pdf", "海曙支行/海曙支行-汇总.pdf", "海曙支行/E900-欧阳晓.pdf"]
    + [f"西湖支行/{person}.pdf" for person in WEST_LAKE]
)


@unittest.skipUnless(poppler_available(), "poppler-utils is not installed")
class MonthPackTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        lobby_bank(months=(OCTOBER,))
        cls.period = Period.objects.get(month=OCTOBER)
        cls.hr_user = get_user_model().objects.create_user("hana")

    def setUp(self):
        var = Path(tempfile.mkdtemp(prefix="lobbystar-var-"))
        self.addCleanup(shutil.rmtree, var, ignore_errors=True)
        overrides = self.settings(VAR_DIR=var)
        overrides.enable()
        self.addCleanup(overrides.disable)

    def pack(self) -> Job:
        job = job_create(kind="pdf_zip", month=OCTOBER, user=self.hr_user, language="zh-hans")
        job_run(job_id=job.pk)
        job.refresh_from_db()
        self.assertEqual(job.state, Job.State.DONE, job.message)
        return job

    def names(self, job: Job) -> list[str]:
        with zipfile.ZipFile(Path(settings.MEDIA_ROOT) / job.result_file) as archive:
            return sorted(archive.namelist())

    def test_a_second_pack_of_the_month_holds_every_file_like_the_first(self):
        first = self.pack()
        second = self.pack()
        self.assertEqual(self.names(first), EVERY_FILE)
        self.assertEqual(self.names(second), EVERY_FILE)
        self.assertIn("已生成 11 份个人成绩单和 2 个支行汇总包（新渲染 13 个文件）", first.message)
        self.assertIn("已生成 11 份个人成绩单和 2 个支行汇总包（新渲染 0 个文件）", second.message)
        self.assertEqual((second.done, second.total, second.percent), (0, 0, 100))

    def test_with_a_broker_the_pack_is_a_chord_of_sub_branches_whose_callback_packs_the_whole_month(self):
        sent = []
        real_dispatch = services.pdf_pack_dispatch

        def dispatch(**kwargs):
            sent.append(kwargs["round_number"])
            return real_dispatch(**kwargs)

        # The Celery app stays eager (no broker when it was configured): the chord runs in-process.
        with (
            self.settings(CELERY_BROKER_URL="redis://127.0.0.1:6379/2"),
            mock.patch.object(services, "pdf_pack_dispatch", dispatch),
        ):
            first = self.pack()
            (Path(settings.VAR_DIR) / "pdf/2026-10/staff/E002.pdf").unlink()  # lost by hand
            second = self.pack()
        self.assertEqual(sent, [1, 1])
        self.assertEqual((first.done, first.total), (13, 13))
        self.assertEqual(self.names(first), EVERY_FILE)
        self.assertEqual(self.names(second), EVERY_FILE)
        self.assertIn("新渲染 1 个文件", second.message)
        with zipfile.ZipFile(Path(settings.MEDIA_ROOT) / second.result_file) as archive:
            self.assertEqual(pdf_pages(archive.read("西湖支行/西湖支行-汇总.pdf")), 1 + 10)

    def test_a_pack_whose_sub_branch_fails_to_render_shows_why(self):
        with (
            self.settings(CELERY_BROKER_URL="redis://127.0.0.1:6379/2"),
            mock.patch.object(services.run, "unit_render_from_db", side_effect=OSError("磁盘已满")),
        ):
            job = job_create(kind="pdf_zip", month=OCTOBER, user=self.hr_user, language="zh-hans")
            job_run(job_id=job.pk)
        job.refresh_from_db()
        self.assertEqual(job.state, Job.State.FAILED)
        self.assertIn("磁盘已满", job.message)


class ZipEntryNameTests(TestCase):
    """ZIP entry names are `支行/员工编号-姓名.pdf`, safe on any file system."""

    def month(self, units):
        from reports.pdf.data import MonthPages, Unit

        return MonthPages(
            period="2026-10",
            bank_name="总行",
            units=[
                Unit(code=code, name=name, parent_name="", pages=[{"employee_no": no, "name": person}])
                for code, name, no, person in units
            ],
        )

    def test_names_that_a_file_system_refuses_are_made_safe(self):
        from reports.pdf.run import zip_entries

        entries = zip_entries(self.month([("1", "东/西:支行*", "E1", 'a\\b?"<c>|.')]), "zh-hans")
        self.assertEqual(entries["staff/E1.pdf"], "东_西_支行_/E1-a_b___c__.pdf")
        self.assertEqual(entries["packs/1.pdf"], "东_西_支行_/东_西_支行_-汇总.pdf")

    def test_two_sub_branches_of_one_name_are_told_apart_by_code(self):
        from reports.pdf.run import zip_entries

        entries = zip_entries(self.month([("1", "城东支行", "E1", "甲"), ("2", "城东支行", "E2", "乙")]), "en")
        self.assertEqual(entries["staff/E1.en.pdf"], "城东支行-1/E1-甲.pdf")
        self.assertEqual(entries["packs/2.en.pdf"], "城东支行-2/城东支行-Summary.pdf")
