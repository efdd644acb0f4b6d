"""The whole-column shortcuts of the import's checks (core.imports.cells, core.bulk) give
exactly what the per-cell ways gave, on the texts they are quick for and on every other."""

import sys
from unittest import TestCase

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.bulk import _copy_texts
from core.imports.cells import WHITE_SPACE, Amount, column_fullmatch, stripped, text_lengths

TEXTS = st.lists(st.text(alphabet=st.sampled_from(" \t\u3000\xa0ab1.,-定期\u2028"), max_size=8), max_size=30)
AMOUNT = r"(?:0|[1-9]\d*)\.\d{2}"
# The machine may be shared: how long an example takes is not what is tested.
RELAXED = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


class ColumnHelperTests(TestCase):
    def test_white_space_holds_every_character_str_strip_removes(self):
        every = tuple(chr(code) for code in range(sys.maxunicode + 1) if chr(code).isspace())
        self.assertEqual(WHITE_SPACE, every)

    @RELAXED
    @given(TEXTS)
    def test_stripped_is_str_strip(self, texts):
        cells = pd.Series(texts, dtype=object)
        self.assertEqual(stripped(cells).tolist(), cells.str.strip().tolist())

    def test_a_column_without_white_space_is_not_copied(self):
        cells = pd.Series(["DEP1", "2026-10-01", "定期"], dtype=object)
        self.assertIs(stripped(cells), cells)

    @RELAXED
    @given(TEXTS)
    def test_text_lengths_is_str_len(self, texts):
        cells = pd.Series(texts, dtype=object, index=range(5, 5 + len(texts)))
        pd.testing.assert_series_equal(text_lengths(cells), cells.str.len(), check_dtype=False)

    @RELAXED
    @given(st.lists(st.sampled_from(["1.00", "0.50", "12,345.60", "01.00", "1.5", "", "x", "1.00\n2.00", "٣.00"])))
    def test_column_fullmatch_is_str_fullmatch(self, texts):
        cells = pd.Series(texts, dtype=object)
        expected = cells.str.fullmatch(AMOUNT).astype(bool) if texts else pd.Series([], dtype=bool)
        self.assertEqual(column_fullmatch(cells, AMOUNT).tolist(), expected.tolist())

    def test_an_amount_column_all_canonical_or_not_parses_the_same(self):
        good = pd.Series(["1.00", "2345.67", "0.10"], dtype=object)
        values, messages = Amount().parse(good)
        self.assertEqual(values.tolist(), ["1.00", "2345.67", "0.10"])
        mixed = pd.Series(["1.00", "1,234.5", "-3", "abc"], dtype=object)
        values, messages = Amount().parse(mixed)
        self.assertEqual(values.tolist(), ["1.00", "1234.50", None, None])
        self.assertEqual(messages.tolist()[:2], ["", ""])
        self.assertTrue(messages.iat[2] and messages.iat[3])

    def test_copy_texts_escapes_and_nulls_as_postgresql_reads_them(self):
        self.assertEqual(
            _copy_texts(["a\tb", "c\\d", None, "e\nf", "g\rh", ""]), ["a\\tb", "c\\\\d", "\\N", "e\\nf", "g\\rh", ""]
        )
        self.assertEqual(_copy_texts([True, False, None]), ["t", "f", "\\N"])
        self.assertEqual(_copy_texts(np.array([1, 2, 3])), ["1", "2", "3"])
        self.assertEqual(_copy_texts([None, None]), ["\\N", "\\N"])
