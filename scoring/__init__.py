"""The scoring engine (SCORING.md): pure pandas + numpy, no Django.

DataFrames and a ``Scheme`` in, DataFrames out; ``appraisals.services`` feeds it and stores
what it returns.
"""

from .engine import GRADES, METRIC_COLUMNS, compute_scorecards, input_fingerprint, scorecard_columns
from .inputs import INPUT_COLUMNS, input_frame
from .rounding import round_half_up
from .scheme import DEFAULT_SCHEME, Item, Scheme

__all__ = [
    "DEFAULT_SCHEME",
    "GRADES",
    "INPUT_COLUMNS",
    "METRIC_COLUMNS",
    "Item",
    "Scheme",
    "compute_scorecards",
    "input_fingerprint",
    "input_frame",
    "round_half_up",
    "scorecard_columns",
]
