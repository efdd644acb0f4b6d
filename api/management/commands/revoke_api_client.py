from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from api.models import ApiClient
from api.services import ApiClientError, api_client_revoke


class Command(BaseCommand):
    help = "Stops a client of the API for good: its token answers 401 from now on."

    def add_arguments(self, parser):
        parser.add_argument("name", help="the client's name, as given to create_api_client")

    def handle(self, *args, name, **options):
        client = ApiClient.objects.filter(name=name).first()
        if client is None:
            raise CommandError(f"no API client is named {name!r}")
        try:
            client = api_client_revoke(client=client)
        except ApiClientError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"API client {client.name!r} revoked at {timezone.localtime(client.revoked_at):%Y-%m-%d %H:%M}."
        )
