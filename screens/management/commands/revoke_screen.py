from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from appraisals.models import Screen
from screens.services import ScreenError, screen_revoke


class Command(BaseCommand):
    help = "Stops a lobby display screen for good: its address answers 404 from now on."

    def add_arguments(self, parser):
        parser.add_argument("name", help="the screen's name, as given to create_screen")

    def handle(self, *args, name, **options):
        screen = Screen.objects.filter(name=name, revoked_at__isnull=True).first()
        if screen is None:
            raise CommandError(_("没有名为 %(name)s 的在用大屏") % {"name": name})
        try:
            screen = screen_revoke(screen=screen)
        except ScreenError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            _("大屏 %(name)s 已于 %(when)s 停用。")
            % {"name": screen.name, "when": f"{timezone.localtime(screen.revoked_at):%Y-%m-%d %H:%M}"}
        )
