from django.core.management.base import BaseCommand, CommandError

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
        where = ", ".join(client.allowed_from) or "any address"
        self.stdout.write(f"API client {client.name!r} created with {', '.join(client.scopes)} from {where}.")
        self.stdout.write("Its token, shown only now (send it as Authorization: Bearer <token>):")
        self.stdout.write(token)
