"""The callers of the API tests, built in code.

The core-banking system sends records (records:write); the HR system sends the organisation
(organisation:write); the data warehouse reads scorecards (scorecards:read). Alice works at
outlet A and Olivia in branch B; October 2026 is computed and published.
"""

import datetime

from django.test import TestCase

from api.services import api_client_create
from appraisals.services.periods import period_compute, period_review
from tests import factories

OCTOBER = datetime.date(2026, 10, 1)
DEPOSIT = {"ref": "D1", "date": "2026-11-02", "employee_no": "E001", "customer_ref": "C1", "amount": "100.00"}


class ApiTestCase(TestCase):
    publish = True

    @classmethod
    def setUpTestData(cls):
        cls.tree = factories.bank_tree()
        cls.alice = factories.staff("E001", "张丽", cls.tree["outlet_a"])
        cls.bob = factories.staff("E002", "王博", cls.tree["outlet_a"])
        cls.olivia = factories.staff("E900", "欧阳奥利维娅", cls.tree["outlet_b"])
        for member, share in ((cls.alice, 1.1), (cls.bob, 0.6), (cls.olivia, 0.9)):
            factories.full_month(member, OCTOBER, share=share)
        cls.period = period_compute(month=OCTOBER).period
        if cls.publish:
            period_review(month=OCTOBER, without_signoffs=True, reason="API tests publish October")
        cls.core_banking, cls.records_token = api_client_create(name="core-banking", scopes="records:write")
        cls.hr_system, cls.organisation_token = api_client_create(name="hr-system", scopes="organisation:write")
        cls.warehouse, cls.read_token = api_client_create(name="warehouse", scopes="scorecards:read")

    def call(self, method: str, path: str, token: str | None = None, body=None, **headers):
        if token is not None:
            headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"
        send = getattr(self.client, method.lower())
        if body is None:
            return send(path, **headers)
        return send(path, data=body, content_type="application/json", **headers)

    def post_rows(self, kind: str, rows: list, token: str | None = None, query: str = ""):
        token = self.records_token if token is None else token
        return self.call("post", f"/api/v1/records/{kind}/{query}", token, {"rows": rows})

    def deposit(self, **fields):
        return {**DEPOSIT, **fields}
