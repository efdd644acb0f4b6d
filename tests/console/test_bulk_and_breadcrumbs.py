"""Bulk approval of write-ups, reminding the sub-branches that have not signed off, and the
breadcrumbs on every detail page."""

import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from appraisals.models import Job, Period, PeriodStatus, Scheme, Simulation, WriteUp, WriteUpStatus
from audit.models import Change
from notices.models import Notice
from tests.console.base import OCTOBER, BaseTestCase


class BulkApproveTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.alice_writeup = WriteUp.objects.create(
            staff=cls.alice,
            period=cls.period,
            draft_zh="稳。",
            draft_en="Steady.",
            text_zh="稳。",
            text_en="Steady.",
            generated_at=cls.period.computed_at,
        )
        cls.bob_writeup = WriteUp.objects.create(
            staff=cls.bob,
            period=cls.period,
            draft_zh="好。",
            draft_en="Good.",
            text_zh="好。",
            text_en="Good.",
            status=WriteUpStatus.APPROVED,
            generated_at=cls.period.computed_at,
        )

    def approve(self, *writeups, client=None, follow=True):
        client = client or self.client
        ids = [str(writeup.pk) for writeup in writeups]
        return client.post(reverse("console:writeups_approve"), {"ids": ids}, follow=follow)

    def test_hr_approves_the_selected_drafts_each_with_its_own_history(self):
        self.sign_in(self.hr_user)
        response = self.approve(self.alice_writeup, self.olivia_writeup)
        self.assertContains(response, "已审定 2 条评语。")
        for writeup in (self.alice_writeup, self.olivia_writeup):
            writeup.refresh_from_db()
            self.assertEqual(writeup.status, WriteUpStatus.APPROVED)
            self.assertEqual(writeup.approved_by, self.hr_user)
        history = Change.objects.filter(source="writeup approve").values_list("object_id", flat=True)
        self.assertEqual(sorted(history), sorted([str(self.alice_writeup.pk), str(self.olivia_writeup.pk)]))

    def test_one_not_approvable_is_refused_by_name_and_the_others_approved(self):
        self.sign_in(self.hr_user)
        response = self.approve(self.alice_writeup, self.bob_writeup)
        self.assertContains(response, "已审定 1 条评语。")
        self.assertContains(response, "未再审定：王博（2026年10月）")
        self.alice_writeup.refresh_from_db()
        self.assertEqual(self.alice_writeup.status, WriteUpStatus.APPROVED)

    def test_nothing_ticked_says_so_and_changes_nothing(self):
        self.sign_in(self.hr_user)
        response = self.client.post(reverse("console:writeups_approve"), {}, follow=True)
        self.assertContains(response, "请先勾选要审定的评语。")
        self.assertEqual(WriteUp.objects.filter(status=WriteUpStatus.APPROVED).count(), 1)

    def test_a_branch_head_and_a_lobby_manager_cannot_bulk_approve(self):
        for user in (self.head_user, self.alice_user):
            self.sign_in(user)
            self.assertEqual(self.approve(self.alice_writeup, follow=False).status_code, 403)
        self.alice_writeup.refresh_from_db()
        self.assertEqual(self.alice_writeup.status, WriteUpStatus.DRAFT)

    def test_the_bulk_form_needs_its_csrf_token(self):
        client = Client(enforce_csrf_checks=True)
        client.force_login(self.hr_user)
        self.assertEqual(self.approve(self.alice_writeup, client=client, follow=False).status_code, 403)
        page = client.get(reverse("console:writeups")).content.decode()
        form = re.search(r'<form id="bulk-approve".*?</form>', page, re.S).group(0)
        self.assertIn('name="csrfmiddlewaretoken"', form)

    def test_the_list_has_a_box_for_each_draft_for_hr_only(self):
        self.sign_in(self.hr_user)
        page = self.client.get(reverse("console:writeups")).content.decode()
        boxes = set(re.findall(r'name="ids" value="(\d+)" form="bulk-approve"', page))
        self.assertEqual(boxes, {str(self.alice_writeup.pk), str(self.olivia_writeup.pk)})
        self.assertIn("选择 张丽 2026年10月 的评语", page)
        self.sign_in(self.head_user)
        page = self.client.get(reverse("console:writeups")).content.decode()
        self.assertNotIn('name="ids"', page)
        self.assertNotIn("bulk-approve", page)

    def test_it_goes_back_to_the_filtered_list_and_never_off_site(self):
        self.sign_in(self.hr_user)
        url = reverse("console:writeups_approve")
        back = reverse("console:writeups") + "?status=draft"
        response = self.client.post(url, {"ids": [self.alice_writeup.pk], "next": back})
        self.assertRedirects(response, back, fetch_redirect_response=False)
        response = self.client.post(url, {"ids": [self.olivia_writeup.pk], "next": "https://evil.example/"})
        self.assertRedirects(response, reverse("console:writeups"), fetch_redirect_response=False)


class RemindTests(BaseTestCase):
    def setUp(self):
        Period.objects.filter(pk=self.period.pk).update(status=PeriodStatus.COMPUTED)

    def test_hr_reminds_from_the_month_page_and_is_told_how_many(self):
        self.sign_in(self.hr_user)
        page = self.client.get(reverse("console:month", args=["2026-10"]))
        self.assertContains(page, "再次提醒未签核的支行")
        self.assertContains(page, "向 2 个未签核支行的负责人发送签核提醒？")
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(reverse("console:month_remind", args=["2026-10"]), follow=True)
        # Two sub-branches have not signed off; only 西湖支行 has a head with a sign-in (Hugo).
        self.assertContains(response, "已提醒 2 个未签核支行的 1 位负责人。")
        self.assertTrue(Notice.objects.filter(user=self.head_user, kind="signoff_reminder").exists())

    def test_the_dashboard_offers_hr_the_reminder_too(self):
        self.sign_in(self.hr_user)
        self.assertContains(self.client.get("/"), reverse("console:month_remind", args=["2026-10"]))
        self.sign_in(self.head_user)
        self.assertNotContains(self.client.get("/"), reverse("console:month_remind", args=["2026-10"]))

    def test_a_branch_head_cannot_remind(self):
        self.sign_in(self.head_user)
        self.assertEqual(self.client.post(reverse("console:month_remind", args=["2026-10"])).status_code, 403)


class BreadcrumbTests(BaseTestCase):
    """Every detail page starts with a trail back to the page it belongs to."""

    def detail_pages(self):
        job = Job.objects.create(kind="compute", params={"month": "2026-10-01"})
        scheme = Scheme.objects.get(code="lobby-2026", version=1)
        draft = Scheme.objects.create(
            code="lobby-2026", version=2, name="草稿", parameters=scheme.parameters, active=False, status="draft"
        )
        simulation = Simulation.objects.create(scheme=draft, first=OCTOBER, last=OCTOBER)
        months = reverse("console:months")
        a = self.alice.employee_no
        scorecards = reverse("console:scorecards", args=["2026-10"])
        records = reverse("console:records", args=["accounts"])
        draft_page = reverse("console:scheme", args=[draft.pk])
        return [
            # (user, detail page, the link one level up)
            (self.hr_user, reverse("console:staff_detail", args=[a]), reverse("console:staff")),
            (self.head_user, reverse("console:staff_detail", args=[a]), reverse("console:staff")),
            (self.hr_user, reverse("console:scorecard", args=["2026-10", a]), scorecards),
            (self.alice_user, reverse("console:scorecard", args=["2026-10", a]), reverse("console:dashboard")),
            (self.hr_user, reverse("console:case", args=[self.olivia_case.pk]), reverse("console:cases")),
            (self.hr_user, reverse("console:appeal", args=[self.olivia_appeal.pk]), reverse("console:appeals")),
            (self.olivia_user, reverse("console:appeal", args=[self.olivia_appeal.pk]), reverse("console:appeals")),
            (self.hr_user, reverse("console:writeup", args=[self.olivia_writeup.pk]), reverse("console:writeups")),
            (self.hr_user, reverse("console:month", args=["2026-10"]), months),
            (self.head_user, reverse("console:month", args=["2026-10"]), months),
            (self.hr_user, reverse("console:job", args=[job.pk]), reverse("console:month", args=["2026-10"])),
            (self.hr_user, reverse("console:scheme", args=[scheme.pk]), reverse("console:schemes")),
            (self.hr_user, reverse("console:scheme_edit", args=[draft.pk]), draft_page),
            (self.hr_user, reverse("console:simulation", args=[simulation.pk]), draft_page),
            (self.hr_user, reverse("console:signin", args=[self.olivia_user.pk]), reverse("console:signins")),
            (self.hr_user, reverse("console:signin_new"), reverse("console:signins")),
            (self.hr_user, reverse("console:record_edit", args=["accounts", self.olivia_record.pk]), records),
            (self.hr_user, reverse("console:target_edit", args=[self.target.pk]), reverse("console:targets")),
            (self.hr_user, reverse("console:target_new"), reverse("console:targets")),
        ]  # fmt: skip

    def assert_breadcrumbs(self, page: str, up: str, where: str):
        trail = re.search(r'<nav class="breadcrumbs" aria-label="当前位置">(.*?)</nav>', page, re.S)
        self.assertIsNotNone(trail, f"{where}: no breadcrumbs")
        links = re.findall(r'<a href="([^"]+)"', trail.group(1))
        self.assertEqual(links[0], reverse("console:dashboard"), where)
        self.assertIn(up, links, where)
        self.assertIn('aria-current="page"', trail.group(1), where)

    def test_every_detail_page_has_breadcrumbs_back_up(self):
        for user, url, up in self.detail_pages():
            with self.subTest(url=url, user=user.username):
                self.sign_in(user)
                response = self.client.get(url)
                self.assertEqual(response.status_code, 200)
                self.assert_breadcrumbs(response.content.decode(), up, url)

    def test_the_import_check_page_leads_back_to_the_imports(self):
        self.sign_in(self.hr_user)
        content = "ref,date,employee_no,customer_ref,avg_assets\nX1,2026-10-02,E001,C9,abc\n"
        response = self.client.post(
            reverse("console:imports"),
            {"kind": "accounts", "file": SimpleUploadedFile("accounts.csv", content.encode("utf-8"))},
        )
        page = self.client.get(response.url).content.decode()
        self.assert_breadcrumbs(page, reverse("console:imports"), "import check")

    def test_a_lobby_manager_is_never_sent_to_a_list_they_cannot_open(self):
        self.sign_in(self.alice_user)
        page = self.client.get(reverse("console:staff_detail", args=[self.alice.employee_no])).content.decode()
        trail = re.search(r'<nav class="breadcrumbs".*?</nav>', page, re.S).group(0)
        self.assertNotIn(reverse("console:staff"), trail)
        self.assertIn("我的考核", trail)
