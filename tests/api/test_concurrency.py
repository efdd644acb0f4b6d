"""Two batches with overlapping refs sent at the same moment (PostgreSQL, two threads, two
connections): one wins; the other is either counted unchanged where they overlap or refused
whole — never a partial write."""

import threading
import unittest

from django.db import connection, connections
from django.test import Client, TransactionTestCase

from api.services import api_client_create
from metrics.models import Deposit
from tests import factories


def _rows(first: int, last: int) -> list[dict]:
    return [
        {"ref": f"D{i:05d}", "date": "2026-11-02", "employee_no": "E001", "customer_ref": f"C{i}", "amount": i}
        for i in range(first, last + 1)
    ]


@unittest.skipUnless(connection.vendor == "postgresql", "needs PostgreSQL: SQLite takes one writer at a time")
class OverlappingBatchTests(TransactionTestCase):
    def setUp(self):
        tree = factories.bank_tree()
        factories.staff("E001", "张丽", tree["outlet_a"])
        _client, self.token = api_client_create(name="core-banking", scopes="records:write")

    def send_together(self, batches: list[list[dict]]) -> list:
        barrier = threading.Barrier(len(batches))
        answers = [None] * len(batches)

        def send(position: int, rows: list[dict]):
            try:
                barrier.wait()
                answers[position] = Client().post(
                    "/api/v1/records/deposits/",
                    data={"rows": rows},
                    content_type="application/json",
                    HTTP_AUTHORIZATION=f"Bearer {self.token}",
                )
            finally:
                connections.close_all()

        threads = [threading.Thread(target=send, args=(i, rows)) for i, rows in enumerate(batches)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        return answers

    def test_one_batch_wins_and_the_other_is_never_written_in_part(self):
        for round_number in range(4):
            Deposit.objects.all().delete()
            first, second = _rows(1, 300), _rows(151, 450)
            answers = self.send_together([first, second])
            stored = set(Deposit.objects.values_list("ref", flat=True))
            self.assertTrue(any(answer.status_code in (200, 201) for answer in answers), round_number)
            for answer, rows in zip(answers, (first, second), strict=True):
                refs = {row["ref"] for row in rows}
                if answer.status_code in (200, 201):
                    self.assertLessEqual(refs, stored, f"round {round_number}: an accepted batch is not all there")
                    body = answer.json()
                    self.assertEqual(body["created"] + body["unchanged"], len(rows))
                else:
                    self.assertEqual(answer.status_code, 400, answer.content)
                    others = set().union(*({r["ref"] for r in b} for b in (first, second) if b is not rows))
                    self.assertEqual(refs - others - stored, refs - others, f"round {round_number}: partial write")
            self.assertEqual(stored, {row["ref"] for row in first + second} & stored)
