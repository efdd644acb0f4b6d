"""The console's upload: a size limit with a clear message, large files checked in a background
job with a progress bar, uploads kept only while their check is pending, encrypted, and never a
customer number in clear on disk; the check page lists the first 100 bad rows and the count."""

import os
import time
from pathlib import Path
from unittest import mock

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from appraisals.models import Job
from metrics.models import AccountOpening, ImportBatch
from tests.console.base import BaseTestCase

HEADER = "ref,date,employee_no,customer_ref,avg_assets\n"
SECRET = "CUST-SECRET-0042"


class UploadTestCase(BaseTestCase):
    def setUp(self):
        self.sign_in(self.hr_user)

    def upload(self, content: str | bytes, name: str = "accounts.csv"):
        data = content.encode("utf-8") if isinstance(content, str) else content
        return self.client.post(
            reverse("console:imports"), {"kind": "accounts", "file": SimpleUploadedFile(name, data)}
        )

    def stored_files(self) -> list[Path]:
        root = Path(settings.MEDIA_ROOT)
        return [path for path in root.rglob("*") if path.is_file()] if root.exists() else []


class SizeLimitTests(UploadTestCase):
    @override_settings(IMPORT_MAX_MB=1)
    def test_an_upload_over_import_max_mb_is_refused_with_a_clear_message_and_not_kept(self):
        content = HEADER + "".join(f"Y{i},2026-10-02,E001,C{i},20000\n" for i in range(40_000))
        self.assertGreater(len(content), 1024 * 1024)
        response = self.upload(content)
        self.assertContains(response, "超过 1 MB 的上限")
        self.assertEqual(self.stored_files(), [])
        self.assertFalse(ImportBatch.objects.exists())

    @override_settings(IMPORT_MAX_MB=1)
    def test_a_request_body_far_over_the_limit_is_refused_before_it_is_read(self):
        response = self.upload(b"x" * (3 * 1024 * 1024))
        self.assertRedirects(response, reverse("console:imports"), fetch_redirect_response=False)
        page = self.client.get(response.url)
        self.assertContains(page, "超过 1 MB 的上限")
        self.assertEqual(self.stored_files(), [])


class PendingFileTests(UploadTestCase):
    def test_a_large_upload_is_held_in_memory_never_in_a_temporary_file_in_clear(self):
        content = HEADER + "".join(f"Y{i},2026-10-02,E001,{SECRET}{i},20000\n" for i in range(200_000))
        self.assertGreater(len(content), 6 * 1024 * 1024)
        refused = AssertionError("the upload went to a temporary file")
        with mock.patch("django.core.files.uploadedfile.TemporaryUploadedFile.__init__", side_effect=refused):
            response = self.upload(content)
        self.assertEqual(response.status_code, 302)
        (stored,) = self.stored_files()
        self.assertNotIn(SECRET.encode(), stored.read_bytes())

    def test_a_pending_upload_holds_no_customer_number_in_clear_and_goes_after_confirmation(self):
        response = self.upload(HEADER + f"X1,2026-10-02,E001,{SECRET},20000\n")
        files = self.stored_files()
        self.assertEqual(len(files), 1)
        self.assertNotIn(SECRET.encode(), files[0].read_bytes())
        self.assertNotIn(b"2026-10-02", files[0].read_bytes())
        self.assertContains(self.client.get(response.url), "确认导入")
        self.client.post(response.url)
        self.assertTrue(AccountOpening.objects.filter(ref="X1").exists())
        self.assertEqual(self.stored_files(), [])

    def test_a_rejected_upload_is_removed_at_once(self):
        response = self.upload(HEADER + f"X1,2026-10-02,E001,{SECRET},abc\n")
        self.assertContains(self.client.get(response.url), "avg_assets")
        self.assertEqual(self.stored_files(), [])

    def test_an_unconfirmed_upload_expires_on_a_later_upload(self):
        self.upload(HEADER + "X1,2026-10-02,E001,C1,20000\n")
        (old,) = self.stored_files()
        day_and_more = time.time() - 25 * 3600
        os.utime(old.parent, (day_and_more, day_and_more))
        self.upload(HEADER + "X2,2026-10-02,E001,C2,20000\n")
        files = self.stored_files()
        self.assertEqual(len(files), 1)
        self.assertNotEqual(files[0], old)

    def test_a_stored_upload_that_was_tampered_with_is_refused(self):
        response = self.upload(HEADER + "X1,2026-10-02,E001,C1,20000\n")
        (stored,) = self.stored_files()
        sealed = bytearray(stored.read_bytes())
        sealed[-1] ^= 1
        stored.write_bytes(bytes(sealed))
        page = self.client.post(response.url, follow=True)
        self.assertContains(page, "上传的文件已不存在")
        self.assertFalse(AccountOpening.objects.filter(ref="X1").exists())


class BoundedAnswerTests(UploadTestCase):
    def test_the_check_page_lists_the_first_hundred_bad_rows_and_counts_them_all(self):
        rows = "".join(f"X{i},2026-10-02,E001,C{i},abc\n" for i in range(300))
        page = self.client.get(self.upload(HEADER + rows).url)
        self.assertContains(page, "发现 300 处错误")
        self.assertContains(page, "下面只列出前 100 处")
        self.assertEqual(page.content.decode().count("abc 不是金额"), 100)


@override_settings(IMPORT_BACKGROUND_MB=0)
class BackgroundCheckTests(UploadTestCase):
    def test_a_large_upload_is_checked_in_a_background_job_with_a_progress_bar(self):
        with self.captureOnCommitCallbacks(execute=False) as callbacks:
            response = self.upload(HEADER + "X1,2026-10-02,E001,C1,20000\n")
        job = Job.objects.get(kind="import_check")
        self.assertEqual(job.state, Job.State.QUEUED)
        self.assertFalse(ImportBatch.objects.exists())  # nothing was checked inside the request
        page = self.client.get(response.url)
        self.assertContains(page, "正在检查文件")
        self.assertContains(page, 'class="progress"')
        self.assertContains(page, f"/jobs/{job.pk}/?format=json")

        for callback in callbacks:
            callback()  # the worker runs the job
        job.refresh_from_db()
        self.assertEqual((job.state, job.done, job.total), (Job.State.DONE, 4, 4))
        self.assertContains(self.client.get(response.url), "确认导入")
        self.client.post(response.url)
        self.assertTrue(AccountOpening.objects.filter(ref="X1").exists())
        self.assertEqual(self.stored_files(), [])
