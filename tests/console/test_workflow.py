"""The console's actions, through its pages: the month's workflow, self-service, appeals,
records by hand, targets, imports and the scorecards table's cost."""

import io
import zipfile
from pathlib import Path

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from appraisals.models import (
    Acknowledgement,
    Appeal,
    BranchSignoff,
    Job,
    Period,
    PeriodStatus,
    Target,
    WriteUp,
    WriteUpStatus,
)
from appraisals.services.periods import period_compute, period_finalize
from audit.models import Change
from metrics.models import AccountOpening, ImportBatch
from metrics.summaries import summaries_refresh
from tests.console.base import OCTOBER, OLIVIA_NAME, BaseTestCase

M = "2026-10"


class MonthWorkflowTests(BaseTestCase):
    """October has just been computed again: the branch heads have yet to sign it off."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.period = period_compute(month=OCTOBER).period

    def media_root(self) -> str:
        return str(settings.MEDIA_ROOT)

    def test_hr_computes_a_month_as_a_background_job_and_sees_it_done(self):
        self.sign_in(self.hr_user)
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(reverse("console:month_compute", args=[M]))
        job = Job.objects.get()
        self.assertRedirects(response, reverse("console:job", args=[job.pk]))
        job.refresh_from_db()
        self.assertEqual(job.state, Job.State.DONE)
        self.assertContains(self.client.get(reverse("console:job", args=[job.pk])), "已计算 3 张考核表")

    def test_hr_drafts_the_months_write_ups_in_the_background(self):
        self.sign_in(self.hr_user)
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(reverse("console:month_writeups", args=[M]))
        job = Job.objects.get(kind="writeups")
        self.assertRedirects(response, reverse("console:job", args=[job.pk]))
        job.refresh_from_db()
        self.assertEqual(job.state, Job.State.DONE, job.message)
        self.assertEqual(WriteUp.objects.filter(period=self.period, scope="month").count(), 3)
        self.assertContains(self.client.get(reverse("console:job", args=[job.pk])), "评语草稿")

    def test_hr_downloads_the_whole_month_as_a_zip_built_in_the_background(self):
        self.sign_in(self.hr_user)
        with self.settings(VAR_DIR=Path(self.media_root())), self.captureOnCommitCallbacks(execute=True):
            self.client.post(reverse("console:month_pdf_zip", args=[M]))
        job = Job.objects.get(kind="pdf_zip")
        self.assertEqual(job.state, Job.State.DONE, job.message)
        response = self.client.get(reverse("console:job_download", args=[job.pk]))
        self.assertEqual(response.status_code, 200)
        names = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))).namelist()
        self.assertEqual(
            sorted(names),
            [
                f"海曙支行/E900-{OLIVIA_NAME}.pdf",
                "海曙支行/海曙支行-汇总.pdf",
                "西湖支行/E001-张丽.pdf",
                "西湖支行/E002-王博.pdf",
                "西湖支行/西湖支行-汇总.pdf",
            ],
        )

    def test_a_branch_head_cannot_start_the_months_pdf_zip(self):
        self.sign_in(self.head_user)
        self.assertEqual(self.client.post(reverse("console:month_pdf_zip", args=[M])).status_code, 403)
        self.assertFalse(Job.objects.exists())

    def test_hr_cannot_mark_reviewed_until_every_sub_branch_has_signed_off(self):
        self.sign_in(self.hr_user)
        self.client.post(reverse("console:month_review", args=[M]))
        self.assertEqual(Period.objects.get().status, PeriodStatus.COMPUTED)

        self.sign_in(self.head_user)
        self.client.post(reverse("console:month_signoff", args=[M]), {"note": "已核对"})
        self.assertTrue(BranchSignoff.objects.filter(branch=self.tree["sub_a"]).exists())
        BranchSignoff.objects.create(period=self.period, branch=self.tree["sub_b"], user=self.hr_user)

        self.sign_in(self.hr_user)
        self.client.post(reverse("console:month_review", args=[M]))
        self.assertEqual(Period.objects.get().status, PeriodStatus.REVIEWED)

    def publish(self):
        """Hana publishes October (the heads have signed off) and rejects Olivia's appeal."""
        for branch in (self.tree["sub_a"], self.tree["sub_b"]):
            BranchSignoff.objects.create(period=self.period, branch=branch, user=self.head_user)
        self.sign_in(self.hr_user)
        self.client.post(reverse("console:month_review", args=[M]))
        self.client.post(
            reverse("console:appeal_resolve", args=[self.olivia_appeal.pk]),
            {"status": "rejected", "resolution": "记录无误"},
        )
        self.assertEqual(Period.objects.get().status, PeriodStatus.REVIEWED)

    def test_finalizing_needs_the_confirmation_box(self):
        self.publish()
        self.sign_in(self.hr2_user)
        self.client.post(reverse("console:month_finalize", args=[M]), {})
        self.assertEqual(Period.objects.get().status, PeriodStatus.REVIEWED)
        self.client.post(reverse("console:month_finalize", args=[M]), {"confirm": "on"})
        period = Period.objects.get()
        self.assertEqual(
            (period.status, period.reviewed_by, period.finalized_by), ("finalized", self.hr_user, self.hr2_user)
        )

    def test_reopening_needs_a_reason_and_the_recomputation_is_recorded(self):
        self.publish()
        self.sign_in(self.hr2_user)
        self.client.post(reverse("console:month_finalize", args=[M]), {"confirm": "on"})
        self.assertContains(self.client.get(reverse("console:month", args=[M])), "定稿时间")
        self.client.post(reverse("console:month_reopen", args=[M]), {"reason": ""})
        self.assertEqual(Period.objects.get().status, PeriodStatus.FINALIZED)
        self.client.post(reverse("console:month_reopen", args=[M]), {"reason": "补录漏记的存款"})
        self.assertEqual(Period.objects.get().status, PeriodStatus.COMPUTED)
        AccountOpening.objects.filter(staff=self.bob).delete()
        summaries_refresh(kind="accounts", pairs=[(self.bob.pk, OCTOBER)])  # as every writer of records does
        with self.captureOnCommitCallbacks(execute=True):
            self.client.post(reverse("console:month_compute", args=[M]))
        self.assertTrue(Change.objects.filter(source=f"recompute {M}").exists())
        page = self.client.get(reverse("console:month", args=[M]))
        self.assertContains(page, "补录漏记的存款")
        self.assertNotContains(page, "定稿时间")  # the old finalization is in the history, not on the page


class SelfServiceTests(BaseTestCase):
    def test_a_lobby_manager_acknowledges_their_scorecard_once(self):
        self.sign_in(self.alice_user)
        url = reverse("console:scorecard_acknowledge", args=[M, "E001"])
        self.client.post(url)
        self.client.post(url)
        self.assertEqual(Acknowledgement.objects.filter(staff=self.alice).count(), 1)

    def test_nobody_acknowledges_for_someone_else(self):
        self.sign_in(self.hr_user)
        self.client.post(reverse("console:scorecard_acknowledge", args=[M, "E001"]))
        self.assertFalse(Acknowledgement.objects.exists())

    def test_an_open_appeal_shows_the_bottom_flag_as_under_review_until_hr_resolves_it(self):
        self.period.scorecards.filter(staff=self.alice).update(bottom_flag=True)
        self.sign_in(self.alice_user)
        self.client.post(
            reverse("console:scorecard_appeal", args=[M, "E001"]),
            {"text": "有两笔开户记录被记到了同事名下。"},
        )
        appeal = Appeal.objects.get(staff=self.alice)
        self.sign_in(self.hr_user)
        self.assertContains(self.client.get(reverse("console:scorecards", args=[M])), "badge-review")
        self.client.post(
            reverse("console:appeal_resolve", args=[appeal.pk]),
            {"status": "rejected", "resolution": "记录无误"},
        )
        appeal.refresh_from_db()
        self.assertEqual((appeal.status, appeal.resolved_by), ("rejected", self.hr_user))
        self.assertNotContains(self.client.get(reverse("console:scorecards", args=[M])), "badge-review")

    def test_only_hr_resolves_an_appeal(self):
        self.sign_in(self.olivia_user)
        response = self.client.post(
            reverse("console:appeal_resolve", args=[self.olivia_appeal.pk]),
            {"status": "upheld", "resolution": "好"},
        )
        self.assertEqual(response.status_code, 403)


class RecordsAndTargetsTests(BaseTestCase):
    def test_hr_corrects_a_record_with_a_reason_kept_in_its_history(self):
        self.sign_in(self.hr_user)
        record = self.olivia_record
        response = self.client.post(
            reverse("console:record_edit", args=["accounts", record.pk]),
            {"date": record.date, "account_type": "", "avg_assets": "12345.00", "employee_no": "E900",
             "reason": "核心系统更正"},
        )  # fmt: skip
        self.assertRedirects(response, reverse("console:records", args=["accounts"]))
        record.refresh_from_db()
        self.assertEqual(str(record.avg_assets), "12345.00")
        change = Change.objects.get(object_id=str(record.pk), reason="核心系统更正")
        self.assertIn("avg_assets", change.fields)

    def test_a_record_in_a_finalized_month_cannot_be_changed(self):
        self.olivia_appeal.delete()
        period_finalize(month=OCTOBER, user=self.hr2_user)
        self.sign_in(self.hr_user)
        record = self.olivia_record
        self.client.post(
            reverse("console:record_edit", args=["accounts", record.pk]),
            {"date": record.date, "avg_assets": "1.00", "employee_no": "E900", "reason": "试图修改"},
        )
        record.refresh_from_db()
        self.assertNotEqual(str(record.avg_assets), "1.00")

    def test_hr_sets_a_branch_target_and_its_change_is_kept(self):
        self.sign_in(self.hr_user)
        data = {"month": M, "scope": "110100", "item": "ebanking", "target": "18", "reason": "新网点"}
        self.client.post(reverse("console:target_new"), data)
        self.client.post(reverse("console:target_new"), {**data, "target": "20"})
        target = Target.objects.get(branch=self.tree["sub_a"])
        self.assertEqual(str(target.target), "20.00")
        self.assertEqual(Change.objects.filter(object_id=str(target.pk), content_type__model="target").count(), 2)


class ImportTests(BaseTestCase):
    def upload(self, content: str):
        return self.client.post(
            reverse("console:imports"),
            {"kind": "accounts", "file": SimpleUploadedFile("accounts.csv", content.encode("utf-8"))},
        )

    def test_a_bad_file_shows_its_row_errors_and_a_good_one_imports_after_confirmation(self):
        self.sign_in(self.hr_user)
        header = "ref,date,employee_no,customer_ref,avg_assets\n"
        response = self.upload(header + "X1,2026-10-02,E001,C9,abc\n")
        self.assertEqual(response.status_code, 302)
        page = self.client.get(response.url)
        self.assertContains(page, "avg_assets")
        self.assertFalse(AccountOpening.objects.filter(ref="X1").exists())

        response = self.upload(header + "X1,2026-10-02,E001,C9,20000\n")
        page = self.client.get(response.url)
        self.assertContains(page, "确认导入")
        response = self.client.post(response.url)
        self.assertTrue(AccountOpening.objects.filter(ref="X1").exists())
        self.assertTrue(ImportBatch.objects.filter(outcome="imported", user=self.hr_user).exists())


class ScorecardTableCostTests(BaseTestCase):
    def test_the_scorecards_page_costs_a_fixed_number_of_queries(self):
        self.sign_in(self.hr_user)
        url = reverse("console:scorecards", args=[M])
        params = {"sort": "-score", "branch": self.tree["branch_a"].pk, "grade": ""}
        self.client.get(url, params)  # warm the content-type and session caches
        # session, the user (with membership and unread notices), period, chosen branch, branch
        # choices, the page itself; the count is the month's, read once (tests/console/test_page_cost.py)
        with self.assertNumQueries(6):
            response = self.client.get(url, params)
        self.assertContains(response, "张丽")
        self.assertContains(response, "export=csv")

    def test_the_dashboard_costs_a_fixed_number_of_queries(self):
        self.sign_in(self.hr_user)
        self.client.get("/")
        # session, user (membership, unread notices), the recent months, last imports, open
        # appeals, flagged, open cases: a published month has no sign-offs to read; its trend,
        # grade mix and comparison of branches are read once per computation (core.cache)
        with self.assertNumQueries(7):
            self.client.get("/")


class LockoutTests(BaseTestCase):
    def test_too_many_wrong_passwords_show_a_friendly_lockout_page(self):
        for _attempt in range(4):
            self.client.post(reverse("login"), {"username": "hana", "password": "wrong"})
        response = self.client.post(reverse("login"), {"username": "hana", "password": "wrong"})
        self.assertContains(response, "登录已暂时锁定", status_code=429)

    def test_a_right_password_signs_in(self):
        response = self.client.post(reverse("login"), {"username": "alice", "password": "pw-alice-123"})
        self.assertRedirects(response, "/", fetch_redirect_response=False)


class WriteUpVisibilityTests(BaseTestCase):
    def test_a_lobby_manager_sees_their_write_up_only_once_hr_has_approved_it(self):
        url = reverse("console:writeup", args=[self.olivia_writeup.pk])
        self.sign_in(self.olivia_user)
        self.assertEqual(self.client.get(url).status_code, 404)
        self.olivia_writeup.status = WriteUpStatus.APPROVED
        self.olivia_writeup.save(update_fields=["status"])
        self.assertEqual(self.client.get(url).status_code, 200)
