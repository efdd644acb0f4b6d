import sys

from django.core.management.base import BaseCommand, CommandError

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
                raise CommandError("--password-stdin was given but standard input held no password.")
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
            Role.HR: "the whole bank",
            Role.BRANCH_HEAD: f"branch {membership.branch} and everything under it",
            Role.LOBBY_MANAGER: f"only {membership.staff}",
        }[membership.role]
        verb = "Created" if created else "Updated"
        self.stdout.write(f"{verb} sign-in {user.username!r}: {membership.get_role_display()}, sees {scope}.")
        if password is not None:
            self.stdout.write("Password set.")
        elif not user.has_usable_password():
            self.stdout.write(
                "It has no usable password, so it cannot sign in yet: run again with --password-stdin to set one."
            )
