"""Round half up on the exact decimal value (SCORING.md preamble and §2)."""

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import round_half_up

# No example database on disk: the tests leave the working tree as they found it.
quick = settings(database=None, deadline=None)


def decimal_round(value: Decimal, places: int) -> float:
    return float(value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def test_15_times_50_3_over_100_rounds_to_7_55():
    product = 15 * 50.3 / 100
    assert round(product, 2) == 7.54  # what binary floating point gives
    assert round_half_up(product, 2) == 7.55
    assert round_half_up(np.array([product]), 2)[0] == 7.55


def test_halves_round_away_from_zero():
    values = np.array([2.5, -2.5, 0.125, -0.125, 1.005, 2.675, 0.0])
    assert round_half_up(values, 0).tolist()[:2] == [3.0, -3.0]
    assert round_half_up(values, 2).tolist() == [2.5, -2.5, 0.13, -0.13, 1.01, 2.68, 0.0]


def test_values_below_the_half_round_down():
    assert round_half_up(np.array([7.5449, 7.54499999]), 2).tolist() == [7.54, 7.54]


def test_nan_stays_nan():
    result = round_half_up(np.array([np.nan, 1.234]), 2)
    assert np.isnan(result[0]) and result[1] == 1.23


def test_a_series_keeps_its_index_and_name():
    series = pd.Series([1.005, 2.0049], index=[7, 3], name="points")
    result = round_half_up(series, 2)
    pd.testing.assert_series_equal(result, pd.Series([1.01, 2.0], index=[7, 3], name="points"))


def test_a_tiny_negative_value_rounds_to_plain_zero():
    assert str(round_half_up(np.array([-0.001]), 2)[0]) == "0.0"


def test_huge_values_still_round():
    assert round_half_up(np.array([123456789.125]), 2)[0] == 123456789.13


def test_it_rejects_places_out_of_range():
    with pytest.raises(ValueError):
        round_half_up(np.array([1.0]), 10)


@quick
@given(
    value=st.decimals(min_value=-(10**6), max_value=10**6, places=6, allow_nan=False, allow_infinity=False),
    places=st.integers(min_value=0, max_value=4),
)
def test_it_agrees_with_decimal_on_decimal_inputs(value, places):
    assert round_half_up(np.array([float(value)]), places)[0] == decimal_round(value, places)


@quick
@given(
    weight=st.integers(min_value=0, max_value=100),
    value=st.decimals(min_value=0, max_value=10**4, places=2, allow_nan=False, allow_infinity=False),
)
def test_it_agrees_with_decimal_on_a_weight_times_a_percentage(weight, value):
    # The shape of a points computation: w × actual / 100, computed in floats by the engine.
    exact = Decimal(weight) * value / 100
    assert round_half_up(np.array([weight * float(value) / 100]), 2)[0] == decimal_round(exact, 2)


@quick
@given(st.lists(st.decimals(min_value=0, max_value=1000, places=3, allow_nan=False), min_size=1, max_size=20))
def test_a_whole_array_agrees_with_decimal_element_by_element(values):
    result = round_half_up(np.array([float(v) for v in values]), 2)
    assert result.tolist() == [decimal_round(v, 2) for v in values]
