"""Notices (issue 10 item 4): who is told of what, once, in the inbox, by mail and to the group.

Hana and Heidi work in HR (only Hana gave an address); Hugo heads the West Lake sub-branch (A),
Hedda the Haishu one (B). Alice (E001, with an address and a WeCom account) and Bob (E002, no
address, no sign-in) are lobby managers in A; Olivia (E900) in B.
"""

import datetime
import http.server
import io
import json
import threading

from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.test import TestCase, override_settings
from django.utils import translation

from appraisals.models import AppealStatus, ImprovementCase, Period
from appraisals.services import notify
from appraisals.services.appeals import appeal_create, appeal_resolve
from appraisals.services.cases import case_advance, case_close
from appraisals.services.periods import period_compute, period_review
from appraisals.services.signoffs import branch_signoff
from notices.models import Notice, NoticeKind
from notices.services import notice_deliver
from notices.tasks import deliver
from staff.models import Membership, Role
from tests import factories

OCTOBER = datetime.date(2026, 10, 1)
SITE = "https://lobby.bank.example"


class Robot:
    """A 企业微信 group robot on 127.0.0.1 that answers with the codes it is given, then ok."""

    def __init__(self, *statuses: int):
        self.posts, self.statuses = [], list(statuses)
        robot = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                robot.posts.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                status = robot.statuses.pop(0) if robot.statuses else 200
                body = json.dumps({"errcode": 0 if status == 200 else 500, "errmsg": "ok"}).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/cgi-bin/webhook/send?key=test"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@override_settings(SITE_URL=SITE, WECOM_WEBHOOK_URL="")
class NoticeTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        User = get_user_model()
        cls.tree = factories.bank_tree()
        cls.alice = factories.staff("E001", "张丽", cls.tree["outlet_a"])
        cls.alice.email, cls.alice.wecom_userid = "alice@bank.example", "zhangli"
        cls.alice.save()
        cls.bob = factories.staff("E002", "王博", cls.tree["outlet_a"])
        cls.olivia = factories.staff("E900", "欧阳奥利维娅", cls.tree["outlet_b"])
        cls.olivia.email = "olivia@bank.example"
        cls.olivia.save()
        for member, share in ((cls.alice, 1.1), (cls.bob, 0.6), (cls.olivia, 0.9)):
            factories.full_month(member, OCTOBER, share=share)

        def sign_in(name, role, email="", **scope):
            user = User.objects.create_user(name, email=email, password=f"pw-{name}-123")
            Membership.objects.create(user=user, role=role, **scope)
            return user

        cls.hana = sign_in("hana", Role.HR, "hana@bank.example")
        cls.heidi = sign_in("heidi", Role.HR)
        cls.hugo = sign_in("hugo", Role.BRANCH_HEAD, "hugo@bank.example", branch=cls.tree["sub_a"])
        cls.hedda = sign_in("hedda", Role.BRANCH_HEAD, "hedda@bank.example", branch=cls.tree["sub_b"])
        cls.alice_user = sign_in("alice", Role.LOBBY_MANAGER, staff=cls.alice)
        cls.olivia_user = sign_in("olivia", Role.LOBBY_MANAGER, staff=cls.olivia)

    def compute(self) -> Period:
        with self.captureOnCommitCallbacks(execute=True):
            return period_compute(month=OCTOBER).period

    def publish(self) -> Period:
        period = self.compute()
        for head, branch in ((self.hugo, "sub_a"), (self.hedda, "sub_b")):
            branch_signoff(period=period, branch=self.tree[branch], user=head)
        mail.outbox.clear()
        with self.captureOnCommitCallbacks(execute=True):
            return period_review(month=OCTOBER, user=self.hana)

    def told(self, kind) -> list[Notice]:
        return list(Notice.objects.filter(kind=kind).order_by("id"))


class MonthNoticeTests(NoticeTestCase):
    def test_computing_a_month_reminds_each_head_of_their_own_sub_branch_by_inbox_and_mail(self):
        self.compute()
        reminders = self.told(NoticeKind.SIGNOFF_REMINDER)
        self.assertEqual(
            {(n.user_id, n.params["branches"]) for n in reminders},
            {
                (self.hugo.pk, "西湖支行"),
                (self.hedda.pk, "海曙支行"),
            },
        )
        self.assertEqual(sorted(message.to[0] for message in mail.outbox), ["hedda@bank.example", "hugo@bank.example"])
        self.assertIn("2026-10 考核结果待签核", mail.outbox[0].subject.replace("2026年10月", "2026-10"))
        self.assertIn(f"{SITE}/months/2026-10/", mail.outbox[0].body)

    def test_recomputing_a_month_never_reminds_anybody_twice(self):
        self.compute()
        self.compute()
        self.assertEqual(len(self.told(NoticeKind.SIGNOFF_REMINDER)), 2)
        self.assertEqual(len(mail.outbox), 2)

    def test_hr_can_remind_again_only_the_heads_still_to_sign_off(self):
        period = self.compute()
        branch_signoff(period=period, branch=self.tree["sub_a"], user=self.hugo)
        mail.outbox.clear()
        with self.captureOnCommitCallbacks(execute=True):
            self.assertEqual(notify.signoff_remind(period=period), 1)
        self.assertEqual([message.to for message in mail.outbox], [["hedda@bank.example"]])

    def test_hr_reminds_again_from_the_month_page_and_nobody_else_may(self):
        period = self.compute()
        branch_signoff(period=period, branch=self.tree["sub_a"], user=self.hugo)
        mail.outbox.clear()
        self.client.force_login(self.alice_user)
        self.assertEqual(self.client.post("/months/2026-10/remind/").status_code, 403)
        self.client.force_login(self.hana)
        self.assertContains(self.client.get("/months/2026-10/"), "再次提醒未签核的支行")
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post("/months/2026-10/remind/", follow=True)
        self.assertContains(response, "已提醒 1 个未签核支行的 1 位负责人。")
        self.assertEqual([message.to for message in mail.outbox], [["hedda@bank.example"]])

    def test_a_published_month_is_not_reminded_of(self):
        self.publish()
        self.client.force_login(self.hana)
        response = self.client.post("/months/2026-10/remind/", follow=True)
        self.assertContains(response, "不在待签核状态，无需提醒。")

    def test_publishing_tells_each_lobby_manager_with_a_scorecard_and_mails_those_with_an_address(self):
        self.publish()
        published = self.told(NoticeKind.PERIOD_PUBLISHED)
        self.assertEqual(sorted(n.staff_id for n in published), sorted([self.alice.pk, self.bob.pk, self.olivia.pk]))
        alice = next(n for n in published if n.staff_id == self.alice.pk)
        self.assertEqual(alice.user_id, self.alice_user.pk)
        self.assertEqual(
            sorted(message.to[0] for message in mail.outbox), ["alice@bank.example", "olivia@bank.example"]
        )
        to_alice = next(message for message in mail.outbox if message.to == ["alice@bank.example"])
        self.assertEqual(to_alice.subject, "2026年10月 考核结果已发布")
        self.assertIn(f"{SITE}/months/2026-10/scorecards/E001/", to_alice.body)
        self.assertIsNotNone(Notice.objects.get(pk=alice.pk).mail_sent_at)

    def test_publishing_or_recomputing_again_never_tells_anybody_twice(self):
        period = self.publish()
        sent = len(mail.outbox)
        with self.captureOnCommitCallbacks(execute=True):
            notify.period_published(period=period)
            notify.period_computed(period=period)
        self.assertEqual(Notice.objects.filter(kind=NoticeKind.PERIOD_PUBLISHED).count(), 3)
        self.assertEqual(len(mail.outbox), sent)

    def test_a_notice_delivered_again_sends_nothing_twice(self):
        self.publish()
        notice = Notice.objects.get(kind=NoticeKind.PERIOD_PUBLISHED, staff=self.alice)
        mail.outbox.clear()
        notice_deliver(notice_id=notice.pk)
        deliver.apply(args=[notice.pk])
        self.assertEqual(mail.outbox, [])


class AppealAndCaseNoticeTests(NoticeTestCase):
    def setUp(self):
        self.period = self.publish()
        mail.outbox.clear()

    def test_hr_is_told_of_each_new_appeal(self):
        with self.captureOnCommitCallbacks(execute=True):
            appeal_create(
                period=self.period, staff=self.alice, text="存款记录漏记了一笔，请复核。", user=self.alice_user
            )
        told = self.told(NoticeKind.APPEAL_CREATED)
        self.assertEqual(sorted(n.user_id for n in told), sorted([self.hana.pk, self.heidi.pk]))
        self.assertEqual([message.to for message in mail.outbox], [["hana@bank.example"]])
        self.assertIn("张丽（E001）", mail.outbox[0].body)

    def test_the_employee_is_told_of_the_decision_on_their_appeal_and_nobody_else(self):
        appeal = appeal_create(
            period=self.period, staff=self.alice, text="存款记录漏记了一笔，请复核。", user=self.alice_user
        )
        mail.outbox.clear()
        with self.captureOnCommitCallbacks(execute=True):
            appeal_resolve(appeal=appeal, status=AppealStatus.REJECTED, resolution="记录无误。", user=self.hana)
        [told] = self.told(NoticeKind.APPEAL_RESOLVED)
        self.assertEqual(
            (told.staff_id, told.user_id, told.params["outcome"]), (self.alice.pk, self.alice_user.pk, "rejected")
        )
        self.assertEqual([message.to for message in mail.outbox], [["alice@bank.example"]])
        self.assertIn("申诉不成立", mail.outbox[0].body)

    def test_each_step_of_an_improvement_case_tells_its_employee(self):
        case = ImprovementCase.objects.create(staff=self.alice, opened_period=self.period)
        with self.captureOnCommitCallbacks(execute=True):
            case = case_advance(case=case, stage=2, note="回柜台再培训两周。", user=self.hana)
            case_close(case=case, note="已改进。", user=self.hana)
        kinds = [(n.kind, n.staff_id) for n in Notice.objects.filter(kind__startswith="case_").order_by("id")]
        self.assertEqual(kinds, [(NoticeKind.CASE_ADVANCED, self.alice.pk), (NoticeKind.CASE_CLOSED, self.alice.pk)])
        self.assertEqual([message.subject for message in mail.outbox], ["改进程序进入第 2 阶段", "改进程序已结案"])


class InboxTests(NoticeTestCase):
    def setUp(self):
        self.publish()

    def test_a_lobby_manager_sees_only_their_own_notices_and_the_unread_count(self):
        self.client.force_login(self.alice_user)
        page = self.client.get("/inbox/").content.decode()
        self.assertIn("2026年10月 考核结果已发布", page)
        self.assertEqual(page.count('class="card notice'), 1)
        self.assertIn('<span class="badge badge-bottom">1</span>', page)
        olivias = Notice.objects.get(kind=NoticeKind.PERIOD_PUBLISHED, staff=self.olivia)
        self.assertEqual(self.client.get(f"/inbox/{olivias.pk}/").status_code, 404)
        self.assertIsNone(Notice.objects.get(pk=olivias.pk).read_at)

    def test_opening_a_notice_marks_it_read_and_goes_to_the_scorecard(self):
        self.client.force_login(self.alice_user)
        notice = Notice.objects.get(kind=NoticeKind.PERIOD_PUBLISHED, staff=self.alice)
        response = self.client.get(f"/inbox/{notice.pk}/")
        self.assertRedirects(response, "/months/2026-10/scorecards/E001/", fetch_redirect_response=False)
        self.assertIsNotNone(Notice.objects.get(pk=notice.pk).read_at)
        self.assertNotIn("badge badge-bottom", self.client.get("/inbox/").content.decode())

    def test_the_inbox_speaks_english_when_asked(self):
        self.client.force_login(self.alice_user)
        self.addCleanup(translation.deactivate)  # the request leaves English active in this thread
        page = self.client.get("/inbox/", headers={"accept-language": "en"}).content.decode()
        self.assertIn("Results for October 2026 are published", page)

    def test_a_branch_head_reads_their_reminder_and_marks_everything_read(self):
        self.client.force_login(self.hugo)
        self.assertIn("待签核", self.client.get("/inbox/").content.decode())
        self.client.post("/inbox/read-all/")
        self.assertFalse(Notice.objects.filter(user=self.hugo, read_at__isnull=True).exists())
        self.assertTrue(Notice.objects.filter(user=self.hedda, read_at__isnull=True).exists())


class GroupRobotTests(NoticeTestCase):
    def robot(self, *statuses) -> Robot:
        robot = Robot(*statuses)
        self.addCleanup(robot.close)
        self.enterContext(override_settings(WECOM_WEBHOOK_URL=robot.url))
        return robot

    def test_the_group_gets_one_short_notice_per_event_mentioning_the_staff_who_gave_an_account(self):
        robot = self.robot()
        self.publish()
        period_published = [post for post in robot.posts if "已发布" in post["text"]["content"]]
        self.assertEqual(len(period_published), 1)
        self.assertEqual(period_published[0]["msgtype"], "text")
        self.assertEqual(period_published[0]["text"]["mentioned_list"], ["zhangli"])
        self.assertIn(f"{SITE}/me/", period_published[0]["text"]["content"])
        with self.captureOnCommitCallbacks(execute=True):
            notify.period_published(period=Period.objects.get(month=OCTOBER))
        self.assertEqual(len([post for post in robot.posts if "已发布" in post["text"]["content"]]), 1)

    def test_a_failing_robot_holds_up_neither_the_month_nor_the_mail_and_is_retried(self):
        robot = self.robot(500, 500, 500)  # the sign-off reminder's post, then the publication's twice
        period = self.publish()
        self.assertEqual(period.status, "reviewed")
        self.assertEqual(len(mail.outbox), 2)
        post = Notice.objects.get(kind=NoticeKind.PERIOD_PUBLISHED, staff__isnull=True, user__isnull=True)
        self.assertIsNone(post.wecom_sent_at)
        self.assertIn("wecom", post.last_error)
        deliver.apply(args=[post.pk], throw=False)  # as on a worker: 500 once more, retried, then ok
        post.refresh_from_db()
        self.assertIsNotNone(post.wecom_sent_at)
        self.assertEqual((post.attempts, post.last_error), (3, ""))
        self.assertEqual(len(robot.posts), 4)
        self.assertEqual(len(mail.outbox), 2)

    def test_send_notices_sends_what_is_still_unsent_and_nothing_else(self):
        robot = self.robot(500, 500)  # the reminder's post and the publication's fail
        self.publish()
        mail.outbox.clear()
        output = io.StringIO()
        call_command("send_notices", stdout=output)
        self.assertIn("已交付发送 2 条通知", output.getvalue())
        self.assertEqual(len(robot.posts), 4)
        self.assertFalse(Notice.objects.filter(staff__isnull=True, user__isnull=True, wecom_sent_at__isnull=True))
        self.assertEqual(mail.outbox, [])
        call_command("send_notices", stdout=output)
        self.assertEqual(len(robot.posts), 4)
