"""The scoring engine: one month's inputs in, one scorecard row per staff member out.

Pure pandas + numpy, vectorised over staff (SCORING.md §1–§5; CONTRACT.md §3 for the decimals
shown). The only Python loops run over the scheme's items or over a few months. Columns are
computed as numpy arrays, one per scorecard column, and put into a frame once at the end.

Rounding follows SCORING.md: every figure is computed from the exact (unrounded) inputs and
rounded half up once, where SCORING.md or CONTRACT.md §3 says. Ranking, grades and every bottom
test compare the rounded S and R as whole cents, so no float comparison decides a boundary.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pandas as pd

from .inputs import INPUT_COLUMNS
from .rounding import round_half_up
from .scheme import Scheme

GRADES = ("excellent", "good", "pass", "fail")

# The metrics a scorecard shows (SCORING.md §1).
METRIC_COLUMNS = (
    "accounts",
    "effective",
    "ebanking",
    "deposits",
    "deposits_total",
    "satisfaction",
    "mystery",
    "praise",
    "complaints",
    "major_complaints",
)
_COUNT_COLUMNS = (
    "accounts",
    "effective",
    "ebanking",
    "ratings",
    "ratings_good",
    "inspections",
    "praise",
    "complaints",
    "major_complaints",
)
_AMOUNT_COLUMNS = ("deposits", "deposits_total", "mystery")
# What an item's `metric` may name.
_READABLE_METRICS = frozenset(METRIC_COLUMNS) | {"ratings", "ratings_good", "inspections"}

# Decimals shown (CONTRACT.md §3): points, scores and the mystery score 2; rates and 万元 4.
_POINTS = 2
_RATE = 4


def scorecard_columns(scheme: Scheme) -> list[str]:
    """The output columns of ``compute_scorecards``, in order."""
    columns = ["staff_id", "employee_no", "peer_group", "days_in_month", "present_days", "absent_days"]
    columns += METRIC_COLUMNS
    for code in scheme.item_codes:
        columns += [f"target_{code}", f"completion_{code}", f"assessed_{code}", f"points_{code}"]
    columns += [
        "base",
        "bonus",
        "deduction",
        "score",
        "grade",
        "veto",
        "exempt",
        "probation",
        "rank",
        "group_size",
        "percentile",
        "rolling",
        "eligible",
        "bottom_position",
        "bottom_k",
        "group_median",
        "relative_test",
        "absolute_test",
        "bottom_flag",
        "case_rule",
    ]
    return columns


def compute_scorecards(
    *,
    period: datetime.date,
    staff: pd.DataFrame,
    actuals: pd.DataFrame,
    absences: pd.DataFrame,
    targets: pd.DataFrame,
    history: pd.DataFrame,
    cases: pd.DataFrame,
    scheme: Scheme,
) -> pd.DataFrame:
    """Score month ``period`` (its first day) for every row of ``staff``.

    The frames' columns are listed in ``inputs.INPUT_COLUMNS``; extra columns are ignored. The
    result has one row per staff row, sorted by staff_id, with the columns of
    ``scorecard_columns(scheme)``; the order of the input rows never matters.
    """
    _check_scheme(scheme)
    month = _Month.of(period)
    members = _normalise_staff(staff).sort_values("staff_id", kind="stable").reset_index(drop=True)
    ids = members["staff_id"].to_numpy()
    cards = {
        "staff_id": ids,
        "employee_no": members["employee_no"].to_numpy(),
        "peer_group": members["peer_group"].to_numpy(),
        "days_in_month": np.full(len(ids), month.days, dtype="int64"),
    }
    cards["absent_days"] = _absent_days(ids, _normalise_absences(absences), month)
    cards["present_days"] = month.days - cards["absent_days"]
    cards |= _actuals(ids, _normalise_actuals(actuals), scheme)
    cards |= _items(cards, members, _normalise_targets(targets), month, scheme)
    cards |= _score_and_grade(cards, scheme)
    groups = pd.factorize(members["peer_group"])[0]
    cards |= _rank(cards, groups, scheme)
    past = _normalise_history(history)
    cards |= _rolling(cards, past, month, scheme)
    cards |= _bottom_flag(cards, members["position_since"], groups, month, scheme)
    cards |= _case_rule(cards, past, _normalise_cases(cases), month, scheme)
    return pd.DataFrame({column: cards[column] for column in scorecard_columns(scheme)})


def input_fingerprint(
    *,
    period: datetime.date,
    staff: pd.DataFrame,
    actuals: pd.DataFrame,
    absences: pd.DataFrame,
    targets: pd.DataFrame,
    history: pd.DataFrame,
    cases: pd.DataFrame,
    scheme: Scheme,
) -> str:
    """The sha256 (hex) of everything ``compute_scorecards`` reads, in a canonical form.

    Only the documented columns count, with their types normalised the way the engine reads
    them, and rows are sorted: neither row order nor extra columns change the fingerprint.
    """
    month = _Month.of(period)
    members = _normalise_staff(staff)
    frames = {
        "staff": members.drop(columns="branch_path"),
        # A branch path becomes rows (staff_id, depth, branch_id), so it serialises without reprs.
        "branch_paths": _explode_paths(members),
        "actuals": _normalise_actuals(actuals),
        "absences": _normalise_absences(absences),
        "targets": _normalise_targets(targets),
        "history": _normalise_history(history),
        "cases": _normalise_cases(cases),
    }
    digest = hashlib.sha256()
    header = {"period": month.start.date().isoformat(), "scheme": scheme.to_dict()}
    digest.update(json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode())
    for name, frame in frames.items():
        digest.update(f"\n#{name}\n".encode())
        for part in _canonical_bytes(frame):
            digest.update(part)
    return digest.hexdigest()


# --- months ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Month:
    start: pd.Timestamp
    days: int
    number: int  # months since January 1970, so that "p − 2" is plain subtraction

    @classmethod
    def of(cls, period: datetime.date) -> _Month:
        start = pd.Timestamp(period).to_period("M").to_timestamp()
        number = int(start.to_datetime64().astype("datetime64[M]").astype("int64"))
        return cls(start=start, days=start.days_in_month, number=number)


def _month_numbers(dates: pd.Series) -> np.ndarray:
    """Months since January 1970 of each date, as floats (NaN for no date)."""
    values = dates.to_numpy(dtype="datetime64[ns]")
    return np.where(np.isnat(values), np.nan, values.astype("datetime64[M]").astype("int64"))


# --- reading the inputs ----------------------------------------------------------------------


def _columns(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    wanted = list(INPUT_COLUMNS[name])
    missing = [column for column in wanted if column not in frame.columns]
    if missing:
        raise ValueError(f"{name}: missing columns {missing}")
    return frame[wanted].reset_index(drop=True)


def _bools(series: pd.Series) -> pd.Series:
    return series.astype("boolean").fillna(False).astype(bool)


def _days(series: pd.Series) -> pd.Series:
    return pd.to_datetime(series).dt.normalize()


def _reject_duplicates(frame: pd.DataFrame, keys: list[str], name: str) -> None:
    duplicated = frame.duplicated(keys, keep=False)
    if duplicated.any():
        sample = frame.loc[duplicated, keys].head(3).to_dict("records")
        raise ValueError(f"{name}: more than one row for the same {keys}, e.g. {sample}")


def _normalise_staff(staff: pd.DataFrame) -> pd.DataFrame:
    frame = _columns(staff, "staff")
    frame["staff_id"] = frame["staff_id"].astype("int64")
    _reject_duplicates(frame, ["staff_id"], "staff")
    if frame["peer_group"].isna().any():
        raise ValueError("staff: every member needs a peer_group")
    frame["employee_no"] = frame["employee_no"].astype(str)
    frame["peer_group"] = frame["peer_group"].astype(str)
    frame["position_since"] = _days(frame["position_since"])
    return frame


def _normalise_actuals(actuals: pd.DataFrame) -> pd.DataFrame:
    frame = _columns(actuals, "actuals")
    frame["staff_id"] = frame["staff_id"].astype("int64")
    _reject_duplicates(frame, ["staff_id"], "actuals")
    # astype(float64) reads Decimal values from the database too, and None as NaN.
    counts = list(_COUNT_COLUMNS)
    frame[counts] = frame[counts].astype("float64").fillna(0).astype("int64")
    amounts = list(_AMOUNT_COLUMNS)
    frame[amounts] = frame[amounts].astype("float64")
    return frame


def _normalise_absences(absences: pd.DataFrame) -> pd.DataFrame:
    frame = _columns(absences, "absences")
    frame["staff_id"] = frame["staff_id"].astype("int64")
    frame["start"] = _days(frame["start"])
    frame["end"] = _days(frame["end"])
    if (frame["start"].isna() | frame["end"].isna()).any():
        raise ValueError("absences: every absence needs a start and an end")
    return frame


def _normalise_targets(targets: pd.DataFrame) -> pd.DataFrame:
    frame = _columns(targets, "targets")
    frame["scope_kind"] = frame["scope_kind"].astype(str)
    unknown = set(frame["scope_kind"]) - {"staff", "branch", "bank"}
    if unknown:
        raise ValueError(f"targets: unknown scope_kind {sorted(unknown)}")
    is_bank = frame["scope_kind"] == "bank"
    frame["scope_id"] = frame["scope_id"].astype("float64").where(~is_bank).astype("Int64")
    if frame["scope_id"].isna().ne(is_bank).any():
        raise ValueError("targets: a staff or branch target needs a scope_id")
    frame["item"] = frame["item"].astype(str)
    frame["target"] = frame["target"].astype("float64")
    _reject_duplicates(frame, ["scope_kind", "scope_id", "item"], "targets")
    return frame


def _normalise_history(history: pd.DataFrame) -> pd.DataFrame:
    frame = _columns(history, "history")
    frame["staff_id"] = frame["staff_id"].astype("int64")
    frame["period"] = pd.to_datetime(frame["period"]).dt.to_period("M").dt.to_timestamp()
    if frame["period"].isna().any():
        raise ValueError("history: every scorecard needs a period")
    frame["score"] = frame["score"].astype("float64")
    frame["exempt"] = _bools(frame["exempt"])
    frame["bottom_flag"] = _bools(frame["bottom_flag"])
    _reject_duplicates(frame, ["staff_id", "period"], "history")
    return frame


def _normalise_cases(cases: pd.DataFrame) -> pd.DataFrame:
    frame = _columns(cases, "cases")
    frame["staff_id"] = frame["staff_id"].astype("int64")
    frame["open"] = _bools(frame["open"])
    frame["closed_period"] = pd.to_datetime(frame["closed_period"]).dt.to_period("M").dt.to_timestamp()
    return frame


def _check_scheme(scheme: Scheme) -> None:
    unreadable = [item.metric for item in scheme.items if item.metric not in _READABLE_METRICS]
    if unreadable:
        raise ValueError(f"scheme {scheme.code}: items read unknown metrics {unreadable}")


def _positions(ids: np.ndarray, staff_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each of ``staff_ids`` sits in the sorted ``ids``, and whether it is there at all."""
    positions = np.searchsorted(ids, staff_ids)
    inside = positions < len(ids)
    found = np.zeros(len(staff_ids), dtype=bool)
    found[inside] = ids[positions[inside]] == staff_ids[inside]
    return np.where(found, positions, 0), found


def _per_member(ids: np.ndarray, staff_ids: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The sum of ``weights`` for each member in ``ids`` (rows of other staff are dropped)."""
    positions, found = _positions(ids, staff_ids)
    return np.bincount(positions[found], weights=weights[found], minlength=len(ids))


def _per_group(groups: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The sum of ``weights`` over each member's peer group, on every member's row."""
    return np.bincount(groups, weights=weights, minlength=groups.max(initial=-1) + 1)[groups]


# --- §2 proration: present days --------------------------------------------------------------


def _absent_days(ids: np.ndarray, absences: pd.DataFrame, month: _Month) -> np.ndarray:
    """Calendar days of the month covered by at least one absence (SCORING.md §2, Proration).

    Each absence becomes a bitmask of the days it covers inside the month (bit d−1 for day d);
    OR-ing a member's masks counts a day covered by two absences once.
    """
    first = month.start.to_datetime64()
    start = (absences["start"].to_numpy() - first) // np.timedelta64(1, "D")
    end = (absences["end"].to_numpy() - first) // np.timedelta64(1, "D")
    start = np.maximum(start.astype("int64"), 0)
    end = np.minimum(end.astype("int64"), month.days - 1)
    positions, found = _positions(ids, absences["staff_id"].to_numpy())
    keep = found & (start <= end)
    if not keep.any():
        return np.zeros(len(ids), dtype="int64")
    one = np.int64(1)
    masks = np.left_shift(one, end[keep] + 1) - np.left_shift(one, start[keep])
    positions = positions[keep]
    order = np.argsort(positions, kind="stable")
    positions, masks = positions[order], masks[order]
    members, first_rows = np.unique(positions, return_index=True)
    absent = np.zeros(len(ids), dtype="int64")
    absent[members] = np.bitwise_count(np.bitwise_or.reduceat(masks, first_rows))
    return absent


# --- §1 actuals ------------------------------------------------------------------------------


def _actuals(ids: np.ndarray, actuals: pd.DataFrame, scheme: Scheme) -> dict[str, np.ndarray]:
    """The month's actuals per member; a member with no records has zeros and no mystery score.

    The exact values (keys ending in ``_exact``) feed the points; the rounded ones are shown.
    """
    joined = actuals.set_index("staff_id").reindex(ids)
    cards = {column: joined[column].fillna(0).to_numpy(dtype="int64") for column in _COUNT_COLUMNS}
    exact = {
        "deposits": joined["deposits"].fillna(0.0).to_numpy(dtype="float64"),
        "deposits_total": joined["deposits_total"].fillna(0.0).to_numpy(dtype="float64"),
        "mystery": joined["mystery"].to_numpy(dtype="float64"),
    }
    # §1: smoothed towards the prior so that a few ratings cannot swing the rate.
    m = scheme.satisfaction_m
    exact["satisfaction"] = (cards["ratings_good"] + m * float(scheme.satisfaction_prior)) / (cards["ratings"] + m)
    for column, values in exact.items():
        cards[f"{column}_exact"] = values
        cards[column] = round_half_up(values, _POINTS if column == "mystery" else _RATE)
    return cards


def _metric(cards: dict, metric: str) -> np.ndarray:
    exact = f"{metric}_exact"
    return np.asarray(cards[exact] if exact in cards else cards[metric], dtype="float64")


# --- §2 targets and points -------------------------------------------------------------------


def _explode_paths(members: pd.DataFrame) -> pd.DataFrame:
    """(staff_id, depth, branch_id) for every branch on each path; depth 1 is the member's own branch."""
    paths = members[["staff_id", "branch_path"]].explode("branch_path")
    # explode repeats each member's index label, once per branch, nearest first.
    labels = paths.index.to_numpy()
    starts = np.flatnonzero(np.r_[True, labels[1:] != labels[:-1]])
    run_lengths = np.diff(np.r_[starts, len(labels)])
    paths["depth"] = np.arange(len(labels)) - np.repeat(starts, run_lengths) + 1
    paths = paths.dropna(subset=["branch_path"])
    paths["branch_id"] = paths["branch_path"].astype("int64")
    return paths[["staff_id", "depth", "branch_id"]].reset_index(drop=True)


def _resolve_targets(members: pd.DataFrame, targets: pd.DataFrame, scheme: Scheme) -> dict[str, np.ndarray]:
    """Each ratio item's target for each member, most specific first (SCORING.md §2, Targets).

    The member's own, else the nearest branch on the path (own branch, outlet, sub-branch,
    tier-1 branch, and the head office if it is on the path), else ``bank``, else the scheme's
    default; NaN when there is none at all. ``members`` must be sorted by staff_id.
    """
    ids = members["staff_id"].to_numpy()
    paths = _explode_paths(members)
    path_member = np.searchsorted(ids, paths["staff_id"].to_numpy())
    nearest_first = np.lexsort((paths["depth"].to_numpy(), path_member))
    path_member = path_member[nearest_first]
    path_branch = paths["branch_id"].to_numpy()[nearest_first]
    kind = targets["scope_kind"].to_numpy()
    item_code = targets["item"].to_numpy()
    scope = targets["scope_id"].fillna(-1).to_numpy(dtype="int64")
    target = targets["target"].to_numpy(dtype="float64")
    resolved = {}
    for item in scheme.items:
        if item.method != "ratio":
            continue
        mine = item_code == item.code
        # From the least specific level to the most, each one overwriting the one before.
        bank = target[mine & (kind == "bank")]
        default = np.nan if item.target is None else float(item.target)
        value = np.full(len(ids), bank[0] if len(bank) else default, dtype="float64")
        on_branch = mine & (kind == "branch")
        hits = pd.Index(scope[on_branch]).get_indexer(path_branch)
        hit = hits >= 0
        # The first hit on each member's path is the nearest branch.
        members_hit, first = np.unique(path_member[hit], return_index=True)
        value[members_hit] = target[on_branch][hits[hit][first]]
        own = mine & (kind == "staff")
        hits = pd.Index(scope[own]).get_indexer(ids)
        value[hits >= 0] = target[own][hits[hits >= 0]]
        resolved[item.code] = value
    return resolved


def _items(
    cards: dict, members: pd.DataFrame, targets: pd.DataFrame, month: _Month, scheme: Scheme
) -> dict[str, np.ndarray]:
    """Points per item, with proration and the not-assessed rescaling (SCORING.md §2)."""
    resolved = _resolve_targets(members, targets, scheme)
    present = cards["present_days"].astype("float64")
    days = float(month.days)
    size = len(present)
    out, fractions, assessed = {}, {}, {}
    for item in scheme.items:
        value = _metric(cards, item.metric)
        target = np.full(size, np.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            if item.method == "ratio":
                prorated = resolved[item.code] * present / days
                assessed[item.code] = prorated > 0  # a target prorated to 0 is not assessed
                # actual / (target × present / D), in this order to keep the float error small
                completion = value * days / (resolved[item.code] * present)
                fraction = np.minimum(completion, float(item.cap))
                target = round_half_up(prorated, _RATE)
            elif item.method == "band":
                assessed[item.code] = ~np.isnan(value)
                completion = fraction = np.clip((value - float(item.floor)) / float(item.span), 0.0, 1.0)
            else:
                assessed[item.code] = ~np.isnan(value)
                completion = fraction = np.clip(value / 100.0, 0.0, float(item.cap))
        fractions[item.code] = fraction
        out[f"target_{item.code}"] = target
        out[f"completion_{item.code}"] = round_half_up(np.where(assessed[item.code], completion, np.nan), _RATE)
        out[f"assessed_{item.code}"] = assessed[item.code]
    # Not assessed: the assessed weights are scaled up to add up to 100 again.
    assessed_weight = np.zeros(size)
    for item in scheme.items:
        assessed_weight += float(item.weight) * assessed[item.code]
    base = np.zeros(size)
    for item in scheme.items:
        with np.errstate(divide="ignore", invalid="ignore"):
            scaled = float(item.weight) * fractions[item.code] * 100.0 / assessed_weight
        scaled = np.where(assessed_weight > 0, scaled, 0.0)
        points = round_half_up(np.where(assessed[item.code], scaled, np.nan), _POINTS)
        out[f"points_{item.code}"] = points
        base += np.nan_to_num(points)
    # The sum of 2-decimal points, rounded again only to wash out the float error of adding.
    out["base"] = round_half_up(base, _POINTS)
    return out


# --- §2 score, §3 grade ----------------------------------------------------------------------


def _cents(values: np.ndarray) -> np.ndarray:
    """2-decimal values as whole cents (integer-valued floats; NaN stays NaN)."""
    return np.rint(np.asarray(values, dtype="float64") * 100.0)


def _cents_at_least(threshold: Decimal) -> float:
    """The fewest whole cents that reach ``threshold``: ``cents >= this`` iff ``value >= threshold``."""
    return float(math.ceil(threshold * 100))


def _score_and_grade(cards: dict, scheme: Scheme) -> dict[str, np.ndarray]:
    """Bonus, deduction, S (SCORING.md §2) and the grade with the veto (SCORING.md §3)."""
    praise = cards["praise"].astype("float64")
    bonus = round_half_up(np.minimum(praise * float(scheme.praise_bonus), float(scheme.bonus_cap)), _POINTS)
    deduction = round_half_up(cards["complaints"] * float(scheme.complaint_deduction), _POINTS)
    score = round_half_up(np.maximum(cards["base"] + bonus - deduction, 0.0), _POINTS)
    # 一票否决: the score stands, the grade fails (a scheme may turn it off with 0).
    threshold = scheme.veto_major_complaints
    veto = (cards["major_complaints"] >= threshold) if threshold > 0 else np.zeros(len(praise), dtype=bool)
    cents = _cents(score)
    grade = np.select(
        [
            veto,
            cents >= _cents_at_least(scheme.grade_excellent),
            cents >= _cents_at_least(scheme.grade_good),
            cents >= _cents_at_least(scheme.grade_pass),
        ],
        ["fail", "excellent", "good", "pass"],
        default="fail",
    ).astype(object)
    return {"bonus": bonus, "deduction": deduction, "score": score, "veto": veto, "grade": grade}


# --- §4 exemption and rank -------------------------------------------------------------------


def _rank(cards: dict, groups: np.ndarray, scheme: Scheme) -> dict:
    """Competition rank by S among the group's non-exempt members (SCORING.md §4)."""
    exempt = cards["present_days"] < scheme.exempt_min_present
    ranked = ~exempt
    score = pd.Series(np.where(ranked, _cents(cards["score"]), np.nan))
    rank = score.groupby(groups).rank(method="min", ascending=False).to_numpy()
    n = _per_group(groups, ranked.astype("float64")).astype("int64")
    with np.errstate(divide="ignore", invalid="ignore"):
        percentile = np.where(n > 1, (rank - 1) / (n - 1), 0.0)
    return {
        "exempt": exempt,
        "rank": pd.array(rank, dtype="Int64"),
        "group_size": n,
        "percentile": round_half_up(np.where(ranked, percentile, np.nan), _RATE),
    }


# --- §5 rolling score, bottom flag, improvement case -----------------------------------------


def _rolling(cards: dict, past: pd.DataFrame, month: _Month, scheme: Scheme) -> dict[str, np.ndarray]:
    """R: the mean S over the non-exempt months among p and the months before it (SCORING.md §5).

    Whatever the member's group or probation was in those months; empty when no month counts.
    """
    back = month.number - _month_numbers(past["period"])
    counted = past[(back >= 1) & (back < scheme.rolling_months) & ~past["exempt"] & past["score"].notna()]
    ids = cards["staff_id"]
    now = ~cards["exempt"]
    history_ids = counted["staff_id"].to_numpy()
    total = _per_member(ids, history_ids, _cents(counted["score"].to_numpy())) + np.where(
        now, _cents(cards["score"]), 0.0
    )
    months = _per_member(ids, history_ids, np.ones(len(counted))) + now
    with np.errstate(divide="ignore", invalid="ignore"):
        rolling_cents = round_half_up(np.where(months > 0, total / months, np.nan), 0)
    return {"rolling_cents": rolling_cents, "rolling": rolling_cents / 100.0}


def _bottom_flag(
    cards: dict, position_since: pd.Series, groups: np.ndarray, month: _Month, scheme: Scheme
) -> dict[str, np.ndarray]:
    """末位预警 (SCORING.md §5): the relative and absolute tests among the eligible members."""
    # Fewer than `probation_months` whole months in the position at the month's end; a member
    # without a position_since counts as long in post.
    probation_start = month.start - pd.DateOffset(months=scheme.probation_months - 1)
    probation = (position_since > probation_start).to_numpy()
    eligible = ~cards["exempt"] & ~probation
    e = _per_group(groups, eligible.astype("float64")).astype("int64")
    # ceil(e × tenths / 10) in integers: 0.1 × 30 is 3.0000000000000004 in floating point.
    k = (e * scheme.bottom_share_tenths + 9) // 10
    rolling = pd.Series(np.where(eligible, cards["rolling_cents"], np.nan))
    by_group = rolling.groupby(groups)
    # b = eligible members whose R is ≤ one's own, so a tie straddling the cut-off flags nobody.
    position = by_group.rank(method="max", ascending=True).to_numpy()
    median = by_group.transform("median").to_numpy()  # in cents; the mean of the middle two if even
    relative = eligible & (position <= k)
    # R < floor, or R < a/b × median, compared in whole (and half) cents.
    a, b = Fraction(scheme.median_factor).as_integer_ratio()
    rolling = rolling.to_numpy()
    absolute = eligible & (
        (rolling < _cents_at_least(scheme.absolute_floor)) | (2 * b * rolling < a * np.rint(2 * median))
    )
    return {
        "probation": probation,
        "eligible": eligible,
        "bottom_position": pd.array(position, dtype="Int64"),
        "bottom_k": k,
        "group_median": round_half_up(median / 100.0, 3),
        "relative_test": relative,
        "absolute_test": absolute,
        "bottom_flag": relative & absolute & (e >= scheme.min_group),
    }


def _case_rule(
    cards: dict, past: pd.DataFrame, cases: pd.DataFrame, month: _Month, scheme: Scheme
) -> dict[str, np.ndarray]:
    """Whether the rule for an improvement case holds (SCORING.md §5).

    Flagged in p and in each of the ``case_consecutive − 1`` months before it, no case already
    open, and after a closed case every one of those months later than the month of closing.
    """
    ids = cards["staff_id"]
    back = month.number - _month_numbers(past["period"])
    run = past[(back >= 1) & (back < scheme.case_consecutive) & past["bottom_flag"]]
    flagged_before = _per_member(ids, run["staff_id"].to_numpy(), np.ones(len(run)))
    in_a_row = cards["bottom_flag"] & (flagged_before == scheme.case_consecutive - 1)
    case_ids = cases["staff_id"].to_numpy()
    has_open = _per_member(ids, case_ids, cases["open"].to_numpy(dtype="float64")) > 0
    # The latest closing per member; -inf (before any month) when there is none.
    closed = np.full(len(ids), -np.inf)
    positions, found = _positions(ids, case_ids)
    np.fmax.at(closed, positions[found], _month_numbers(cases["closed_period"])[found])
    first_of_run = month.number - (scheme.case_consecutive - 1)
    return {"case_rule": in_a_row & ~has_open & (closed < first_of_run)}


# --- the fingerprint -------------------------------------------------------------------------


def _canonical_bytes(frame: pd.DataFrame) -> Iterator[bytes]:
    """A frame as bytes that depend on its values and not on its row order: each column made
    one plain type (days for dates, float64 with one NaN and no −0.0, int64, text), the rows
    sorted on every column, then each column's name, type and values in a row.

    Column by column with numpy rather than through CSV text: at 20,000 staff members the
    text formatting of floats alone took most of a second (docs/benchmarks.md, Compute)."""
    columns = {}
    for name in frame.columns:
        series = frame[name]
        if pd.api.types.is_datetime64_any_dtype(series):
            days = series.to_numpy(dtype="datetime64[D]")
            columns[name] = ("d", np.where(np.isnat(days), np.nan, days.astype("int64")).astype("<f8"))
        elif pd.api.types.is_bool_dtype(series) or pd.api.types.is_integer_dtype(series.dtype):
            if series.isna().any():  # a nullable integer column such as a bank target's scope_id
                columns[name] = ("f", series.astype("float64").to_numpy().astype("<f8"))
            else:
                columns[name] = ("i", series.to_numpy().astype("<i8"))
        elif pd.api.types.is_float_dtype(series):
            values = series.to_numpy(dtype="float64") + 0.0  # -0.0 and 0.0 are the same number
            columns[name] = ("f", np.where(np.isnan(values), np.nan, values).astype("<f8"))
        else:
            texts = series.astype(str).to_numpy(dtype=object)
            texts[series.isna().to_numpy()] = None
            columns[name] = ("t", texts)
    # Sort keys: numbers as they are (NaN last), texts by their rank in sorted order.
    keys = [
        pd.factorize(values, sort=True, use_na_sentinel=True)[0] if kind == "t" else values
        for kind, values in columns.values()
    ]
    order = np.lexsort(keys[::-1]) if keys else np.arange(0)
    yield f"rows {len(frame)}\n".encode()
    for name, (kind, values) in columns.items():
        values = values[order]
        yield f"{name}:{kind}\n".encode()
        if kind == "t":
            yield json.dumps(values.tolist(), ensure_ascii=False).encode()
        else:
            yield values.tobytes()
