"""Schemes as data: validation in words, drafts and their history, files in and out, adoption."""

import dataclasses
import datetime
import json
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.test import TestCase

from appraisals import selectors
from appraisals.models import Period, PeriodStatus, Scheme, SchemeStatus, Scorecard
from appraisals.services.periods import period_compute
from appraisals.services.schemes import (
    SchemeError,
    scheme_adopt,
    scheme_change_sentence,
    scheme_draft_create,
    scheme_draft_save,
    scheme_export,
    scheme_import,
)
from audit.models import Change
from scoring import DEFAULT_SCHEME
from scoring.scheme import SchemeInvalid, scheme_parse, scheme_to_json
from tests import factories

OCTOBER = datetime.date(2026, 10, 1)
NOVEMBER = datetime.date(2026, 11, 1)


def shipped() -> dict:
    return json.loads(json.dumps(scheme_to_json(DEFAULT_SCHEME)))


def problems_of(data) -> list[tuple[str, str]]:
    with pytest.raises(SchemeInvalid) as raised:
        scheme_parse(data)
    return [(problem.field, problem.code) for problem in raised.value.problems]


def with_item(data: dict, code: str, **fields) -> dict:
    data["items"] = [{**item, **fields} if item["code"] == code else item for item in data["items"]]
    return data


# --- the pure rules --------------------------------------------------------------------------------


def test_the_shipped_scheme_as_json_reads_back_as_the_same_scheme():
    assert scheme_parse(shipped()) == DEFAULT_SCHEME


def test_a_negative_weight_is_named_by_its_item_and_field():
    data = with_item(shipped(), "accounts", weight=-5)
    assert ("items.accounts.weight", "negative") in problems_of(data)


def test_weights_that_do_not_add_up_to_100_are_refused_with_their_total():
    data = with_item(shipped(), "accounts", weight=30)
    with pytest.raises(SchemeInvalid) as raised:
        scheme_parse(data)
    assert [str(problem) for problem in raised.value.problems] == ["items: the weights add up to 115, not 100"]


def test_a_cap_below_one_is_refused():
    assert problems_of(with_item(shipped(), "deposits", cap=0.9)) == [("items.deposits.cap", "cap_below_one")]


def test_grade_bounds_out_of_order_are_refused():
    data = {**shipped(), "grade_good": 100, "grade_excellent": 90}
    assert problems_of(data) == [("grade_excellent", "grade_order")]


def test_an_unknown_item_and_a_missing_item_are_named():
    data = shipped()
    data["items"] = [item for item in data["items"] if item["code"] != "mystery"]
    assert problems_of(data) == [("items", "missing_item")]
    data["items"].append({"code": "loans", "weight": 10})
    assert ("items", "unknown_item") in problems_of(data)


def test_a_number_written_as_words_is_refused_by_its_field():
    assert problems_of({**shipped(), "bonus_cap": "five"}) == [("bonus_cap", "not_a_number")]


def test_an_item_may_leave_out_what_it_shares_with_the_shipped_item():
    data = shipped()
    data["items"] = [{"code": item["code"], "weight": item["weight"]} for item in data["items"]]
    assert scheme_parse(data) == DEFAULT_SCHEME


def test_the_veto_can_be_turned_off_and_an_old_stored_scheme_keeps_it_on():
    stored = DEFAULT_SCHEME.to_dict()
    del stored["veto_major_complaints"]
    assert type(DEFAULT_SCHEME).from_dict(stored).veto_major_complaints == 1
    assert scheme_parse({**shipped(), "veto_major_complaints": 0}).veto_major_complaints == 0


# --- drafts, history, files --------------------------------------------------------------------------


class SchemeServiceTests(TestCase):
    def setUp(self):
        self.shipped = Scheme.objects.get(code="lobby-2026", version=1)

    def parameters_with(self, scheme: Scheme, **weights) -> dict:
        data = scheme_to_json(selectors.scheme_data(scheme))
        for code, weight in weights.items():
            data = with_item(data, code, weight=weight)
        return data

    def test_a_draft_copies_the_current_scheme_as_the_next_version(self):
        draft = scheme_draft_create(source=self.shipped, user=None)
        self.assertEqual((draft.code, draft.version, draft.status, draft.active), ("lobby-2026", 2, "draft", False))
        self.assertEqual(selectors.scheme_data(draft), dataclasses.replace(DEFAULT_SCHEME, version=2))

    def test_editing_a_draft_keeps_every_change_in_the_history(self):
        draft = scheme_draft_create(source=self.shipped, user=None)
        scheme_draft_save(scheme=draft, parameters=self.parameters_with(draft, accounts=30, satisfaction=5), user=None)
        draft.refresh_from_db()
        self.assertEqual(selectors.scheme_data(draft).items[0].weight, Decimal("30"))
        change = Change.objects.filter(object_id=str(draft.pk), action=Change.Action.UPDATE).get()
        self.assertEqual(change.fields["items.accounts.weight"], ["15", "30"])
        self.assertEqual(change.fields["items.satisfaction.weight"], ["20", "5"])

    def test_a_bad_draft_is_refused_in_words_naming_the_field(self):
        draft = scheme_draft_create(source=self.shipped, user=None)
        with self.assertRaisesMessage(SchemeError, "开户数权重 不能小于 0"):
            scheme_draft_save(scheme=draft, parameters=self.parameters_with(draft, accounts=-1), user=None)

    def test_a_version_a_computed_month_used_can_no_longer_change(self):
        tree = factories.bank_tree()
        factories.full_month(factories.staff("E001", "张丽", tree["outlet_a"]), OCTOBER)
        period_compute(month=OCTOBER)
        self.shipped.status = SchemeStatus.DRAFT  # even a draft, once used
        self.shipped.save()
        with self.assertRaisesMessage(SchemeError, "不能修改"):
            scheme_draft_save(scheme=self.shipped, parameters=self.parameters_with(self.shipped), user=None)

    def test_the_sentence_says_what_the_scheme_changed(self):
        changed = scheme_parse(with_item(with_item(shipped(), "accounts", weight=30), "satisfaction", weight=5))
        self.assertEqual(
            scheme_change_sentence(base=DEFAULT_SCHEME, scheme=changed), "开户数权重 15 → 30；客户满意度权重 20 → 5。"
        )

    def test_importing_an_export_gives_the_same_scheme(self):
        draft = scheme_draft_create(source=self.shipped, user=None)
        parameters = self.parameters_with(draft, accounts=30, satisfaction=5)
        draft = scheme_draft_save(scheme=draft, parameters=parameters, user=None)
        data = json.loads(json.dumps(scheme_export(scheme=draft)))
        Scheme.objects.filter(pk=draft.pk).delete()
        imported, outcome = scheme_import(data=data)
        self.assertEqual(outcome, "created")
        self.assertEqual(selectors.scheme_data(imported).items[0].weight, 30)
        self.assertEqual(scheme_export(scheme=imported), data)
        self.assertEqual(scheme_import(data=data), (imported, "unchanged"))


class SchemeCommandTests(TestCase):
    def file(self, tmp, content) -> str:
        path = tmp / "scheme.json"
        path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
        return str(path)

    @pytest.fixture(autouse=True)
    def _tmp(self, tmp_path):
        self.tmp = tmp_path

    def test_export_then_import_round_trips_through_a_file(self):
        output = self.tmp / "lobby.json"
        call_command("export_scheme", "lobby-2026", "--output", str(output))
        data = json.loads(output.read_text(encoding="utf-8"))
        self.assertEqual(data["items"][0], {**data["items"][0], "code": "accounts", "weight": 15})
        data["version"] = 7
        path = self.file(self.tmp, data)
        call_command("import_scheme", path)
        imported = Scheme.objects.get(code="lobby-2026", version=7)
        self.assertEqual(selectors.scheme_data(imported), dataclasses.replace(DEFAULT_SCHEME, version=7))
        self.assertEqual(imported.status, SchemeStatus.DRAFT)

    def test_a_file_that_is_not_json_is_refused(self):
        with self.assertRaisesMessage(CommandError, "不是 JSON"):
            call_command("import_scheme", self.file(self.tmp, "code: lobby"))

    def test_a_file_missing_an_item_is_refused_naming_it(self):
        data = shipped()
        data["items"] = data["items"][:-1]
        with self.assertRaisesMessage(CommandError, "缺少考核项目 mystery"):
            call_command("import_scheme", self.file(self.tmp, data))

    def test_a_file_with_an_unknown_item_is_refused_naming_it(self):
        data = shipped()
        data["items"][0]["code"] = "loans"
        with self.assertRaisesMessage(CommandError, "没有考核项目“loans”"):
            call_command("import_scheme", self.file(self.tmp, data))

    def test_a_file_with_a_negative_weight_is_refused_naming_the_field(self):
        data = with_item(shipped(), "ebanking", weight=-20)
        with self.assertRaisesMessage(CommandError, "电子银行权重 不能小于 0"):
            call_command("import_scheme", self.file(self.tmp, data))
        self.assertEqual(Scheme.objects.count(), 1)


# --- adoption ------------------------------------------------------------------------------------------


class AdoptionTests(TestCase):
    def setUp(self):
        self.shipped = Scheme.objects.get(code="lobby-2026", version=1)
        tree = factories.bank_tree()
        self.alice = factories.staff("E001", "张丽", tree["outlet_a"])
        for month in (OCTOBER, NOVEMBER):
            factories.full_month(self.alice, month, share=0.5)

    def draft_with_weights(self) -> Scheme:
        draft = scheme_draft_create(source=self.shipped, user=None)
        data = with_item(with_item(shipped(), "accounts", weight=30), "satisfaction", weight=5)
        return scheme_draft_save(scheme=draft, parameters=data, user=None)

    def test_an_adopted_scheme_scores_its_month_onward_and_the_scorecards_record_it(self):
        draft = self.draft_with_weights()
        scheme_adopt(scheme=draft, from_month=NOVEMBER, reason="2027 年方案试行", user=None)
        self.assertEqual(selectors.scheme_for_month(month=OCTOBER), self.shipped)
        self.assertEqual(selectors.scheme_for_month(month=NOVEMBER), draft)
        period_compute(month=OCTOBER)
        period_compute(month=NOVEMBER)
        october = Scorecard.objects.get(period__month=OCTOBER)
        november = Scorecard.objects.get(period__month=NOVEMBER)
        self.assertEqual((october.scheme, october.score), (self.shipped, Decimal("40.67")))
        self.assertEqual((november.scheme, november.score), (draft, Decimal("48.17")))
        draft.refresh_from_db()
        self.assertEqual(draft.status, SchemeStatus.ACTIVE)
        self.assertTrue(Change.objects.filter(object_id=str(draft.pk), action=Change.Action.TRANSITION).exists())

    def test_a_scheme_is_never_adopted_for_a_finalized_month(self):
        period_compute(month=OCTOBER)
        Period.objects.filter(month=OCTOBER).update(status=PeriodStatus.FINALIZED)
        with self.assertRaisesMessage(SchemeError, "2026-10 已定稿"):
            scheme_adopt(scheme=self.draft_with_weights(), from_month=OCTOBER, reason="试行新方案", user=None)

    def test_adoption_needs_a_reason(self):
        with self.assertRaisesMessage(SchemeError, "原因"):
            scheme_adopt(scheme=self.draft_with_weights(), from_month=NOVEMBER, reason=" ", user=None)
