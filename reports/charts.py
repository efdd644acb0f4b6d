"""Charts as vector SVG strings: the one chart module of the product (DESIGN.md, "Charts").

The PDF scorecards and the web console call the same pure functions: plain values in, an SVG
string out, with no script, no external asset and every text escaped. Text takes the
`font_family` given, so the caller decides the CJK font (the PDFs pass their embedded face;
the web pages the browser's). Labels arrive already translated; these functions translate
nothing, so the same input always gives the same bytes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Decimal
from xml.sax.saxutils import escape, quoteattr

from django.utils.translation import gettext as _

from appraisals.models import Grade
from core.months import month_add, month_label, month_short_label
from core.numbers import decimal, fixed, percent, short

DEFAULT_FONT_FAMILY = "'Noto Sans CJK SC', 'Noto Sans SC', 'Source Han Sans SC', 'Microsoft YaHei', sans-serif"

INK = "#1f2933"
MUTED = "#6b7785"
GRID = "#d5dbe1"
LINE = "#1d5fa8"
GOOD = "#2e7d4f"
SHORT = "#c07a12"
EMPTY_TEXT = "暂无数据"

GRADE_COLOURS = {"excellent": "#2e7d4f", "good": "#1d5fa8", "pass": "#7a8794", "fail": "#b3261e"}
REFERENCE_COLOURS = {60: "#b3261e", 85: "#1d5fa8", 100: "#2e7d4f"}


def _number(value: float) -> str:
    """A coordinate or a shown value with at most 2 decimals and no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


# Advance widths in em of the CJK face's glyphs, close enough to place a label.
_NARROW = {".": 0.27, ",": 0.27, ":": 0.27, " ": 0.22, "%": 0.87, "›": 0.4, "-": 0.35, "–": 0.5, "/": 0.38}


def text_width(content: str, size: float) -> float:
    """The width of `content` at font size `size`, estimated: CJK characters are one em,
    figures a little over half. Labels are placed with it rather than with text-anchor, because
    a renderer that honours text-anchor must measure each label first (WeasyPrint wraps every
    anchored label in a group of its own, which costs more than all the rest of a chart)."""
    width = 0.0
    for char in content:
        if char in _NARROW:
            width += _NARROW[char]
        elif ord(char) >= 0x2E80:
            width += 1.0
        elif char.isdigit():
            width += 0.55
        elif char.isupper():
            width += 0.63
        else:
            width += 0.52
    return width * size


def _text(x: float, y: float, content: str, *, size: float = 10, anchor: str = "start", **attributes) -> str:
    content = str(content)
    if anchor == "middle":
        x -= text_width(content, size) / 2
    elif anchor == "end":
        x -= text_width(content, size)
    extra = "".join(f" {name.replace('_', '-')}={quoteattr(str(value))}" for name, value in attributes.items())
    return f'<text x="{_number(x)}" y="{_number(y)}" font-size="{_number(size)}"{extra}>{escape(content)}</text>'


def _svg(
    width: float, height: float, body: Iterable[str], *, title: str, font_family: str, description: str = ""
) -> str:
    """`description` is the chart's text alternative (what a screen reader says); the title is
    used when there is none."""
    name = description or title
    label = f"<title>{escape(name)}</title>" if name else ""
    aria = f" aria-label={quoteattr(name)}" if name else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{_number(width)}" height="{_number(height)}" '
        f'viewBox="0 0 {_number(width)} {_number(height)}" role="img"{aria} '
        f"font-family={quoteattr(font_family)} fill={quoteattr(INK)}>"
        f"{label}{''.join(body)}</svg>"
    )


def _empty(width: float, height: float, *, title: str, empty_text: str, font_family: str, description: str = "") -> str:
    body = [
        f'<rect x="0.5" y="0.5" width="{_number(width - 1)}" height="{_number(height - 1)}" '
        f'fill="#f7f9fb" stroke="{GRID}" rx="4"/>'
    ]
    if title:
        body.append(_text(10, 18, title, size=11, font_weight="bold"))
    body.append(_text(width / 2, height / 2 + 4, empty_text, size=11, anchor="middle", fill=MUTED))
    return _svg(width, height, body, title=title, font_family=font_family, description=description or empty_text)


def _shown(value: float) -> str:
    """A score as printed on the chart: one decimal, rounded half up as scores are (91.25 → 91.3)."""
    text = str(Decimal(str(value)).quantize(Decimal("0.1"), ROUND_HALF_UP))
    return text.rstrip("0").rstrip(".") if "." in text else text


def trend_svg(
    points: list[tuple[str, float | None]],
    *,
    width: int = 520,
    height: int = 160,
    reference_lines: Iterable[float] = (60, 85, 100),
    title: str = "",
    description: str = "",
    font_family: str = DEFAULT_FONT_FAMILY,
    empty_text: str = EMPTY_TEXT,
    value_labels: str = "all",
    label_every: int = 1,
) -> str:
    """A score trend, oldest month first. `None` is a month without a scorecard: the line
    breaks there rather than pretending a value. Reference lines mark the grade boundaries
    (SCORING.md §3: 60 pass, 85 good, 100 excellent). `value_labels` writes the score over
    "all" points, or only over the "extremes" (first, last, lowest, highest), which keeps a
    small chart legible and cheap to draw. `label_every` = 2 names every other month, counting
    back from the latest, which is always named."""
    if value_labels not in ("all", "extremes"):
        raise ValueError(f"value_labels must be 'all' or 'extremes', not {value_labels!r}")
    values = [float(value) for _, value in points if value is not None]
    if not values:
        return _empty(
            width, height, title=title, empty_text=empty_text, font_family=font_family, description=description
        )
    references = sorted(float(line) for line in reference_lines)
    top_value = max(values + references + [100.0])
    y_max = math.ceil(top_value / 20.0) * 20.0
    left, right = 36.0, 10.0
    top = 26.0 if title else 14.0
    bottom = 20.0
    plot_w, plot_h = width - left - right, height - top - bottom

    def y_of(value: float) -> float:
        return top + plot_h * (1 - max(0.0, value) / y_max)

    step = plot_w / len(points)

    def x_of(index: int) -> float:
        return left + step * (index + 0.5)

    body = []
    if title:
        body.append(_text(left, 15, title, size=11, font_weight="bold"))
    body.append(
        f'<line x1="{_number(left)}" y1="{_number(top + plot_h)}" x2="{_number(left + plot_w)}" '
        f'y2="{_number(top + plot_h)}" stroke="{GRID}" stroke-width="1"/>'
    )
    for line in references:
        y = y_of(line)
        colour = REFERENCE_COLOURS.get(int(line), MUTED)
        body.append(
            f'<line x1="{_number(left)}" y1="{_number(y)}" x2="{_number(left + plot_w)}" y2="{_number(y)}" '
            f'stroke="{colour}" stroke-width="0.7" stroke-dasharray="4 3"/>'
        )
        body.append(_text(left - 4, y + 3, _shown(line), size=8, anchor="end", fill=colour))
    # One polyline per run of consecutive months with a score: a gap stays a gap.
    run: list[str] = []
    runs = []
    for index, (_label, value) in enumerate(points):
        if value is None:
            if run:
                runs.append(run)
            run = []
            continue
        run.append(f"{_number(x_of(index))},{_number(y_of(float(value)))}")
    if run:
        runs.append(run)
    for segment in runs:
        if len(segment) > 1:
            body.append(
                f'<polyline points="{" ".join(segment)}" fill="none" stroke="{LINE}" '
                f'stroke-width="1.8" stroke-linejoin="round"/>'
            )
    labelled = set(range(len(points)))
    if value_labels == "extremes":
        present = [index for index, (_, value) in enumerate(points) if value is not None]
        labelled = {
            present[0],
            present[-1],
            min(present, key=lambda index: float(points[index][1])),
            max(present, key=lambda index: float(points[index][1])),
        }
    dots = []
    for index, (label, value) in enumerate(points):
        x = x_of(index)
        if (len(points) - 1 - index) % max(1, label_every) == 0:
            body.append(_text(x, height - 6, label, size=8, anchor="middle", fill=MUTED))
        if value is None:
            continue
        y = y_of(float(value))
        # A dot of radius 2.6 as two arcs; all dots go in one path, which draws faster.
        dots.append(f"M{_number(x - 2.6)},{_number(y)}a2.6,2.6 0 1,0 5.2,0a2.6,2.6 0 1,0 -5.2,0")
        if index in labelled:
            body.append(_text(x, y - 5, _shown(float(value)), size=7.5, anchor="middle"))
    body.append(f'<path class="dots" d="{"".join(dots)}" fill="{LINE}"/>')
    return _svg(width, height, body, title=title, font_family=font_family, description=description)


def completion_bars_svg(
    items: list[tuple[str, float | None]],
    *,
    width: int = 520,
    height: int = 180,
    cap: float = 150.0,
    title: str = "",
    description: str = "",
    font_family: str = DEFAULT_FONT_FAMILY,
    missing_text: str = "—",
    empty_text: str = EMPTY_TEXT,
) -> str:
    """Completion per item in %, one bar each, against a 100% line. A bar longer than `cap`
    is drawn to the cap with its true value written beside it; `None` (not assessed) shows
    `missing_text` instead of a bar. An item may be (label, value, text): the value written
    beside its bar as the scorecard's table writes it, so the two never disagree; without a
    text the value is written through core.numbers (one decimal, half up)."""
    if not items:
        return _empty(
            width, height, title=title, empty_text=empty_text, font_family=font_family, description=description
        )
    label_w = min(110.0, max(48.0, 11.0 * max(len(item[0]) for item in items) * 0.9))
    left, right = label_w + 8, 44.0
    top = 26.0 if title else 8.0
    bottom = 16.0
    plot_w = width - left - right
    row_h = (height - top - bottom) / len(items)
    bar_h = min(16.0, row_h * 0.62)

    def x_of(percent: float) -> float:
        return left + plot_w * min(max(percent, 0.0), cap) / cap

    body, tracks = [], []
    if title:
        body.append(_text(0, 15, title, size=11, font_weight="bold"))
    for tick in (0, 50, 100, 150):
        if tick > cap:
            continue
        x = x_of(tick)
        body.append(_text(x, height - 4, f"{tick}%", size=8, anchor="middle", fill=MUTED))
    for index, (label, value, *text) in enumerate(items):
        y_mid = top + row_h * (index + 0.5)
        body.append(_text(label_w, y_mid + 3.5, label, size=9.5, anchor="end"))
        tracks.append(
            f"M{_number(left)},{_number(y_mid - bar_h / 2)}h{_number(plot_w)}v{_number(bar_h)}h{_number(-plot_w)}z"
        )
        if value is None:
            body.append(_text(left + 4, y_mid + 3.5, missing_text, size=9, fill=MUTED))
            continue
        percent = float(value)
        colour = GOOD if percent >= 100 else SHORT
        body.append(
            f'<rect x="{_number(left)}" y="{_number(y_mid - bar_h / 2)}" '
            f'width="{_number(x_of(percent) - left)}" height="{_number(bar_h)}" fill="{colour}"/>'
        )
        shown = text[0] if text else short(percent, 1) + "%"
        # Values in a column of their own at the right, clear of the bars and the 100% line.
        body.append(_text(width - 5, y_mid + 3.5, shown, size=9, anchor="end"))
    # The grey tracks behind the bars as one path: one element draws faster than six.
    body.insert(1 if title else 0, f'<path class="tracks" d="{" ".join(tracks)}" fill="#f1f4f7"/>')
    x100 = x_of(100)
    body.append(
        f'<line x1="{_number(x100)}" y1="{_number(top - 2)}" x2="{_number(x100)}" '
        f'y2="{_number(height - bottom + 2)}" stroke="{INK}" stroke-width="1" stroke-dasharray="3 2"/>'
    )
    return _svg(width, height, body, title=title, font_family=font_family, description=description)


def grade_distribution_svg(
    counts: Mapping[str, int],
    *,
    labels: Mapping[str, str],
    width: int = 420,
    height: int = 200,
    title: str = "",
    description: str = "",
    font_family: str = DEFAULT_FONT_FAMILY,
    empty_text: str = EMPTY_TEXT,
) -> str:
    """How many people got each grade: one column per key of `labels`, in its order."""
    total = sum(int(counts.get(code, 0)) for code in labels)
    if not labels or total == 0:
        return _empty(
            width, height, title=title, empty_text=empty_text, font_family=font_family, description=description
        )
    top = 30.0 if title else 16.0
    bottom = 22.0
    left, right = 10.0, 10.0
    plot_h = height - top - bottom
    slot = (width - left - right) / len(labels)
    bar_w = min(56.0, slot * 0.6)
    highest = max(int(counts.get(code, 0)) for code in labels)
    body = []
    if title:
        body.append(_text(left, 16, title, size=11, font_weight="bold"))
    base_y = top + plot_h
    body.append(
        f'<line x1="{_number(left)}" y1="{_number(base_y)}" x2="{_number(width - right)}" '
        f'y2="{_number(base_y)}" stroke="{GRID}"/>'
    )
    for index, (code, label) in enumerate(labels.items()):
        count = int(counts.get(code, 0))
        x_mid = left + slot * (index + 0.5)
        bar_h = plot_h * count / highest if highest else 0.0
        body.append(
            f'<rect x="{_number(x_mid - bar_w / 2)}" y="{_number(base_y - bar_h)}" width="{_number(bar_w)}" '
            f'height="{_number(bar_h)}" fill="{GRADE_COLOURS.get(code, LINE)}"/>'
        )
        body.append(_text(x_mid, base_y - bar_h - 4, str(count), size=10, anchor="middle"))
        body.append(_text(x_mid, height - 6, label, size=9.5, anchor="middle"))
    return _svg(width, height, body, title=title, font_family=font_family, description=description)


# ─── the console's charts, from the models' values ───────────────────────────────────────


def grade_chart(counts: dict) -> str:
    """The grade mix of a month from `month_summary`'s `grade_<code>` counts."""
    labels = {grade.value: str(grade.label) for grade in Grade}
    values = {grade: counts.get(f"grade_{grade}", 0) for grade in Grade.values}
    description = _("各等次人数：") + "，".join(
        _("%(grade)s %(count)d 人") % {"grade": labels[grade], "count": count} for grade, count in values.items()
    )
    return grade_distribution_svg(values, labels=labels, description=description)


def score_trend_chart(cards, *, width: int, height: int) -> str | None:
    """The last 12 months' scores of one person, oldest first; None when there are none."""
    points = [(f"{card.period.month:%Y-%m}", float(card.score)) for card in cards][-12:]
    if not points:
        return None
    description = _("各月得分：") + "，".join(f"{label} {score:.2f}" for label, score in points)
    return trend_svg(points, width=width, height=height, description=description)


TREND_MONTHS = 12


def scorecard_trend_chart(scores: Mapping, *, month, width: int = 400, height: int = 170) -> str:
    """One person's total score over the 12 months up to `month`, as the PDF scorecard draws
    it: `scores` maps a month (its first day) to the score; a month without one is a gap."""
    months = [month_add(month, offset) for offset in range(-(TREND_MONTHS - 1), 1)]
    points = [(month_short_label(day), None if scores.get(day) is None else float(scores[day])) for day in months]
    present = [(day, scores[day]) for day in months if scores.get(day) is not None]
    if present:
        description = _("近12个月总分：") + "；".join(f"{month_label(day)} {fixed(score)}" for day, score in present)
    else:
        description = _("近12个月没有考核得分。")
    return trend_svg(
        points,
        width=width,
        height=height,
        title=_("近12个月总分"),
        description=description,
        empty_text=_("暂无数据"),
        value_labels="extremes",
    )


def completion_chart(items: list[dict], *, labels: Mapping[str, str], width: int = 400, height: int = 170) -> str:
    """A scorecard's completion per item (its `items` as stored), as the PDF draws it; an item
    not assessed this month shows 不考核 instead of a bar."""
    bars, words = [], []
    for item in items:
        label = str(labels.get(item["code"], item["code"]))
        assessed = bool(item.get("assessed")) and item.get("completion") is not None
        if assessed:
            # The figure the scorecard's table writes, beside the bar and in the text alternative.
            shown = percent(item["completion"])
            bars.append((label, float(decimal(item["completion"]) * 100), shown))
            words.append(f"{label} {shown}")
        else:
            bars.append((label, None))
            words.append(f"{label} {_('不考核')}")
    return completion_bars_svg(
        bars,
        width=width,
        height=height,
        title=_("各项完成率"),
        description=_("各项完成率：") + "；".join(words),
        missing_text=_("不考核"),
        empty_text=_("暂无数据"),
    )


def months_trend_chart(rows: list[dict], *, width: int = 420, height: int = 180) -> str:
    """The average score of each month (the dashboard's `months_trend` rows, oldest first); a
    month nobody was assessed in is a gap."""
    points = [
        (month_short_label(row["month"]), None if row["average"] is None else float(row["average"])) for row in rows
    ]
    present = [row for row in rows if row["average"] is not None]
    if present:
        description = _("各月平均分：") + "；".join(
            _("%(month)s %(average)s 分（%(count)s 人）")
            % {"month": month_label(row["month"]), "average": fixed(row["average"]), "count": row["total"]}
            for row in present
        )
    else:
        description = _("近12个月没有考核得分。")
    return trend_svg(
        points,
        width=width,
        height=height,
        title=_("各月平均分"),
        description=description,
        empty_text=_("暂无数据"),
        value_labels="extremes",
    )
