from django.core.management.base import BaseCommand

from notices.services import notices_send_pending


class Command(BaseCommand):
    help = "Delivers again every notice whose mail or 企业微信 post has not gone out (e.g. from cron)."

    def handle(self, *args, **options):
        count = notices_send_pending()
        self.stdout.write(f"{count} notices handed over for delivery")
