"""The console's charts, drawn by the one chart module (`appraisals.charts`) the PDFs use too."""

from appraisals.charts import grade_distribution_svg, trend_svg
from appraisals.models import Grade


def grade_chart(counts: dict) -> str:
    labels = {grade.value: str(grade.label) for grade in Grade}
    return grade_distribution_svg({grade: counts.get(f"grade_{grade}", 0) for grade in Grade.values}, labels=labels)


def score_trend_chart(cards, *, width: int, height: int) -> str | None:
    """The last 12 months' scores of one person, oldest first; None when there are none."""
    points = [(f"{card.period.month:%Y-%m}", float(card.score)) for card in cards][-12:]
    return trend_svg(points, width=width, height=height) if points else None
