"""Reading: the months, a published month's scorecards with exactly the values of the CSV export,
one person's history; and the answers when something is wrong, always JSON."""

import csv
import datetime
import io

from django.core.cache import cache
from django.test import override_settings

from appraisals.models import Period, Scorecard
from reports.exports import SCORECARD_COLUMNS, ScorecardExport
from tests.api.base import OCTOBER, ApiTestCase


class MonthListTests(ApiTestCase):
    def test_it_lists_the_months_with_their_status_and_scorecard_count(self):
        Period.objects.create(month=OCTOBER.replace(month=11))
        response = self.call("get", "/api/v1/months/", self.read_token)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            response.json(),
            [
                {"month": "2026-11", "status": "draft", "published": False, "scorecards": 0},
                {"month": "2026-10", "status": "reviewed", "published": True, "scorecards": 3},
            ],
        )


class MonthScorecardTests(ApiTestCase):
    def scorecards(self, query=""):
        response = self.call("get", f"/api/v1/months/2026-10/scorecards/{query}", self.read_token)
        self.assertEqual(response.status_code, 200, response.content)
        return response.json()

    def test_each_result_has_the_names_and_values_of_the_csv_export(self):
        _name, _type, content = ScorecardExport(period=self.period).render("csv")
        expected = list(csv.DictReader(io.StringIO(content.decode("utf-8"))))
        body = self.scorecards()
        self.assertEqual((body["count"], body["next"], body["previous"]), (3, None, None))
        self.assertEqual(len(body["results"]), 3)
        for result, row in zip(body["results"], expected, strict=True):
            self.assertEqual(list(result), SCORECARD_COLUMNS)
            as_text = {
                name: "" if value is None else ("true" if value is True else "false" if value is False else str(value))
                for name, value in result.items()
            }
            self.assertEqual(as_text, row)

    def test_numbers_are_typed_and_decimals_keep_the_csv_places(self):
        alice = next(r for r in self.scorecards()["results"] if r["employee_no"] == "E001")
        self.assertIsInstance(alice["accounts"], int)
        self.assertIsInstance(alice["bottom_flag"], bool)
        self.assertRegex(alice["score"], r"^\d+\.\d{2}$")
        self.assertRegex(alice["deposits"], r"^\d+\.\d{4}$")

    def test_it_pages_in_the_export_order(self):
        first = self.scorecards("?page_size=2")
        self.assertEqual(first["count"], 3)
        self.assertIn("page=2", first["next"])
        second = self.call("get", first["next"], self.read_token).json()
        numbers = [r["employee_no"] for r in first["results"] + second["results"]]
        self.assertEqual(numbers, [r["employee_no"] for r in self.scorecards()["results"]])

    def read_all(self, page_size: int, query: str = "") -> list[dict]:
        url, results = f"/api/v1/months/2026-10/scorecards/?page_size={page_size}{query}", []
        while url:
            body = self.call("get", url, self.read_token).json()
            results += body["results"]
            url = body["next"]
        return results

    def test_every_page_size_reads_the_export_in_its_order_with_ties_and_exempt_members(self):
        def as_text(result):
            return [
                "" if value is None else ("true" if value is True else "false" if value is False else str(value))
                for value in result.values()
            ]

        for ranks in ({"E001": 1, "E002": 2, "E900": 1}, {"E001": 1, "E002": 1, "E900": None}, {"E001": None}):
            for number, rank in ranks.items():
                Scorecard.objects.filter(staff__employee_no=number).update(rank=rank)
            expected = list(ScorecardExport(period=self.period).rows())
            for size in (1, 2, 3, 4):
                with self.subTest(ranks=ranks, page_size=size):
                    self.assertEqual([as_text(r) for r in self.read_all(size)], expected)
        grade = Scorecard.objects.get(staff=self.alice).grade
        only = ScorecardExport(period=self.period, queryset=Scorecard.objects.filter(period=self.period, grade=grade))
        self.assertEqual([as_text(r) for r in self.read_all(1, f"&grade={grade}")], list(only.rows()))

    def test_a_page_costs_the_same_few_queries(self):
        self.scorecards("?page_size=3")
        # the client, the month, and the two peer groups the page spans: the peer groups'
        # counts are kept from the first page until the month is computed again
        with self.assertNumQueries(4):
            body = self.scorecards("?page_size=3")
        self.assertEqual(len(body["results"]), 3)

    def test_the_kept_counts_follow_the_filters_and_a_new_computation(self):
        grade = Scorecard.objects.get(staff=self.alice).grade
        in_grade = Scorecard.objects.filter(period=self.period, grade=grade).count()
        self.assertEqual(self.scorecards()["count"], 3)
        self.assertEqual(self.scorecards(f"?grade={grade}")["count"], in_grade)
        self.assertEqual(self.scorecards("?bottom_flag=false")["count"], 3 - self.flagged())
        # Computing the month again writes its scorecards and its computation time afresh.
        Scorecard.objects.filter(period=self.period, staff=self.alice).delete()
        Period.objects.filter(pk=self.period.pk).update(
            computed_at=self.period.computed_at + datetime.timedelta(minutes=1), scorecard_count=2
        )
        body = self.scorecards()
        self.assertEqual(body["count"], 2)
        self.assertNotIn("E001", [r["employee_no"] for r in body["results"]])

    def flagged(self) -> int:
        return Scorecard.objects.filter(period=self.period, bottom_flag=True).count()

    def test_filters_narrow_the_results(self):
        self.assertEqual({r["employee_no"] for r in self.scorecards("?peer_group=120000")["results"]}, {"E900"})
        self.assertEqual({r["branch_code"] for r in self.scorecards("?branch_code=110101")["results"]}, {"110101"})
        grade = Scorecard.objects.get(staff=self.alice).grade
        self.assertIn("E001", {r["employee_no"] for r in self.scorecards(f"?grade={grade}")["results"]})
        flagged = set(Scorecard.objects.filter(bottom_flag=True).values_list("staff__employee_no", flat=True))
        self.assertEqual({r["employee_no"] for r in self.scorecards("?bottom_flag=true")["results"]}, flagged)

    def test_a_bad_filter_is_400(self):
        response = self.call("get", "/api/v1/months/2026-10/scorecards/?grade=best", self.read_token)
        self.assertEqual(response.status_code, 400)
        self.assertIn("grade", response.json()["message"])

    def test_a_month_that_is_not_published_is_404(self):
        Period.objects.filter(pk=self.period.pk).update(status="computed")
        response = self.call("get", "/api/v1/months/2026-10/scorecards/", self.read_token)
        self.assertEqual(response.status_code, 404)
        self.assertIn("2026-10", response.json()["message"])
        for month in ("2026-09", "2026-13"):
            self.assertEqual(self.call("get", f"/api/v1/months/{month}/scorecards/", self.read_token).status_code, 404)


class StaffHistoryTests(ApiTestCase):
    def test_it_gives_one_persons_published_months(self):
        response = self.call("get", "/api/v1/staff/E001/scorecards/", self.read_token)
        self.assertEqual(response.status_code, 200)
        results = response.json()["results"]
        self.assertEqual([(r["period"], r["employee_no"]) for r in results], [("2026-10", "E001")])

    def test_an_unpublished_month_is_not_in_the_history(self):
        Period.objects.filter(pk=self.period.pk).update(status="computed")
        response = self.call("get", "/api/v1/staff/E001/scorecards/", self.read_token)
        self.assertEqual(response.json()["count"], 0)

    def test_an_unknown_employee_is_404(self):
        response = self.call("get", "/api/v1/staff/Z999/scorecards/", self.read_token)
        self.assertEqual(response.status_code, 404)
        self.assertIn("Z999", response.json()["message"])


class ErrorAnswerTests(ApiTestCase):
    def test_an_unknown_path_under_api_is_a_json_404(self):
        paths = (
            "/api/",
            "/api/v2/months/",
            "/api/v1/months",
            "/api/v1/nothing/here/",
            "/api/v1/months/s%0Aq/scorecards/",
        )
        for path in paths:
            with self.subTest(path=path):
                response = self.call("get", path, self.read_token)
                self.assertEqual(response.status_code, 404)
                self.assertEqual(response["Content-Type"], "application/json")
                self.assertTrue(response.json()["message"])

    def test_text_no_database_can_hold_finds_nothing_and_filters_nothing(self):
        self.assertEqual(self.call("get", "/api/v1/staff/E0%0001/scorecards/", self.read_token).status_code, 404)
        response = self.call("get", "/api/v1/months/2026-10/scorecards/?branch_code=11%00", self.read_token)
        self.assertEqual(response.status_code, 400)
        self.assertTrue(response.json()["message"])

    def test_a_wrong_method_is_a_json_405(self):
        response = self.call("delete", "/api/v1/months/", self.read_token)
        self.assertEqual(response.status_code, 405)
        self.assertTrue(response.json()["message"])

    def test_a_page_past_the_end_is_a_json_404(self):
        response = self.call("get", "/api/v1/months/2026-10/scorecards/?page=9", self.read_token)
        self.assertEqual(response.status_code, 404)
        self.assertTrue(response.json()["message"])

    def test_messages_follow_accept_language_and_default_to_chinese(self):
        chinese = self.call("get", "/api/v1/months/")
        english = self.call("get", "/api/v1/months/", HTTP_ACCEPT_LANGUAGE="en")
        self.assertIn("令牌", chinese.json()["message"])
        self.assertIn("token", english.json()["message"])

    def test_a_failure_of_our_own_is_a_json_500_without_a_traceback(self):
        from unittest import mock

        with mock.patch("api.selectors.periods_listed", side_effect=RuntimeError("boom in the database")):
            with self.assertLogs("api", level="ERROR"):
                response = self.call("get", "/api/v1/months/", self.read_token)
        self.assertEqual(response.status_code, 500)
        self.assertNotIn("boom", response.content.decode())
        self.assertNotIn("Traceback", response.content.decode())
        self.assertTrue(response.json()["message"])

    @override_settings(API_RATE_LIMIT="3/min")
    def test_a_client_over_its_rate_is_told_when_to_come_back(self):
        cache.clear()
        statuses = [self.call("get", "/api/v1/months/", self.read_token).status_code for _ in range(3)]
        self.assertEqual(statuses, [200, 200, 200])
        response = self.call("get", "/api/v1/months/", self.read_token)
        self.assertEqual(response.status_code, 429)
        self.assertGreater(int(response["Retry-After"]), 0)
        self.assertTrue(response.json()["message"])
        # another client has its own allowance
        self.assertEqual(self.post_rows("deposits", [self.deposit()], query="?dry_run=true").status_code, 200)
        cache.clear()
