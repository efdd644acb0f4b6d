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

# The items a scheme scores (CONTRACT.md §3 names their points); every scheme has all six, and
# one that should not count gets weight 0.
ITEM_CODES = ("accounts", "effective", "ebanking", "deposits", "satisfaction", "mystery")

# What an item's `metric` may name (the engine's actuals, SCORING.md §1).
READABLE_METRICS = frozenset(
    {
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
        "ratings",
        "ratings_good",
        "inspections",
    }
)

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
    # §2 veto (一票否决): this many upheld major complaints fail the grade; 0 turns the veto off.
    # Fields with a default were added later: a stored scheme without them reads the default.
    veto_major_complaints: int = 1

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
            if field.name not in data:
                continue  # a later field with a default (_check_keys let it through)
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
    optional = {field.name for field in dataclasses.fields(cls) if field.default is not dataclasses.MISSING}
    missing = expected - optional - set(data)
    unknown = set(data) - expected
    if missing or unknown:
        raise ValueError(
            f"{cls.__name__}.from_dict: missing {sorted(missing) or 'nothing'}, unknown {sorted(unknown) or 'nothing'}"
        )


# --- validation: what is wrong with a scheme, field by field -----------------------------------


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scheme. ``field`` names it (``weight`` of item ``accounts`` is
    ``items.accounts.weight``); ``code`` says what is wrong, so a caller can put it in the
    person's language; ``str()`` gives the English sentence."""

    field: str
    code: str
    params: tuple[tuple[str, object], ...] = ()

    @property
    def values(self) -> dict:
        return dict(self.params)

    def __str__(self) -> str:
        template = PROBLEM_TEXTS.get(self.code, "{field}: invalid")
        return template.format(field=self.field, **self.values)


PROBLEM_TEXTS = {
    "not_an_object": "the scheme must be a JSON object",
    "missing": "{field} is missing",
    "unknown_field": "{field} is not a field of a scheme",
    "not_a_number": "{field} must be a number, not {value!r}",
    "not_a_whole_number": "{field} must be a whole number, not {value!r}",
    "not_text": "{field} must be text",
    "not_a_list": "{field} must be a list of items",
    "unknown_item": "{field}: there is no item {item!r} (items are {known})",
    "missing_item": "{field}: item {item!r} is missing",
    "duplicate_item": "{field}: item {item!r} appears more than once",
    "negative": "{field} must not be below 0",
    "weights_sum": "{field}: the weights add up to {total}, not 100",
    "cap_below_one": "{field} must be at least 1",
    "at_least": "{field} must be at least {minimum}",
    "between": "{field} must be between {low} and {high}",
    "grade_order": "{field}: the grade bounds must go down: excellent {excellent} > good {good} > pass {passing}",
    "unknown_metric": "{field}: unknown metric {value!r}",
    "unknown_method": "{field}: method must be one of ratio, band, score, not {value!r}",
    "band_needs_span": "{field}: a band item needs a floor and a span above 0",
}

# Keys a scheme file may carry besides the scheme itself (its name and note in the database).
DESCRIPTION_KEYS = frozenset({"name", "note"})

# Ranges of the whole-number parameters: (lowest, highest or None).
_INT_RANGES = {
    "satisfaction_m": (0, None),
    "satisfaction_good_rating": (1, 5),
    "exempt_min_present": (0, 31),
    "probation_months": (1, 24),
    "rolling_months": (1, 12),
    "min_group": (1, None),
    "bottom_share_tenths": (0, 10),
    "case_consecutive": (1, 12),
    "veto_major_complaints": (0, None),
}
# Ranges of the decimal parameters.
_DECIMAL_RANGES = {
    "effective_threshold": (0, None),
    "satisfaction_prior": (0, 1),
    "praise_bonus": (0, None),
    "bonus_cap": (0, None),
    "complaint_deduction": (0, None),
    "absolute_floor": (0, None),
    "median_factor": (0, 1),
}


class SchemeInvalid(ValueError):
    """A scheme that cannot be used; ``problems`` lists every reason, in field order."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("; ".join(str(problem) for problem in problems))


def _problem(field: str, code: str, **params) -> Problem:
    return Problem(field, code, tuple(params.items()))


def _read_decimal(raw, field: str, problems: list) -> Decimal | None:
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str, Decimal)):
        problems.append(_problem(field, "not_a_number", value=raw))
        return None
    try:
        value = Decimal(str(raw).strip())
    except ArithmeticError:
        problems.append(_problem(field, "not_a_number", value=raw))
        return None
    if not value.is_finite():
        problems.append(_problem(field, "not_a_number", value=raw))
        return None
    return value


def _read_int(raw, field: str, problems: list) -> int | None:
    value = _read_decimal(raw, field, problems) if raw is not None else None
    if raw is None:
        problems.append(_problem(field, "not_a_whole_number", value=raw))
        return None
    if value is None:
        return None
    if value != value.to_integral_value():
        problems.append(_problem(field, "not_a_whole_number", value=raw))
        return None
    return int(value)


def _read_item(raw, index: int, problems: list) -> dict | None:
    if not isinstance(raw, dict):
        problems.append(_problem(f"items[{index}]", "not_an_object"))
        return None
    code = raw.get("code")
    if not isinstance(code, str) or not code:
        problems.append(_problem(f"items[{index}].code", "missing"))
        return None
    where = f"items.{code}"
    if code not in ITEM_CODES:
        problems.append(_problem("items", "unknown_item", item=code, known=", ".join(ITEM_CODES)))
        return None
    shipped = {item.code: item for item in DEFAULT_SCHEME.items}[code]
    for key in raw:
        if key not in {field.name for field in dataclasses.fields(Item)}:
            problems.append(_problem(f"{where}.{key}", "unknown_field"))
    if "weight" not in raw:
        problems.append(_problem(f"{where}.weight", "missing"))
    values = {"code": code}
    # An item may leave out what it shares with the shipped item of that code.
    values["metric"] = raw.get("metric", shipped.metric)
    values["method"] = raw.get("method", shipped.method)
    for key in ("weight", "target", "cap", "floor", "span"):
        given = raw.get(key, getattr(shipped, key) if key != "weight" else None)
        if given is None:
            values[key] = None
            continue
        values[key] = _read_decimal(given, f"{where}.{key}", problems)
    if values["metric"] not in READABLE_METRICS:
        problems.append(_problem(f"{where}.metric", "unknown_metric", value=values["metric"]))
    if values["method"] not in METHODS:
        problems.append(_problem(f"{where}.method", "unknown_method", value=values["method"]))
    return values


def scheme_problems(scheme: Scheme) -> list[Problem]:
    """What is wrong with a built scheme (rules across fields); empty when it can be used."""
    problems = []
    codes = [item.code for item in scheme.items]
    for code in codes:
        if code not in ITEM_CODES:
            problems.append(_problem("items", "unknown_item", item=code, known=", ".join(ITEM_CODES)))
    for code in ITEM_CODES:
        if code not in codes:
            problems.append(_problem("items", "missing_item", item=code))
    for item in scheme.items:
        where = f"items.{item.code}"
        if item.weight < 0:
            problems.append(_problem(f"{where}.weight", "negative"))
        if item.target is not None and item.target < 0:
            problems.append(_problem(f"{where}.target", "negative"))
        if item.cap < 1:
            problems.append(_problem(f"{where}.cap", "cap_below_one"))
    total = sum((item.weight for item in scheme.items), Decimal(0))
    if total != 100:
        problems.append(_problem("items", "weights_sum", total=_plain(total)))
    for name, (low, high) in {**_INT_RANGES, **_DECIMAL_RANGES}.items():
        value = getattr(scheme, name)
        if value < low or (high is not None and value > high):
            if high is None:
                problems.append(_problem(name, "negative" if low == 0 else "at_least", minimum=low))
            else:
                problems.append(_problem(name, "between", low=low, high=high))
    if not (scheme.grade_pass >= 0 and scheme.grade_pass < scheme.grade_good < scheme.grade_excellent):
        problems.append(
            _problem(
                "grade_excellent",
                "grade_order",
                excellent=_plain(scheme.grade_excellent),
                good=_plain(scheme.grade_good),
                passing=_plain(scheme.grade_pass),
            )
        )
    return problems


def scheme_parse(data) -> Scheme:
    """A scheme from plain data (a file, a form, an API body), or ``SchemeInvalid`` saying what is
    wrong with every field at once.

    Numbers may be JSON numbers or text; an item may leave out its metric, method, target, cap,
    floor and span, which then come from the shipped item of the same code. Every item of
    ``ITEM_CODES`` must be there, with a weight; the weights must add up to 100.
    """
    if not isinstance(data, dict):
        raise SchemeInvalid([_problem("scheme", "not_an_object")])
    problems: list[Problem] = []
    fields = {field.name: field for field in dataclasses.fields(Scheme)}
    for key in data:
        if key not in fields and key not in DESCRIPTION_KEYS:
            problems.append(_problem(key, "unknown_field"))
    values = {}
    for name, field in fields.items():
        if name not in data:
            if field.default is dataclasses.MISSING:
                problems.append(_problem(name, "missing"))
            continue
        raw = data[name]
        if name == "items":
            if not isinstance(raw, list):
                problems.append(_problem("items", "not_a_list"))
                continue
            items = [_read_item(item, index, problems) for index, item in enumerate(raw)]
            seen = set()
            for item in items:
                if item is None:
                    continue
                if item["code"] in seen:
                    problems.append(_problem("items", "duplicate_item", item=item["code"]))
                seen.add(item["code"])
            for code in ITEM_CODES:
                if code not in seen and not any(p.code == "unknown_item" for p in problems):
                    problems.append(_problem("items", "missing_item", item=code))
            values["items"] = items
        elif field.type == "Decimal":
            values[name] = _read_decimal(raw, name, problems)
        elif field.type == "int":
            values[name] = _read_int(raw, name, problems)
        elif not isinstance(raw, str) or not raw.strip():
            problems.append(_problem(name, "not_text" if raw else "missing"))
        else:
            values[name] = raw.strip()
    if problems:
        raise SchemeInvalid(problems)
    for item in values["items"]:
        if item["method"] == "band" and (item["floor"] is None or item["span"] is None or item["span"] <= 0):
            problems.append(_problem(f"items.{item['code']}", "band_needs_span"))
        if item["cap"] is None:
            problems.append(_problem(f"items.{item['code']}.cap", "missing"))
    if problems:
        raise SchemeInvalid(problems)
    # The checks of scheme_problems come before building, which would refuse a negative weight
    # or a zero rolling window with a bare ValueError.
    draft = _unchecked(values)
    problems = scheme_problems(draft)
    if problems:
        raise SchemeInvalid(problems)
    return Scheme(**{**values, "items": tuple(Item(**item) for item in values["items"])})


def _unchecked(values: dict) -> Scheme:
    """A scheme built without its own checks, only for ``scheme_problems`` to look at."""
    scheme = object.__new__(Scheme)
    items = []
    for item_values in values["items"]:
        item = object.__new__(Item)
        for key, value in item_values.items():
            object.__setattr__(item, key, value)
        items.append(item)
    for field in dataclasses.fields(Scheme):
        value = values.get(field.name, field.default)
        object.__setattr__(scheme, field.name, tuple(items) if field.name == "items" else value)
    return scheme


def _plain(value: Decimal) -> str:
    """A decimal as people write it: 15, 1.2, 0.7 (no trailing zeros, no exponent)."""
    text = format(value.normalize(), "f")
    return text


def scheme_to_json(scheme: Scheme) -> dict:
    """The scheme as CONTRACT.md §2 shows it: numbers as JSON numbers, ``scheme_parse`` reads it back."""

    def number(value):
        if isinstance(value, Decimal):
            return int(value) if value == value.to_integral_value() else float(_plain(value))
        return value

    data = {}
    for field in dataclasses.fields(scheme):
        value = getattr(scheme, field.name)
        if field.name == "items":
            data["items"] = [
                {item_field.name: number(getattr(item, item_field.name)) for item_field in dataclasses.fields(item)}
                for item in value
            ]
        else:
            data[field.name] = number(value)
    return data


def scheme_differences(old: Scheme, new: Scheme) -> list[tuple[str, object, object]]:
    """(field, old value, new value) for every parameter that differs, items as ``items.CODE.FIELD``."""
    changes = []
    old_items = {item.code: item for item in old.items}
    for item in new.items:
        before = old_items.get(item.code)
        for field in dataclasses.fields(Item):
            if field.name == "code":
                continue
            was = getattr(before, field.name) if before else None
            now = getattr(item, field.name)
            if was != now:
                changes.append((f"items.{item.code}.{field.name}", was, now))
    for field in dataclasses.fields(Scheme):
        if field.name in ("items", "code", "version"):
            continue
        was, now = getattr(old, field.name), getattr(new, field.name)
        if was != now:
            changes.append((field.name, was, now))
    return changes


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
