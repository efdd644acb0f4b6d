"""Properties of the engine that hold for any small bank (SCORING.md §2–§5), checked with hypothesis."""

import dataclasses
import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring import DEFAULT_SCHEME, compute_scorecards, input_frame

MARCH = dt.date(2026, 3, 1)
HEAD_OFFICE = 1

# No example database on disk: the tests leave the working tree as they found it.
banks_settings = settings(database=None, deadline=None, max_examples=50)

MONTHS_BEFORE = [dt.date(2026, 2, 1), dt.date(2026, 1, 1), dt.date(2025, 12, 1)]
BRANCHES = [1011, 1012, 1021]  # outlets; their sub-branches are 101 and 102


@st.composite
def schemes(draw):
    """The default scheme, or one with other weights and caps."""
    if draw(st.booleans()):
        return DEFAULT_SCHEME
    items = tuple(
        dataclasses.replace(
            item,
            weight=Decimal(draw(st.integers(0, 40))),
            cap=Decimal(draw(st.integers(10, 15))) / 10 if item.method == "ratio" else item.cap,
        )
        for item in DEFAULT_SCHEME.items
    )
    return dataclasses.replace(DEFAULT_SCHEME, code="random", items=items)


@st.composite
def banks(draw):
    """A month of a small bank: up to three peer groups of 1–16 members.

    Hypothesis draws the shape (group sizes, scheme, targets, how many members tie, are absent
    or have history); the members' figures come from a seeded generator, which keeps each
    example cheap to draw.
    """
    sizes = draw(st.lists(st.integers(1, 16), min_size=1, max_size=3))
    scheme = draw(schemes())
    tie_share = draw(st.sampled_from([0.0, 0.3, 0.8]))
    absence_share = draw(st.sampled_from([0.0, 0.1, 0.4]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))

    count = sum(sizes)
    ids = rng.permutation(count) * 7 + 5
    staff = input_frame("staff")
    staff["staff_id"] = ids
    staff["employee_no"] = [f"E{number:05d}" for number in ids]
    staff["peer_group"] = np.repeat([f"G{number}" for number in range(len(sizes))], sizes)
    outlets = rng.choice(BRANCHES, count)
    staff["branch_path"] = [(outlet, outlet // 10, HEAD_OFFICE) for outlet in outlets]
    staff["position_since"] = rng.choice(
        pd.to_datetime(["2015-01-01", "2026-01-01", "2026-01-02", "2026-03-09"]),
        count,
        p=[0.7, 0.1, 0.1, 0.1],
    )

    ratings = rng.integers(0, 13, count)
    actuals = pd.DataFrame(
        {
            "staff_id": ids,
            "accounts": rng.integers(0, 31, count),
            "effective": rng.integers(0, 13, count),
            "ebanking": rng.integers(0, 26, count),
            "deposits": np.round(rng.uniform(0, 200, count), 4),
            "deposits_total": np.round(rng.uniform(0, 400, count), 2),
            "ratings": ratings,
            "ratings_good": rng.binomial(ratings, 0.8),
            "mystery": np.where(rng.random(count) < 0.3, np.nan, np.round(rng.uniform(0, 100, count), 2)),
            "inspections": 1,
            "praise": rng.integers(0, 9, count),
            "complaints": rng.binomial(3, 0.1, count),
            "major_complaints": rng.binomial(1, 0.05, count),
        }
    )
    # Members who tie: the same figures (and, below, the same history) as the first member.
    ties = rng.random(count) < tie_share
    actuals.loc[ties, actuals.columns[1:]] = actuals.iloc[0, 1:].to_numpy()
    actuals = actuals[rng.random(count) < 0.9]  # some members have no records at all

    absent = np.repeat(ids, np.where(rng.random(count) < absence_share, rng.integers(1, 3, count), 0))
    starts = pd.Timestamp(MARCH) + pd.to_timedelta(rng.integers(-10, 31, len(absent)), unit="D")
    absences = pd.DataFrame(
        {
            "staff_id": absent,
            "start": starts,
            "end": starts + pd.to_timedelta(rng.integers(0, 21, len(absent)), "D"),
        }
    )

    history = []
    for period in MONTHS_BEFORE:
        score = np.round(rng.uniform(0, 100, count), 2)
        score[ties] = score[0]
        month = pd.DataFrame(
            {
                "staff_id": ids,
                "period": period,
                "score": score,
                "exempt": rng.random(count) < 0.15,
                "bottom_flag": (score < 60) & (rng.random(count) < 0.7),
            }
        )
        history.append(month[rng.random(count) < 0.85])
    with_case = rng.random(count) < 0.15
    closed = rng.choice(pd.to_datetime(["2025-11-01", "2025-12-01", "2026-01-01", "2026-02-01"]), with_case.sum())
    cases = pd.DataFrame(
        {
            "staff_id": ids[with_case],
            "open": rng.random(with_case.sum()) < 0.4,
            "closed_period": pd.Series(closed).where(rng.random(with_case.sum()) < 0.7),
        }
    )

    scopes = [("bank", None)] + [("branch", branch) for branch in BRANCHES + [101, 102, HEAD_OFFICE]]
    scopes += [("staff", int(staff_id)) for staff_id in ids[:3]]
    items = ["accounts", "effective", "ebanking", "deposits"]
    keys = draw(st.lists(st.tuples(st.sampled_from(scopes), st.sampled_from(items)), max_size=6, unique=True))
    targets = input_frame(
        "targets",
        [
            dict(scope_kind=kind, scope_id=scope, item=item, target=draw(st.integers(0, 30)))
            for (kind, scope), item in keys
        ],
    )
    return dict(
        period=MARCH,
        staff=staff,
        actuals=actuals,
        absences=absences,
        targets=targets,
        history=pd.concat(history, ignore_index=True),
        cases=cases,
        scheme=scheme,
    )


def ranked(cards):
    return cards[~cards["exempt"]]


@banks_settings
@given(banks())
def test_ties_share_a_rank(inputs):
    cards = ranked(compute_scorecards(**inputs))
    assert (cards.groupby(["peer_group", "score"])["rank"].nunique() == 1).all()


@banks_settings
@given(banks())
def test_a_higher_score_never_ranks_lower_in_its_group(inputs):
    cards = ranked(compute_scorecards(**inputs))
    pairs = cards.merge(cards, on="peer_group", suffixes=("", "_other"))
    higher = pairs[pairs["score"] > pairs["score_other"]]
    assert (higher["rank"] < higher["rank_other"]).all()


@banks_settings
@given(banks(), st.randoms(use_true_random=False))
def test_shuffling_input_rows_changes_nothing(inputs, random):
    expected = compute_scorecards(**inputs)
    shuffled = dict(inputs)
    for name, frame in inputs.items():
        if isinstance(frame, pd.DataFrame):
            order = list(range(len(frame)))
            random.shuffle(order)
            shuffled[name] = frame.iloc[order]
    pd.testing.assert_frame_equal(compute_scorecards(**shuffled), expected)


@banks_settings
@given(banks())
def test_no_group_has_more_than_k_flagged(inputs):
    cards = compute_scorecards(**inputs)
    per_group = cards.groupby("peer_group").agg(flagged=("bottom_flag", "sum"), k=("bottom_k", "first"))
    assert (per_group["flagged"] <= per_group["k"]).all()
    small = cards.groupby("peer_group")["eligible"].transform("sum") < inputs["scheme"].min_group
    assert not cards.loc[small, "bottom_flag"].any()


@banks_settings
@given(banks())
def test_every_flagged_member_is_below_60_or_below_70_percent_of_the_median(inputs):
    cards = compute_scorecards(**inputs)
    for _, card in cards[cards["bottom_flag"]].iterrows():
        rolling = Decimal(str(card["rolling"]))
        median = Decimal(str(card["group_median"]))
        assert card["eligible"] and not card["probation"] and not card["exempt"]
        assert rolling < 60 or rolling < Decimal("0.70") * median


@banks_settings
@given(banks())
def test_the_score_lies_between_0_and_the_scheme_maximum(inputs):
    cards = compute_scorecards(**inputs)
    assert (cards["score"] >= 0).all()
    assert (cards["score"] <= float(inputs["scheme"].max_score())).all()


@banks_settings
@given(banks())
def test_exempt_rows_have_no_rank(inputs):
    cards = compute_scorecards(**inputs)
    exempt = cards[cards["exempt"]]
    assert exempt["rank"].isna().all() and exempt["percentile"].isna().all()
    assert exempt["bottom_position"].isna().all() and not exempt["bottom_flag"].any()
    assert ranked(cards)["rank"].notna().all()
    n = ranked(cards).groupby("peer_group").size()
    assert (cards["group_size"] == cards["peer_group"].map(n).fillna(0)).all()


@banks_settings
@given(banks())
def test_base_is_the_sum_of_the_points_and_the_score_follows_from_it(inputs):
    cards = compute_scorecards(**inputs)
    codes = inputs["scheme"].item_codes
    points = cards[[f"points_{code}" for code in codes]]
    assert np.allclose(points.sum(axis=1, min_count=0), cards["base"], rtol=0, atol=1e-9)
    expected = np.maximum(cards["base"] + cards["bonus"] - cards["deduction"], 0)
    assert np.allclose(expected, cards["score"], rtol=0, atol=1e-9)
    assert (points.notna().to_numpy() == cards[[f"assessed_{code}" for code in codes]].to_numpy()).all()
