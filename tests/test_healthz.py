from unittest import mock

from django.db.utils import OperationalError
from django.test import TestCase


class HealthzTests(TestCase):
    def test_it_answers_ok_when_the_database_answers(self):
        response = self.client.get("/healthz")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.content, b"ok")

    def test_it_answers_503_when_the_database_does_not(self):
        with mock.patch("config.views.connection.cursor", side_effect=OperationalError("down")):
            response = self.client.get("/healthz")
        self.assertEqual(response.status_code, 503)
