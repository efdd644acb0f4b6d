from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.translation import gettext as _

from api.models import ApiClient
from api.services import ApiClientError, api_client_revoke


class Command(BaseCommand):
    help = "Stops a client of the API for good: its token answers 401 from now on."

    def add_arguments(self, parser):
        parser.add_argument("name", help="the client's name, as given to create_api_client")

    def handle(self, *args, name, **options):
        client = ApiClient.objects.filter(name=name).first()
        if client is None:
            raise CommandError(_("没有名为 %(name)s 的接口客户端") % {"name": name})
        try:
            client = api_client_revoke(client=client)
        except ApiClientError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            _("接口客户端 %(name)s 已于 %(when)s 停用。")
            % {"name": client.name, "when": f"{timezone.localtime(client.revoked_at):%Y-%m-%d %H:%M}"}
        )
