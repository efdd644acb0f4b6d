from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from appraisals.models import Screen
from screens.services import ScreenError, screen_revoke


class Command(BaseCommand):
    help = "Stops a lobby display screen for good: its address answers 404 from now on."

    def add_arguments(self, parser):
        parser.add_argument("name", help="the screen's name, as given to create_screen")

    def handle(self, *args, name, **options):
        screen = Screen.objects.filter(name=name, revoked_at__isnull=True).first()
        if screen is None:
            raise CommandError(f"no screen in use is named {name!r}")
        try:
            screen = screen_revoke(screen=screen)
        except ScreenError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Screen {screen.name!r} revoked at {timezone.localtime(screen.revoked_at):%Y-%m-%d %H:%M}.")
