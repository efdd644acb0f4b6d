"""What the busiest console pages cost (docs/benchmarks.md, "Console"): the queries they run are
pinned, and what makes them cheap keeps them right — the month's counts read once per
computation, the sign-in read with its membership and unread notices, the scorecards' rows
written without django-tables2's per-cell machinery."""

import re

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.safestring import mark_safe
from django_tables2 import RequestConfig

from appraisals.models import BranchSignoff, Period, PeriodStatus, Scorecard
from appraisals.selectors import (
    scorecards_for_user,
    scorecards_with_review,
    signoff_progress_for_user,
    signoff_state_for_user,
)
from appraisals.services.periods import period_compute
from console.backends import ConsoleBackend
from console.tables.appraisals import ScorecardTable
from notices.models import Notice
from notices.selectors import unread_count, with_unread_notices
from staff.models import Membership, Role
from tests.console.base import OCTOBER, BaseTestCase

M = "2026-10"


class ScorecardsPageTests(BaseTestCase):
    def test_the_filtered_page_costs_seven_queries(self):
        self.sign_in(self.hr_user)
        url = reverse("console:scorecards", args=[M])
        params = {"sort": "-score", "branch": self.tree["branch_a"].pk, "grade": ""}
        self.client.get(url, params)  # the month's count for this filter is now known
        # session, the user with membership and unread notices, period, chosen branch, branch
        # choices, the page itself; the count is the month's, read once
        with self.assertNumQueries(6):
            response = self.client.get(url, params)
        self.assertContains(response, "张丽")
        self.assertEqual(response.context["table"].paginator.count, 2)

    def test_a_count_kept_for_a_month_is_that_months_until_it_is_computed_again(self):
        self.sign_in(self.hr_user)
        url = reverse("console:scorecards", args=[M])
        self.assertEqual(self.client.get(url).context["table"].paginator.count, 3)
        alice_card = Scorecard.objects.get(period=self.period, staff=self.alice)
        alice_card.delete()  # not how scorecards change: the kept count is not read again…
        self.assertEqual(self.client.get(url).context["table"].paginator.count, 3)
        Period.objects.filter(pk=self.period.pk).update(status=PeriodStatus.COMPUTED)
        period_compute(month=OCTOBER)  # …computing the month is, and it makes a new key
        self.assertEqual(self.client.get(url).context["table"].paginator.count, 3)
        self.assertEqual(
            self.client.get(url, {"grade": alice_card.grade}).context["table"].paginator.count,
            Scorecard.objects.filter(grade=alice_card.grade).count(),
        )

    def test_a_name_search_is_counted_every_time(self):
        self.sign_in(self.hr_user)
        url = reverse("console:scorecards", args=[M])
        self.assertEqual(self.client.get(url, {"q": "Alice"}).context["table"].paginator.count, 0)
        self.alice.name = "Alice 张"
        self.alice.save()
        self.assertEqual(self.client.get(url, {"q": "Alice"}).context["table"].paginator.count, 1)

    def test_a_branch_head_is_never_given_hrs_count(self):
        self.sign_in(self.hr_user)
        url = reverse("console:scorecards", args=[M])
        self.assertEqual(self.client.get(url).context["table"].paginator.count, 3)
        self.sign_in(self.head_user)
        self.assertEqual(self.client.get(url).context["table"].paginator.count, 2)

    def test_the_rows_are_what_django_tables2_would_write(self):
        request = RequestFactory().get("/", {"sort": "name"})
        request.user = self.hr_user
        query = scorecards_with_review(scorecards_for_user(user=self.hr_user, period=self.period))
        query = query.select_related("staff", "branch", "peer_group", "period")
        Scorecard.objects.filter(staff=self.bob).update(rank=None, rolling=None, veto=True)  # empty cells, badges
        Scorecard.objects.filter(staff=self.olivia).update(bottom_flag=True)  # under review: her appeal is open
        table = ScorecardTable(query)
        RequestConfig(request, paginate={"per_page": 50}).configure(table)
        ours = table.body_html()
        stock = ScorecardTable(query, template_name="django_tables2/table.html")
        RequestConfig(request, paginate={"per_page": 50}).configure(stock)
        html = stock.as_html(request)
        theirs = html[html.index("<tbody") : html.index("</tbody>")].split(">", 1)[1]

        def squeeze(text):
            return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", text)).strip()

        self.assertEqual(squeeze(ours), squeeze(theirs))
        self.assertEqual(ours.count("<tr "), 3)
        self.assertIn('<span class="badge badge-review">复核中</span>', ours)
        self.assertIn('<span class="badge badge-veto">一票否决</span>', ours)


class DashboardTests(BaseTestCase):
    def test_a_computed_month_costs_eight_queries(self):
        Period.objects.filter(pk=self.period.pk).update(status=PeriodStatus.COMPUTED)
        BranchSignoff.objects.create(period=self.period, branch=self.tree["sub_a"], user=self.head_user)
        self.sign_in(self.hr_user)
        self.client.get("/")
        # session, user (membership, unread notices), period, last imports, the sub-branches'
        # sign-offs, open appeals, flagged scorecards, open cases
        with self.assertNumQueries(8):
            response = self.client.get("/")
        self.assertEqual(len(response.context["signoff"]["done"]), 1)
        self.assertEqual(response.context["summary"]["total"], 3)

    def test_the_flagged_list_reads_the_flagged_index_not_the_months_rows(self):
        self.sign_in(self.hr_user)
        with CaptureQueriesContext(connection) as queries:
            response = self.client.get("/")
        self.assertIn("flagged", response.context)
        (flagged,) = [q["sql"] for q in queries if '"bottom_flag"' in q["sql"] and "LIMIT 10" in q["sql"]]
        if connection.vendor != "sqlite":
            self.skipTest("the plan of a few rows on PostgreSQL is a sequential scan whatever the indexes")
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN QUERY PLAN {flagged}")
            plan = " ".join(str(row[-1]) for row in cursor.fetchall())
        self.assertIn("scorecard_flagged", plan)
        self.assertNotIn("USE TEMP B-TREE FOR ORDER BY", plan)  # only its right part: the tie-break

    def test_the_counts_follow_a_new_computation(self):
        self.sign_in(self.hr_user)
        self.assertEqual(self.client.get("/").context["summary"]["total"], 3)
        Scorecard.objects.filter(staff=self.bob).delete()  # not how scorecards change…
        self.assertEqual(self.client.get("/").context["summary"]["total"], 3)  # …kept for this computation
        Period.objects.filter(pk=self.period.pk).update(status=PeriodStatus.COMPUTED)
        period_compute(month=OCTOBER)  # a new computation, a new key
        self.assertEqual(self.client.get("/").context["summary"]["total"], 3)
        self.sign_in(self.head_user)
        self.assertEqual(self.client.get("/").context["summary"]["total"], 2)  # a scope of its own

    def test_the_dashboards_sign_off_progress_is_the_month_pages(self):
        Period.objects.filter(pk=self.period.pk).update(status=PeriodStatus.COMPUTED)
        period = Period.objects.get(pk=self.period.pk)
        for users in ([], [self.head_user]):
            for user in users:
                BranchSignoff.objects.create(period=period, branch=self.tree["sub_a"], user=user)
            for who in (self.hr_user, self.head_user):
                full = signoff_state_for_user(period=period, user=who)
                progress = signoff_progress_for_user(period=period, user=who)
                self.assertEqual(progress["done"], full["done"])
                self.assertEqual(progress["missing"], full["missing"])
        self.assertEqual(signoff_progress_for_user(period=period, user=self.hr_user)["missing"], [self.tree["sub_b"]])
        BranchSignoff.objects.create(period=period, branch=self.tree["sub_b"].parent, user=self.hr_user)
        self.assertEqual(signoff_progress_for_user(period=period, user=self.hr_user)["missing"], [])


class SignInTests(BaseTestCase):
    def test_the_sign_in_comes_with_its_membership_and_unread_notices(self):
        before = unread_count(user=self.alice_user)
        for user in (self.hr_user, self.head_user, self.alice_user):
            Notice.objects.create(kind="period_published", event_key="x", user=user, subject="s", body="b")
        Notice.objects.create(kind="period_published", event_key="y", staff=self.alice, subject="s", body="b")
        Notice.objects.create(
            kind="period_published", event_key="z", user=self.alice_user, staff=self.alice, subject="s", body="b"
        )
        Notice.objects.create(kind="period_published", event_key="w", staff=self.bob, subject="s", body="b")
        Notice.objects.filter(event_key="x", user=self.hr_user).update(read_at=self.period.computed_at)
        users = with_unread_notices(get_user_model().objects.all())
        for user in get_user_model().objects.all():
            with self.subTest(user=user.username):
                self.assertEqual(users.get(pk=user.pk).unread_notices, unread_count(user=user))
        self.assertEqual(users.get(pk=self.alice_user.pk).unread_notices, before + 3)
        self.assertEqual(users.get(pk=self.hr_user.pk).unread_notices, 0)

        with self.assertNumQueries(1):
            alice = ConsoleBackend().get_user(self.alice_user.pk)
            self.assertEqual(alice.membership.staff, self.alice)
        with self.assertNumQueries(0):
            from staff.selectors import membership_of

            self.assertEqual(membership_of(alice).role, Role.LOBBY_MANAGER)
            self.assertEqual(unread_count(user=alice), before + 3)

    def test_a_user_without_a_membership_or_inactive(self):
        lone = get_user_model().objects.create_user("lone", password="pw-lone-1234")
        self.assertIsNone(ConsoleBackend().get_user(lone.pk)._membership_cache)
        lone.is_active = False
        lone.save()
        self.assertIsNone(ConsoleBackend().get_user(lone.pk))
        self.assertFalse(Membership.objects.filter(user=lone).exists())


class QuickSelectTests(BaseTestCase):
    def test_it_writes_what_djangos_select_writes(self):
        from django import forms

        from console.forms.widgets import QuickSelect

        choices = [("", "全部"), (1, "杭州分行"), (2, 'A & "B" <支行>')]
        for value in ("", "2", None):
            for attrs in ({"id": "id_branch"}, {"id": "x", "disabled": True, "data-x": False}):
                ours = QuickSelect(choices=choices).render("branch", value, attrs)
                theirs = forms.Select(choices=choices).render("branch", value, attrs)
                self.assertEqual(ours, theirs)
        grouped = [("分行", [(1, "杭州"), (2, "宁波")]), (3, "总行")]
        self.assertEqual(
            QuickSelect(choices=grouped).render("b", "3", {}), forms.Select(choices=grouped).render("b", "3", {})
        )
        safe = [("", mark_safe("<b>全部</b>")), (1, "A"), (1, "A again")]  # the first match is selected
        self.assertEqual(QuickSelect(choices=safe).render("s", 1, {}), forms.Select(choices=safe).render("s", 1, {}))

    def test_a_branch_filter_is_written_as_djangos_would(self):
        from django import forms

        from console.filters.appraisals import ScorecardFilter
        from console.forms.widgets import QuickSelect
        from staff.models import Branch

        chosen = self.tree["branch_a"]
        form = ScorecardFilter(
            {"branch": chosen.pk, "grade": "good", "flag": "veto"},
            queryset=Scorecard.objects.all(),
            branches=Branch.objects.order_by("path"),
        ).form
        self.assertTrue(form.is_valid())
        for name in ("branch", "grade", "flag"):
            field = form.fields[name]
            self.assertIsInstance(field.widget, QuickSelect)
            ours = str(form[name])
            self.assertIn(f'<option value="{form[name].value()}" selected>', ours)
            field.widget = forms.Select(choices=field.choices)
            self.assertEqual(ours, str(form[name]))


class GradeLabelTests(BaseTestCase):
    def test_it_says_what_get_grade_display_says_in_either_language(self):
        from django.utils import translation

        from appraisals.models import Grade
        from console.tables.appraisals import grade_label

        for language in ("zh-hans", "en"):
            with translation.override(language):
                for grade in [*Grade.values, "unknown"]:
                    self.assertEqual(grade_label(grade), Scorecard(grade=grade).get_grade_display())
        with translation.override("zh-hans"):
            chinese = grade_label(Grade.values[0])
        with translation.override("en"):
            self.assertNotEqual(grade_label(Grade.values[0]), chinese)  # translated when written
