"""Value types: how a cell's text becomes a value. Each `parse(cells)` takes a Series of
non-empty trimmed texts and returns (values, messages), message "" where the cell is good."""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import TextChoices
from django.utils import translation
from django.utils.translation import gettext as _

from core.imports.errors import fill


def or_default(values: pd.Series, default) -> pd.Series:
    """`values` with `default` where a value is missing (fillna without pandas' downcasting)."""
    return pd.Series(np.where(values.notna(), values, default), index=values.index, dtype=object)


def map_unique(values: pd.Series, function: Callable[[Any], Any]) -> pd.Series:
    """`values.map(function)`, calling `function` once per distinct value."""
    codes, uniques = pd.factorize(values, sort=False)
    answers = np.empty(len(uniques) + 1, dtype=object)
    for i, value in enumerate(uniques):
        answers[i] = function(value)
    answers[-1] = None  # code -1: a missing value
    return pd.Series(answers[codes], index=values.index)


def parse_unique(cells: pd.Series, parse_one: Callable[[str], tuple[Any, str]]) -> tuple[pd.Series, pd.Series]:
    """Parses each distinct text once (dates, codes and choices repeat a lot) and spreads the
    answers back over the rows. `parse_one` returns (value, message); message "" when fine."""
    codes, uniques = pd.factorize(cells, sort=False)
    values = np.empty(len(uniques), dtype=object)
    messages = np.empty(len(uniques), dtype=object)
    for i, text in enumerate(uniques):
        values[i], messages[i] = parse_one(text)
    return pd.Series(values[codes], index=cells.index), pd.Series(messages[codes], index=cells.index)


def text_lengths(cells: pd.Series) -> pd.Series:
    """`cells.str.len()` for a column of texts, several times quicker: `len` is mapped in C
    rather than through pandas' per-cell Python function."""
    values = cells.to_numpy(dtype=object)
    try:
        lengths = np.fromiter(map(len, values), dtype=np.int64, count=len(values))
    except TypeError:  # not all texts: pandas' way, NaN for the others
        return cells.str.len()
    return pd.Series(lengths, index=cells.index)


# What str.strip() removes: every character for which str.isspace() is true (none lies above
# U+3000, the ideographic space; tests/core hold this against the whole of Unicode).
WHITE_SPACE = tuple(chr(code) for code in range(0x3001) if chr(code).isspace())
_ASCII_WHITE_SPACE = tuple(char for char in WHITE_SPACE if char.isascii())


def stripped(cells: pd.Series) -> pd.Series:
    """`cells.str.strip()` for a column of texts. A column in which no cell holds any white
    space at all (most columns of a big file: refs, dates, numbers, codes) is returned as it
    is: a few substring searches over its joined text tell that far quicker than stripping
    every cell."""
    values = cells.to_numpy(dtype=object)
    try:
        joined = "\x00".join(values)
    except TypeError:  # not all texts
        return cells.str.strip()
    spaces = _ASCII_WHITE_SPACE if joined.isascii() else WHITE_SPACE
    if any(space in joined for space in spaces):
        return cells.str.strip()
    return cells


def column_fullmatch(cells: pd.Series, pattern: str) -> pd.Series:
    """`cells.str.fullmatch(pattern)` (bools) for a column of texts. When every cell matches,
    the usual case of a file written by a system, one match over the joined column says so;
    otherwise each cell is matched. `pattern` must not match a NUL (the join's separator)."""
    values = cells.to_numpy(dtype=object)
    if not len(values):
        return pd.Series(False, index=cells.index, dtype=bool)
    try:
        joined = "\x00".join(values)
    except TypeError:
        return cells.str.fullmatch(pattern).astype(bool)
    if joined.count("\x00") == len(values) - 1 and re.fullmatch(f"(?:(?:{pattern})\x00)*(?:{pattern})", joined):
        return pd.Series(True, index=cells.index, dtype=bool)
    match = re.compile(pattern).fullmatch
    found = np.fromiter(map(match, values), dtype=object, count=len(values))
    return pd.Series(found != None, index=cells.index, dtype=bool)  # noqa: E711 (element-wise)


def shorten(text: str, length: int = 40) -> str:
    """A cell's text as a message quotes it: at most `length` characters."""
    return text if len(text) <= length else text[: length - 1] + "…"


class Text:
    """Any text, trimmed; optionally at most `max_length` characters."""

    hint = "text"

    def __init__(self, max_length: int | None = None):
        self.max_length = max_length

    def parse(self, cells: pd.Series) -> tuple[pd.Series, pd.Series]:
        messages = pd.Series("", index=cells.index, dtype=object)
        if self.max_length:
            too_long = text_lengths(cells) > self.max_length
            if too_long.any():
                messages[too_long] = fill(
                    _("超过 %(limit)d 个字符：%(value)s"), cells[too_long].map(shorten), limit=self.max_length
                )
        return cells, messages


class Email(Text):
    """An e-mail address, as Django's EmailField accepts it."""

    hint = "e-mail address"

    def __init__(self):
        super().__init__(254)

    def parse(self, cells):
        def message(text: str) -> str:
            try:
                validate_email(text)
            except ValidationError:
                return _("%(value)s 不是有效的电子邮箱地址") % {"value": text}
            return ""

        values, messages = super().parse(cells)
        bad = map_unique(values, message)
        messages = messages.where(messages != "", bad)
        return values, messages


# A date only: "2026-11-02T00:00" names a moment, not a day, and is refused (an XLSX date cell
# arrives as YYYY-MM-DD whatever its time part).
_DATE = re.compile(r"(\d{4})([-/])(\d{1,2})\2(\d{1,2})")


def parse_date_text(text: str) -> tuple[datetime.date | None, str]:
    match = _DATE.fullmatch(text)
    if not match:
        return None, _("%(value)s 不是日期（请写成 YYYY-MM-DD，如 2026-03-31）") % {"value": text}
    try:
        return datetime.date(int(match[1]), int(match[3]), int(match[4])), ""
    except ValueError:
        return None, _("%(value)s 不是有效日期") % {"value": text}


class Date:
    """YYYY-MM-DD or YYYY/MM/DD (an XLSX date cell arrives as YYYY-MM-DD); values are dates."""

    hint = "YYYY-MM-DD"

    def parse(self, cells):
        return parse_unique(cells, parse_date_text)


_MONTH = re.compile(r"(\d{4})[-/](\d{1,2})")


def _parse_month_text(text: str) -> tuple[datetime.date | None, str]:
    match = _MONTH.fullmatch(text)
    if not match or not 1 <= int(match[2]) <= 12:
        return None, _("%(value)s 不是月份（请写成 YYYY-MM，如 2026-03）") % {"value": text}
    return datetime.date(int(match[1]), int(match[2]), 1), ""


class Month:
    """YYYY-MM; values are the first day of the month."""

    hint = "YYYY-MM"

    def parse(self, cells):
        return parse_unique(cells, _parse_month_text)


def _decimal_texts(cells: pd.Series, *, places: int, thousands: bool) -> tuple[pd.Series, ...]:
    """Vectorised: canonical text with exactly `places` decimals (None when not a number),
    is_number, is_negative, too_precise, and the number of digits before the point.

    The canonical text ("1234.50") is what is stored and what stored values are compared to,
    so "1,234.5" and a stored Decimal("1234.50") are the same content."""
    # Most exports already write the canonical form; only the other cells take the long way.
    canonical_form = column_fullmatch(cells, rf"(?:0|[1-9]\d*)\.\d{{{places}}}" if places else r"0|[1-9]\d*")
    canonical = cells.where(canonical_form, None).astype(object)
    is_number = canonical_form.copy()
    is_negative = pd.Series(False, index=cells.index)
    too_precise = pd.Series(False, index=cells.index)
    digits = text_lengths(cells) - (places + 1 if places else 0)
    rest = cells[~canonical_form]
    if len(rest):
        integer = r"(?:\d{1,3}(?:,\d{3})+|\d+)" if thousands else r"\d+"
        number = rf"{integer}(?:\.\d*)?|\.\d+"
        unsigned = rest.str.lstrip("+")
        rest_number = unsigned.str.fullmatch(number)
        is_negative[rest.index] = ~rest_number & rest.str.startswith("-") & rest.str[1:].str.fullmatch(number)
        plain = unsigned.str.replace(",", "", regex=False) if thousands else unsigned
        parts = plain.str.partition(".")
        whole = parts[0].str.lstrip("0").replace("", "0")
        fraction = parts[2].str.rstrip("0")
        rest_too_precise = rest_number & (fraction.str.len() > places)
        text = (whole + "." + fraction.str.ljust(places, "0")) if places else whole
        is_number[rest.index] = rest_number
        too_precise[rest.index] = rest_too_precise
        canonical[rest.index] = text.where(rest_number & ~rest_too_precise, None)
        digits[rest.index] = whole.str.len()
    return canonical, is_number, is_negative, too_precise, digits


class Amount:
    """Yuan with up to 2 decimals, thousands separators allowed (1,234.50); never negative.
    Values are canonical texts such as "1234.50" (exact, unlike floats; stored as Decimal)."""

    hint = "1,234.50"

    def __init__(self, max_digits: int = 18):
        self.max_whole_digits = max_digits - 2

    def parse(self, cells):
        canonical, is_number, is_negative, too_precise, whole_digits = _decimal_texts(cells, places=2, thousands=True)
        messages = pd.Series("", index=cells.index, dtype=object)
        bad = ~is_number & ~is_negative
        messages[bad] = fill(_("%(value)s 不是金额（以元为单位，最多 2 位小数，如 1,234.50）"), cells[bad])
        messages[is_negative] = fill(_("%(value)s 是负数；金额不能为负"), cells[is_negative])
        messages[too_precise] = fill(_("%(value)s 超过 %(places)d 位小数"), cells[too_precise], places=2)
        too_large = is_number & ~too_precise & (whole_digits > self.max_whole_digits)
        messages[too_large] = fill(_("%(value)s 超出上限"), cells[too_large])
        return canonical.where(messages == "", None), messages


class Number:
    """A decimal number between `minimum` and `maximum` with up to `places` decimals
    (a score 0–100). Values are canonical texts such as "92.50"."""

    def __init__(self, minimum: int, maximum: int, places: int = 2):
        self.minimum, self.maximum, self.places = minimum, maximum, places
        self.hint = f"{minimum}–{maximum}, up to {places} decimals"

    def parse(self, cells):
        canonical, is_number, is_negative, too_precise, _digits = _decimal_texts(
            cells, places=self.places, thousands=False
        )
        messages = pd.Series("", index=cells.index, dtype=object)
        limits = {"minimum": self.minimum, "maximum": self.maximum}
        bad = ~is_number & ~is_negative
        messages[bad] = fill(_("%(value)s 不是数字；应为 %(minimum)s 到 %(maximum)s 之间的数"), cells[bad], **limits)
        valid = (is_number & ~too_precise).astype(bool)
        # Compare as floats where the text is a plain number; NaN elsewhere compares False.
        as_float = pd.to_numeric(canonical.where(valid), errors="coerce").astype(float)
        in_range = (as_float >= self.minimum) & (as_float <= self.maximum)
        out_of_range = (valid & ~in_range) | is_negative
        messages[out_of_range] = fill(
            _("%(value)s 超出范围；应为 %(minimum)s 到 %(maximum)s 之间的数"), cells[out_of_range], **limits
        )
        messages[too_precise] = fill(_("%(value)s 超过 %(places)d 位小数"), cells[too_precise], places=self.places)
        return canonical.where(messages == "", None), messages


class WholeNumber:
    """A whole number between `minimum` and `maximum` (a rating 1–5); values are ints."""

    def __init__(self, minimum: int, maximum: int):
        self.minimum, self.maximum = minimum, maximum
        self.hint = f"a whole number {minimum}–{maximum}"

    def _parse_one(self, text: str) -> tuple[int | None, str]:
        match = re.fullmatch(r"[+]?(\d+)(?:\.0*)?", text)
        if not match or not self.minimum <= int(match[1]) <= self.maximum:
            return (
                None,
                _("%(value)s 不符合要求；应为 %(minimum)s 到 %(maximum)s 之间的整数")
                % {"value": text, "minimum": self.minimum, "maximum": self.maximum},
            )
        return int(match[1]), ""

    def parse(self, cells):
        return parse_unique(cells, self._parse_one)


_TRUE = {"true", "1", "是", "yes", "y"}
_FALSE = {"false", "0", "否", "no", "n"}


def _parse_boolean_text(text: str) -> tuple[bool | None, str]:
    lowered = text.lower()
    if lowered in _TRUE:
        return True, ""
    if lowered in _FALSE:
        return False, ""
    return None, _("%(value)s 不是“是/否”值（请写 true/false、1/0 或 是/否）") % {"value": text}


class Boolean:
    """true/false, 1/0 or 是/否 (case-insensitive); values are bools."""

    hint = "true/false, 1/0, 是/否"

    def parse(self, cells):
        return parse_unique(cells, _parse_boolean_text)


class Choice:
    """The English code or the Chinese label of a TextChoices (the English label works too);
    values are codes."""

    def __init__(self, choices: type[TextChoices]):
        self.choices = choices

    def labels(self) -> list[tuple[str, str]]:
        with translation.override("zh-hans"):
            return [(code, str(label)) for code, label in self.choices.choices]

    @property
    def hint(self) -> str:
        return ", ".join(f"{code} ({label})" for code, label in self.labels())

    def _lookup(self) -> dict[str, str]:
        lookup = {}
        with translation.override("en"):
            lookup.update({str(label).lower(): code for code, label in self.choices.choices})
        lookup.update({label.lower(): code for code, label in self.labels()})
        lookup.update({code.lower(): code for code in self.choices.values})
        return lookup

    def parse(self, cells):
        lookup = self._lookup()
        allowed = self.hint

        def parse_one(text: str):
            code = lookup.get(text.lower())
            return (
                (code, "")
                if code
                else (None, _("%(value)s 不是允许的值；可选：%(allowed)s") % {"value": text, "allowed": allowed})
            )

        return parse_unique(cells, parse_one)


ValueType = Text | Email | Date | Month | Amount | Number | WholeNumber | Boolean | Choice


@dataclass(frozen=True)
class Column:
    """A column of an import file. `required`: the column must be there and no cell empty."""

    name: str
    chinese: str
    type: ValueType = field(default_factory=Text)
    required: bool = False
