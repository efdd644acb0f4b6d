import sys

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from staff.models import Role
from staff.roles import RoleGrantError, membership_grant


class Command(BaseCommand):
    help = (
        "Creates or updates a sign-in: HR sees everything, a branch head the subtree of --branch, "
        "a lobby manager only the staff member --employee."
    )
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--branch", metavar="CODE", help="the branch a branch head looks after")
        parser.add_argument("--employee", metavar="NO", help="the staff member a lobby manager is")
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="read the password from standard input (one line), e.g. from a secret store",
        )

    def handle(self, *args, **options):
        password = None
        if options["password_stdin"]:
            stdin = options.get("stdin") or sys.stdin
            password = stdin.readline().rstrip("\r\n")
            if not password:
                raise CommandError(_("给了 --password-stdin，但标准输入中没有密码。"))
        try:
            user, created = membership_grant(
                username=options["username"],
                role=options["role"],
                branch_code=options["branch"],
                employee_no=options["employee"],
                password=password,
            )
        except RoleGrantError as error:
            raise CommandError(str(error))
        membership = user.membership
        scope = {
            Role.HR: _("全行"),
            Role.BRANCH_HEAD: _("%(branch)s 及其下属机构") % {"branch": membership.branch},
            Role.LOBBY_MANAGER: _("仅 %(staff)s 本人") % {"staff": membership.staff},
        }[membership.role]
        message = (
            _("已新建登录账号 %(username)s：%(role)s，可见范围：%(scope)s。")
            if created
            else _("已更新登录账号 %(username)s：%(role)s，可见范围：%(scope)s。")
        )
        self.stdout.write(message % {"username": user.username, "role": membership.get_role_display(), "scope": scope})
        if password is not None:
            self.stdout.write(_("密码已设置。"))
        elif not user.has_usable_password():
            self.stdout.write(_("该账号还没有可用的密码，暂时无法登录：请加 --password-stdin 再运行一次以设置密码。"))
