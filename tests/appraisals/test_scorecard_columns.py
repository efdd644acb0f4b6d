"""The scorecards' columns written column-wise: the same text, value for value, as the per-row
`json.dumps` and f-string formatting they replace (the console, PDFs, API and exports read them)."""

import datetime
import json
import types

import numpy as np
import pandas as pd
from django.test import SimpleTestCase

from appraisals.services.periods import _scorecard_columns
from core.bulk import decimal_texts, json_bools, json_numbers
from scoring import DEFAULT_SCHEME

EDGES = [0.0, -0.0, 1.0, 2.5, 1 / 3, -1.23456, 1e-9, 123456789.0, np.nan, float("inf"), 99.995, 0.125]


def reference_number(value):
    """What the compute wrote before: whole numbers as int, others to 4 decimals, NaN null."""
    if pd.isna(value):
        return None
    return int(value) if float(value).is_integer() else round(float(value), 4)


class ColumnTextTests(SimpleTestCase):
    def test_json_numbers_are_json_dumps_of_each_value(self):
        rng = np.random.default_rng(3)
        values = np.concatenate([EDGES, rng.normal(50, 30, 500).round(2), rng.integers(0, 40, 200)])
        for series in (pd.Series(values), pd.Series(values, index=range(10, 10 + len(values)))):
            self.assertEqual(list(json_numbers(series)), [json.dumps(reference_number(v)) for v in values])

    def test_json_numbers_of_an_integer_column(self):
        values = pd.Series([3, 0, 3, 17, 2**40], dtype="int64")
        self.assertEqual(list(json_numbers(values)), ["3", "0", "3", "17", str(2**40)])

    def test_json_bools(self):
        self.assertEqual(list(json_bools(pd.Series([True, False, 1, 0]))), ["true", "false", "true", "false"])

    def test_decimal_texts_are_the_f_string_of_each_value_with_its_sign(self):
        values = [*EDGES[:-4], 12.344999, -0.004, 0.0, -0.0, 5.0]
        for places in (2, 4):
            expected = [None if pd.isna(v) else f"{v:.{places}f}" for v in values]
            self.assertEqual(list(decimal_texts(pd.Series(values), places)), expected)


class ScorecardColumnsTests(SimpleTestCase):
    def frame(self, count=300):
        rng = np.random.default_rng(11)
        frame = {"staff_id": np.arange(1, count + 1)}
        for item in DEFAULT_SCHEME.items:
            code = item.code
            actual = rng.integers(0, 30, count).astype("float64") if code in {"accounts", "effective"} else (
                rng.normal(80, 10, count)
            )  # fmt: skip
            actual[::17] = np.nan
            frame[code] = actual
            frame[f"target_{code}"] = np.where(rng.random(count) < 0.5, 20.0, rng.normal(30, 5, count))
            frame[f"completion_{code}"] = np.where(rng.random(count) < 0.1, np.nan, rng.random(count) * 1.4)
            frame[f"assessed_{code}"] = rng.random(count) < 0.9
            frame[f"points_{code}"] = (rng.random(count) * float(item.weight)).round(2)
        for name in ("deposits", "deposits_total", "satisfaction", "percentile"):
            frame[name] = rng.random(count).round(4)
        for name in ("mystery", "base", "bonus", "deduction", "score", "rolling"):
            frame[name] = (rng.random(count) * 100).round(2)
        frame["mystery"][::5] = np.nan
        frame["deduction"][::7] = -0.0
        for name in ("days_in_month", "present_days", "accounts", "effective", "ebanking", "praise"):
            frame[name] = rng.integers(0, 31, count)
        frame["accounts"] = frame["accounts"].astype("float64")
        frame["effective"] = frame["effective"].astype("float64")
        frame["complaints"] = rng.integers(0, 3, count)
        frame["major_complaints"] = np.zeros(count, dtype="int64")
        frame["grade"] = rng.choice(["excellent", "good", "pass", "fail"], count)
        for name in ("veto", "exempt", "probation", "eligible", "bottom_flag", "relative_test", "absolute_test"):
            frame[name] = rng.random(count) < 0.2
        frame["case_rule"] = rng.random(count) < 0.05
        frame["rank"] = np.where(frame["exempt"], np.nan, rng.integers(1, 50, count))
        frame["group_size"] = rng.integers(1, 50, count)
        frame["bottom_position"] = np.where(rng.random(count) < 0.3, np.nan, rng.integers(1, 9, count))
        frame["bottom_k"] = rng.integers(0, 5, count).astype("float64")
        frame["group_median"] = (rng.random(count) * 100).round(2)
        return pd.DataFrame(frame)

    def test_the_json_fields_are_the_text_json_dumps_gave_row_by_row(self):
        frame = self.frame()
        staff = pd.DataFrame(
            {
                "staff_id": frame["staff_id"],
                "branch_id": 7,
                "branch_path": [(7, 3, 1)] * len(frame),
                "branch_path_text": "/1/3/7/",
            }
        )
        now = datetime.datetime(2026, 11, 1, tzinfo=datetime.UTC)
        columns = _scorecard_columns(
            frame,
            period=types.SimpleNamespace(pk=5),
            scheme=types.SimpleNamespace(pk=2),
            scheme_data=DEFAULT_SCHEME,
            staff=staff,
            fingerprint="f" * 64,
            now=now,
            cases={3},
        )
        items, bottom = [], []
        for _, row in frame.iterrows():
            items.append(
                json.dumps(
                    [
                        {
                            "code": item.code,
                            "weight": str(item.weight),
                            "actual": reference_number(row[item.code]),
                            "target": reference_number(row[f"target_{item.code}"]),
                            "completion": reference_number(row[f"completion_{item.code}"]),
                            "assessed": bool(row[f"assessed_{item.code}"]),
                            "points": reference_number(row[f"points_{item.code}"]),
                        }
                        for item in DEFAULT_SCHEME.items
                    ],
                    ensure_ascii=False,
                )
            )
            bottom.append(
                json.dumps(
                    {
                        "position": reference_number(row["bottom_position"]),
                        "k": reference_number(row["bottom_k"]),
                        "median": reference_number(row["group_median"]),
                        "relative": bool(row["relative_test"]),
                        "absolute": bool(row["absolute_test"]),
                        "case_rule": bool(row["case_rule"]),
                    }
                )
            )
        self.assertEqual(columns["items"], items)
        self.assertEqual(columns["bottom_detail"], bottom)
        self.assertEqual(columns["deduction"], [f"{value:.2f}" for value in frame["deduction"]])
        self.assertIn("-0.00", columns["deduction"])
        self.assertEqual(columns["mystery"], [None if pd.isna(v) else f"{v:.2f}" for v in frame["mystery"]])
        self.assertEqual(columns["case_opened"], [staff_id == 3 for staff_id in frame["staff_id"]])
