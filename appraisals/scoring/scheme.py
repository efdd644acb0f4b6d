"""A scoring scheme as plain data (SCORING.md, all sections).

Every number of SCORING.md is a parameter here, so HR can edit a scheme and each scorecard can
record the scheme version that produced it. The database keeps a scheme as ``Scheme.to_dict()``
and rebuilds it with ``Scheme.from_dict()``; the engine only ever sees this frozen object.
"""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

METHODS = ("ratio", "band", "score")

# Metrics that can have no value in a month (SCORING.md §1: no mystery-shopper visit). Every other
# metric always has one (a count, an amount, or the satisfaction rate, which falls back on the prior).
METRICS_THAT_MAY_BE_MISSING = frozenset({"mystery"})

_CENT = Decimal("0.01")


@dataclass(frozen=True)
class Item:
    """One scored item of SCORING.md §2.

    ``method`` says how the item's fraction of its weight is found:

    - ``ratio``: ``min(actual / prorated target, cap)``; not assessed when the target prorates
      to 0 (or there is no target at all);
    - ``band``: ``clip((value - floor) / span, 0, 1)``, e.g. the satisfaction rate from 0.80 up;
    - ``score``: ``min(value / 100, cap)`` for a 0–100 score; not assessed when there is no value.
    """

    code: str
    metric: str
    weight: Decimal
    method: str
    target: Decimal | None = None
    cap: Decimal = Decimal("1")
    floor: Decimal | None = None
    span: Decimal | None = None

    def __post_init__(self) -> None:
        if self.method not in METHODS:
            raise ValueError(f"item {self.code}: method must be one of {METHODS}, not {self.method!r}")
        if self.weight < 0:
            raise ValueError(f"item {self.code}: weight must not be negative")
        if self.method == "band" and (self.floor is None or self.span is None or self.span <= 0):
            raise ValueError(f"item {self.code}: a band item needs a floor and a positive span")

    def max_fraction(self) -> Decimal:
        """The largest share of its weight the item can earn (the cap; 1 for a band)."""
        return Decimal(1) if self.method == "band" else self.cap

    def to_dict(self) -> dict:
        return {field.name: _dump(getattr(self, field.name)) for field in dataclasses.fields(self)}

    @classmethod
    def from_dict(cls, data: dict) -> Item:
        _check_keys(cls, data)
        return cls(
            code=str(data["code"]),
            metric=str(data["metric"]),
            weight=Decimal(str(data["weight"])),
            method=str(data["method"]),
            target=_decimal_or_none(data["target"]),
            cap=Decimal(str(data["cap"])),
            floor=_decimal_or_none(data["floor"]),
            span=_decimal_or_none(data["span"]),
        )


@dataclass(frozen=True)
class Scheme:
    """A versioned scoring scheme; the field comments point at the rule each one sets."""

    code: str
    version: int
    position: str  # §4: who gets a scorecard
    items: tuple[Item, ...]  # §2
    effective_threshold: Decimal  # §1: avg_assets at or above this (yuan) make a customer effective
    satisfaction_m: int  # §1: weight of the prior in the smoothed satisfaction rate
    satisfaction_prior: Decimal  # §1
    satisfaction_good_rating: int  # §1: ratings at or above this count as satisfied
    praise_bonus: Decimal  # §2: bonus per praise
    bonus_cap: Decimal  # §2
    complaint_deduction: Decimal  # §2: per upheld normal complaint
    grade_excellent: Decimal  # §3
    grade_good: Decimal  # §3
    grade_pass: Decimal  # §3
    exempt_min_present: int  # §4: fewer present days than this make the month exempt
    probation_months: int  # §4
    rolling_months: int  # §5
    min_group: int  # §5: nobody is flagged in a group with fewer eligible members
    bottom_share_tenths: int  # §5: k = ceil(e * tenths / 10), in integers
    absolute_floor: Decimal  # §5
    median_factor: Decimal  # §5
    case_consecutive: int  # §5: flagged months in a row that open an improvement case

    def __post_init__(self) -> None:
        codes = [item.code for item in self.items]
        if len(set(codes)) != len(codes):
            raise ValueError(f"scheme {self.code}: item codes must be unique, got {codes}")
        for name in ("probation_months", "rolling_months", "case_consecutive"):
            if getattr(self, name) < 1:
                raise ValueError(f"scheme {self.code}: {name} must be at least 1")

    @property
    def item_codes(self) -> tuple[str, ...]:
        return tuple(item.code for item in self.items)

    def to_dict(self) -> dict:
        """JSON-able, Decimals as strings, keys in the order of the fields."""
        data = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            data[field.name] = [item.to_dict() for item in value] if field.name == "items" else _dump(value)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Scheme:
        _check_keys(cls, data)
        values = {}
        for field in dataclasses.fields(cls):
            raw = data[field.name]
            if field.name == "items":
                values["items"] = tuple(Item.from_dict(item) for item in raw)
            elif field.type == "Decimal":
                values[field.name] = Decimal(str(raw))
            elif field.type == "int":
                values[field.name] = int(raw)
            else:
                values[field.name] = str(raw)
        return cls(**values)

    def max_score(self) -> Decimal:
        """The highest score any input can give: the best base plus the bonus cap.

        Base is the weighted mean of the assessed items' fractions (SCORING.md §2, "Not
        assessed"), so leaving out the items with a low ceiling raises it: the best case is
        taken over every set of assessed items that can occur, each item at its ceiling, rounded
        per item as the engine rounds. A ratio item drops out when its target prorates to 0; a
        band or score item only when its metric may have no value.
        """
        optional = [item for item in self.items if item.method == "ratio" or item.metric in METRICS_THAT_MAY_BE_MISSING]
        always = [item for item in self.items if item not in optional]
        best = Decimal(0)
        for size in range(len(optional) + 1):
            for chosen in itertools.combinations(optional, size):
                assessed = always + list(chosen)
                total_weight = sum((item.weight for item in assessed), Decimal(0))
                if total_weight == 0:
                    continue
                base = sum(
                    (
                        (item.weight * item.max_fraction() * 100 / total_weight).quantize(_CENT, ROUND_HALF_UP)
                        for item in assessed
                    ),
                    Decimal(0),
                )
                best = max(best, base)
        return (best + self.bonus_cap).quantize(_CENT, ROUND_HALF_UP)


def _dump(value):
    if isinstance(value, Decimal):
        return str(value)
    return value


def _decimal_or_none(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _check_keys(cls, data: dict) -> None:
    expected = {field.name for field in dataclasses.fields(cls)}
    missing = expected - set(data)
    unknown = set(data) - expected
    if missing or unknown:
        raise ValueError(
            f"{cls.__name__}.from_dict: missing {sorted(missing) or 'nothing'}, unknown {sorted(unknown) or 'nothing'}"
        )


# SCORING.md, the scheme the product ships with.
DEFAULT_SCHEME = Scheme(
    code="lobby-2026",
    version=1,
    position="lobby_manager",
    items=(
        Item("accounts", "accounts", Decimal("15"), "ratio", target=Decimal("20"), cap=Decimal("1.2")),
        Item("effective", "effective", Decimal("20"), "ratio", target=Decimal("8"), cap=Decimal("1.2")),
        Item("ebanking", "ebanking", Decimal("20"), "ratio", target=Decimal("15"), cap=Decimal("1.2")),
        # A reference norm in 万元 of daily-average contribution, never a personal quota
        # (银保监办发〔2018〕48号).
        Item("deposits", "deposits", Decimal("15"), "ratio", target=Decimal("100"), cap=Decimal("1.2")),
        Item(
            "satisfaction",
            "satisfaction",
            Decimal("20"),
            "band",
            cap=Decimal("1"),
            floor=Decimal("0.80"),
            span=Decimal("0.20"),
        ),
        Item("mystery", "mystery", Decimal("10"), "score", cap=Decimal("1")),
    ),
    effective_threshold=Decimal("10000"),
    satisfaction_m=10,
    satisfaction_prior=Decimal("0.95"),
    satisfaction_good_rating=4,
    praise_bonus=Decimal("1"),
    bonus_cap=Decimal("5"),
    complaint_deduction=Decimal("5"),
    grade_excellent=Decimal("100"),
    grade_good=Decimal("85"),
    grade_pass=Decimal("60"),
    exempt_min_present=15,
    probation_months=3,
    rolling_months=3,
    min_group=8,
    bottom_share_tenths=1,
    absolute_floor=Decimal("60"),
    median_factor=Decimal("0.70"),
    case_consecutive=3,
)
