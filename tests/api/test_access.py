"""Who may call what: every endpoint without a token, with a token that lacks the scope, and
with the right one; revoked tokens and addresses the client may not use."""

from api.models import ApiClient
from api.services import api_client_create, api_client_revoke
from tests.api.base import ApiTestCase

# (method, path, body, the token's name that has the scope, one that lacks it)
ENDPOINTS = [
    ("get", "/api/v1/months/", None, "read_token", "records_token"),
    ("get", "/api/v1/months/2026-10/scorecards/", None, "read_token", "organisation_token"),
    ("get", "/api/v1/staff/E001/scorecards/", None, "read_token", "records_token"),
    ("post", "/api/v1/records/deposits/?dry_run=true", "deposit", "records_token", "organisation_token"),
    ("post", "/api/v1/records/accounts/?dry_run=true", "account", "records_token", "read_token"),
    ("post", "/api/v1/records/ebanking/?dry_run=true", "ebanking", "records_token", "organisation_token"),
    ("post", "/api/v1/records/feedback/?dry_run=true", "feedback", "records_token", "organisation_token"),
    ("post", "/api/v1/records/targets/?dry_run=true", "target", "records_token", "organisation_token"),
    ("post", "/api/v1/records/branches/?dry_run=true", "branch", "organisation_token", "records_token"),
    ("post", "/api/v1/records/staff/?dry_run=true", "staff", "organisation_token", "records_token"),
    ("post", "/api/v1/records/absences/?dry_run=true", "absence", "organisation_token", "records_token"),
]

BODIES = {
    "deposit": {"ref": "D1", "date": "2026-11-02", "employee_no": "E001", "customer_ref": "C1", "amount": "1"},
    "account": {"ref": "A1", "date": "2026-11-02", "employee_no": "E001", "customer_ref": "C1", "avg_assets": "5"},
    "ebanking": {
        "ref": "EB1",
        "date": "2026-11-02",
        "employee_no": "E001",
        "customer_ref": "C1",
        "product": "mobile_banking",
        "activated": True,
    },
    "feedback": {
        "ref": "F1",
        "date": "2026-11-02",
        "employee_no": "E001",
        "channel": "pad",
        "kind": "rating",
        "rating": 5,
    },
    "target": {"period": "2026-11", "scope": "bank", "item": "accounts", "target": 20},
    "branch": {"code": "110102", "name": "保俶路网点", "parent_code": "110100", "level": "outlet"},
    "staff": {
        "employee_no": "E003",
        "name": "陈晨",
        "branch_code": "110101",
        "position": "lobby_manager",
        "position_since": "2026-01-01",
    },
    "absence": {"employee_no": "E001", "start": "2026-11-02", "end": "2026-11-03", "kind": "annual"},
}


class EndpointAccessTests(ApiTestCase):
    def send(self, method, path, body, token):
        return self.call(method, path, token, {"rows": [BODIES[body]]} if body else None)

    def test_every_endpoint_without_a_token_answers_401_with_a_challenge(self):
        for method, path, body, _right, _wrong in ENDPOINTS:
            with self.subTest(path=path):
                response = self.send(method, path, body, None)
                self.assertEqual(response.status_code, 401)
                self.assertIn("Bearer", response["WWW-Authenticate"])
                self.assertIn("Authorization", response.json()["message"])

    def test_every_endpoint_refuses_a_token_without_its_scope_with_403(self):
        for method, path, body, _right, wrong in ENDPOINTS:
            with self.subTest(path=path):
                response = self.send(method, path, body, getattr(self, wrong))
                self.assertEqual(response.status_code, 403)
                self.assertIn("权限", response.json()["message"])

    def test_every_endpoint_answers_a_token_with_its_scope(self):
        for method, path, body, right, _wrong in ENDPOINTS:
            with self.subTest(path=path):
                response = self.send(method, path, body, getattr(self, right))
                self.assertEqual(response.status_code, 200, response.content)

    def test_a_bad_token_is_401(self):
        response = self.call("get", "/api/v1/months/", "not-a-token")
        self.assertEqual(response.status_code, 401)
        self.assertIn("Bearer", response["WWW-Authenticate"])

    def test_a_revoked_token_is_401_from_the_next_request_on(self):
        self.assertEqual(self.call("get", "/api/v1/months/", self.read_token).status_code, 200)
        api_client_revoke(client=self.warehouse)
        self.assertEqual(self.call("get", "/api/v1/months/", self.read_token).status_code, 401)

    def test_a_client_is_refused_with_403_from_an_address_it_may_not_use(self):
        _client, token = api_client_create(name="payroll", scopes="scorecards:read", allow_from="10.1.0.0/16,10.9.9.9")
        self.assertEqual(self.call("get", "/api/v1/months/", token, REMOTE_ADDR="10.1.2.3").status_code, 200)
        self.assertEqual(self.call("get", "/api/v1/months/", token, REMOTE_ADDR="10.9.9.9").status_code, 200)
        response = self.call("get", "/api/v1/months/", token, REMOTE_ADDR="192.168.1.5")
        self.assertEqual(response.status_code, 403)
        self.assertIn("192.168.1.5", response.json()["message"])

    def test_a_call_notes_when_the_client_was_last_used(self):
        self.assertIsNone(ApiClient.objects.get(name="warehouse").last_used_at)
        self.call("get", "/api/v1/months/", self.read_token)
        self.assertIsNotNone(ApiClient.objects.get(name="warehouse").last_used_at)

    def test_only_a_hash_of_the_token_is_stored(self):
        stored = ApiClient.objects.get(name="warehouse")
        self.assertNotIn(self.read_token, str(ApiClient.objects.values().get(pk=stored.pk)))
        self.assertEqual(len(stored.token_hash), 64)
