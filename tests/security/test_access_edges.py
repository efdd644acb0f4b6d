"""Access at the edges: records stay with the branch they were made in when a person moves, and
improvement-case evidence is served only to those who may see the case, only as a download, and
only of the allowed types."""

import datetime
import io
import zipfile

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from appraisals.models import CaseEvent, CaseStage, ImprovementCase
from appraisals.services.cases import CaseError, case_advance, case_note
from metrics.selectors import records_for_user
from staff.models import Assignment, Membership, Role
from tests import factories
from tests.console.base import BaseTestCase

User = get_user_model()
MOVED_ON = datetime.date(2026, 10, 1)
SEPTEMBER_DAY = datetime.date(2026, 9, 15)
OCTOBER_DAY = datetime.date(2026, 10, 15)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 32


def office_zip(folder: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(f"{folder}document.xml", "<x/>")
    return buffer.getvalue()


class MovedStaffRecordTests(BaseTestCase):
    """Mia worked at outlet A until September and at outlet B from October 1st."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.mia = factories.staff("E500", "米娅", cls.tree["outlet_a"])
        Assignment.objects.filter(staff=cls.mia).update(valid_to=MOVED_ON)
        Assignment.objects.create(
            staff=cls.mia,
            branch=cls.tree["outlet_b"],
            position="lobby_manager",
            position_since=MOVED_ON,
            status="active",
            valid_from=MOVED_ON,
        )
        cls.mia.branch = cls.tree["outlet_b"]
        cls.mia.save()
        factories.accounts(cls.mia, SEPTEMBER_DAY, 1)
        factories.accounts(cls.mia, OCTOBER_DAY, 1)
        # The day of the move belongs to the new branch (valid_to is exclusive).
        factories.accounts(cls.mia, MOVED_ON, 1)
        cls.head_b = User.objects.create_user("hai")
        Membership.objects.create(user=cls.head_b, role=Role.BRANCH_HEAD, branch=cls.tree["sub_b"])
        cls.mia_user = User.objects.create_user("mia")
        Membership.objects.create(user=cls.mia_user, role=Role.LOBBY_MANAGER, staff=cls.mia)

    def mia_dates(self, user):
        query = records_for_user(user=user, kind="accounts").filter(staff=self.mia)
        return sorted(query.values_list("date", flat=True))

    def test_the_head_of_the_old_branch_sees_the_old_records_and_not_the_new(self):
        self.assertEqual(self.mia_dates(self.head_user), [SEPTEMBER_DAY])

    def test_the_head_of_the_new_branch_sees_the_new_records_and_not_the_old(self):
        self.assertEqual(self.mia_dates(self.head_b), [MOVED_ON, OCTOBER_DAY])

    def test_hr_sees_all_of_them(self):
        self.assertEqual(self.mia_dates(self.hr_user), [SEPTEMBER_DAY, MOVED_ON, OCTOBER_DAY])

    def test_the_person_sees_all_of_their_own_and_nobody_elses(self):
        self.assertEqual(self.mia_dates(self.mia_user), [SEPTEMBER_DAY, MOVED_ON, OCTOBER_DAY])
        self.assertEqual(records_for_user(user=self.mia_user, kind="accounts").exclude(staff=self.mia).count(), 0)
        self.assertEqual(self.mia_dates(self.alice_user), [])

    def test_the_head_still_sees_the_staff_who_never_moved(self):
        visible = set(records_for_user(user=self.head_user, kind="accounts").values_list("staff_id", flat=True))
        self.assertEqual(visible, {self.alice.pk, self.bob.pk, self.mia.pk})

    def test_the_rule_is_one_query(self):
        self.head_user.refresh_from_db()  # a fresh user: the membership is read again
        with self.assertNumQueries(2):  # the membership, then the records
            list(records_for_user(user=self.head_user, kind="accounts"))

    def test_the_records_page_follows_the_same_rule(self):
        self.sign_in(self.head_b)
        response = self.client.get(reverse("console:records", args=["accounts"]), {"q": "E500"})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "2026-10-15")
        self.assertNotContains(response, "2026-09-15")


class EvidenceUploadTests(BaseTestCase):
    def note(self, name: str, content: bytes):
        upload = SimpleUploadedFile(name, content, content_type="application/octet-stream")
        return case_note(case=self.olivia_case, note="面谈记录", evidence=upload, user=self.hr_user)

    def test_the_allowed_types_are_accepted(self):
        for name, content in (
            ("plan.pdf", PDF),
            ("photo.PNG", PNG),
            ("photo.jpg", JPEG),
            ("photo.jpeg", JPEG),
            ("old.doc", OLE2),
            ("old.xls", OLE2),
            ("plan.docx", office_zip("word/")),
            ("plan.xlsx", office_zip("xl/")),
            ("plan.pptx", office_zip("ppt/")),
        ):
            event = self.note(name, content)
            self.assertTrue(event.evidence.name, name)

    def test_an_html_file_is_refused_with_a_clear_message(self):
        with self.assertRaisesMessage(CaseError, "证据材料只接受 PDF"):
            self.note("evidence.html", b"<script>alert(1)</script>")
        self.assertFalse(CaseEvent.objects.filter(case=self.olivia_case, kind="note").exists())

    def test_html_renamed_to_pdf_is_refused_by_its_content(self):
        with self.assertRaisesMessage(CaseError, "内容与其扩展名不符"):
            self.note("evidence.pdf", b"<html><script>alert(1)</script></html>")

    def test_a_zip_that_is_not_an_office_file_is_refused(self):
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("index.html", "<script>alert(1)</script>")
        with self.assertRaisesMessage(CaseError, "内容与其扩展名不符"):
            self.note("evidence.docx", buffer.getvalue())

    def test_a_spreadsheet_named_as_a_document_is_refused(self):
        with self.assertRaisesMessage(CaseError, "内容与其扩展名不符"):
            self.note("evidence.docx", office_zip("xl/"))

    @override_settings(EVIDENCE_MAX_MB=1)
    def test_a_file_over_the_size_limit_is_refused(self):
        with self.assertRaisesMessage(CaseError, "1 MB"):
            self.note("big.pdf", PDF + b"0" * (1024 * 1024))

    def test_moving_a_stage_checks_the_evidence_too(self):
        upload = SimpleUploadedFile("x.svg", b"<svg onload=alert(1)>")
        with self.assertRaises(CaseError):
            case_advance(
                case=self.olivia_case, stage=CaseStage.RETRAINING, note="回柜台培训", evidence=upload, user=self.hr_user
            )
        self.olivia_case.refresh_from_db()
        self.assertEqual(self.olivia_case.stage, CaseStage.IMPROVEMENT_PLAN)

    def test_the_console_shows_the_refusal_as_a_message(self):
        self.sign_in(self.hr_user)
        upload = SimpleUploadedFile("evidence.html", b"<script>alert(1)</script>")
        response = self.client.post(
            reverse("console:case_note", args=[self.olivia_case.pk]), {"note": "面谈", "evidence": upload}, follow=True
        )
        self.assertContains(response, "证据材料只接受 PDF")
        self.assertFalse(CaseEvent.objects.filter(case=self.olivia_case, kind="note").exists())


class EvidenceDownloadTests(BaseTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.head_b = User.objects.create_user("hai")
        Membership.objects.create(user=cls.head_b, role=Role.BRANCH_HEAD, branch=cls.tree["sub_b"])
        cls.alice_case = ImprovementCase.objects.create(staff=cls.alice, opened_period=cls.period)

    def setUp(self):
        upload = SimpleUploadedFile("改进计划.pdf", PDF)
        self.event = case_note(case=self.olivia_case, note="改进计划", evidence=upload, user=self.hr_user)
        self.url = reverse("console:case_evidence", args=[self.olivia_case.pk, self.event.pk])

    def test_hr_downloads_it_as_an_attachment_of_its_type(self):
        self.sign_in(self.hr_user)
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "application/pdf")
        self.assertTrue(response["Content-Disposition"].startswith("attachment"))
        self.assertIn("sandbox", response["Content-Security-Policy"])
        self.assertEqual(response["X-Content-Type-Options"], "nosniff")
        self.assertEqual(b"".join(response.streaming_content), PDF)

    def test_the_person_and_the_head_of_their_branch_may_download_it(self):
        for user in (self.olivia_user, self.head_b):
            self.sign_in(user)
            self.assertEqual(self.client.get(self.url).status_code, 200, user)

    def test_anyone_else_gets_404_and_a_visitor_is_sent_to_sign_in(self):
        for user in (self.head_user, self.alice_user):
            self.sign_in(user)
            self.assertEqual(self.client.get(self.url).status_code, 404, user)
        self.sign_in(None)
        self.assertEqual(self.client.get(self.url).status_code, 302)

    def test_evidence_is_not_reached_through_another_case(self):
        self.sign_in(self.hr_user)
        url = reverse("console:case_evidence", args=[self.alice_case.pk, self.event.pk])
        self.assertEqual(self.client.get(url).status_code, 404)

    def test_nothing_serves_the_media_folder(self):
        self.sign_in(self.hr_user)
        self.assertEqual(self.client.get(f"/media/{self.event.evidence.name}").status_code, 404)

    def test_the_case_page_links_to_the_checked_download(self):
        self.sign_in(self.hr_user)
        response = self.client.get(reverse("console:case", args=[self.olivia_case.pk]))
        self.assertContains(response, self.url)
        self.assertNotContains(response, "/media/")
