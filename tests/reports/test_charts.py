"""The chart module: plain values in, a valid, self-contained SVG out."""

import xml.etree.ElementTree as ET

from django.test import SimpleTestCase

from reports.charts import completion_bars_svg, grade_distribution_svg, trend_svg

SVG = "{http://www.w3.org/2000/svg}"
MONTHS = [f"{month}月" for month in range(1, 13)]


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return root


def texts(root: ET.Element) -> list[str]:
    return [element.text for element in root.iter(f"{SVG}text")]


class TrendTests(SimpleTestCase):
    def test_it_is_valid_svg_showing_every_score_and_month(self):
        points = list(
            zip(MONTHS, [88.5, 91.25, 102.0, 79.0, 85.0, 90.0, 95.5, 99.0, 100.0, 101.5, 97.0, 93.0], strict=False)
        )
        root = parse(trend_svg(points, title="近12个月总分"))
        shown = texts(root)
        for label in MONTHS:
            self.assertIn(label, shown)
        for value in ("88.5", "91.3", "102", "79", "101.5"):
            self.assertIn(value, shown)
        self.assertIn("近12个月总分", shown)
        self.assertEqual(len(root.findall(f"{SVG}polyline")), 1)

    def test_a_month_without_a_scorecard_breaks_the_line(self):
        points = [("8月", 80.0), ("9月", 82.0), ("10月", None), ("11月", 90.0), ("12月", 91.0)]
        root = parse(trend_svg(points))
        self.assertEqual(len(root.findall(f"{SVG}polyline")), 2)
        dots = next(path for path in root.iter(f"{SVG}path") if path.get("class") == "dots")
        self.assertEqual(dots.get("d").count("M"), 4, "one dot per month with a score")

    def test_the_grade_boundaries_are_drawn_as_reference_lines(self):
        root = parse(trend_svg([("1月", 50.0)], reference_lines=(60, 85, 100)))
        dashed = [line for line in root.iter(f"{SVG}line") if line.get("stroke-dasharray")]
        self.assertEqual(len(dashed), 3)
        self.assertTrue({"60", "85", "100"} <= set(texts(root)))

    def test_no_scores_gives_a_friendly_empty_chart(self):
        for points in ([], [("1月", None), ("2月", None)]):
            root = parse(trend_svg(points, title="趋势", empty_text="暂无数据"))
            self.assertIn("暂无数据", texts(root))
            self.assertEqual(root.findall(f"{SVG}polyline"), [])

    def test_text_is_escaped_and_the_font_is_the_callers(self):
        svg = trend_svg([("<b>&", 70.0)], title='A "quoted" <title>', font_family="'My CJK', serif")
        root = parse(svg)
        self.assertIn("<b>&", texts(root))
        self.assertEqual(root.get("font-family"), "'My CJK', serif")
        self.assertNotIn("<script", svg)
        self.assertNotIn("href", svg)


class CompletionBarsTests(SimpleTestCase):
    def test_each_item_shows_its_completion_and_a_100_percent_line(self):
        items = [("开户", 120.0), ("有效客户", 85.0), ("暗访", None)]
        root = parse(completion_bars_svg(items, missing_text="不考核"))
        shown = texts(root)
        self.assertTrue({"开户", "有效客户", "暗访", "120%", "85%", "不考核"} <= set(shown))
        self.assertTrue(any(line.get("stroke-dasharray") for line in root.iter(f"{SVG}line")))

    def test_a_bar_beyond_the_cap_is_drawn_to_the_cap_with_its_true_value(self):
        root = parse(completion_bars_svg([("开户", 400.0), ("存款", 100.0)], width=520, cap=150))
        self.assertIn("400%", texts(root))
        widths = [float(rect.get("width")) for rect in root.iter(f"{SVG}rect")]
        self.assertAlmostEqual(max(widths) / min(widths), 1.5, places=2)

    def test_no_items_gives_a_friendly_empty_chart(self):
        self.assertIn("暂无数据", texts(parse(completion_bars_svg([]))))


class GradeDistributionTests(SimpleTestCase):
    LABELS = {"excellent": "优秀", "good": "良好", "pass": "合格", "fail": "不合格"}

    def test_each_grade_shows_its_label_and_count_in_order(self):
        root = parse(grade_distribution_svg({"excellent": 2, "good": 5, "pass": 3}, labels=self.LABELS))
        shown = texts(root)
        self.assertEqual([text for text in shown if text in self.LABELS.values()], list(self.LABELS.values()))
        self.assertTrue({"2", "5", "3", "0"} <= set(shown))

    def test_nobody_graded_gives_a_friendly_empty_chart(self):
        self.assertIn("暂无数据", texts(parse(grade_distribution_svg({}, labels=self.LABELS))))


class TrendValueLabelTests(SimpleTestCase):
    def test_a_small_chart_can_label_only_the_first_last_lowest_and_highest(self):
        points = list(zip(MONTHS[:6], [80.0, 95.0, 70.0, 88.0, 90.0, 85.0], strict=False))
        shown = texts(parse(trend_svg(points, value_labels="extremes")))
        self.assertTrue({"80", "95", "70", "85"} <= set(shown))
        self.assertNotIn("88", shown)
        self.assertNotIn("90", shown)

    def test_every_other_month_can_be_named_counting_back_from_the_latest(self):
        points = [(label, 90.0) for label in MONTHS]
        shown = texts(parse(trend_svg(points, label_every=2)))
        self.assertIn("12月", shown)
        self.assertIn("10月", shown)
        self.assertNotIn("11月", shown)
