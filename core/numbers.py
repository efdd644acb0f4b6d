"""Numbers as the product writes them, one rounding everywhere: half up (away from zero) on the
exact decimal value, as SCORING.md says. The web pages, the PDFs, the exports and the screens
all write their figures through these functions."""

from decimal import ROUND_HALF_UP, Decimal

DASH = "—"


def decimal(value) -> Decimal | None:
    """`value` as an exact Decimal (floats through their shortest repr); None stays None."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value
    return Decimal(str(value))


def rounded(value, places: int = 2) -> Decimal | None:
    number = decimal(value)
    if number is None:
        return None
    return number.quantize(Decimal(1).scaleb(-places), ROUND_HALF_UP)


def fixed(value, places: int = 2, *, empty: str = DASH) -> str:
    """Exactly `places` decimals: 7.55, 133.1556; `empty` where there is no value."""
    number = rounded(value, places)
    if number is None:
        return empty
    text = f"{number:f}"
    return text[1:] if text.startswith("-") and not number else text  # never "-0.00"


def short(value, places: int = 2, *, empty: str = DASH) -> str:
    """At most `places` decimals, without needless zeros: 20, 14.52, 0.5."""
    text = fixed(value, places, empty=empty)
    if text == empty or "." not in text:
        return text
    return text.rstrip("0").rstrip(".")


def whole(value, *, empty: str = DASH) -> str:
    """A count: a whole number, never 26.000000."""
    return fixed(value, 0, empty=empty)


def percent(value, places: int = 1, *, empty: str = DASH) -> str:
    """A rate 0–1 as a percentage: 0.9889 → 98.9%."""
    number = decimal(value)
    if number is None:
        return empty
    return fixed(number * 100, places) + "%"


def money(value, *, empty: str = DASH) -> str:
    """Yuan with thousands separators and 2 decimals: 1,234,567.50."""
    number = rounded(value, 2)
    if number is None:
        return empty
    return f"{number:,.2f}"
