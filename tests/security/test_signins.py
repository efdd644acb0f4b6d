"""Sign-ins: passwords pass Django's validators wherever they are set, an address guessing across
many user names is locked, and HR manages sign-ins in the console (and only HR)."""

import io

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.management import CommandError, call_command
from django.test import Client, TestCase, override_settings
from django.urls import reverse
from django.utils import translation

from audit.models import Change
from demo.seed import DEMO_PASSWORD
from staff.models import Membership, Role
from tests.console.base import BaseTestCase

User = get_user_model()
GOOD_PASSWORD = "Qiantang-river-2026"
# Hashing is slow on purpose; these tests sign in a hundred times.
FAST_HASHER = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])


def grant_role(*args, password: str) -> str:
    out = io.StringIO()
    call_command("grant_role", *args, "--password-stdin", stdin=io.StringIO(password + "\n"), stdout=out)
    return out.getvalue()


@FAST_HASHER
class GrantRolePasswordTests(TestCase):
    def assert_refused(self, username: str, password: str, *, says: str):
        with self.assertRaises(CommandError) as refused:
            grant_role(username, "--role", "hr", password=password)
        self.assertIn(says, str(refused.exception))
        self.assertFalse(User.objects.filter(username=username).exists())

    def test_it_refuses_a_short_numeric_password_in_chinese(self):
        with translation.override("zh-hans"):
            self.assert_refused("hr-li", "12345678", says="密码")
            self.assert_refused("hr-li", "12345678", says="10")

    def test_it_refuses_a_common_password(self):
        with translation.override("en"):
            self.assert_refused("hr-li", "password", says="too short")
            self.assert_refused("hr-li", "password123", says="too common")

    def test_it_refuses_an_all_digit_password_of_any_length(self):
        with translation.override("en"):
            self.assert_refused("hr-li", "8264019375", says="entirely numeric")

    def test_it_refuses_a_repeated_letter(self):
        with translation.override("en"):
            self.assert_refused("hr-li", "aaaaaaaa", says="too short")

    def test_it_refuses_the_user_name_as_password(self):
        with translation.override("en"):
            self.assert_refused("wangting-xihu", "wangting-xihu", says="too similar to the username")

    def test_it_accepts_a_good_password(self):
        output = grant_role("hr-li", "--role", "hr", password=GOOD_PASSWORD)
        self.assertIn("密码已设置。", output)  # the command speaks Chinese by default
        self.assertTrue(User.objects.get(username="hr-li").check_password(GOOD_PASSWORD))

    def test_the_demo_password_is_a_valid_password_for_every_demo_user_name(self):
        for username in ("hr", "head-101010", "E10001", "L0042"):
            validate_password(DEMO_PASSWORD, User(username=username))  # raises if refused


@FAST_HASHER
class AddressLimitTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.hana = User.objects.create_user("hana", password=GOOD_PASSWORD)
        Membership.objects.create(user=cls.hana, role=Role.HR)

    def wrong(self, username, address="10.0.0.66"):
        return self.client.post(
            reverse("login"), {"username": username, "password": "not-the-password"}, REMOTE_ADDR=address
        )

    def sign_in(self, address="10.0.0.66"):
        return self.client.post(reverse("login"), {"username": "hana", "password": GOOD_PASSWORD}, REMOTE_ADDR=address)

    def test_48_wrong_passwords_over_12_user_names_lock_the_address(self):
        for number in range(12):
            for _try in range(4):
                self.wrong(f"guess-{number:02d}")
        response = self.sign_in()
        self.assertEqual(response.status_code, 429)
        self.assertContains(response, "登录已暂时锁定", status_code=429)

    def test_the_locked_address_does_not_lock_another_address(self):
        for number in range(12):
            for _try in range(4):
                self.wrong(f"guess-{number:02d}")
        response = self.sign_in(address="10.0.0.7")
        self.assertRedirects(response, "/", fetch_redirect_response=False)

    def test_a_few_typos_by_colleagues_sharing_an_address_lock_nobody_else(self):
        for number in range(3):
            for _try in range(4):
                self.wrong(f"colleague-{number}")
        response = self.sign_in()
        self.assertRedirects(response, "/", fetch_redirect_response=False)

    def test_five_wrong_passwords_for_one_user_name_still_lock_that_user_name(self):
        for _try in range(5):
            self.wrong("hana")
        self.assertEqual(self.sign_in().status_code, 429)


@FAST_HASHER
class SigninConsoleTests(BaseTestCase):
    def signin_urls(self, user):
        return [
            ("get", reverse("console:signins"), {}),
            ("get", reverse("console:signin_new"), {}),
            ("get", reverse("console:signin", args=[user.pk]), {}),
            ("post", reverse("console:signin_new"), {"username": "x", "role": "hr"}),
            ("post", reverse("console:signin_scope", args=[user.pk]), {"role": "hr"}),
            ("post", reverse("console:signin_password", args=[user.pk]), {"password1": GOOD_PASSWORD}),
            ("post", reverse("console:signin_active", args=[user.pk]), {"active": "0"}),
        ]

    def test_a_branch_head_and_a_lobby_manager_get_403_everywhere(self):
        for persona in (self.head_user, self.alice_user):
            self.sign_in(persona)
            for method, url, data in self.signin_urls(self.olivia_user):
                response = getattr(self.client, method)(url, data)
                self.assertEqual(response.status_code, 403, f"{persona} {method} {url}")
        self.olivia_user.refresh_from_db()
        self.assertTrue(self.olivia_user.is_active)
        self.assertTrue(self.olivia_user.check_password("pw-olivia-123"))
        self.assertFalse(User.objects.filter(username="x").exists())

    def test_a_visitor_is_sent_to_sign_in(self):
        self.sign_in(None)
        response = self.client.get(reverse("console:signins"))
        self.assertEqual(response.status_code, 302)
        self.assertIn(reverse("login"), response["Location"])

    def test_hr_sees_every_sign_in_and_can_filter_them(self):
        self.sign_in(self.hr_user)
        response = self.client.get(reverse("console:signins"))
        for username in ("hana", "hugo", "alice", "olivia"):
            self.assertContains(response, username)
        response = self.client.get(reverse("console:signins"), {"role": "branch_head"})
        self.assertContains(response, "hugo")
        self.assertNotContains(response, ">olivia<")

    def test_the_list_costs_a_fixed_number_of_queries(self):
        self.sign_in(self.hr_user)
        self.client.get(reverse("console:signins"))
        for number in range(5):
            user = User.objects.create_user(f"extra-{number}")
            Membership.objects.create(user=user, role=Role.BRANCH_HEAD, branch=self.tree["sub_a"])
        # session, the user (with membership and unread notices), count, the page of sign-ins
        with self.assertNumQueries(4):
            self.client.get(reverse("console:signins"))

    def test_the_navigation_shows_sign_ins_to_hr_only_and_password_change_to_everyone(self):
        self.sign_in(self.hr_user)
        self.assertContains(self.client.get("/"), reverse("console:signins"))
        self.sign_in(self.head_user)
        response = self.client.get("/")
        self.assertNotContains(response, reverse("console:signins"))
        self.assertContains(response, reverse("console:password_change"))

    def test_hr_creates_a_branch_head_with_a_validated_password_and_it_is_recorded(self):
        self.sign_in(self.hr_user)
        data = {"username": "head-b", "role": "branch_head", "branch_code": self.tree["sub_b"].code}
        response = self.client.post(
            reverse("console:signin_new"), {**data, "password1": "12345678", "password2": "12345678"}
        )
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "errorlist")
        self.assertFalse(User.objects.filter(username="head-b").exists())

        response = self.client.post(
            reverse("console:signin_new"), {**data, "password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD}
        )
        user = User.objects.get(username="head-b")
        self.assertRedirects(response, reverse("console:signin", args=[user.pk]), fetch_redirect_response=False)
        self.assertEqual((user.membership.role, user.membership.branch), (Role.BRANCH_HEAD, self.tree["sub_b"]))
        self.assertTrue(user.check_password(GOOD_PASSWORD))
        change = Change.objects.get(object_id=str(user.membership.pk), content_type__model="membership")
        self.assertEqual((change.action, change.user, change.source), ("create", self.hr_user, "console"))

    def test_creating_an_existing_user_name_is_refused(self):
        self.sign_in(self.hr_user)
        response = self.client.post(
            reverse("console:signin_new"),
            {"username": "hugo", "role": "hr", "password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD},
        )
        self.assertContains(response, "已被使用")
        self.assertEqual(Membership.objects.get(user=self.head_user).role, Role.BRANCH_HEAD)

    def test_a_branch_head_needs_a_branch_code(self):
        self.sign_in(self.hr_user)
        response = self.client.post(
            reverse("console:signin_new"),
            {"username": "head-x", "role": "branch_head", "password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD},
        )
        self.assertContains(response, "机构负责人需要填写机构号")
        self.assertFalse(User.objects.filter(username="head-x").exists())

    def test_hr_changes_a_role_and_scope_and_it_is_recorded(self):
        self.sign_in(self.hr_user)
        url = reverse("console:signin_scope", args=[self.head_user.pk])
        response = self.client.post(url, {"role": "branch_head", "branch_code": self.tree["sub_b"].code})
        self.assertRedirects(
            response, reverse("console:signin", args=[self.head_user.pk]), fetch_redirect_response=False
        )
        membership = Membership.objects.get(user=self.head_user)
        self.assertEqual(membership.branch, self.tree["sub_b"])
        change = Change.objects.filter(object_id=str(membership.pk), content_type__model="membership").get()
        self.assertEqual(change.fields["branch"], [self.tree["sub_a"].code, self.tree["sub_b"].code])
        self.assertEqual(change.user, self.hr_user)

    def test_an_unknown_branch_is_refused_with_a_message(self):
        self.sign_in(self.hr_user)
        url = reverse("console:signin_scope", args=[self.head_user.pk])
        response = self.client.post(url, {"role": "branch_head", "branch_code": "999999"}, follow=True)
        self.assertContains(response, "没有机构号为 999999 的机构")
        self.assertEqual(Membership.objects.get(user=self.head_user).branch, self.tree["sub_a"])

    def test_an_unknown_employee_number_is_refused_on_the_form(self):
        self.sign_in(self.hr_user)
        response = self.client.post(
            reverse("console:signin_new"),
            {
                "username": "E404",
                "role": "lobby_manager",
                "employee_no": "E404",
                "password1": GOOD_PASSWORD,
                "password2": GOOD_PASSWORD,
            },
        )
        self.assertContains(response, "没有员工编号为 E404 的员工")
        self.assertFalse(User.objects.filter(username="E404").exists())

    def test_hr_disables_a_sign_in_which_then_cannot_sign_in(self):
        self.sign_in(self.hr_user)
        self.client.post(reverse("console:signin_active", args=[self.olivia_user.pk]), {"active": "0"})
        self.olivia_user.refresh_from_db()
        self.assertFalse(self.olivia_user.is_active)
        self.assertTrue(Change.objects.filter(fields__is_active=[True, False], user=self.hr_user).exists())
        anonymous = Client()
        response = anonymous.post(reverse("login"), {"username": "olivia", "password": "pw-olivia-123"})
        self.assertEqual(response.status_code, 200)  # the form again, not signed in
        self.assertNotIn("_auth_user_id", anonymous.session)

    def test_hr_cannot_disable_themself(self):
        self.sign_in(self.hr_user)
        response = self.client.post(
            reverse("console:signin_active", args=[self.hr_user.pk]), {"active": "0"}, follow=True
        )
        self.assertContains(response, "不能停用自己的账号")
        self.hr_user.refresh_from_db()
        self.assertTrue(self.hr_user.is_active)

    def test_hr_resets_a_password_through_the_validators_and_it_is_recorded_without_the_value(self):
        self.sign_in(self.hr_user)
        url = reverse("console:signin_password", args=[self.alice_user.pk])
        self.client.post(url, {"password1": "alice", "password2": "alice"})
        self.alice_user.refresh_from_db()
        self.assertTrue(self.alice_user.check_password("pw-alice-123"))
        self.client.post(url, {"password1": GOOD_PASSWORD, "password2": GOOD_PASSWORD})
        self.alice_user.refresh_from_db()
        self.assertTrue(self.alice_user.check_password(GOOD_PASSWORD))
        change = Change.objects.get(reason="重置密码", user=self.hr_user)
        self.assertNotIn(GOOD_PASSWORD, str(change.fields) + change.reason)

    def test_the_actions_need_the_csrf_token(self):
        client = Client(enforce_csrf_checks=True)
        client.force_login(self.hr_user)
        response = client.post(reverse("console:signin_active", args=[self.olivia_user.pk]), {"active": "0"})
        self.assertEqual(response.status_code, 403)
        self.olivia_user.refresh_from_db()
        self.assertTrue(self.olivia_user.is_active)


@FAST_HASHER
class OwnPasswordTests(BaseTestCase):
    def test_a_lobby_manager_changes_their_own_password(self):
        self.sign_in(self.alice_user)
        url = reverse("console:password_change")
        self.assertEqual(self.client.get(url).status_code, 200)
        response = self.client.post(
            url, {"old_password": "pw-alice-123", "new_password1": GOOD_PASSWORD, "new_password2": GOOD_PASSWORD}
        )
        self.assertEqual(response.status_code, 302)
        self.alice_user.refresh_from_db()
        self.assertTrue(self.alice_user.check_password(GOOD_PASSWORD))
        self.assertTrue(Change.objects.filter(user=self.alice_user, reason="本人修改密码").exists())
        self.assertEqual(self.client.get("/me/").status_code, 200)  # still signed in

    def test_a_weak_new_password_is_refused(self):
        self.sign_in(self.alice_user)
        response = self.client.post(
            reverse("console:password_change"),
            {"old_password": "pw-alice-123", "new_password1": "12345678", "new_password2": "12345678"},
        )
        self.assertEqual(response.status_code, 200)
        self.alice_user.refresh_from_db()
        self.assertTrue(self.alice_user.check_password("pw-alice-123"))
