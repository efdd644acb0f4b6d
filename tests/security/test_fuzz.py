"""Any bytes at all given to the importers are either imported or refused with a message: never a
crash, a traceback or a partial write (hypothesis, in-process for speed, and once through the
command in a process of its own)."""

import io
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from core.imports.errors import RowError
from metrics.models import Deposit, ImportBatch
from metrics.services import import_file
from tests import factories
from tests.metrics.helpers import TODAY, xlsx_bytes
from tests.security import hostile

HEADER = hostile.DEPOSITS_HEADER
GOOD_XLSX = xlsx_bytes(
    [HEADER, ["D1", "2026-03-02", "A001", "C1", 10, ""], ["D2", "2026-03-03", "A001", "C2", 5.5, "x"]]
)

cells = st.one_of(
    st.sampled_from(["D1", "D2", "2026-03-02", "2026-02-30", "A001", "Z9", "C1", "10", "-1", "1,234.50", "", '"']),
    st.text(max_size=12),
)
csv_texts = st.lists(st.lists(cells, min_size=0, max_size=8), max_size=6).map(
    lambda rows: ",".join(HEADER) + "\n" + "\n".join(",".join(row) for row in rows)
)
encodings = st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "big5", "utf-16"])


def encoded(text: str, encoding: str) -> bytes:
    return text.encode(encoding, errors="replace")


def mutated(data: bytes, seed: int, flips: int) -> bytes:
    chosen = random.Random(seed)
    content = bytearray(data)
    for _ in range(flips):
        content[chosen.randrange(len(content))] = chosen.randrange(256)
    return bytes(content)


files = st.one_of(
    st.binary(max_size=2048),
    st.builds(encoded, csv_texts, encodings),
    st.builds(mutated, st.just(GOOD_XLSX), st.integers(0, 2**32), st.integers(1, 8)),
    st.builds(lambda body: GOOD_XLSX[:30] + body, st.binary(max_size=512)),
)


class ImporterFuzzTests(TestCase):
    def setUp(self):
        factories.staff("A001", "Alice", factories.bank_tree()["outlet_a"])

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(content=files, name=st.sampled_from(["f.csv", "f.xlsx", "f.txt", "f"]))
    def test_any_bytes_are_imported_or_refused_with_a_message_and_never_half_written(self, content, name):
        before = Deposit.objects.count()
        result = import_file("deposits", io.BytesIO(content), filename=name, today=TODAY, dry_run=False)
        batch = ImportBatch.objects.get(pk=result.batch_id)
        if result.ok:
            self.assertEqual(Deposit.objects.count(), before + result.created)
            self.assertEqual(batch.outcome, ImportBatch.Outcome.IMPORTED)
        else:
            self.assertEqual(Deposit.objects.count(), before)
            self.assertEqual(batch.outcome, ImportBatch.Outcome.REJECTED)
            self.assertLessEqual(len(result.errors), 100)
            self.assertGreaterEqual(result.error_count, len(result.errors))
            for error in result.errors:
                self.assertIsInstance(error, RowError)
                prefix = f"第 {error.row} 行：" if error.column == "-" else f"第 {error.row} 行「{error.column}」："
                self.assertTrue(str(error).startswith(prefix), str(error))
                self.assertTrue(error.message.strip())
                self.assertNotIn("\x00", error.message)


def test_the_command_answers_random_bytes_with_status_0_or_1_and_never_a_traceback(bank):
    chosen = random.Random(11)
    for content in (bytes(chosen.randrange(256) for _ in range(4096)), mutated(GOOD_XLSX, 7, 20)):
        run = bank.import_file("random.xlsx", content)
        assert run.status in (0, 1), run.err
        assert "Traceback" not in run.err, run.err
        if run.status == 1:
            assert "第 1 行：" in run.err or "第 " in run.err
        assert bank.count("metrics_deposit") == 0 or run.status == 0
