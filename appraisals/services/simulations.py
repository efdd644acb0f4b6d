"""What-if: a scheme applied to computed months, writing nothing to the real results.

The engine runs exactly as for real — the same `compute_scorecards` on the same inputs
(`selectors.engine_inputs`) — with another scheme. Months run in order: a simulated month's
rolling score reads the simulated scores of the earlier simulated months and the stored
scorecards of the months before the first one (CONTRACT.md §2, `simulate_scheme`). Nothing
here writes a scorecard, a flag, a case or a change; the comparison is kept on a `Simulation`.
"""

import datetime
import gzip
import hashlib
import io
import json
from collections.abc import Callable

import numpy as np
import pandas as pd
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from appraisals import selectors
from appraisals.models import EngineInputs, Period, PeriodStatus, Scheme, Scorecard, Simulation
from core.bulk import decimal_texts
from core.errors import LobbyStarError
from core.months import month_add
from scoring import Scheme as SchemeData
from scoring import compute_scorecards
from staff.models import Staff

# The CSV of `simulate_scheme` (CONTRACT.md §2), in this order.
SIMULATION_COLUMNS = [
    "period",
    "employee_no",
    "name",
    "peer_group",
    "score_before",
    "score_after",
    "grade_before",
    "grade_after",
    "rank_before",
    "rank_after",
    "bottom_flag_before",
    "bottom_flag_after",
]
# What the stored table keeps besides: who, where (for a branch head's subtree), and exemption.
_STORED_COLUMNS = SIMULATION_COLUMNS + ["staff_id", "branch_path", "exempt_before", "exempt_after"]
COMPUTED_STATUSES = [PeriodStatus.COMPUTED, PeriodStatus.REVIEWED, PeriodStatus.FINALIZED]


class SimulationError(LobbyStarError):
    """A simulation cannot run as asked; the message names the month or the scheme."""


def simulation_months(*, first: datetime.date, last: datetime.date | None = None) -> list[datetime.date]:
    """FIRST..LAST (LAST defaults to FIRST), every one of them computed; else which one is not."""
    first = first.replace(day=1)
    last = (last or first).replace(day=1)
    if last < first:
        raise SimulationError(
            _("截止月份 %(last)s 早于起始月份 %(first)s。") % {"first": f"{first:%Y-%m}", "last": f"{last:%Y-%m}"}
        )
    months = []
    month = first
    while month <= last:
        months.append(month)
        month = month_add(month, 1)
    computed = set(
        Period.objects.filter(month__in=months, status__in=COMPUTED_STATUSES).values_list("month", flat=True)
    )
    for month in months:
        if month not in computed:
            raise SimulationError(_("%(month)s 尚未计算，不能模拟；请先计算该月。") % {"month": f"{month:%Y-%m}"})
    return months


# --- the inputs a computation read, kept for simulations ------------------------------------------

# The frames kept; the history is not: a simulation brings its own.
_KEPT_FRAMES = ("staff", "actuals", "absences", "targets", "cases")


# Text columns read back as text (an employee number like 001 stays 001).
_TEXT_COLUMNS = {"employee_no": str, "peer_group": str, "branch_path_text": str, "scope_kind": str, "item": str}


# Beside the frames: a digest of the staff's places, the one thing kept that the input
# fingerprint does not cover (the branch codes of each path), so an unchanged month is not kept again.
_PLACES_KEY = "places"


def _places_digest(staff: pd.DataFrame) -> str:
    ordered = staff.sort_values("staff_id", kind="stable")
    rows = zip(
        ordered["staff_id"].tolist(), ordered["branch_id"].tolist(), ordered["branch_path_text"].tolist(), strict=True
    )
    return hashlib.sha256("\n".join(f"{a},{b},{c}" for a, b, c in rows).encode()).hexdigest()


def engine_inputs_keep(*, period: Period, inputs: dict, fingerprint: str) -> None:
    """Keeps what `period_compute` fed the engine, so a simulation of the month need not aggregate
    its records again: each frame as CSV (pandas writes floats with repr, which reads back
    exactly), a branch path as its ids joined by "/".

    A recomputation on the same inputs (the same fingerprint, threshold and places) keeps
    nothing new: what is kept is already exactly this."""
    places = _places_digest(inputs["staff"])
    kept = (
        EngineInputs.objects.filter(
            period=period, fingerprint=fingerprint, effective_threshold=inputs["scheme"].effective_threshold
        )
        .values_list("data", flat=True)
        .first()
    )
    if kept is not None and json.loads(gzip.decompress(bytes(kept))).get(_PLACES_KEY) == places:
        return
    frames = {}
    for name in _KEPT_FRAMES:
        frame = inputs[name]
        if name == "staff":
            frame = frame.assign(
                branch_path=["/".join(str(branch) for branch in path) for path in frame["branch_path"]]
            )
        frames[name] = frame.to_csv(index=False, lineterminator="\n")
    frames[_PLACES_KEY] = places
    packed = gzip.compress(json.dumps(frames, ensure_ascii=False).encode(), compresslevel=1)
    EngineInputs.objects.update_or_create(
        period=period,
        defaults={
            "effective_threshold": inputs["scheme"].effective_threshold,
            "fingerprint": fingerprint,
            "data": packed,
        },
    )


def _read_frame(name: str, text: str) -> pd.DataFrame:
    frame = pd.read_csv(io.StringIO(text), dtype=_TEXT_COLUMNS, float_precision="round_trip")
    if name == "staff":
        # Members share outlets: parse each distinct path once.
        paths = {path: tuple(int(branch) for branch in path.split("/")) for path in frame["branch_path"].unique()}
        frame["branch_path"] = frame["branch_path"].map(paths)
    return frame


def _kept_inputs(months: list[datetime.date], scheme: SchemeData) -> dict[datetime.date, dict]:
    """The kept inputs of each month that still matches its scorecards and reads the records as
    `scheme` does (the same effective-customer threshold); other months are assembled afresh."""
    kept = {}
    query = EngineInputs.objects.filter(period__month__in=months, effective_threshold=scheme.effective_threshold)
    rows = query.values_list("period__month", "period__input_fingerprint", "fingerprint", "data")
    for month, current, fingerprint, data in rows:
        if current != fingerprint:
            continue  # recomputed since without keeping, or nobody to score
        frames = json.loads(gzip.decompress(bytes(data)))
        kept[month] = {name: _read_frame(name, text) for name, text in frames.items() if name in _KEPT_FRAMES}
    return kept


def _stored(months: list[datetime.date]) -> pd.DataFrame:
    """The stored scorecards of the months: the "before" side.

    Read with the plain cursor, one month at a time: the ORM's per-value conversion (a Decimal
    for every score) is most of the cost of 240,000 rows, and the frame converts the columns whole.
    """
    columns = ["staff_id", "score_before", "grade_before", "rank_before", "bottom_flag_before", "exempt_before"]
    table = Scorecard._meta.db_table
    frames = []
    with connection.cursor() as cursor:
        for period_id, month in Period.objects.filter(month__in=months).values_list("pk", "month"):
            cursor.execute(
                f"SELECT staff_id, score, grade, rank, bottom_flag, exempt FROM {table} WHERE period_id = %s",
                [period_id],
            )
            frame = pd.DataFrame.from_records(cursor.fetchall(), columns=columns)
            frame.insert(0, "period", pd.Timestamp(month))
            frames.append(frame)
    if not frames:
        return pd.DataFrame(columns=["period", *columns])
    frame = pd.concat(frames, ignore_index=True)
    frame["period"] = pd.to_datetime(frame["period"])
    frame["staff_id"] = frame["staff_id"].astype("int64")
    frame["score_before"] = frame["score_before"].astype("float64")
    frame["rank_before"] = frame["rank_before"].astype("Int64")
    for column in ("bottom_flag_before", "exempt_before"):
        frame[column] = frame[column].astype(bool)
    return frame


def simulate(
    *, scheme: SchemeData, first: datetime.date, last: datetime.date | None = None, progress: Callable | None = None
) -> pd.DataFrame:
    """The person-by-person comparison of `scheme` with the stored scorecards, month by month.

    One row per (month, staff member) who has a stored or a simulated scorecard; the "before"
    columns are the stored scorecard, the "after" columns what `scheme` gives. Reads only.
    """
    months = simulation_months(first=first, last=last)
    window = max(scheme.rolling_months, scheme.case_consecutive)
    # The stored scores before FIRST; the simulated ones replace the stored ones from FIRST on.
    history = selectors.engine_history(month=months[0], months=window)
    history["period"] = pd.to_datetime(history["period"])
    kept = _kept_inputs(months, scheme)
    results = []
    places = []
    for month in months:
        earliest = pd.Timestamp(month_add(month, -(window - 1)))
        history = history[history["period"] >= earliest]
        if month in kept:
            inputs = {"period": month, **kept[month], "history": history, "scheme": scheme}
        else:
            inputs = selectors.engine_inputs(month=month, scheme=scheme, history=history)
        result = compute_scorecards(**inputs)
        after = pd.DataFrame(
            {
                "period": pd.Timestamp(month),
                "staff_id": result["staff_id"].astype("int64"),
                "employee_no": result["employee_no"],
                "peer_group": result["peer_group"],
                "score_after": result["score"],
                "grade_after": result["grade"],
                "rank_after": result["rank"],
                "bottom_flag_after": result["bottom_flag"].astype(bool),
                "exempt_after": result["exempt"].astype(bool),
            }
        )
        results.append(after)
        staff = inputs["staff"]
        places.append(
            pd.DataFrame(
                {"period": pd.Timestamp(month), "staff_id": staff["staff_id"], "path": staff["branch_path_text"]}
            )
        )
        simulated_history = pd.DataFrame(
            {
                "staff_id": after["staff_id"],
                "period": pd.Timestamp(month),
                "score": after["score_after"],
                "exempt": after["exempt_after"],
                "bottom_flag": after["bottom_flag_after"],
            }
        )
        history = pd.concat([history, simulated_history], ignore_index=True) if len(history) else simulated_history
        if progress is not None:
            progress(1)
    return _compare(_stored(months), pd.concat(results, ignore_index=True), pd.concat(places, ignore_index=True))


def _compare(before: pd.DataFrame, after: pd.DataFrame, places: pd.DataFrame) -> pd.DataFrame:
    """Before and after side by side; names, numbers, groups and branch paths for both sides."""
    frame = before.merge(after, on=["period", "staff_id"], how="outer")
    missing = frame["employee_no"].isna() | frame["peer_group"].isna()
    stored = Scorecard.objects.filter(
        period__month__in=[day.date() for day in pd.to_datetime(frame.loc[missing, "period"].unique())],
        staff_id__in=frame.loc[missing, "staff_id"].astype(int).unique().tolist(),
    ).values_list("period__month", "staff_id", "staff__employee_no", "peer_group__code", "branch_path")
    if missing.any():
        extra = pd.DataFrame.from_records(
            list(stored), columns=["period", "staff_id", "stored_no", "stored_group", "stored_path"]
        )
        extra["period"] = pd.to_datetime(extra["period"])
        frame = frame.merge(extra, on=["period", "staff_id"], how="left")
        frame["employee_no"] = frame["employee_no"].fillna(frame["stored_no"])
        frame["peer_group"] = frame["peer_group"].fillna(frame["stored_group"])
    frame = frame.merge(places, on=["period", "staff_id"], how="left")
    if "stored_path" in frame:
        frame["path"] = frame["path"].fillna(frame["stored_path"])
    frame["branch_path"] = frame["path"]
    # Every name in one plain scan: a list of 20,000 ids in the query would cost more.
    names = dict(Staff.objects.values_list("pk", "name"))
    frame["name"] = frame["staff_id"].map(names)
    for side in ("before", "after"):
        frame[f"rank_{side}"] = frame[f"rank_{side}"].astype("Int64")
        frame[f"bottom_flag_{side}"] = frame[f"bottom_flag_{side}"].astype("boolean")
        frame[f"exempt_{side}"] = frame[f"exempt_{side}"].astype("boolean")
    frame["staff_id"] = frame["staff_id"].astype("int64")
    frame["period"] = pd.to_datetime(frame["period"])
    # The order of the scorecard export: group, rank (exempt last), employee number.
    frame["_unranked"] = frame["rank_after"].isna()
    frame = frame.sort_values(
        ["period", "peer_group", "_unranked", "rank_after", "employee_no"], kind="stable", na_position="last"
    )
    return frame[_STORED_COLUMNS].reset_index(drop=True)


def simulation_csv(frame: pd.DataFrame) -> str:
    """The CSV of `simulate_scheme` (CONTRACT.md §2): UTF-8 text, `\\n` line ends, a header row;
    scores with 2 decimals, booleans `true`/`false`, an empty cell where a side has no value.

    Written column-wise by pandas: a year of a large bank is 240,000 rows."""
    # Each distinct month and score formatted once: pandas formats dates and floats value by value.
    months = {month: f"{month:%Y-%m}" for month in frame["period"].unique()}
    out = pd.DataFrame({"period": frame["period"].map(months)})
    for name in SIMULATION_COLUMNS[1:]:
        column = frame[name]
        if name.startswith("bottom_flag_"):
            column = column.astype("boolean").map({True: "true", False: "false"}).astype(object)
        elif name.startswith("score_"):
            column = decimal_texts(column.astype("float64"), 2)
        out[name] = column
    return out.to_csv(index=False, na_rep="", lineterminator="\n")


# --- simulations kept for the console ----------------------------------------------------------


def simulation_create(*, scheme: Scheme, first: datetime.date, last: datetime.date, user) -> Simulation:
    """A simulation waiting for its background job; refused at once when a month is not computed."""
    selectors.scheme_data(scheme)
    months = simulation_months(first=first, last=last)
    return Simulation.objects.create(scheme=scheme, first=months[0], last=months[-1], created_by=user)


def simulation_run(*, simulation: Simulation, progress=None) -> Simulation:
    """Runs a stored simulation and keeps its comparison table (gzip-compressed CSV)."""
    if progress is not None:
        progress.start(len(simulation_months(first=simulation.first, last=simulation.last)))
    frame = simulate(
        scheme=selectors.scheme_data(simulation.scheme),
        first=simulation.first,
        last=simulation.last,
        progress=progress.advance if progress is not None else None,
    )
    table = frame.copy()
    table["period"] = table["period"].dt.strftime("%Y-%m-%d")
    packed = gzip.compress(table.to_csv(index=False, lineterminator="\n").encode(), compresslevel=6)
    with transaction.atomic():
        updated = Simulation.objects.filter(pk=simulation.pk).update(
            table=packed, row_count=len(frame), finished_at=timezone.now()
        )
    if updated != 1:
        raise SimulationError(_("这次模拟已被删除。"))
    simulation.refresh_from_db()
    return simulation


def simulation_frame(simulation: Simulation) -> pd.DataFrame:
    """The stored comparison table back as a frame (empty before the job has finished)."""
    if not simulation.table:
        return pd.DataFrame(columns=_STORED_COLUMNS)
    frame = pd.read_csv(
        io.BytesIO(gzip.decompress(bytes(simulation.table))),
        dtype={"employee_no": str, "name": str, "peer_group": str, "branch_path": str, "grade_before": str},
        keep_default_na=True,
    )
    frame["period"] = pd.to_datetime(frame["period"])
    for side in ("before", "after"):
        frame[f"rank_{side}"] = frame[f"rank_{side}"].astype("Int64")
        frame[f"bottom_flag_{side}"] = frame[f"bottom_flag_{side}"].astype("boolean")
        frame[f"exempt_{side}"] = frame[f"exempt_{side}"].astype("boolean")
    return frame


# --- the comparison page's figures -------------------------------------------------------------


def simulation_rows_under(frame: pd.DataFrame, *, branch_path: str | None) -> pd.DataFrame:
    """The rows of people placed under `branch_path` (a branch head's subtree); all when None."""
    if branch_path is None:
        return frame
    return frame[frame["branch_path"].fillna("").str.startswith(branch_path)].reset_index(drop=True)


def _people(rows: pd.DataFrame, limit: int) -> list[dict]:
    columns = ["period", "employee_no", "name", "peer_group", "score_before", "score_after"]
    columns += ["grade_before", "grade_after", "rank_before", "rank_after"]
    picked = rows[columns].head(limit).astype(object)
    return [
        {
            key: (None if value is pd.NA or (isinstance(value, float) and np.isnan(value)) else value)
            for key, value in row.items()
        }
        for row in picked.to_dict("records")
    ]


def _figures(rows: pd.DataFrame, *, limit: int) -> dict:
    grades = ("excellent", "good", "pass", "fail")
    before_flag = rows["bottom_flag_before"].fillna(False).astype(bool)
    after_flag = rows["bottom_flag_after"].fillna(False).astype(bool)
    both = rows["grade_before"].notna() & rows["grade_after"].notna()
    moves = rows[rows["rank_before"].notna() & rows["rank_after"].notna()].copy()
    moves["move"] = moves["rank_before"].astype("int64") - moves["rank_after"].astype("int64")
    moves["size"] = moves["move"].abs()
    moves = moves[moves["size"] > 0].sort_values(["size", "period", "employee_no"], ascending=[False, True, True])
    largest = _people(moves, limit)
    for person, move in zip(largest, moves["move"].head(limit).tolist(), strict=True):
        person["move"] = int(move)
    return {
        "people": len(rows),
        "grades_before": {grade: int((rows["grade_before"] == grade).sum()) for grade in grades},
        "grades_after": {grade: int((rows["grade_after"] == grade).sum()) for grade in grades},
        "grade_changes": int((both & (rows["grade_before"] != rows["grade_after"])).sum()),
        "flagged_before": int(before_flag.sum()),
        "flagged_after": int(after_flag.sum()),
        "newly_flagged": _people(rows[after_flag & ~before_flag], limit),
        "no_longer_flagged": _people(rows[before_flag & ~after_flag], limit),
        "newly_flagged_count": int((after_flag & ~before_flag).sum()),
        "no_longer_flagged_count": int((before_flag & ~after_flag).sum()),
        "rank_moves": largest,
    }


def simulation_comparison(frame: pd.DataFrame, *, limit: int = 20) -> dict:
    """What the comparison page shows, for the whole range and for each month.

    Grade mix before and after, how many people change grade, who would newly be bottom-flagged
    and who would no longer be, the largest rank moves (places gained, positive, or lost), and
    the average score per tier-1 branch (peer group) before and after.
    """
    branches = (
        frame.groupby("peer_group", dropna=True)
        .agg(before=("score_before", "mean"), after=("score_after", "mean"), people=("staff_id", "nunique"))
        .reset_index()
    )
    branch_rows = [
        {
            "code": row.peer_group,
            "before": None if pd.isna(row.before) else round(float(row.before), 2),
            "after": None if pd.isna(row.after) else round(float(row.after), 2),
            "people": int(row.people),
        }
        for row in branches.itertuples()
    ]
    months = [
        {"month": month.date(), **_figures(rows, limit=limit)} for month, rows in frame.groupby("period", sort=True)
    ]
    return {"range": {**_figures(frame, limit=limit), "branches": branch_rows}, "months": months}
