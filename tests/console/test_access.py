"""Every page of the console, requested by every persona: who may see what."""

import subprocess

from django.test import Client
from django.urls import reverse

from appraisals.models import Job, Scheme, Simulation
from console import urls as console_urls
from notices.models import Notice
from tests.console.base import OCTOBER, OLIVIA_NAME, BaseTestCase

M = "2026-10"
#          hr   head_a alice olivia anonymous
ALL = (200, 200, 200, 200, 302)
HR_ONLY = (200, 403, 403, 403, 302)
HR_HEAD = (200, 200, 403, 403, 302)


def _text_of(response) -> str:
    """A page's text, or a PDF's text as pdftotext reads it."""
    if response["Content-Type"] != "application/pdf":
        return response.content.decode()
    return subprocess.run(
        ["pdftotext", "-", "-"], input=response.content, capture_output=True, check=True
    ).stdout.decode()


class SweepTests(BaseTestCase):
    def pages(self):
        job = Job.objects.create(kind="compute", params={"month": "2026-10-01"})
        # October is published in the set-up, which tells Olivia: her notice.
        notice, _created = Notice.objects.get_or_create(
            kind="period_published",
            event_key="published:2026-10",
            staff=self.olivia,
            defaults={"user": self.olivia_user},
        )
        scheme = Scheme.objects.get(code="lobby-2026", version=1)
        draft = Scheme.objects.create(
            code="lobby-2026", version=2, name="草稿", parameters=scheme.parameters, active=False, status="draft"
        )
        simulation = Simulation.objects.create(scheme=draft, first=OCTOBER, last=OCTOBER)
        a, o = self.alice.employee_no, self.olivia.employee_no
        return [
            ("dashboard", [], (200, 200, 302, 302, 302)),
            ("me", [], (302, 302, 200, 200, 302)),
            ("months", [], HR_HEAD),
            ("month", [M], HR_HEAD),
            ("job", [job.pk], HR_ONLY),
            ("scorecards", [M], (200, 200, 302, 302, 302)),
            ("scorecard", [M, a], (200, 200, 200, 404, 302)),
            ("scorecard", [M, o], (200, 404, 404, 200, 302)),
            ("appeals", [], ALL),
            ("appeal", [self.olivia_appeal.pk], (200, 404, 404, 200, 302)),
            ("staff", [], HR_HEAD),
            ("staff_detail", [a], (200, 200, 200, 404, 302)),
            ("staff_detail", [o], (200, 404, 404, 200, 302)),
            ("cases", [], HR_ONLY),
            ("case", [self.olivia_case.pk], HR_ONLY),
            ("records", ["accounts"], ALL),
            ("records", ["feedback"], ALL),
            ("record_new", ["deposits"], HR_ONLY),
            ("record_edit", ["accounts", self.olivia_record.pk], HR_ONLY),
            ("imports", [], HR_ONLY),
            ("targets", [], HR_ONLY),
            ("target_new", [], HR_ONLY),
            ("target_edit", [self.target.pk], HR_ONLY),
            ("writeups", [], ALL),
            # A draft write-up: HR sees it; its lobby manager only once HR has approved it.
            ("writeup", [self.olivia_writeup.pk], (200, 404, 404, 404, 302)),
            ("screens", [], HR_ONLY),
            ("history", [], HR_ONLY),
            ("api_clients", [], HR_ONLY),
            ("scorecard_pdf", [M, a], (None, None, None, 404, 302)),
            ("branch_pdf", [M, self.tree["sub_a"].code], (200, 200, 403, 403, 302)),
            ("import_check", ["nothing-pending"], (302, 403, 403, 403, 302)),
            ("job_download", [job.pk], (404, 403, 403, 403, 302)),
            ("inbox", [], ALL),
            ("notice", [notice.pk], (404, 404, 404, 302, 302)),
            ("signins", [], HR_ONLY),
            ("signin_new", [], HR_ONLY),
            ("signin", [self.olivia_user.pk], HR_ONLY),
            ("password_change", [], ALL),
            ("case_evidence", [self.olivia_case.pk, 0], (404, 404, 404, 404, 302)),
            ("schemes", [], HR_ONLY),
            ("scheme", [scheme.pk], HR_ONLY),
            ("scheme_edit", [draft.pk], HR_ONLY),
            ("scheme_download", [scheme.pk], HR_ONLY),
            ("simulation", [simulation.pk], HR_HEAD),
        ]

    POSTS = [
        "month_compute_new", "month_compute", "month_signoff", "month_review", "month_finalize",
        "month_reopen", "scorecard_acknowledge", "scorecard_appeal", "appeal_resolve", "case_advance",
        "case_note", "case_close", "writeup_approve", "writeups_approve", "screen_revoke", "set_language",
        "month_writeups",
        "month_pdf_zip", "inbox_read_all", "month_remind", "signin_scope", "signin_password", "signin_active",
        "month_void",
        "scheme_copy", "scheme_simulate", "scheme_adopt",
        "api_client_revoke",
    ]  # fmt: skip

    def test_every_page_answers_each_persona_as_expected(self):
        failures = []
        for name, args, expected in self.pages():
            url = reverse(f"console:{name}", args=args)
            for (persona, user), status in zip(self.personas(), expected, strict=True):
                self.sign_in(user)
                response = self.client.get(url)
                if status is None:  # a download, or a redirect back while PDFs are not available
                    ok = response.status_code in (200, 302)
                else:
                    ok = response.status_code == status
                if not ok:
                    failures.append(f"{persona} GET {url}: {response.status_code}, expected {status}")
        self.assertEqual(failures, [])

    def test_the_sweep_covers_every_named_console_url(self):
        named = {pattern.name for pattern in console_urls.urlpatterns}
        swept = {name for name, _args, _expected in self.pages()} | set(self.POSTS)
        self.assertEqual(named - swept, set())

    def test_branch_b_never_appears_in_what_the_head_of_a_sees(self):
        self.sign_in(self.head_user)
        for name, args, _expected in self.pages():
            response = self.client.get(reverse(f"console:{name}", args=args))
            if response.status_code == 200 and not response.streaming:
                body = _text_of(response)
                self.assertNotIn(OLIVIA_NAME, body, name)
                self.assertNotIn("E900", body, name)
        for export in ("csv", "xlsx"):
            response = self.client.get(reverse("console:scorecards", args=[M]), {"export": export})
            self.assertEqual(response.status_code, 200)
            if export == "csv":
                body = b"".join(response.streaming_content).decode("utf-8-sig")
                self.assertIn("E001", body)
                self.assertNotIn("E900", body)

    def test_a_branch_head_cannot_download_another_branchs_pack(self):
        self.sign_in(self.head_user)
        response = self.client.get(reverse("console:branch_pdf", args=[M, self.tree["sub_b"].code]))
        self.assertEqual(response.status_code, 404)

    def test_a_lobby_manager_sees_only_their_own_records(self):
        self.sign_in(self.alice_user)
        body = self.client.get(reverse("console:records", args=["feedback"])).content.decode()
        self.assertNotIn(OLIVIA_NAME, body)
        self.assertNotIn("王博", body)

    def test_the_admin_is_refused_to_anyone_but_hr(self):
        for user, status in ((self.hr_user, 200), (self.head_user, 403), (self.alice_user, 403)):
            self.sign_in(user)
            response = self.client.get("/admin/", follow=True)
            self.assertEqual(response.status_code, status, user)

    def test_a_signed_out_visitor_is_sent_to_the_sign_in_page(self):
        response = self.client.get(reverse("console:dashboard"))
        self.assertRedirects(response, f"{reverse('login')}?next=/")

    def test_the_sign_in_page_speaks_chinese_first_and_english_on_request(self):
        self.assertContains(self.client.get(reverse("login")), "登录大堂之星")
        self.client.post(reverse("console:set_language"), {"language": "en", "next": "/"})
        self.assertEqual(self.client.get(reverse("login")).status_code, 200)

    def test_a_missing_page_shows_the_helpful_404(self):
        self.sign_in(self.hr_user)
        response = self.client.get("/months/2019-01/scorecards/")
        self.assertContains(response, "找不到您要的页面", status_code=404)

    def test_every_form_refuses_a_post_without_its_csrf_token(self):
        client = Client(enforce_csrf_checks=True)
        client.force_login(self.hr_user)
        a = self.alice.employee_no
        urls = [
            reverse("console:month_compute_new"),
            reverse("console:month_compute", args=[M]),
            reverse("console:month_signoff", args=[M]),
            reverse("console:month_review", args=[M]),
            reverse("console:month_finalize", args=[M]),
            reverse("console:month_reopen", args=[M]),
            reverse("console:month_void", args=[M]),
            reverse("console:scorecard_acknowledge", args=[M, a]),
            reverse("console:scorecard_appeal", args=[M, a]),
            reverse("console:appeal_resolve", args=[self.olivia_appeal.pk]),
            reverse("console:case_advance", args=[self.olivia_case.pk]),
            reverse("console:case_note", args=[self.olivia_case.pk]),
            reverse("console:case_close", args=[self.olivia_case.pk]),
            reverse("console:writeup_approve", args=[self.olivia_writeup.pk]),
            reverse("console:writeup", args=[self.olivia_writeup.pk]),
            reverse("console:screen_revoke", args=[self.screen.pk]),
            reverse("console:screens"),
            reverse("console:imports"),
            reverse("console:record_new", args=["accounts"]),
            reverse("console:record_edit", args=["accounts", self.olivia_record.pk]),
            reverse("console:target_new"),
            reverse("console:target_edit", args=[self.target.pk]),
            reverse("console:set_language"),
            reverse("console:signin_new"),
            reverse("console:signin_scope", args=[self.olivia_user.pk]),
            reverse("console:signin_password", args=[self.olivia_user.pk]),
            reverse("console:signin_active", args=[self.olivia_user.pk]),
            reverse("console:password_change"),
            reverse("logout"),
            reverse("login"),
        ]
        for url in urls:
            self.assertEqual(client.post(url, {}).status_code, 403, url)
