"""The shape of the engine's input frames; the selectors in appraisals build them.

Each frame may carry more columns (they are ignored) and may be empty, but must have these.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd

INPUT_COLUMNS: dict[str, tuple[str, ...]] = {
    # One row per member who gets a scorecard in the month (SCORING.md §4).
    # branch_path: branch ids nearest first, from the branch held on the month's last day
    # up to the head office.
    "staff": ("staff_id", "employee_no", "peer_group", "branch_path", "position_since"),
    # The month's actuals (SCORING.md §1), deposits already the daily-average contribution in 万元.
    "actuals": (
        "staff_id",
        "accounts",
        "effective",
        "ebanking",
        "deposits",
        "deposits_total",
        "ratings",
        "ratings_good",
        "mystery",
        "inspections",
        "praise",
        "complaints",
        "major_complaints",
    ),
    # Absences of any kind, end inclusive; they may reach outside the month and overlap.
    "absences": ("staff_id", "start", "end"),
    # The month's targets: scope_kind 'staff' | 'branch' | 'bank', scope_id None for 'bank'.
    "targets": ("scope_kind", "scope_id", "item", "target"),
    # Stored scorecards of earlier months (period = first of the month).
    "history": ("staff_id", "period", "score", "exempt", "bottom_flag"),
    # Improvement cases: open = a case is open that this month did not open itself;
    # closed_period = the month of the latest closing, if any.
    "cases": ("staff_id", "open", "closed_period"),
}


def input_frame(name: str, rows: Iterable[Mapping] = ()) -> pd.DataFrame:
    """A frame of input ``name`` from dicts; missing keys become NaN, extra keys are dropped."""
    return pd.DataFrame(list(rows), columns=list(INPUT_COLUMNS[name]))
