"""Lobby display screens: what the board shows, what it never shows, ETags, tokens and commands.

Sub-branch 西湖支行 has two outlets. Alice (张丽) climbs to first place in October; 欧阳慕容思远
led in September and slips; 司马光 was low in September and is new on the board; 钱投 scores
well but had an upheld complaint; 王博 is the bottom-flagged low performer; 李重 has the best
numbers and a major complaint (veto); 赵休 has the best numbers and was away most of October
(exempt). Olivia works in 宁波分行 and must never appear on a 西湖支行 screen.
"""

import datetime
import hashlib
import io
import json
import re
from decimal import Decimal
from unittest import mock

from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from appraisals.models import Period, PeriodStatus, Scorecard, Screen
from appraisals.services.periods import period_compute
from audit.models import Change
from screens.selectors import (
    BOARDS,
    board_top,
    display_name,
    distinct_names,
    screen_boards,
    screen_by_token,
    screen_payload,
    short_branch_name,
    surname_of,
    token_hash,
)
from screens.services import ScreenError, screen_create, screen_revoke, screen_seen
from staff.models import Absence
from tests import factories
from tests.periods import review

SEPTEMBER = datetime.date(2026, 9, 1)
OCTOBER = datetime.date(2026, 10, 1)
ENTRY_KEYS = {"position", "name", "branch", "value", "value_text", "unit", "movement", "newcomer", "tied"}


def board(data: dict, key: str) -> dict:
    return next(item for item in data["boards"] if item["key"] == key)


def names(data: dict, key: str) -> list[str]:
    return [entry["name"] for entry in board(data, key)["entries"]]


def everyone_shown(data: dict) -> set[str]:
    return {entry["name"] for item in data["boards"] for entry in item["entries"]}


class ScreenTestCase(TestCase):
    @classmethod
    def setUpTestData(cls):
        tree = factories.bank_tree()
        cls.tree = tree
        cls.outlet_long = factories.branch("110102", "钱塘新区下沙经济技术开发区分理处", "outlet", tree["sub_a"])
        outlet_a, outlet_long = tree["outlet_a"], cls.outlet_long
        cls.alice = factories.staff("E001", "张丽", outlet_a)
        cls.ouyang = factories.staff("E002", "欧阳慕容思远", outlet_long)
        cls.sima = factories.staff("E003", "司马光", outlet_a)
        cls.complained = factories.staff("E004", "钱投", outlet_a)
        cls.bob = factories.staff("E005", "王博", outlet_a)
        cls.vetoed = factories.staff("E006", "李重", outlet_a)
        cls.exempt = factories.staff("E007", "赵休", outlet_long)
        cls.colleagues = [
            factories.staff(f"E1{i:02d}", f"同事{i}", outlet_a if i % 2 == 0 else outlet_long) for i in range(8)
        ]
        cls.olivia = factories.staff("E900", "欧阳奥利维娅", tree["outlet_b"])

        september = {cls.alice: 1.0, cls.ouyang: 1.2, cls.sima: 0.7, cls.complained: 1.15}
        october = {cls.alice: 1.2, cls.ouyang: 1.1, cls.sima: 1.05, cls.complained: 1.15}
        for month, shares in ((SEPTEMBER, september), (OCTOBER, october)):
            for member, share in shares.items():
                factories.full_month(member, month, share=share)
            for i, colleague in enumerate(cls.colleagues):
                factories.full_month(colleague, month, share=0.85 + i * 0.02)
            factories.full_month(cls.bob, month, share=0.3)
            factories.full_month(cls.vetoed, month, share=1.3)
            factories.full_month(cls.exempt, month, share=1.3)
            factories.full_month(cls.olivia, month, share=1.5)
        factories.feedback(cls.vetoed, OCTOBER, "complaint", upheld=True, severity="major")
        factories.feedback(cls.complained, OCTOBER, "complaint", upheld=True, severity="normal")
        Absence.objects.create(staff=cls.exempt, start=OCTOBER, end=datetime.date(2026, 10, 20), kind="sick")
        period_compute(month=SEPTEMBER)
        period_compute(month=OCTOBER)
        review(SEPTEMBER)
        review(OCTOBER)

    def make_screen(self, *, at=None, **options):
        screen, token = screen_create(branch=at or self.tree["sub_a"], name=f"大屏{Screen.objects.count()}", **options)
        return screen, token

    def fetch(self, token, **headers):
        return self.client.get(f"/screens/{token}/data.json", headers=headers)

    def data(self, token) -> dict:
        response = self.fetch(token)
        self.assertEqual(response.status_code, 200)
        return response.json()


class ScreenDataTests(ScreenTestCase):
    @override_settings(BANK_NAME="钱塘商业银行")
    def test_the_json_names_the_bank_the_branch_the_month_and_the_time_of_the_data(self):
        _screen, token = self.make_screen()
        data = self.data(token)
        period = Period.objects.get(month=OCTOBER)
        self.assertEqual(data["bank"], "钱塘商业银行")
        self.assertEqual(data["branch"], "西湖支行")
        self.assertEqual(data["month"], "2026-10")
        self.assertEqual(data["month_label"], "2026年10月")
        self.assertEqual(data["compared_with"], "2026-09")
        self.assertEqual(data["data_time"], timezone.localtime(period.computed_at).isoformat(timespec="seconds"))
        self.assertEqual(
            [item["key"] for item in data["boards"]],
            ["score", "accounts", "effective", "ebanking", "satisfaction"],
        )

    def test_without_a_bank_name_setting_the_head_office_names_the_bank(self):
        _screen, token = self.make_screen()
        self.assertEqual(self.data(token)["bank"], "总行")

    def test_the_score_board_lists_the_best_first_with_value_unit_and_short_branch(self):
        _screen, token = self.make_screen()
        first, second = board(self.data(token), "score")["entries"][:2]
        alice = Scorecard.objects.get(period__month=OCTOBER, staff=self.alice)
        self.assertEqual(first["position"], 1)
        self.assertEqual(first["name"], "张丽")
        self.assertEqual(first["branch"], "文三路")
        self.assertEqual(first["value_text"], f"{alice.score:f}")
        self.assertEqual(first["unit"], "分")
        self.assertEqual(second["name"], "欧阳慕容思远")
        self.assertEqual(second["branch"], "钱塘新区下沙经济技术开发区")
        self.assertEqual(set(first), ENTRY_KEYS)

    def test_a_count_board_writes_whole_counts(self):
        _screen, token = self.make_screen()
        for key in ("accounts", "effective", "ebanking"):
            for entry in board(self.data(token), key)["entries"]:
                self.assertRegex(entry["value_text"], r"^\d+$")
                self.assertIsInstance(entry["value"], int)

    def test_satisfaction_reads_as_a_percentage(self):
        _screen, token = self.make_screen()
        entry = board(self.data(token), "satisfaction")["entries"][0]
        self.assertEqual(entry["unit"], "%")
        self.assertRegex(entry["value_text"], r"^\d{1,3}\.\d$")

    def test_arrows_compare_with_the_same_board_last_month_and_newcomers_are_marked(self):
        _screen, token = self.make_screen()
        entries = {entry["name"]: entry for entry in board(self.data(token), "score")["entries"]}
        # September: 欧阳, 李重 and 赵休 tied first, 钱投 4th, 张丽 5th, 司马光 low and flagged.
        self.assertEqual((entries["张丽"]["movement"], entries["张丽"]["newcomer"]), ("up", False))
        self.assertEqual(entries["欧阳慕容思远"]["movement"], "down")
        self.assertEqual(entries["钱投"]["movement"], "up")
        self.assertEqual((entries["司马光"]["movement"], entries["司马光"]["newcomer"]), ("new", True))

    def test_without_a_shown_month_before_there_are_no_arrows(self):
        Period.objects.filter(month=SEPTEMBER).update(status=PeriodStatus.DRAFT)
        _screen, token = self.make_screen()
        data = self.data(token)
        self.assertIsNone(data["compared_with"])
        entries = [entry for item in data["boards"] for entry in item["entries"]]
        self.assertEqual({(entry["movement"], entry["newcomer"]) for entry in entries}, {(None, False)})

    def test_before_any_month_is_computed_the_boards_are_empty(self):
        Period.objects.update(status=PeriodStatus.DRAFT)
        _screen, token = self.make_screen()
        data = self.data(token)
        self.assertEqual((data["month"], data["data_time"]), (None, None))
        self.assertEqual([item["entries"] for item in data["boards"]], [[]] * 5)

    def test_the_deposits_board_is_off_unless_the_screen_shows_it(self):
        _screen, token = self.make_screen()
        self.assertNotIn("deposits", [item["key"] for item in self.data(token)["boards"]])
        _screen, token = self.make_screen(show_deposits=True)
        deposits = board(self.data(token), "deposits")
        self.assertEqual(deposits["entries"][0]["unit"], "万元")

    def test_a_draft_month_is_never_shown(self):
        Period.objects.create(month=datetime.date(2026, 11, 1), status=PeriodStatus.DRAFT)
        _screen, token = self.make_screen()
        self.assertEqual(self.data(token)["month"], "2026-10")

    def test_a_computed_month_is_shown_only_once_it_is_reviewed(self):
        Period.objects.filter(month=OCTOBER).update(status=PeriodStatus.COMPUTED)
        _screen, token = self.make_screen()
        self.assertEqual(self.data(token)["month"], "2026-09")
        Period.objects.filter(month=OCTOBER).update(status=PeriodStatus.REVIEWED)
        self.assertEqual(self.data(token)["month"], "2026-10")


class ScreenPrivacyTests(ScreenTestCase):
    def test_vetoed_staff_appear_on_no_board_although_their_numbers_are_the_best(self):
        _screen, token = self.make_screen(show_deposits=True)
        self.assertTrue(Scorecard.objects.get(period__month=OCTOBER, staff=self.vetoed).veto)
        self.assertNotIn("李重", everyone_shown(self.data(token)))

    def test_exempt_staff_appear_on_no_board(self):
        _screen, token = self.make_screen(show_deposits=True)
        self.assertTrue(Scorecard.objects.get(period__month=OCTOBER, staff=self.exempt).exempt)
        self.assertNotIn("赵休", everyone_shown(self.data(token)))

    def test_a_bottom_flagged_low_performer_never_appears(self):
        _screen, token = self.make_screen(show_deposits=True, top_n=30)
        self.assertTrue(Scorecard.objects.get(period__month=OCTOBER, staff=self.bob).bottom_flag)
        self.assertNotIn("王博", everyone_shown(self.data(token)))

    def test_staff_outside_the_screens_subtree_never_appear(self):
        _screen, token = self.make_screen(show_deposits=True, top_n=30)
        self.assertNotIn("欧阳奥利维娅", everyone_shown(self.data(token)))
        _screen, token = self.make_screen(at=self.tree["branch_b"])
        self.assertEqual(everyone_shown(self.data(token)), {"欧阳奥利维娅"})

    def test_complaints_flags_cases_and_ranks_are_not_in_the_json(self):
        _screen, token = self.make_screen(show_deposits=True, top_n=30)
        data = self.data(token)
        self.assertIn("钱投", everyone_shown(data))  # shown for her numbers, not her complaint
        for item in data["boards"]:
            for entry in item["entries"]:
                self.assertEqual(set(entry), ENTRY_KEYS)
        text = self.fetch(token).content.decode()
        for word in ("complaint", "flag", "veto", "exempt", "case", "rolling", "percentile", "employee"):
            self.assertNotIn(word, text)

    def test_a_board_shows_no_more_than_the_screens_top_n(self):
        _screen, token = self.make_screen(top_n=3)
        data = self.data(token)
        for item in data["boards"]:
            self.assertLessEqual(len(item["entries"]), 3)
        self.assertEqual(names(data, "score"), ["张丽", "欧阳慕容思远", "钱投"])

    def test_a_board_never_reaches_into_the_lower_half_of_a_small_branch(self):
        # The long-named outlet ranks five people in October (赵休 is exempt): three at most show.
        _screen, token = self.make_screen(at=self.outlet_long, top_n=10)
        shown = names(self.data(token), "score")
        self.assertEqual(shown, ["欧阳慕容思远", "同事7", "同事5"])

    def test_people_who_would_show_alike_are_told_apart_without_their_full_names(self):
        # Eight colleagues 同事0–同事7 all read 同经理: each gets the end of their employee number.
        _screen, token = self.make_screen(name_style="surname", top_n=10, show_deposits=True)
        data = self.data(token)
        for item in data["boards"]:
            shown = [entry["name"] for entry in item["entries"] if not entry["tied"]]
            self.assertEqual(len(shown), len(set(shown)), shown)
        colleagues = {name for name in everyone_shown(data) if name.startswith("同经理")}
        self.assertGreaterEqual(len(colleagues), 2)
        for name in colleagues:
            self.assertRegex(name, r"^同经理·\d{2}$")
        self.assertFalse(any("同事" in name for name in everyone_shown(data)))
        # A person reads the same on every board, and one with a surname of their own is unchanged.
        self.assertIn("张经理", everyone_shown(data))

    def test_surname_style_shows_surname_and_manager_and_keeps_compound_surnames(self):
        _screen, token = self.make_screen(name_style="surname", top_n=4)
        self.assertEqual(names(self.data(token), "score"), ["张经理", "欧阳经理", "钱经理", "司马经理"])


class NameTests(TestCase):
    def test_compound_surnames_keep_both_characters(self):
        for name, surname in [
            ("欧阳慕容思远", "欧阳"),
            ("司马光", "司马"),
            ("诸葛亮", "诸葛"),
            ("上官婉儿", "上官"),
            ("东方明珠", "东方"),
            ("皇甫嵩", "皇甫"),
            ("尉迟恭", "尉迟"),
            ("公孙策", "公孙"),
            ("慕容复", "慕容"),
            ("长孙无忌", "长孙"),
            ("令狐冲", "令狐"),
            ("司徒雷登", "司徒"),
            ("夏侯惇", "夏侯"),
            ("宇文化及", "宇文"),
            ("端木蓉", "端木"),
        ]:
            with self.subTest(name=name):
                self.assertEqual(surname_of(name), surname)
                self.assertEqual(display_name(name, "surname"), f"{surname}经理")

    def test_ordinary_surnames_are_one_character(self):
        self.assertEqual(display_name("张丽", "surname"), "张经理")
        self.assertEqual(display_name("欧阳", "surname"), "欧经理")  # 欧 + given name 阳
        self.assertEqual(display_name("阿依古丽·买买提", "surname"), "阿依古丽经理")

    def test_full_style_shows_the_name_as_it_is(self):
        self.assertEqual(display_name(" 欧阳慕容思远 ", "full"), "欧阳慕容思远")

    def test_branch_names_lose_their_outlet_suffix(self):
        self.assertEqual(short_branch_name("文三路营业部"), "文三路")
        self.assertEqual(short_branch_name("湘湖分理处"), "湘湖")
        self.assertEqual(short_branch_name("营业部"), "营业部")


class BoardTopTests(TestCase):
    spec = next(spec for spec in BOARDS if spec.key == "accounts")

    def rows(self, values):
        return [
            {"staff_id": i, "staff__employee_no": f"E{i:03d}", "score": Decimal(100 - i), "accounts": value}
            for i, value in enumerate(values)
        ]

    def test_ties_share_a_position_as_in_competition_ranking(self):
        shown = board_top(self.rows([30, 25, 25, 20, 10, 9, 8, 7, 6, 5]), self.spec, 10)
        self.assertEqual([position for position, _row, _value, _tied in shown], [1, 2, 2, 4, 5])
        self.assertEqual([tied for _position, _row, _value, tied in shown], [0] * 5)

    def test_people_tied_at_the_last_row_are_all_shown_when_they_fit(self):
        shown = board_top(self.rows([30, 25, 25, 20, 10, 9, 8, 7, 6, 5]), self.spec, 3)
        self.assertEqual([(p, row["staff_id"]) for p, row, _v, _t in shown], [(1, 0), (2, 1), (2, 2)])

    def test_a_tie_that_would_overflow_the_board_is_one_row_saying_how_many(self):
        rows = self.rows([30, 25, 25, 25, 10, 9, 8, 7, 6, 5])
        shown = board_top(rows, self.spec, 3)
        self.assertEqual(
            [(p, row and row["staff_id"], v, t) for p, row, v, t in shown], [(1, 0, 30, 0), (2, None, 25, 3)]
        )

    def test_a_tie_beyond_the_top_half_names_nobody(self):
        shown = board_top(self.rows([5, 5, 5, 5]), self.spec, 10)
        self.assertEqual([(p, row, v, t) for p, row, v, t in shown], [(1, None, 5, 4)])

    def test_distinct_names_adds_as_few_digits_as_tell_people_apart(self):
        names = distinct_names(
            {
                1: ("赵经理", "E1007"),
                2: ("赵经理", "E2012"),
                3: ("陈经理", "E1031"),
                4: ("陈经理", "E2131"),
                5: ("张经理", "E9"),
            }
        )
        self.assertEqual(names, {1: "赵经理·07", 2: "赵经理·12", 3: "陈经理·031", 4: "陈经理·131", 5: "张经理"})

    def test_nobody_is_honoured_for_nothing(self):
        shown = board_top(self.rows([3, 0, 0, 0]), self.spec, 10)
        self.assertEqual([value for _position, _row, value, _tied in shown], [3])

    def test_one_person_alone_is_shown(self):
        self.assertEqual(len(board_top(self.rows([4]), self.spec, 10)), 1)


class ScreenETagTests(ScreenTestCase):
    def test_the_json_has_a_strong_etag_and_asks_to_be_revalidated(self):
        _screen, token = self.make_screen()
        response = self.fetch(token)
        self.assertRegex(response["ETag"], r'^"[0-9a-f]{40}"$')
        self.assertEqual(response["Cache-Control"], "no-cache")
        self.assertEqual(response["Content-Type"], "application/json")
        self.assertEqual(response["ETag"], f'"{hashlib.sha256(response.content).hexdigest()[:40]}"')

    def test_a_matching_if_none_match_gets_304_with_no_body(self):
        _screen, token = self.make_screen()
        etag = self.fetch(token)["ETag"]
        response = self.fetch(token, if_none_match=etag)
        self.assertEqual(response.status_code, 304)
        self.assertEqual(response.content, b"")
        self.assertEqual(response["ETag"], etag)
        self.assertEqual(self.fetch(token, if_none_match=f'"other", W/{etag}').status_code, 304)
        self.assertEqual(self.fetch(token, if_none_match='"other"').status_code, 200)

    def test_answering_a_screen_that_is_up_to_date_takes_one_query(self):
        _screen, token = self.make_screen()
        etag = self.fetch(token)["ETag"]
        with self.assertNumQueries(1):
            self.assertEqual(self.fetch(token, if_none_match=etag).status_code, 304)
        with self.assertNumQueries(1):
            self.assertEqual(self.fetch(token).status_code, 200)

    def test_the_etag_changes_when_the_month_is_recomputed(self):
        _screen, token = self.make_screen()
        etag = self.fetch(token)["ETag"]
        with mock.patch("django.utils.timezone.now", return_value=timezone.now() + datetime.timedelta(hours=1)):
            period_compute(month=OCTOBER)
            review(OCTOBER)
        response = self.fetch(token, if_none_match=etag)
        self.assertEqual(response.status_code, 200)
        self.assertNotEqual(response["ETag"], etag)

    def test_the_etag_changes_when_the_screens_settings_change(self):
        screen, token = self.make_screen()
        etag = self.fetch(token)["ETag"]
        Screen.objects.filter(pk=screen.pk).update(top_n=3)
        self.assertEqual(self.fetch(token, if_none_match=etag).status_code, 200)

    def test_the_payload_is_the_boards_as_compact_json(self):
        screen, _token = self.make_screen()
        live = Screen.objects.get(pk=screen.pk)
        self.assertEqual(
            screen_payload(live).body,
            json.dumps(screen_boards(live), ensure_ascii=False, separators=(",", ":")).encode(),
        )


class ScreenTokenTests(ScreenTestCase):
    def test_only_the_hash_of_the_token_is_stored(self):
        screen, token = self.make_screen()
        self.assertGreaterEqual(len(token), 32)
        self.assertEqual(screen.token_hash, hashlib.sha256(token.encode()).hexdigest())
        stored = json.dumps(list(Screen.objects.values()), default=str) + json.dumps(
            list(Change.objects.values()), default=str
        )
        self.assertNotIn(token, stored)

    def test_a_token_finds_its_screen_and_nothing_else_does(self):
        screen, token = self.make_screen()
        self.assertEqual(screen_by_token(token), screen)
        self.assertIsNone(screen_by_token(token[:-1]))
        self.assertIsNone(screen_by_token(""))

    def test_revoking_a_screen_answers_404_on_both_urls(self):
        screen, token = self.make_screen()
        self.assertEqual(self.client.get(f"/screens/{token}/").status_code, 200)
        screen_revoke(screen=screen)
        response = self.fetch(token)
        self.assertEqual(response.status_code, 404)
        self.assertEqual(response.json(), {"error": "screen disabled"})
        page = self.client.get(f"/screens/{token}/")
        self.assertEqual(page.status_code, 404)
        self.assertContains(page, "此大屏已停用", status_code=404)

    def test_an_unknown_token_answers_404_on_both_urls(self):
        self.assertEqual(self.fetch("no-such-token").json(), {"error": "screen disabled"})
        self.assertContains(self.client.get("/screens/no-such-token/"), "此大屏已停用", status_code=404)

    def test_revoking_is_guarded_and_kept_in_the_history(self):
        screen, _token = self.make_screen()
        stale = Screen.objects.get(pk=screen.pk)
        screen_revoke(screen=screen)
        with self.assertRaises(ScreenError):
            screen_revoke(screen=stale)
        actions = list(
            Change.objects.filter(object_id=str(screen.pk), object_repr=screen.name).values_list("action", flat=True)
        )
        self.assertEqual(sorted(actions), ["create", "transition"])

    def test_a_screen_name_is_used_once(self):
        self.make_screen()
        with self.assertRaises(ScreenError):
            screen_create(branch=self.tree["sub_a"], name="大屏0")

    def test_settings_out_of_range_are_refused(self):
        for options in ({"top_n": 0}, {"rotate_seconds": 0}, {"poll_seconds": 99999}, {"name_style": "x"}):
            with self.subTest(options=options), self.assertRaises(ScreenError):
                screen_create(branch=self.tree["sub_a"], name="坏设置", **options)


class ScreenPageTests(ScreenTestCase):
    def test_the_page_needs_no_sign_in_and_sets_no_cookie(self):
        _screen, token = self.make_screen()
        response = self.client.get(f"/screens/{token}/")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Cache-Control"], "no-cache")
        self.assertEqual(response.cookies, {})
        self.assertContains(response, "光荣榜")
        self.assertContains(response, "欧阳慕容思远")  # the boards are in the page from the start
        self.assertContains(response, f"/screens/{token}/data.json")

    def test_the_page_speaks_the_sites_language_whatever_the_tv_asks_for(self):
        _screen, token = self.make_screen()
        html = self.client.get(f"/screens/{token}/", headers={"accept-language": "en"}).content.decode()
        self.assertIn("光荣榜", html)
        config = re.search(r'<script id="screen-config" type="application/json">(.*?)</script>', html, re.S)
        self.assertEqual(json.loads(config.group(1))["labels"]["newcomer"], "新上榜")

    def test_the_page_loads_nothing_from_anywhere_else(self):
        _screen, token = self.make_screen()
        html = self.client.get(f"/screens/{token}/").content.decode()
        self.assertNotRegex(html, r"""(src|href)\s*=\s*["']?(https?:)?//""")
        self.assertNotIn("@import", html)
        self.assertEqual(re.findall(r"url\((?!#)", html), [])

    def test_the_page_and_the_json_show_the_same_boards(self):
        _screen, token = self.make_screen()
        html = self.client.get(f"/screens/{token}/").content.decode()
        embedded = re.search(r'<script id="screen-data" type="application/json">(.*?)</script>', html, re.S)
        self.assertEqual(json.loads(embedded.group(1)), self.data(token))


class LastSeenTests(ScreenTestCase):
    def test_a_screen_is_noted_as_seen_at_most_once_a_minute(self):
        screen, token = self.make_screen()
        start = timezone.now()
        with mock.patch("django.utils.timezone.now", return_value=start):
            self.fetch(token)
        self.assertEqual(Screen.objects.get(pk=screen.pk).last_seen_at, start)
        with mock.patch("django.utils.timezone.now", return_value=start + datetime.timedelta(seconds=59)):
            with self.assertNumQueries(1):  # the look-up, no write
                self.fetch(token)
        self.assertEqual(Screen.objects.get(pk=screen.pk).last_seen_at, start)
        later = start + datetime.timedelta(seconds=61)
        with mock.patch("django.utils.timezone.now", return_value=later):
            self.client.get(f"/screens/{token}/")
        self.assertEqual(Screen.objects.get(pk=screen.pk).last_seen_at, later)

    def test_two_workers_noting_the_same_minute_write_once(self):
        screen, _token = self.make_screen()
        first, second = Screen.objects.get(pk=screen.pk), Screen.objects.get(pk=screen.pk)
        now = timezone.now()
        self.assertTrue(screen_seen(screen=first, now=now))
        self.assertFalse(screen_seen(screen=second, now=now + datetime.timedelta(seconds=5)))


class ScreenCommandTests(ScreenTestCase):
    def create(self, *args):
        out = io.StringIO()
        call_command("create_screen", *args, stdout=out)
        return out.getvalue()

    def test_create_screen_prints_the_url_once_and_stores_only_the_hash(self):
        output = self.create("--branch", "110100", "--name", "西湖支行大堂", "--top", "5", "--surname")
        token = re.search(r"http://127\.0\.0\.1:8000/screens/([A-Za-z0-9_-]+)/", output).group(1)
        screen = Screen.objects.get(name="西湖支行大堂")
        self.assertEqual(screen.token_hash, token_hash(token))
        self.assertEqual((screen.top_n, screen.name_style, screen.show_deposits), (5, "surname", False))
        self.assertEqual(screen.branch, self.tree["sub_a"])
        self.assertEqual(self.client.get(f"/screens/{token}/data.json").status_code, 200)

    @override_settings(SITE_URL="https://lobby.bank.example/")
    def test_create_screen_uses_the_site_url_when_set(self):
        output = self.create("--branch", "110100", "--name", "西湖支行大堂", "--deposits", "--rotate", "20")
        self.assertRegex(output, r"https://lobby\.bank\.example/screens/[A-Za-z0-9_-]{32}/")
        screen = Screen.objects.get(name="西湖支行大堂")
        self.assertEqual((screen.show_deposits, screen.rotate_seconds), (True, 20))

    def test_create_screen_refuses_an_unknown_branch(self):
        with self.assertRaisesMessage(CommandError, "没有机构号为"):
            self.create("--branch", "999999", "--name", "无此机构")

    def test_revoke_screen_stops_the_screen_and_refuses_twice(self):
        output = self.create("--branch", "110100", "--name", "西湖支行大堂")
        token = re.search(r"/screens/([A-Za-z0-9_-]+)/", output).group(1)
        call_command("revoke_screen", "西湖支行大堂", stdout=io.StringIO())
        self.assertEqual(self.client.get(f"/screens/{token}/data.json").status_code, 404)
        with self.assertRaises(CommandError):
            call_command("revoke_screen", "西湖支行大堂", stdout=io.StringIO())
        with self.assertRaisesMessage(CommandError, "没有名为"):
            call_command("revoke_screen", "无此大屏", stdout=io.StringIO())

    def test_a_revoked_screens_name_can_be_given_to_its_replacement(self):
        self.create("--branch", "110100", "--name", "西湖支行大堂")
        call_command("revoke_screen", "西湖支行大堂", stdout=io.StringIO())
        self.create("--branch", "110100", "--name", "西湖支行大堂")
        self.assertEqual(Screen.objects.filter(name="西湖支行大堂").count(), 2)
        self.assertEqual(Screen.objects.filter(name="西湖支行大堂", revoked_at__isnull=True).count(), 1)
        with self.assertRaisesMessage(CommandError, "西湖支行大堂"):
            self.create("--branch", "110100", "--name", "西湖支行大堂")


class ScreenPollCostTests(ScreenTestCase):
    """A poll is answered before the console's middleware, with the statement prepared once."""

    def test_the_middleware_knows_the_routes_path(self):
        from screens.middleware import ScreenDataMiddleware

        middleware = ScreenDataMiddleware(lambda request: None)
        self.assertRegex(reverse("screens:data", args=["tok-EN_123"]), middleware.path)
        self.assertIsNone(middleware.path.match(reverse("screens:page", args=["tok"])))

    def test_a_poll_sets_no_cookie_speaks_the_sites_language_and_keeps_the_security_headers(self):
        _screen, token = self.make_screen()
        self.client.get("/")  # a console request first: the thread's language must not leak in
        response = self.fetch(token, accept_language="en")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.cookies, {})
        self.assertNotIn("Vary", response)
        self.assertEqual(response["X-Frame-Options"], "DENY")
        self.assertEqual(response["X-Content-Type-Options"], "nosniff")
        self.assertIn("default-src 'self'", response["Content-Security-Policy"])
        self.assertEqual(response.content, self.fetch(token).content)
        self.assertIsNone(response.wsgi_request.resolver_match)  # answered before URL resolution
        self.assertEqual(self.client.post(f"/screens/{token}/data.json").status_code, 405)
        self.assertEqual(self.client.get(f"/screens/{token}/data.json", HTTP_HOST="evil.example").status_code, 400)

    def test_the_prepared_statement_finds_what_the_plain_one_finds(self):
        from django.db import connection

        from screens.selectors import _live_by_hash, token_hash

        screen, token = self.make_screen()
        for _ in range(3):  # prepared on the first use, then reused
            live = _live_by_hash(token_hash(token), revoked_too=False)
            self.assertEqual((live.pk, live.top_n, live.name_style), (screen.pk, screen.top_n, screen.name_style))
        self.assertIsNone(_live_by_hash("0" * 64, revoked_too=False))
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_prepared_statements")
                self.assertGreaterEqual(cursor.fetchone()[0], 1)
