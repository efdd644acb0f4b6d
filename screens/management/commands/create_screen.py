from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from appraisals.models import NameStyle
from screens.selectors import screen_url
from screens.services import ScreenError, screen_create
from staff.models import Branch


class Command(BaseCommand):
    help = (
        "Makes a lobby display screen for a branch's subtree and prints its address once: only a "
        "hash of its token is stored, so keep the address (CONTRACT.md §2)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--branch", required=True, help="branch code (机构号); the screen shows its subtree")
        parser.add_argument("--name", required=True, help="a name people recognise, e.g. 西湖支行大堂")
        parser.add_argument("--top", type=int, default=10, help="people per board (default 10)")
        parser.add_argument("--rotate", type=int, default=15, help="seconds per board (default 15)")
        parser.add_argument("--poll", type=int, default=30, help="seconds between refreshes (default 30)")
        parser.add_argument("--deposits", action="store_true", help="also show the deposits board (off by default)")
        parser.add_argument("--surname", action="store_true", help="show surname + 经理 instead of full names")

    def handle(self, *args, branch, name, top, rotate, poll, deposits, surname, **options):
        place = Branch.objects.filter(code=branch).first()
        if place is None:
            raise CommandError(_("没有机构号为 %(code)s 的机构") % {"code": branch})
        try:
            screen, token = screen_create(
                branch=place,
                name=name,
                top_n=top,
                rotate_seconds=rotate,
                poll_seconds=poll,
                show_deposits=deposits,
                name_style=NameStyle.SURNAME if surname else NameStyle.FULL,
            )
        except ScreenError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            _("已为 %(place)s（%(code)s）新建大屏 %(name)s。")
            % {"place": place.name, "code": place.code, "name": screen.name}
        )
        self.stdout.write(_("请在大堂电视上打开这个地址。它只显示这一次，系统只保存其哈希值："))
        self.stdout.write(screen_url(token))
