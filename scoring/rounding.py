"""Round half up on the exact decimal value, vectorised.

SCORING.md (preamble and §2): "round" means round half up, away from zero, on the exact decimal
value, as ``Decimal.quantize(..., ROUND_HALF_UP)`` does. Binary floating point cannot hold most
decimals exactly: ``15 * 50.3 / 100`` is 7.54499999999999993 as a float, which ``round()`` turns
into 7.54, while the decimal value 7.545 must give 7.55.

The engine computes in float64, so every value is first snapped to the nearest multiple of 1e-9
(the float errors of a few operations on the engine's magnitudes are far below that), which
recovers the decimal value the float stands for. The half-up step then runs on integer-valued
floats, which are exact below 2**53.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# Decimals kept when snapping a float back to the decimal value it stands for.
SNAP_PLACES = 9
_SNAP = 10.0**SNAP_PLACES
# Beyond this magnitude x * 1e9 no longer fits the 53-bit mantissa; such values (9 million and
# more, far above any score or 万元 amount a lobby manager produces) are rounded from the float.
_SNAP_LIMIT = 2.0**53 / _SNAP


def round_half_up(values: np.ndarray | pd.Series | float, places: int) -> np.ndarray | pd.Series | float:
    """Round each value half up (away from zero) to ``places`` decimals; NaN stays NaN.

    Gives what ``float(Decimal(str_of_the_decimal).quantize(Decimal(10) ** -places, ROUND_HALF_UP))``
    gives, for values that stand for decimals of at most 9 places. A Series comes back as a
    Series with the same index and name, an array as an array, a scalar as a float.
    """
    if not 0 <= places <= SNAP_PLACES:
        raise ValueError(f"places must be between 0 and {SNAP_PLACES}, not {places}")
    if isinstance(values, pd.Series):
        array = values.to_numpy(dtype="float64", na_value=np.nan)
        return pd.Series(_round_array(array, places), index=values.index, name=values.name)
    if np.ndim(values) == 0:
        return float(_round_array(np.asarray([values], dtype="float64"), places)[0])
    return _round_array(np.asarray(values, dtype="float64"), places)


def _round_array(array: np.ndarray, places: int) -> np.ndarray:
    magnitude = np.abs(array)
    with np.errstate(invalid="ignore"):
        small = magnitude < _SNAP_LIMIT
    # Exact path: an integer count of 1e-9 units, then half up to a multiple of `step` units.
    # floor_divide on floats works through fmod, so it is exact on integer-valued operands.
    step = 10.0 ** (SNAP_PLACES - places)
    units = np.rint(np.where(small, magnitude, 0.0) * _SNAP)
    exact = np.floor_divide(units + np.floor(step / 2), step)
    # Fallback for huge magnitudes: half up on the float itself.
    scale = 10.0**places
    rough = np.floor(np.where(small, 0.0, magnitude) * scale + 0.5)
    rounded = np.where(small, exact, rough) / scale
    # `+ 0.0` turns the -0.0 of a tiny negative value into 0.0, so equal values print alike.
    return np.copysign(rounded, array) + 0.0
