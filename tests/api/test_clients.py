"""Making and revoking clients: by command and in HR's console; the token is shown once."""

import io

from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import TestCase

from api.models import ApiClient
from api.services import token_hash
from audit.models import Change
from staff.models import Membership, Role
from tests import factories


class CommandTests(TestCase):
    def test_create_api_client_prints_the_token_once_and_stores_its_hash(self):
        out = io.StringIO()
        call_command("create_api_client", "core-banking", "--scopes", "records:write,organisation:write", stdout=out)
        token = out.getvalue().strip().splitlines()[-1]
        client = ApiClient.objects.get(name="core-banking")
        self.assertEqual(client.token_hash, token_hash(token))
        self.assertEqual(client.scopes, ["organisation:write", "records:write"])
        self.assertEqual(client.allowed_from, [])
        self.assertGreaterEqual(len(token), 43)  # 32 random bytes

    def test_create_api_client_takes_addresses_and_networks(self):
        call_command(
            "create_api_client",
            "payroll",
            "--scopes",
            "scorecards:read",
            "--allow-from",
            "10.1.0.0/16, 10.2.3.4",
            stdout=io.StringIO(),
        )
        self.assertEqual(ApiClient.objects.get().allowed_from, ["10.1.0.0/16", "10.2.3.4/32"])

    def test_create_api_client_refuses_an_unknown_scope_a_bad_address_and_a_taken_name(self):
        call_command("create_api_client", "crm", "--scopes", "records:write", stdout=io.StringIO())
        for arguments in (
            ["erp", "--scopes", "records:delete"],
            ["erp", "--scopes", "records:write", "--allow-from", "10.1.0.300"],
            ["crm", "--scopes", "records:write"],
        ):
            with self.subTest(arguments=arguments), self.assertRaises(CommandError):
                call_command("create_api_client", *arguments, stdout=io.StringIO())
        self.assertEqual(ApiClient.objects.count(), 1)

    def test_revoke_api_client_stops_the_client_and_says_so_in_the_history(self):
        call_command("create_api_client", "crm", "--scopes", "records:write", stdout=io.StringIO())
        call_command("revoke_api_client", "crm", stdout=io.StringIO())
        self.assertIsNotNone(ApiClient.objects.get().revoked_at)
        self.assertEqual(Change.objects.filter(source="api_client_revoke").count(), 1)
        with self.assertRaises(CommandError):
            call_command("revoke_api_client", "crm", stdout=io.StringIO())
        with self.assertRaises(CommandError):
            call_command("revoke_api_client", "nobody", stdout=io.StringIO())


class ConsoleTests(TestCase):
    """Hana works in HR; Hugo heads a sub-branch and must not manage the API's clients."""

    @classmethod
    def setUpTestData(cls):
        tree = factories.bank_tree()
        User = get_user_model()
        cls.hana = User.objects.create_user("hana", password="pw-hana-123")
        Membership.objects.create(user=cls.hana, role=Role.HR)
        cls.hugo = User.objects.create_user("hugo", password="pw-hugo-123")
        Membership.objects.create(user=cls.hugo, role=Role.BRANCH_HEAD, branch=tree["sub_a"])

    def test_hr_creates_a_client_and_sees_its_token_once(self):
        self.client.force_login(self.hana)
        response = self.client.post(
            "/api-clients/", {"name": "warehouse", "scopes": ["scorecards:read"], "allow_from": "10.0.0.0/8"}
        )
        self.assertEqual(response.status_code, 200)
        token = response.context["new_token"]
        client = ApiClient.objects.get(name="warehouse")
        self.assertEqual(client.token_hash, token_hash(token))
        self.assertContains(response, token)
        self.assertEqual(Change.objects.get(source="api_client_create").user, self.hana)
        again = self.client.get("/api-clients/")
        self.assertNotContains(again, token)
        self.assertContains(again, "warehouse")

    def test_hr_revokes_a_client(self):
        self.client.force_login(self.hana)
        self.client.post("/api-clients/", {"name": "crm", "scopes": ["records:write"]})
        client = ApiClient.objects.get(name="crm")
        response = self.client.post(f"/api-clients/{client.pk}/revoke/")
        self.assertRedirects(response, "/api-clients/")
        client.refresh_from_db()
        self.assertIsNotNone(client.revoked_at)

    def test_a_branch_head_may_neither_see_nor_make_clients(self):
        self.client.force_login(self.hugo)
        self.assertEqual(self.client.get("/api-clients/").status_code, 403)
        self.client.post("/api-clients/", {"name": "crm", "scopes": ["records:write"]})
        self.assertFalse(ApiClient.objects.exists())
