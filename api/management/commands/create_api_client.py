from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from api.models import Scope
from api.services import ApiClientError, api_client_create


class Command(BaseCommand):
    help = (
        "Makes a client of the API (CONTRACT.md §5) and prints its token once: only a hash of it "
        "is stored, so hand it to the calling system now."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="the calling system, e.g. core-banking")
        parser.add_argument("--scopes", required=True, help=f"comma-separated: {', '.join(Scope.values)}")
        parser.add_argument(
            "--allow-from", default="", help="comma-separated addresses or networks (10.1.0.0/16); default: any"
        )

    def handle(self, *args, name, scopes, allow_from, **options):
        try:
            client, token = api_client_create(name=name, scopes=scopes, allow_from=allow_from)
        except ApiClientError as error:
            raise CommandError(str(error)) from None
        where = ", ".join(client.allowed_from) or _("任意地址")
        self.stdout.write(
            _("已新建接口客户端 %(name)s，权限 %(scopes)s，来源 %(where)s。")
            % {"name": client.name, "scopes": ", ".join(client.scopes), "where": where}
        )
        self.stdout.write(_("它的令牌只显示这一次（请以 Authorization: Bearer <令牌> 发送）："))
        self.stdout.write(token)
