"""The scheme as data, and the default scheme of SCORING.md."""

import dataclasses
import json
from decimal import Decimal

import pytest

from scoring import DEFAULT_SCHEME, Item, Scheme


def test_the_default_scheme_is_the_one_scoring_md_describes():
    items = {item.code: item for item in DEFAULT_SCHEME.items}
    assert (DEFAULT_SCHEME.code, DEFAULT_SCHEME.version, DEFAULT_SCHEME.position) == (
        "lobby-2026",
        1,
        "lobby_manager",
    )
    assert list(items) == ["accounts", "effective", "ebanking", "deposits", "satisfaction", "mystery"]
    assert {code: item.weight for code, item in items.items()} == {
        "accounts": 15,
        "effective": 20,
        "ebanking": 20,
        "deposits": 15,
        "satisfaction": 20,
        "mystery": 10,
    }
    assert sum(item.weight for item in DEFAULT_SCHEME.items) == 100
    ratio = {code: (item.target, item.cap) for code, item in items.items() if item.method == "ratio"}
    assert ratio == {
        "accounts": (20, Decimal("1.2")),
        "effective": (8, Decimal("1.2")),
        "ebanking": (15, Decimal("1.2")),
        "deposits": (100, Decimal("1.2")),
    }
    assert (items["satisfaction"].method, items["satisfaction"].floor, items["satisfaction"].span) == (
        "band",
        Decimal("0.80"),
        Decimal("0.20"),
    )
    assert items["mystery"].method == "score"
    assert DEFAULT_SCHEME.effective_threshold == 10000
    assert (DEFAULT_SCHEME.satisfaction_m, DEFAULT_SCHEME.satisfaction_prior) == (10, Decimal("0.95"))
    assert DEFAULT_SCHEME.satisfaction_good_rating == 4
    assert (DEFAULT_SCHEME.praise_bonus, DEFAULT_SCHEME.bonus_cap, DEFAULT_SCHEME.complaint_deduction) == (
        1,
        5,
        5,
    )
    assert (DEFAULT_SCHEME.grade_excellent, DEFAULT_SCHEME.grade_good, DEFAULT_SCHEME.grade_pass) == (
        100,
        85,
        60,
    )
    assert DEFAULT_SCHEME.exempt_min_present == 15
    assert (DEFAULT_SCHEME.probation_months, DEFAULT_SCHEME.rolling_months) == (3, 3)
    assert (DEFAULT_SCHEME.min_group, DEFAULT_SCHEME.bottom_share_tenths) == (8, 1)
    assert (DEFAULT_SCHEME.absolute_floor, DEFAULT_SCHEME.median_factor) == (60, Decimal("0.70"))
    assert DEFAULT_SCHEME.case_consecutive == 3


def test_a_scheme_survives_a_round_trip_through_json():
    data = json.loads(json.dumps(DEFAULT_SCHEME.to_dict()))
    assert Scheme.from_dict(data) == DEFAULT_SCHEME


def test_to_dict_writes_decimals_as_strings_in_field_order():
    data = DEFAULT_SCHEME.to_dict()
    assert list(data) == [field.name for field in dataclasses.fields(Scheme)]
    assert list(data["items"][0]) == [field.name for field in dataclasses.fields(Item)]
    assert data["median_factor"] == "0.70"
    assert data["items"][4]["floor"] == "0.80"
    assert data["items"][0]["floor"] is None


def test_from_dict_rejects_a_missing_or_unknown_key():
    data = DEFAULT_SCHEME.to_dict()
    del data["min_group"]
    with pytest.raises(ValueError, match="min_group"):
        Scheme.from_dict(data)
    data = DEFAULT_SCHEME.to_dict() | {"surprise": 1}
    with pytest.raises(ValueError, match="surprise"):
        Scheme.from_dict(data)


def test_the_highest_score_of_the_default_scheme_is_120_56():
    # No mystery visit, every ratio item at its 1.2 cap, full satisfaction, the bonus cap:
    # 20 + 26.67 + 26.67 + 20 + 22.22 = 115.56 of base, plus 5.
    assert DEFAULT_SCHEME.max_score() == Decimal("120.56")


def test_the_highest_score_follows_the_weights():
    only_mystery = dataclasses.replace(DEFAULT_SCHEME, items=(Item("mystery", "mystery", Decimal(100), "score"),))
    assert only_mystery.max_score() == Decimal("105.00")


def test_a_band_item_needs_a_floor_and_a_span():
    with pytest.raises(ValueError):
        Item("satisfaction", "satisfaction", Decimal(20), "band")


def test_an_unknown_method_is_rejected():
    with pytest.raises(ValueError):
        Item("accounts", "accounts", Decimal(20), "quota")


def test_item_codes_must_be_unique():
    item = DEFAULT_SCHEME.items[0]
    with pytest.raises(ValueError):
        dataclasses.replace(DEFAULT_SCHEME, items=(item, item))
