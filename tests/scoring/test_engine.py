"""The scoring engine, rule by rule (SCORING.md §1–§5).

Each test builds one month of a small bank in code and reads the scorecards back. Points tests use
the default scheme; rank and bottom-flag tests use a scheme whose only item is the mystery-shopper
score, so that S is whatever score the test gives a member.
"""

import dataclasses
import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest

from scoring import (
    DEFAULT_SCHEME,
    GRADES,
    Item,
    compute_scorecards,
    input_fingerprint,
    input_frame,
    scorecard_columns,
)

MARCH = dt.date(2026, 3, 1)
LONG_AGO = dt.date(2015, 1, 1)

# The organisation: head office > tier-1 branch > sub-branch > outlet.
HEAD_OFFICE, BRANCH, SUB_BRANCH, OUTLET = 1, 10, 100, 1000
PATH = (OUTLET, SUB_BRANCH, BRANCH, HEAD_OFFICE)

# S = the mystery-shopper score (one item of weight 100), so a test can set S directly.
S_IS_MYSTERY = dataclasses.replace(
    DEFAULT_SCHEME, code="s-is-mystery", items=(Item("mystery", "mystery", Decimal(100), "score"),)
)

# Everything exactly on the default targets, without ratings or a mystery visit.
ON_TARGET = dict(accounts=20, effective=8, ebanking=15, deposits=100.0)


class Month:
    """One month of inputs for the engine, built member by member."""

    def __init__(self, period=MARCH, scheme=DEFAULT_SCHEME):
        self.period = period
        self.scheme = scheme
        self.rows = {name: [] for name in ("staff", "actuals", "absences", "targets", "history", "cases")}

    def member(self, staff_id, *, group="B1", path=PATH, since=LONG_AGO, **actuals):
        self.rows["staff"].append(
            dict(
                staff_id=staff_id,
                employee_no=f"E{staff_id:04d}",
                peer_group=group,
                branch_path=path,
                position_since=since,
            )
        )
        if actuals:
            self.rows["actuals"].append(dict(staff_id=staff_id, **actuals))
        return staff_id

    def scored(self, staff_id, score, **kwargs):
        """A member with S = score (under S_IS_MYSTERY)."""
        return self.member(staff_id, mystery=score, **kwargs)

    def group(self, scores, *, first_id=1, **kwargs):
        return [self.scored(first_id + offset, score, **kwargs) for offset, score in enumerate(scores)]

    def absence(self, staff_id, start, end):
        self.rows["absences"].append(dict(staff_id=staff_id, start=start, end=end))

    def target(self, scope_kind, scope_id, item, target):
        self.rows["targets"].append(dict(scope_kind=scope_kind, scope_id=scope_id, item=item, target=target))

    def past(self, staff_id, months_back, score, *, exempt=False, flagged=False):
        period = (pd.Timestamp(self.period) - pd.DateOffset(months=months_back)).date()
        self.rows["history"].append(
            dict(staff_id=staff_id, period=period, score=score, exempt=exempt, bottom_flag=flagged)
        )

    def case(self, staff_id, *, open=False, closed=None):
        self.rows["cases"].append(dict(staff_id=staff_id, open=open, closed_period=closed))

    def inputs(self):
        frames = {name: input_frame(name, rows) for name, rows in self.rows.items()}
        return dict(period=self.period, scheme=self.scheme, **frames)

    def cards(self):
        return compute_scorecards(**self.inputs()).set_index("staff_id", drop=False)


# --- §1 actuals ------------------------------------------------------------------------------


def test_satisfaction_with_no_ratings_is_the_prior_worth_15_points():
    month = Month()
    month.member(1, **ON_TARGET, mystery=80.0)
    card = month.cards().loc[1]
    assert card["satisfaction"] == 0.95
    assert card["completion_satisfaction"] == 0.75
    assert card["points_satisfaction"] == 15.00


def test_satisfaction_is_smoothed_towards_the_prior():
    month = Month()
    month.member(1, ratings=10, ratings_good=8, mystery=80.0)
    card = month.cards().loc[1]
    assert card["satisfaction"] == 0.875  # (8 + 10 × 0.95) / (10 + 10)
    assert card["points_satisfaction"] == 7.50


def test_a_member_without_records_has_zeros_and_no_mystery_score():
    month = Month()
    month.member(1)
    card = month.cards().loc[1]
    assert (card["accounts"], card["deposits"], card["praise"], card["complaints"]) == (0, 0.0, 0, 0)
    assert np.isnan(card["mystery"]) and not card["assessed_mystery"]
    assert card["points_accounts"] == 0.0
    assert card["score"] == 16.67  # the prior's 15 of 90 assessed points, scaled to 100


def test_rounded_figures_are_shown_but_points_use_the_exact_ones():
    month = Month()
    month.member(1, deposits=12.345678, deposits_total=99.99995, mystery=77.777)
    card = month.cards().loc[1]
    assert (card["deposits"], card["deposits_total"], card["mystery"]) == (12.3457, 100.0, 77.78)
    assert card["points_mystery"] == 7.78  # 10 × 77.777 / 100


# --- §2 proration ----------------------------------------------------------------------------


def test_overlapping_absences_count_a_day_once_and_prorate_the_target():
    month = Month()
    month.member(1, accounts=10)
    month.absence(1, dt.date(2026, 3, 3), dt.date(2026, 3, 10))
    month.absence(1, dt.date(2026, 3, 8), dt.date(2026, 3, 12))
    card = month.cards().loc[1]
    assert (card["days_in_month"], card["absent_days"], card["present_days"]) == (31, 10, 21)
    assert card["target_accounts"] == 13.5484  # 20 × 21 / 31
    assert card["completion_accounts"] == 0.7381  # 10 / 13.548387…


def test_absences_reaching_outside_the_month_count_only_their_days_inside():
    month = Month()
    month.member(1)
    month.absence(1, dt.date(2026, 2, 25), dt.date(2026, 3, 2))  # 1–2 March
    month.absence(1, dt.date(2026, 3, 30), dt.date(2026, 4, 5))  # 30–31 March
    month.absence(1, dt.date(2026, 1, 1), dt.date(2026, 2, 28))  # before the month
    month.absence(1, dt.date(2026, 4, 1), dt.date(2026, 4, 30))  # after it
    month.member(2)
    month.absence(2, dt.date(2026, 2, 1), dt.date(2026, 4, 30))  # the whole month
    cards = month.cards()
    assert cards.loc[1, "absent_days"] == 4
    assert cards.loc[2, "absent_days"] == 31


def test_a_february_has_its_own_number_of_days():
    month = Month(period=dt.date(2028, 2, 1))
    month.member(1)
    assert month.cards().loc[1, "days_in_month"] == 29


def test_a_target_prorated_to_zero_leaves_the_item_not_assessed():
    month = Month()
    month.member(1, accounts=5)
    month.absence(1, dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    card = month.cards().loc[1]
    for code in ("accounts", "effective", "ebanking", "deposits"):
        assert card[f"target_{code}"] == 0.0
        assert not card[f"assessed_{code}"]
        assert np.isnan(card[f"points_{code}"]) and np.isnan(card[f"completion_{code}"])
    # Only satisfaction is left, scaled up to the whole 100: 15 × 100 / 20.
    assert card["points_satisfaction"] == 75.00
    assert card["base"] == 75.00


def test_a_target_of_zero_leaves_the_item_not_assessed():
    month = Month()
    month.member(1, **ON_TARGET, mystery=100.0)
    month.target("staff", 1, "accounts", 0)
    card = month.cards().loc[1]
    assert not card["assessed_accounts"] and np.isnan(card["points_accounts"])
    assert card["points_effective"] == 23.53  # 20 × 100 / 85


# --- §2 targets ------------------------------------------------------------------------------


def test_the_most_specific_target_wins():
    month = Month()
    month.member(1, path=PATH)  # has its own target
    month.member(2, path=PATH)  # its outlet has one
    month.member(3, path=(OUTLET + 1, SUB_BRANCH, BRANCH, HEAD_OFFICE))  # its sub-branch
    month.member(4, path=(OUTLET + 2, SUB_BRANCH + 1, BRANCH, HEAD_OFFICE))  # its tier-1 branch
    month.member(5, path=(OUTLET + 3, SUB_BRANCH + 2, BRANCH + 1, HEAD_OFFICE))  # the bank's
    month.target("staff", 1, "accounts", 21)
    month.target("branch", OUTLET, "accounts", 22)
    month.target("branch", SUB_BRANCH, "accounts", 24)
    month.target("branch", BRANCH, "accounts", 25)
    month.target("bank", None, "accounts", 30)
    cards = month.cards()
    assert cards["target_accounts"].tolist() == [21.0, 22.0, 24.0, 25.0, 30.0]
    # No target set anywhere for effective customers: the scheme's default.
    assert cards["target_effective"].tolist() == [8.0] * 5


def test_a_branch_target_on_the_head_office_comes_before_the_bank_target():
    month = Month()
    month.member(1)
    month.target("branch", HEAD_OFFICE, "ebanking", 18)
    month.target("bank", None, "ebanking", 16)
    month.target("bank", None, "deposits", 80)
    card = month.cards().loc[1]
    assert (card["target_ebanking"], card["target_deposits"]) == (18.0, 80.0)


def test_targets_for_other_members_and_branches_do_not_leak():
    month = Month()
    month.member(1)
    month.target("staff", 2, "accounts", 5)
    month.target("branch", 9999, "accounts", 6)
    month.target("branch", 1, "accounts", 7)  # a branch id equal to the staff id
    assert month.cards().loc[1, "target_accounts"] == 7.0  # the head office (id 1) is on the path


def test_a_target_given_twice_is_rejected():
    month = Month()
    month.member(1)
    month.target("bank", None, "accounts", 20)
    month.target("bank", None, "accounts", 25)
    with pytest.raises(ValueError, match="targets"):
        month.cards()


# --- §2 points -------------------------------------------------------------------------------


def test_15_times_50_3_over_100_rounds_to_7_55():
    month = Month()
    month.member(1, **ON_TARGET | {"deposits": 50.3}, mystery=100.0)
    card = month.cards().loc[1]
    assert card["completion_deposits"] == 0.503
    assert card["points_deposits"] == 7.55


def test_without_a_mystery_visit_the_other_weights_are_scaled_by_100_over_90():
    month = Month()
    month.member(1, **ON_TARGET)
    card = month.cards().loc[1]
    assert not card["assessed_mystery"] and np.isnan(card["points_mystery"])
    points = [card[f"points_{code}"] for code in ("accounts", "effective", "ebanking", "deposits", "satisfaction")]
    assert points == [16.67, 22.22, 22.22, 16.67, 16.67]
    # Each item is rounded, then added up: 94.45, not the 94.44 of 85 / 90.
    assert card["base"] == 94.45


def test_completion_is_shown_uncapped_but_points_stop_at_the_cap():
    month = Month()
    month.member(1, **ON_TARGET | {"accounts": 30}, mystery=100.0)
    card = month.cards().loc[1]
    assert card["completion_accounts"] == 1.5
    assert card["points_accounts"] == 18.00  # 15 × 1.2


def test_the_bonus_is_capped():
    month = Month()
    month.member(1, **ON_TARGET, mystery=100.0, praise=3)
    month.member(2, **ON_TARGET, mystery=100.0, praise=9)
    cards = month.cards()
    assert cards["bonus"].tolist() == [3.0, 5.0]
    assert cards["score"].tolist() == [cards.loc[1, "base"] + 3, cards.loc[1, "base"] + 5]


def test_the_score_is_floored_at_zero():
    month = Month()
    month.member(1, **ON_TARGET, mystery=100.0, complaints=30)
    card = month.cards().loc[1]
    assert card["deduction"] == 150.0
    assert card["score"] == 0.0
    assert card["grade"] == "fail"


def test_a_veto_keeps_the_score_and_fails_the_grade():
    month = Month(scheme=S_IS_MYSTERY)
    month.scored(1, 100.0, major_complaints=1)
    month.scored(2, 90.0)
    cards = month.cards()
    assert cards.loc[1, "veto"] and cards.loc[1, "score"] == 100.0
    assert cards.loc[1, "grade"] == "fail"
    assert cards.loc[1, "rank"] == 1  # ranked by S like everyone else


@pytest.mark.parametrize(
    ("score", "praise", "grade"),
    [
        (100.0, 0, "excellent"),
        (99.99, 0, "good"),
        (96.0, 4, "excellent"),
        (85.0, 0, "good"),
        (84.99, 0, "pass"),
        (60.0, 0, "pass"),
        (59.99, 0, "fail"),
        (0.0, 0, "fail"),
    ],
)
def test_grade_boundaries(score, praise, grade):
    month = Month(scheme=S_IS_MYSTERY)
    month.scored(1, score, praise=praise)
    card = month.cards().loc[1]
    assert card["score"] == score + praise
    assert card["grade"] == grade
    assert card["grade"] in GRADES


# --- §4 exemption and rank -------------------------------------------------------------------


def test_exemption_starts_below_15_present_days():
    month = Month(scheme=S_IS_MYSTERY)
    month.group([80.0, 70.0])
    month.absence(1, dt.date(2026, 3, 1), dt.date(2026, 3, 16))  # present 15
    month.absence(2, dt.date(2026, 3, 1), dt.date(2026, 3, 17))  # present 14
    cards = month.cards()
    assert cards["present_days"].tolist() == [15, 14]
    assert cards["exempt"].tolist() == [False, True]


def test_an_exempt_member_gets_no_rank_and_is_left_out_of_n_but_shows_n():
    month = Month(scheme=S_IS_MYSTERY)
    month.group([80.0, 70.0, 99.0])
    month.absence(3, dt.date(2026, 3, 1), dt.date(2026, 3, 20))
    cards = month.cards()
    assert cards.loc[3, "exempt"] and cards.loc[3, "grade"] == "good"  # still graded
    assert pd.isna(cards.loc[3, "rank"]) and np.isnan(cards.loc[3, "percentile"])
    assert cards["group_size"].tolist() == [2, 2, 2]
    assert cards.loc[[1, 2], "rank"].tolist() == [1, 2]


def test_ties_share_a_competition_rank():
    month = Month(scheme=S_IS_MYSTERY)
    month.group([90.0, 80.0, 80.0, 70.0])
    cards = month.cards()
    assert cards["rank"].tolist() == [1, 2, 2, 4]
    assert cards["percentile"].tolist() == [0.0, 0.3333, 0.3333, 1.0]


def test_a_percentile_in_a_group_of_one_is_zero():
    month = Month(scheme=S_IS_MYSTERY)
    month.scored(1, 50.0)
    card = month.cards().loc[1]
    assert (card["rank"], card["group_size"], card["percentile"]) == (1, 1, 0.0)


def test_each_peer_group_is_ranked_on_its_own():
    month = Month(scheme=S_IS_MYSTERY)
    month.group([90.0, 80.0], group="B1")
    month.group([70.0, 95.0, 60.0], group="B2", first_id=3)
    cards = month.cards()
    assert cards["rank"].tolist() == [1, 2, 2, 1, 3]
    assert cards["group_size"].tolist() == [2, 2, 3, 3, 3]


# --- §5 rolling score ------------------------------------------------------------------------


def test_the_rolling_score_counts_only_non_exempt_months():
    month = Month(scheme=S_IS_MYSTERY)
    month.scored(1, 80.0)
    month.past(1, 1, 70.0)
    month.past(1, 2, 10.0, exempt=True)  # left out
    month.past(1, 3, 10.0)  # outside the three months
    assert month.cards().loc[1, "rolling"] == 75.0


def test_an_exempt_member_has_a_rolling_score_from_earlier_months_or_none():
    month = Month(scheme=S_IS_MYSTERY)
    month.group([99.0, 99.0])
    for member in (1, 2):
        month.absence(member, dt.date(2026, 3, 1), dt.date(2026, 3, 31))
    month.past(1, 1, 70.0)
    month.past(1, 2, 81.0)
    cards = month.cards()
    assert cards.loc[1, "rolling"] == 75.5
    assert np.isnan(cards.loc[2, "rolling"])


def test_the_rolling_score_rounds_half_up():
    month = Month(scheme=S_IS_MYSTERY)
    month.group([60.01, 10.0])
    month.past(1, 1, 60.00)  # mean 60.005
    month.past(2, 1, 10.0)
    month.past(2, 2, 11.0)  # mean 10.3333…
    cards = month.cards()
    assert cards["rolling"].tolist() == [60.01, 10.33]


# --- §5 bottom flag --------------------------------------------------------------------------


def test_the_bottom_member_of_eight_below_60_is_flagged():
    month = Month(scheme=S_IS_MYSTERY)
    month.group([40.0] + [90.0] * 7)
    cards = month.cards()
    assert cards.loc[1, ["relative_test", "absolute_test", "bottom_flag"]].tolist() == [True, True, True]
    assert cards.loc[1, "bottom_position"] == 1 and cards.loc[1, "bottom_k"] == 1
    assert cards["bottom_flag"].sum() == 1


def test_a_group_of_seven_eligible_flags_nobody():
    month = Month(scheme=S_IS_MYSTERY)
    month.group([10.0] + [90.0] * 6)
    cards = month.cards()
    assert cards.loc[1, "relative_test"] and cards.loc[1, "absolute_test"]
    assert not cards["bottom_flag"].any()


def test_k_is_a_tenth_of_the_eligible_rounded_up_in_integers():
    month = Month(scheme=S_IS_MYSTERY)
    month.group([50.0] * 8, group="eight")
    month.group([50.0] * 30, group="thirty", first_id=101)  # 0.1 × 30 is 3.0000000000000004 in floats
    month.group([50.0] * 31, group="thirty-one", first_id=201)
    cards = month.cards()
    assert cards.groupby("peer_group")["bottom_k"].first().to_dict() == {
        "eight": 1,
        "thirty": 3,
        "thirty-one": 4,
    }


def test_a_tie_straddling_the_cut_off_flags_nobody():
    month = Month(scheme=S_IS_MYSTERY)
    month.group([30.0, 30.0] + [90.0] * 8)  # k = 1, but two share the bottom
    cards = month.cards()
    assert cards.loc[[1, 2], "bottom_position"].tolist() == [2, 2]
    assert not cards["bottom_flag"].any()


def test_a_tie_inside_the_cut_off_flags_all_of_it():
    month = Month(scheme=S_IS_MYSTERY)
    month.group([30.0, 30.0] + [90.0] * 18)  # k = 2
    cards = month.cards()
    assert cards.loc[cards["bottom_flag"], "staff_id"].tolist() == [1, 2]


def test_a_bottom_member_passing_the_relative_test_but_not_the_absolute_one_is_not_flagged():
    month = Month(scheme=S_IS_MYSTERY)
    month.group([70.0] + [90.0] * 9)  # 70 ≥ 60 and 70 ≥ 0.70 × 90
    cards = month.cards()
    assert cards.loc[1, "relative_test"] and not cards.loc[1, "absolute_test"]
    assert not cards["bottom_flag"].any()


def test_a_score_under_70_percent_of_the_median_fails_the_absolute_test():
    month = Month(scheme=S_IS_MYSTERY)
    month.group([65.0] + [100.0] * 9)  # 65 < 70
    cards = month.cards()
    assert cards.loc[1, "group_median"] == 100.0
    assert cards.loc[1, "bottom_flag"]


@pytest.mark.parametrize(("bottom", "flagged"), [(62.99, True), (63.00, False)])
def test_the_median_of_an_even_count_is_the_mean_of_the_middle_two(bottom, flagged):
    # Eight eligible: the middle two are 89 and 91, so the median is 90 and the bar 63.00.
    # The lower middle (89) would put it at 62.30, the upper (91) at 63.70.
    month = Month(scheme=S_IS_MYSTERY)
    month.group([bottom, 80.0, 85.0, 89.0, 91.0, 95.0, 97.0, 99.0])
    cards = month.cards()
    assert cards.loc[1, "group_median"] == 90.0
    assert cards.loc[1, "bottom_flag"] == flagged


def test_exempt_and_probation_members_are_left_out_of_the_median_and_of_e():
    month = Month(period=dt.date(2026, 10, 1), scheme=S_IS_MYSTERY)
    month.group([40.0] + [90.0] * 7)  # eight eligible
    month.scored(9, 1.0, since=dt.date(2026, 9, 1))  # on probation
    month.scored(10, 2.0)
    month.absence(10, dt.date(2026, 10, 1), dt.date(2026, 10, 31))  # exempt
    cards = month.cards()
    assert cards.loc[1, "group_median"] == 90.0
    assert cards.loc[1, "bottom_flag"]
    assert cards.loc[9, "rank"] == 9 and not cards.loc[9, "eligible"] and not cards.loc[9, "bottom_flag"]
    assert pd.isna(cards.loc[9, "bottom_position"])
    assert cards["bottom_flag"].sum() == 1


def test_probation_is_a_start_later_than_the_first_of_p_minus_2():
    month = Month(period=dt.date(2026, 10, 1), scheme=S_IS_MYSTERY)
    month.scored(1, 5.0, since=dt.date(2026, 8, 1))
    month.scored(2, 5.0, since=dt.date(2026, 8, 2))
    month.group([90.0] * 8, first_id=3)
    cards = month.cards()
    assert cards.loc[[1, 2], "probation"].tolist() == [False, True]
    assert cards.loc[[1, 2], "bottom_flag"].tolist() == [True, False]


def test_a_member_on_probation_is_never_flagged():
    month = Month(period=dt.date(2026, 10, 1), scheme=S_IS_MYSTERY)
    month.scored(1, 1.0, since=dt.date(2026, 10, 15))
    month.group([90.0] * 9, first_id=2)
    cards = month.cards()
    assert cards.loc[1, "probation"] and cards.loc[1, "rank"] == 10
    assert not cards["bottom_flag"].any()


def test_the_bottom_tests_use_the_rolling_score():
    month = Month(scheme=S_IS_MYSTERY)
    month.group([40.0] + [90.0] * 8)
    month.past(1, 1, 100.0)
    month.past(1, 2, 100.0)  # R = 80
    month.scored(10, 55.0)  # R = S
    cards = month.cards()
    assert cards.loc[1, "rolling"] == 80.0 and not cards.loc[1, "bottom_flag"]
    assert cards.loc[10, "bottom_flag"]


def test_a_vetoed_member_is_still_tested():
    month = Month(scheme=S_IS_MYSTERY)
    month.scored(1, 40.0, major_complaints=1)
    month.group([90.0] * 8, first_id=2)
    assert month.cards().loc[1, "bottom_flag"]


# --- §5 improvement case ---------------------------------------------------------------------


def flagged_three_months_running():
    month = Month(scheme=S_IS_MYSTERY)
    month.scored(1, 10.0)
    month.group([90.0] * 9, first_id=2)
    month.past(1, 1, 10.0, flagged=True)
    month.past(1, 2, 10.0, flagged=True)
    return month


def test_three_flagged_months_in_a_row_give_the_case_rule():
    cards = flagged_three_months_running().cards()
    assert cards.loc[1, "bottom_flag"] and cards.loc[1, "case_rule"]
    assert cards["case_rule"].sum() == 1


def test_a_gap_in_the_flagged_months_gives_no_case():
    month = Month(scheme=S_IS_MYSTERY)
    month.scored(1, 10.0)
    month.group([90.0] * 9, first_id=2)
    month.past(1, 1, 10.0, flagged=True)
    month.past(1, 2, 10.0, flagged=False)
    month.past(1, 3, 10.0, flagged=True)
    assert not month.cards().loc[1, "case_rule"]


def test_an_open_case_gives_no_second_one():
    month = flagged_three_months_running()
    month.case(1, open=True)
    assert not month.cards().loc[1, "case_rule"]


def test_a_closed_case_needs_three_flags_all_after_the_closing_month():
    month = flagged_three_months_running()
    month.case(1, closed=dt.date(2026, 1, 1))  # p − 2: January's flag does not count again
    assert not month.cards().loc[1, "case_rule"]

    month = flagged_three_months_running()
    month.case(1, closed=dt.date(2025, 12, 1))  # p − 3: January to March all come after
    assert month.cards().loc[1, "case_rule"]


def test_no_case_without_a_flag_this_month():
    month = Month(scheme=S_IS_MYSTERY)
    month.group([90.0] * 10)
    month.past(1, 1, 90.0, flagged=True)
    month.past(1, 2, 90.0, flagged=True)
    cards = month.cards()
    assert not cards["bottom_flag"].any()
    assert not cards["case_rule"].any()


# --- the frame as a whole --------------------------------------------------------------------


def busy_month():
    month = Month()
    for member in range(1, 13):
        month.member(
            member,
            group="B1" if member % 3 else "B2",
            path=(OUTLET + member % 4, SUB_BRANCH + member % 2, BRANCH, HEAD_OFFICE),
            since=LONG_AGO if member != 5 else dt.date(2026, 2, 1),
            accounts=member * 2,
            effective=member % 9,
            ebanking=20 - member,
            deposits=7.5 * member,
            deposits_total=10.0 * member,
            ratings=member,
            ratings_good=member // 2,
            mystery=None if member % 4 == 0 else 60.0 + member,
            praise=member % 4,
            complaints=int(member == 7),
            major_complaints=int(member == 11),
        )
        month.past(member, 1, 40.0 + member, flagged=member == 1)
        month.past(member, 2, 50.0, exempt=member == 2)
    month.absence(3, dt.date(2026, 3, 2), dt.date(2026, 3, 20))
    month.absence(4, dt.date(2026, 3, 5), dt.date(2026, 3, 7))
    month.target("bank", None, "accounts", 18)
    month.target("branch", SUB_BRANCH, "ebanking", 12)
    month.target("staff", 6, "deposits", 50)
    month.case(2, closed=dt.date(2025, 11, 1))
    return month


def test_there_is_one_card_per_member_sorted_by_staff_id_with_every_column():
    month = busy_month()
    cards = compute_scorecards(**month.inputs())
    assert cards["staff_id"].tolist() == list(range(1, 13))
    assert list(cards.columns) == scorecard_columns(DEFAULT_SCHEME)
    assert cards.index.tolist() == list(range(12))


def test_shuffled_input_rows_give_the_same_scorecards():
    month = busy_month()
    inputs = month.inputs()
    expected = compute_scorecards(**inputs)
    rng = np.random.default_rng(7)
    shuffled = {
        name: frame.sample(frac=1, random_state=rng).iloc[:, ::-1] if isinstance(frame, pd.DataFrame) else frame
        for name, frame in inputs.items()
    }
    pd.testing.assert_frame_equal(compute_scorecards(**shuffled), expected)


def test_extra_columns_are_ignored():
    inputs = busy_month().inputs()
    expected = compute_scorecards(**inputs)
    inputs["staff"] = inputs["staff"].assign(name="某某", branch_code="X")
    inputs["actuals"] = inputs["actuals"].assign(note="n/a")
    pd.testing.assert_frame_equal(compute_scorecards(**inputs), expected)


def test_decimals_from_the_database_are_accepted():
    inputs = busy_month().inputs()
    expected = compute_scorecards(**inputs)
    inputs["targets"] = inputs["targets"].assign(target=inputs["targets"]["target"].map(lambda v: Decimal(str(v))))
    inputs["history"] = inputs["history"].assign(score=inputs["history"]["score"].map(lambda v: Decimal(str(v))))
    pd.testing.assert_frame_equal(compute_scorecards(**inputs), expected)


def test_a_month_without_staff_gives_an_empty_frame_with_every_column():
    cards = Month().cards()
    assert cards.empty
    assert list(cards.columns) == scorecard_columns(DEFAULT_SCHEME)


def test_a_member_with_two_rows_of_actuals_is_rejected():
    month = Month()
    month.member(1, accounts=1)
    month.rows["actuals"].append(dict(staff_id=1, accounts=2))
    with pytest.raises(ValueError, match="actuals"):
        month.cards()


def test_a_missing_input_column_is_named():
    inputs = Month().inputs()
    inputs["history"] = inputs["history"].drop(columns="bottom_flag")
    with pytest.raises(ValueError, match="bottom_flag"):
        compute_scorecards(**inputs)


# --- the input fingerprint -------------------------------------------------------------------


def test_the_fingerprint_ignores_row_order_and_extra_columns():
    inputs = busy_month().inputs()
    fingerprint = input_fingerprint(**inputs)
    assert len(fingerprint) == 64
    rng = np.random.default_rng(3)
    shuffled = {
        name: frame.sample(frac=1, random_state=rng).assign(extra=1) if isinstance(frame, pd.DataFrame) else frame
        for name, frame in inputs.items()
    }
    assert input_fingerprint(**shuffled) == fingerprint


@pytest.mark.parametrize(
    "change",
    [
        lambda i: i | {"period": dt.date(2026, 4, 1)},
        lambda i: i | {"scheme": dataclasses.replace(i["scheme"], version=2)},
        lambda i: i | {"targets": i["targets"].assign(target=i["targets"]["target"] + 1)},
        lambda i: i | {"absences": i["absences"].iloc[1:]},
        lambda i: i | {"history": i["history"].assign(bottom_flag=True)},
        lambda i: i | {"staff": i["staff"].assign(branch_path=[(OUTLET, HEAD_OFFICE)] * len(i["staff"]))},
        lambda i: i | {"cases": i["cases"].assign(open=True)},
        lambda i: i | {"actuals": i["actuals"].assign(mystery=i["actuals"]["mystery"].fillna(0.0))},
    ],
)
def test_the_fingerprint_changes_with_what_the_engine_reads(change):
    inputs = busy_month().inputs()
    assert input_fingerprint(**change(inputs)) != input_fingerprint(**inputs)
