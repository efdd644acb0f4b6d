"""Schemes in the console: HR drafts, edits, simulates and adopts; a branch head sees the
comparison of their subtree only; a lobby manager sees none of it."""

import io

from django.urls import reverse

from appraisals.models import Period, PeriodStatus, Scheme, SchemeAdoption, SchemeStatus, Simulation
from appraisals.selectors import scheme_data
from scoring.scheme import scheme_to_json
from tests.console.base import OLIVIA_NAME, BaseTestCase


class SchemeConsoleTests(BaseTestCase):
    def setUp(self):
        self.shipped = Scheme.objects.get(code="lobby-2026", version=1)

    def draft(self) -> Scheme:
        self.sign_in(self.hr_user)
        response = self.client.post(reverse("console:scheme_copy", args=[self.shipped.pk]))
        draft = Scheme.objects.get(status=SchemeStatus.DRAFT)
        self.assertRedirects(response, reverse("console:scheme_edit", args=[draft.pk]))
        return draft

    def form_data(self, scheme: Scheme, **weights) -> dict:
        data = scheme_to_json(scheme_data(scheme))
        form = {"name": "2027 方案", "note": ""}
        for item in data["items"]:
            for key in ("weight", "target", "cap", "floor", "span"):
                if item[key] is not None:
                    form[f"{item['code']}_{key}"] = item[key]
            form[f"{item['code']}_weight"] = weights.get(item["code"], item["weight"])
        for key, value in data.items():
            if key not in ("items", "code", "version", "position"):
                form[key] = value
        return form

    def test_hr_copies_the_current_scheme_into_a_draft_and_edits_its_weights(self):
        draft = self.draft()
        response = self.client.post(
            reverse("console:scheme_edit", args=[draft.pk]), self.form_data(draft, accounts=30, satisfaction=5)
        )
        self.assertRedirects(response, reverse("console:scheme", args=[draft.pk]))
        draft.refresh_from_db()
        self.assertEqual(scheme_data(draft).items[0].weight, 30)
        self.assertContains(self.client.get(reverse("console:scheme", args=[draft.pk])), "items.accounts.weight")

    def test_weights_that_do_not_add_up_are_shown_in_words_and_nothing_is_saved(self):
        draft = self.draft()
        response = self.client.post(reverse("console:scheme_edit", args=[draft.pk]), self.form_data(draft, accounts=40))
        self.assertContains(response, "各项权重合计为 125，应为 100。")
        draft.refresh_from_db()
        self.assertEqual(scheme_data(draft).items[0].weight, 15)

    def simulate(self) -> Simulation:
        draft = self.draft()
        self.client.post(
            reverse("console:scheme_edit", args=[draft.pk]), self.form_data(draft, accounts=30, satisfaction=5)
        )
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(reverse("console:scheme_simulate", args=[draft.pk]), {"first": "2026-10"})
        simulation = Simulation.objects.get()
        self.assertRedirects(response, reverse("console:job", args=[simulation.job_id]))
        self.assertContains(self.client.get(response.url), "查看对比结果")
        return simulation

    def test_hr_simulates_a_draft_and_reads_the_comparison(self):
        simulation = self.simulate()
        response = self.client.get(reverse("console:simulation", args=[simulation.pk]))
        self.assertContains(response, "开户数权重 15 → 30；客户满意度权重 20 → 5。")
        self.assertContains(response, "<svg", count=4)
        self.assertContains(response, OLIVIA_NAME)
        self.assertContains(response, "杭州分行")

    def test_the_person_by_person_table_downloads_as_xlsx_with_chinese_headers(self):
        from openpyxl import load_workbook

        simulation = self.simulate()
        response = self.client.get(reverse("console:simulation", args=[simulation.pk]), {"export": "xlsx", "q": "E001"})
        rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
        self.assertEqual(rows[0][:6], ("月份", "员工编号", "姓名", "考核组", "原得分", "新得分"))
        self.assertEqual([row[1] for row in rows[1:]], ["E001"])

    def test_a_branch_head_sees_the_comparison_of_their_subtree_only(self):
        simulation = self.simulate()
        self.sign_in(self.head_user)
        response = self.client.get(reverse("console:simulation", args=[simulation.pk]))
        self.assertContains(response, "张丽")
        self.assertNotContains(response, OLIVIA_NAME)
        self.assertEqual(self.client.get(reverse("console:scheme", args=[simulation.scheme_id])).status_code, 403)

    def test_a_lobby_manager_sees_no_simulation(self):
        simulation = self.simulate()
        self.sign_in(self.alice_user)
        self.assertEqual(self.client.get(reverse("console:simulation", args=[simulation.pk])).status_code, 403)

    def test_hr_adopts_a_draft_from_a_month_with_a_reason_but_never_for_a_finalized_month(self):
        draft = self.draft()
        Period.objects.filter(pk=self.period.pk).update(status=PeriodStatus.FINALIZED)
        url = reverse("console:scheme_adopt", args=[draft.pk])
        response = self.client.post(url, {"from_month": "2026-10", "reason": "2027 年方案"}, follow=True)
        self.assertContains(response, "2026-10 已定稿")
        self.assertFalse(SchemeAdoption.objects.exists())
        self.client.post(url, {"from_month": "2026-11", "reason": "2027 年方案"})
        self.assertEqual(SchemeAdoption.objects.get().scheme, draft)
