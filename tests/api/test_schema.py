"""The OpenAPI description and its page, served locally; and schemathesis over the description
against the WSGI app: no server error, no answer that disagrees with the description."""

import re

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from django.test import TestCase
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.services import api_client_create
from appraisals.services.periods import period_compute, period_review
from config.wsgi import application
from tests import factories
from tests.api.base import OCTOBER


class DescriptionTests(TestCase):
    def test_the_description_is_openapi_3_in_json_on_request(self):
        response = self.client.get("/api/schema/?format=json")
        self.assertEqual(response.status_code, 200)
        description = response.json()
        self.assertTrue(description["openapi"].startswith("3."))
        self.assertEqual(
            set(description["paths"]),
            {
                "/api/v1/months/",
                "/api/v1/months/{month}/scorecards/",
                "/api/v1/staff/{employee_no}/scorecards/",
                "/api/v1/records/{kind}/",
            },
        )
        self.assertIn("bearerAuth", description["components"]["securitySchemes"])

    def test_the_docs_page_loads_its_scripts_from_our_own_static_files(self):
        page = self.client.get("/api/docs/").content.decode()
        sources = re.findall(r'(?:src|href)="([^"]+)"', page)
        self.assertTrue(sources)
        for source in sources:
            self.assertFalse(source.startswith(("http://", "https://", "//")), source)
        script = next(source for source in sources if source.endswith("swagger-ui-bundle.js"))
        served = self.client.get(script)
        self.assertEqual(served.status_code, 200)


schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@pytest.fixture
def wsgi_keeps_the_test_connection():
    """Calling the WSGI app directly would close the test's own database connection at the end of
    each request (it is not in autocommit); Django's test Client holds these signals off too."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def token(db, settings, wsgi_keeps_the_test_connection):
    """A published October for two lobby managers, and a client with every scope."""
    settings.API_RATE_LIMIT = "100000/min"
    tree = factories.bank_tree()
    for number, share in (("E001", 1.1), ("E002", 0.6)):
        factories.full_month(factories.staff(number, number, tree["outlet_a"]), OCTOBER, share=share)
    period_compute(month=OCTOBER)
    period_review(month=OCTOBER, without_signoffs=True, reason="schemathesis reads October")
    _client, token = api_client_create(name="fuzzer", scopes="organisation:write,records:write,scorecards:read")
    return token


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_api_agrees_with_its_description(case, token):
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)


@pytest.mark.parametrize(
    ("path", "method", "parameters"),
    [
        ("/api/v1/months/{month}/scorecards/", "GET", {"path_parameters": {"month": "2026-10"}}),
        ("/api/v1/staff/{employee_no}/scorecards/", "GET", {"path_parameters": {"employee_no": "E001"}}),
        (
            "/api/v1/records/{kind}/",
            "POST",
            {
                "path_parameters": {"kind": "deposits"},
                "body": {
                    "rows": [
                        {"ref": "D1", "date": "2026-11-02", "employee_no": "E001", "customer_ref": "C1", "amount": 5}
                    ]
                },
                "media_type": "application/json",
            },
        ),
    ],
)
def test_real_answers_with_data_agree_with_the_description(token, path, method, parameters):
    """Random inputs rarely name a published month or a real person: these do."""
    case = schema[path][method].Case(**parameters)
    response = case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
    assert response.status_code in (200, 201), response.text
    if method == "GET":
        assert response.json()["results"]
