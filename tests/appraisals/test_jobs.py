"""Background jobs: run once however often their task is delivered, taken up again after their
worker was killed, shown as failed (with why) when nothing runs them, and started without a
broker in a process of their own so the page that started them returns at once."""

import datetime
import io
import threading
from unittest import mock

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import TestCase, TransactionTestCase
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from appraisals.models import Job
from appraisals.services import jobs
from appraisals.services.jobs import job_create, job_heartbeat, job_run, jobs_expire_stale
from appraisals.tasks import job_start
from staff.models import Membership, Role

OCTOBER = datetime.date(2026, 10, 1)


class Work:
    """A kind of job that counts its runs and can be made to fail."""

    def __init__(self, message="做完了。", error=None):
        self.runs, self.message, self.error = 0, message, error

    def __call__(self, job, period):
        self.runs += 1
        if self.error:
            raise self.error
        return self.message


class JobTests(TestCase):
    def setUp(self):
        self.work = Work()
        patcher = mock.patch.dict(jobs.JOB_KINDS, {"count": self.work})
        patcher.start()
        self.addCleanup(patcher.stop)
        self.hr_user = get_user_model().objects.create_user("hana", password="pw-hana-123")
        Membership.objects.create(user=self.hr_user, role=Role.HR)

    def job(self, **changes) -> Job:
        job = job_create(kind="count", month=OCTOBER, user=self.hr_user)
        if changes:
            Job.objects.filter(pk=job.pk).update(**changes)
        return job

    def minutes_ago(self, minutes: int) -> datetime.datetime:
        return timezone.now() - datetime.timedelta(minutes=minutes)

    def test_a_job_delivered_twice_runs_once(self):
        job = self.job()
        job_run(job_id=job.pk)
        job_run(job_id=job.pk)
        job.refresh_from_db()
        self.assertEqual((job.state, job.message, job.attempts, self.work.runs), ("done", "做完了。", 1, 1))

    def test_a_job_another_worker_is_running_alive_is_left_alone(self):
        job = self.job(state=Job.State.RUNNING, heartbeat_at=timezone.now(), attempts=1)
        job_run(job_id=job.pk)
        job.refresh_from_db()
        self.assertEqual((job.state, self.work.runs), ("running", 0))

    def test_a_job_whose_work_fails_shows_why(self):
        self.work.error = ValueError("第 3 行格式不对")
        job = job_run(job_id=self.job().pk)
        self.assertEqual((job.state, job.message, job.interrupted), ("failed", "第 3 行格式不对", False))

    def test_a_running_job_silent_too_long_is_shown_as_failed_with_a_message(self):
        job = self.job(state=Job.State.RUNNING, heartbeat_at=self.minutes_ago(6), attempts=1)
        self.client.force_login(self.hr_user)
        data = self.client.get(reverse("console:job", args=[job.pk]), {"format": "json"}).json()
        self.assertEqual(data["state"], "failed")
        self.assertIn("可能已被终止", data["message"])
        job.refresh_from_db()
        self.assertTrue(job.interrupted)

    def test_a_queued_job_no_worker_took_is_shown_as_failed_with_a_message(self):
        job = self.job(heartbeat_at=self.minutes_ago(6))
        self.client.force_login(self.hr_user)
        with self.settings(CELERY_BROKER_URL="redis://127.0.0.1:6379/2"):
            response = self.client.get(reverse("console:job", args=[job.pk]))
        self.assertContains(response, "没有后台进程接手")
        self.assertContains(response, "失败")

    def test_without_a_broker_a_job_that_never_started_points_at_its_log(self):
        job = self.job(heartbeat_at=self.minutes_ago(6))
        jobs_expire_stale()
        job.refresh_from_db()
        self.assertEqual(job.state, "failed")
        self.assertIn("var/jobs.log", job.message)

    def test_a_job_with_a_recent_sign_of_life_is_not_expired(self):
        queued = self.job(heartbeat_at=self.minutes_ago(4))
        running = self.job(state=Job.State.RUNNING, heartbeat_at=self.minutes_ago(1))
        self.assertEqual(jobs_expire_stale(), 0)
        self.assertEqual(Job.objects.get(pk=queued.pk).state, "queued")
        self.assertEqual(Job.objects.get(pk=running.pk).state, "running")

    def test_the_task_of_a_killed_worker_handed_out_again_runs_the_job_again(self):
        job = self.job(state=Job.State.RUNNING, heartbeat_at=self.minutes_ago(6), attempts=1)
        self.assertEqual(jobs_expire_stale(), 1)
        job_run(job_id=job.pk)  # the broker delivers the unacknowledged task again
        job.refresh_from_db()
        self.assertEqual((job.state, job.message, job.attempts, self.work.runs), ("done", "做完了。", 2, 1))

    def test_a_job_whose_process_is_stopped_is_shown_as_interrupted_and_can_be_taken_up_again(self):
        self.work.error = KeyboardInterrupt()
        job = self.job()
        with self.assertRaises(KeyboardInterrupt):
            job_run(job_id=job.pk)
        job.refresh_from_db()
        self.assertEqual((job.state, job.interrupted), ("failed", True))
        self.assertEqual(job.message, "任务被中止：运行它的后台进程已停止。")
        self.work.error = None
        self.assertEqual(job_run(job_id=job.pk).state, "done")

    def test_a_job_that_failed_on_its_own_is_not_run_again_by_a_stray_delivery(self):
        self.work.error = ValueError("数据有误")
        job = job_run(job_id=self.job().pk)
        self.work.error = None
        job_run(job_id=job.pk)
        job.refresh_from_db()
        self.assertEqual((job.state, self.work.runs), ("failed", 1))

    def test_a_job_started_in_english_writes_its_message_in_english(self):
        jobs.JOB_KINDS["count"] = lambda job, period: gettext("末位预警")
        with translation.override("en"):
            job = self.job()
        self.assertEqual(job_run(job_id=job.pk).message, "Bottom flag")

    def test_the_job_page_reports_progress_as_json_for_the_bar(self):
        job = self.job(state=Job.State.RUNNING, heartbeat_at=timezone.now(), total=40, done=10)
        self.client.force_login(self.hr_user)
        data = self.client.get(reverse("console:job", args=[job.pk]), {"format": "json"}).json()
        self.assertEqual((data["percent"], data["done"], data["total"], data["state_label"]), (25, 10, 40, "进行中"))
        page = self.client.get(reverse("console:job", args=[job.pk]))
        self.assertContains(page, 'aria-valuenow="25"')
        self.assertContains(page, "data-job-poll")


class JobWithoutBrokerTests(TestCase):
    def setUp(self):
        self.hr_user = get_user_model().objects.create_user("hana", password="pw-hana-123")

    def test_without_a_broker_a_job_starts_in_a_process_of_its_own_and_the_request_returns_at_once(self):
        with (
            self.settings(CELERY_BROKER_URL="", JOBS_WITHOUT_BROKER="process"),
            mock.patch("subprocess.Popen") as popen,
            self.captureOnCommitCallbacks(execute=True),
        ):
            job = job_start(kind="compute", month=OCTOBER, user=self.hr_user)
        command = popen.call_args.args[0]
        self.assertEqual(command[-3:], [command[-3], "run_job", str(job.pk)])
        self.assertTrue(command[-3].endswith("manage.py"))
        self.assertTrue(popen.call_args.kwargs["start_new_session"])
        self.assertEqual(Job.objects.get(pk=job.pk).state, "queued")

    def test_the_run_job_command_runs_the_job_and_exits_1_when_it_fails(self):
        with mock.patch.dict(jobs.JOB_KINDS, {"count": Work()}):
            job = job_create(kind="count", month=OCTOBER, user=self.hr_user)
            out = io.StringIO()
            call_command("run_job", str(job.pk), stdout=out)
            self.assertIn("已完成", out.getvalue())
        with mock.patch.dict(jobs.JOB_KINDS, {"count": Work(error=ValueError("数据有误"))}):
            job = job_create(kind="count", month=OCTOBER, user=self.hr_user)
            with self.assertRaisesMessage(CommandError, "数据有误"):
                call_command("run_job", str(job.pk), stdout=io.StringIO())


class HeartbeatTests(TransactionTestCase):
    def test_a_long_step_with_nothing_to_report_still_shows_the_job_is_alive(self):
        job = Job.objects.create(kind="compute", state=Job.State.RUNNING, heartbeat_at=timezone.now())
        Job.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - datetime.timedelta(hours=1))
        with self.settings(JOB_HEARTBEAT_SECONDS=0.05), job_heartbeat(job.pk):
            threading.Event().wait(0.5)
        job.refresh_from_db()
        self.assertGreater(job.heartbeat_at, timezone.now() - datetime.timedelta(seconds=5))
