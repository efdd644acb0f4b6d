from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from notices.services import notices_send_pending


class Command(BaseCommand):
    help = "Delivers again every notice whose mail or 企业微信 post has not gone out (e.g. from cron)."

    def handle(self, *args, **options):
        count = notices_send_pending()
        self.stdout.write(_("已交付发送 %(count)d 条通知") % {"count": count})
