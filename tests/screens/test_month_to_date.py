"""Month to date on the lobby screens (SCORING.md §6): before a month ends a screen shows the
month's live counts for its subtree, labelled 本月截至 X 日, beside the last computed month's
honour board — counts only, never a score, grade, rank, flag or a person's name."""

import datetime
import json
from decimal import Decimal
from unittest import mock

from django.utils import translation

from screens.selectors import month_to_date, screen_payload_cache_clear
from tests import factories
from tests.screens.test_screens import ScreenTestCase

DECEMBER_3 = datetime.date(2026, 12, 3)
MONTH_TO_DATE_KEYS = {"month", "day", "label", "items", "branches"}


class MonthToDateTests(ScreenTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        first, second = datetime.date(2026, 12, 1), datetime.date(2026, 12, 2)
        factories.accounts(cls.alice, first, 2)
        factories.accounts(cls.alice, second, 1, avg_assets=Decimal("20000"))
        factories.ebanking(cls.alice, second, 2)
        factories.ebanking(cls.alice, second, 1, activated=False)
        factories.accounts(cls.ouyang, second, 4, avg_assets=Decimal("50000"))
        factories.accounts(cls.olivia, second, 9)  # another branch: never counted on 西湖支行's screen
        factories.accounts(cls.alice, datetime.date(2026, 11, 30), 7)  # last month

    def setUp(self):
        screen_payload_cache_clear()
        self.enterContext(mock.patch("screens.selectors.today", return_value=DECEMBER_3))

    def live(self, token) -> dict:
        return self.data(token)["month_to_date"]

    def test_the_screen_shows_the_months_counts_so_far_labelled_to_the_day(self):
        _screen, token = self.make_screen()
        data = self.data(token)
        live = data["month_to_date"]
        self.assertEqual((live["month"], live["label"]), ("2026-12", "本月截至 3 日"))
        self.assertEqual(
            {item["key"]: item["value"] for item in live["items"]},
            {
                "accounts": 7,
                "effective": 5,
                "ebanking": 2,
            },
        )
        self.assertEqual(data["month"], "2026-10")  # the honour board stays on the last computed month

    def test_the_counts_are_broken_down_by_the_branches_below_listed_by_code_not_by_count(self):
        _screen, token = self.make_screen()
        branches = self.live(token)["branches"]
        self.assertEqual(
            branches,
            [
                {"branch": "文三路", "values": [3, 1, 2]},
                {"branch": "钱塘新区下沙经济技术开发区", "values": [4, 4, 0]},
            ],
        )

    def test_it_holds_no_score_grade_rank_flag_or_name_of_a_person(self):
        _screen, token = self.make_screen(show_deposits=True, top_n=30)
        live = self.live(token)
        self.assertEqual(set(live), MONTH_TO_DATE_KEYS)
        self.assertEqual({key for item in live["items"] for key in item}, {"key", "label", "unit", "value"})
        self.assertEqual({key for row in live["branches"] for key in row}, {"branch", "values"})
        text = json.dumps(live, ensure_ascii=False)
        for word in ("score", "grade", "rank", "flag", "position", "veto", "得分", "等级", "名次", "预警"):
            self.assertNotIn(word, text)
        for person in ("张丽", "欧阳慕容思远", "欧阳经理", "张经理"):
            self.assertNotIn(person, text)

    def test_a_screen_of_another_branch_counts_only_its_own_subtree(self):
        _screen, token = self.make_screen(at=self.tree["branch_b"])
        live = self.live(token)
        self.assertEqual(live["items"][0]["value"], 9)
        self.assertEqual(live["branches"], [])  # one sub-branch below: nothing to break down

    def test_the_label_reads_in_english_when_the_site_is_in_english(self):
        with translation.override("en"):
            self.assertEqual(month_to_date(self.tree["sub_a"], day=DECEMBER_3)["label"], "Month to date, to the 3rd")
            self.assertEqual(
                [item["label"] for item in month_to_date(self.tree["sub_a"], day=DECEMBER_3)["items"]],
                ["Accounts opened", "Effective customers", "E-banking sign-up"],
            )

    def test_the_page_has_the_month_to_date_panel(self):
        _screen, token = self.make_screen()
        page = self.client.get(f"/screens/{token}/").content.decode()
        self.assertIn('id="mtd"', page)
        self.assertIn("本月截至 3 日", page)
