import io

from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import TestCase
from django.utils import translation

from audit.models import Change
from staff.models import Branch, Membership, Role, Staff
from staff.roles import Grant, RoleGrantError, membership_grant, memberships_create_bulk

User = get_user_model()


class GrantRoleTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        cls.head_office = Branch.objects.create(code="100000", name="总行", level="head_office", path="/100000/")
        cls.hangzhou = Branch.objects.create(
            code="101000", name="杭州分行", level="branch", parent=cls.head_office, path="/100000/101000/"
        )
        cls.xihu = Branch.objects.create(
            code="101010", name="西湖支行", level="sub_branch", parent=cls.hangzhou,
            path="/100000/101000/101010/",
        )  # fmt: skip
        cls.alice = Staff.objects.create(
            employee_no="E10001", name="王婷", branch=cls.xihu, position="lobby_manager",
            position_since="2024-03-01",
        )  # fmt: skip

    def setUp(self):
        super().setUp()
        self.enterContext(translation.override("en"))  # GrantRoleInChineseTests reads the default

    def grant(self, *args, stdin: str | None = None) -> str:
        out = io.StringIO()
        options = {"stdout": out}
        if stdin is not None:
            options["stdin"] = io.StringIO(stdin)
        call_command("grant_role", *args, **options)
        return out.getvalue()

    def test_it_creates_an_hr_sign_in_without_a_usable_password_and_says_so(self):
        output = self.grant("hr-li", "--role", "hr")
        user = User.objects.get(username="hr-li")
        self.assertEqual(user.membership.role, Role.HR)
        self.assertFalse(user.has_usable_password())
        self.assertIn("Created", output)
        self.assertIn("no usable password", output)
        self.assertIn("--password-stdin", output)

    def test_it_grants_a_branch_head_the_branch_given(self):
        self.grant("head-xihu", "--role", "branch_head", "--branch", "101010")
        membership = Membership.objects.get(user__username="head-xihu")
        self.assertEqual((membership.role, membership.branch, membership.staff), (Role.BRANCH_HEAD, self.xihu, None))

    def test_it_grants_a_lobby_manager_their_own_staff_member(self):
        output = self.grant("E10001", "--role", "lobby_manager", "--employee", "E10001")
        membership = Membership.objects.get(user__username="E10001")
        self.assertEqual((membership.role, membership.staff, membership.branch), (Role.LOBBY_MANAGER, self.alice, None))
        self.assertIn("王婷", output)

    def test_it_refuses_an_unknown_branch(self):
        with self.assertRaisesMessage(CommandError, "Unknown branch 999999"):
            self.grant("head-x", "--role", "branch_head", "--branch", "999999")
        self.assertFalse(User.objects.filter(username="head-x").exists())

    def test_it_refuses_an_unknown_employee(self):
        with self.assertRaisesMessage(CommandError, "Unknown employee E99999"):
            self.grant("E99999", "--role", "lobby_manager", "--employee", "E99999")
        self.assertFalse(User.objects.filter(username="E99999").exists())

    def test_it_refuses_a_branch_head_without_a_branch_and_a_lobby_manager_without_an_employee(self):
        with self.assertRaisesMessage(CommandError, "needs --branch"):
            self.grant("head-x", "--role", "branch_head")
        with self.assertRaisesMessage(CommandError, "needs --employee"):
            self.grant("lm-x", "--role", "lobby_manager")

    def test_it_refuses_a_scope_that_does_not_fit_the_role(self):
        with self.assertRaisesMessage(CommandError, "--branch is only for the branch_head role"):
            self.grant("hr-x", "--role", "hr", "--branch", "101010")

    def test_it_refuses_an_unknown_role(self):
        with self.assertRaises(CommandError):
            self.grant("x", "--role", "president")
        with self.assertRaisesMessage(RoleGrantError, "Unknown role president"):
            membership_grant(username="x", role="president")

    def test_password_stdin_sets_a_usable_password(self):
        output = self.grant("hr-li", "--role", "hr", "--password-stdin", stdin="correct horse battery\n")
        user = User.objects.get(username="hr-li")
        self.assertTrue(user.check_password("correct horse battery"))
        self.assertIn("Password set", output)

    def test_password_stdin_refuses_an_empty_or_too_short_password(self):
        with self.assertRaisesMessage(CommandError, "held no password"):
            self.grant("hr-li", "--role", "hr", "--password-stdin", stdin="\n")
        with self.assertRaisesMessage(CommandError, "too short"):
            self.grant("hr-li", "--role", "hr", "--password-stdin", stdin="abc\n")
        self.assertFalse(User.objects.filter(username="hr-li").exists())

    def test_running_it_again_updates_the_sign_in_instead_of_duplicating_it(self):
        self.grant("zhang", "--role", "hr", "--password-stdin", stdin="first-password\n")
        output = self.grant("zhang", "--role", "branch_head", "--branch", "101010")
        self.assertIn("Updated", output)
        self.assertEqual(User.objects.filter(username="zhang").count(), 1)
        self.assertEqual(Membership.objects.filter(user__username="zhang").count(), 1)
        user = User.objects.get(username="zhang")
        self.assertEqual((user.membership.role, user.membership.branch), (Role.BRANCH_HEAD, self.xihu))
        self.assertTrue(user.check_password("first-password"), "no new password keeps the old one")

    def test_each_grant_and_change_of_scope_is_in_the_history(self):
        self.grant("zhang", "--role", "hr")
        self.grant("zhang", "--role", "branch_head", "--branch", "101010")
        self.grant("zhang", "--role", "branch_head", "--branch", "101010")  # no change, no history
        changes = list(Change.objects.order_by("id").values_list("action", "fields"))
        self.assertEqual(len(changes), 2)
        self.assertEqual(changes[1], ("update", {"role": ["hr", "branch_head"], "branch": [None, "101010"]}))

    def test_the_bulk_grant_gives_everyone_the_same_working_password(self):
        created = memberships_create_bulk(
            grants=[Grant("hr", Role.HR), Grant("head-101010", Role.BRANCH_HEAD, branch_id=self.xihu.pk),
                    Grant("E10001", Role.LOBBY_MANAGER, staff_id=self.alice.pk)],
            password="lobbystar-demo",
        )  # fmt: skip
        self.assertEqual(created, 3)
        for username in ("hr", "head-101010", "E10001"):
            self.assertTrue(User.objects.get(username=username).check_password("lobbystar-demo"))
        self.assertEqual(User.objects.get(username="E10001").membership.staff, self.alice)


class GrantRoleInChineseTests(TestCase):
    """The command speaks Chinese unless asked otherwise (LANGUAGE_CODE is zh-hans)."""

    setUpTestData = classmethod(GrantRoleTests.setUpTestData.__func__)
    grant = GrantRoleTests.grant

    def test_its_output_and_errors_are_chinese(self):
        output = self.grant("hr-li", "--role", "hr")
        self.assertIn("已新建登录账号 hr-li：人力资源部，可见范围：全行。", output)
        self.assertIn("该账号还没有可用的密码", output)
        self.assertIn(
            "密码已设置。", self.grant("hr-wang", "--role", "hr", "--password-stdin", stdin="correct horse battery\n")
        )
        for args, message in (
            (("head-x", "--role", "branch_head", "--branch", "999999"), "未知机构 999999：没有这个机构号。"),
            (("E99999", "--role", "lobby_manager", "--employee", "E99999"), "未知员工 E99999：没有这个员工编号。"),
            (("head-y", "--role", "branch_head"), "机构负责人须指定 --branch 机构号"),
            (("hr-z", "--role", "hr", "--branch", "101010"), "--branch 只用于 branch_head（机构负责人）角色"),
        ):
            with self.subTest(args=args), self.assertRaisesMessage(CommandError, message):
                self.grant(*args)
        with self.assertRaisesMessage(CommandError, "给了 --password-stdin，但标准输入中没有密码。"):
            self.grant("hr-q", "--role", "hr", "--password-stdin", stdin="\n")
