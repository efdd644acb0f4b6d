"""One figure, one rounding: a satisfaction of 80.15 % reads the same in the scorecard's table,
on the PDF's completion bar and in the write-up (core.numbers, half up, everywhere)."""

import re

from django.test import SimpleTestCase
from django.utils import translation

from appraisals.services.writeups import writeup_text
from reports.pdf.render import page_view
from reports.scorecards import item_rows
from scoring.rounding import round_half_up
from tests.appraisals.test_writeups import facts

ACTUAL = 0.8015  # 80.15 %: half up gives 80.2 %, rounding down gave 80.1 %
COMPLETION = round_half_up((ACTUAL - 0.80) / 0.20, 4)  # the band's completion, as the engine stores it


def page(**changes) -> dict:
    items = [
        {
            "code": "satisfaction",
            "assessed": True,
            "actual": ACTUAL,
            "completion": COMPLETION,
            "weight": 15,
            "points": 0.11,
        },
        {"code": "ebanking", "assessed": True, "actual": 12.8, "completion": 0.8533, "weight": 15, "points": 12.8},
    ]
    return {
        "grade": "pass",
        "name": "张丽",
        "employee_no": "E001",
        "position": "lobby_manager",
        "position_since": "2020-01-01",
        "branch": "文三路营业部",
        "peer_group": "杭州分行",
        "scheme": "lobby-2026",
        "period": "2026-10",
        "present_days": 31,
        "days_in_month": 31,
        "rolling": "70.00",
        "score": "70.00",
        "base": "70.00",
        "bonus": "0.00",
        "deduction": "0.00",
        "veto": False,
        "major_complaints": 0,
        "probation": False,
        "items": items,
        "methods": {"satisfaction": "band", "ebanking": "ratio"},
        "praise": 0,
        "complaints": 0,
        "exempt": False,
        "rank": 3,
        "group_size": 9,
        "percentile": "0.25",
        "bottom_flag": False,
        "case_opened": False,
        "trend": [("2026-10", "70.00")],
        **changes,
    }


class OneRoundingTests(SimpleTestCase):
    def test_80_15_percent_reads_the_same_in_the_table_the_bar_and_the_write_up(self):
        self.assertEqual(COMPLETION, 0.0075)
        for language in ("zh-hans", "en"):
            with self.subTest(language=language), translation.override(language):
                view = page_view(page(), audience="employee", family="sans-serif", generated_at="2026-11-02")
                table = {row["label"]: row for row in view["items"]}
                satisfaction = next(row for row in view["items"] if row["actual"].endswith("%"))
                self.assertEqual((satisfaction["actual"], satisfaction["completion"]), ("80.2%", "0.8%"))
                bar_labels = re.findall(r">([\d.]+%)</text>", view["completion_svg"])
                # Each bar says what the table's completion column says, item by item.
                self.assertIn("0.8%", bar_labels)
                self.assertIn("85.3%", bar_labels)
                self.assertEqual(
                    sorted(label for label in bar_labels if label not in ("0%", "50%", "100%", "150%")),
                    sorted(row["completion"] for row in table.values()),
                )

        shortfall = {"item": "satisfaction", "method": "band", "completion": str(COMPLETION), "actual": str(ACTUAL)}
        zh, en = writeup_text(facts(shortfalls=[shortfall]))
        self.assertIn("客户满意度为80.2%", zh)
        self.assertIn("customer satisfaction was 80.2%", en)
        self.assertNotIn("80.1%", zh + en)

    def test_a_ratio_item_reads_its_table_figure_in_the_write_up(self):
        zh, en = writeup_text(facts())
        rows = item_rows(page()["items"], page()["methods"])
        self.assertEqual(rows[1]["completion"], "85.3%")
        self.assertIn("电子银行签约完成目标的85.3%", zh)
        self.assertIn("reached 85.3% of target", en)
