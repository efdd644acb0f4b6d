"""How a scorecard reads: the words and figures of its items, the same on the console's page
and in the PDF, written through core.numbers (one rounding everywhere)."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.numbers import fixed, percent, short

ITEM_LABELS = {
    "accounts": gettext_lazy("开户数（户）"),
    "effective": gettext_lazy("有效客户（户）"),
    "ebanking": gettext_lazy("电子银行签约（户）"),
    "deposits": gettext_lazy("存款日均（万元）"),
    "satisfaction": gettext_lazy("客户满意度"),
    "mystery": gettext_lazy("神秘人暗访（分）"),
}
CHART_LABELS = {
    "accounts": gettext_lazy("开户"),
    "effective": gettext_lazy("有效客户"),
    "ebanking": gettext_lazy("电子银行"),
    "deposits": gettext_lazy("存款日均"),
    "satisfaction": gettext_lazy("满意度"),
    "mystery": gettext_lazy("暗访"),
}
GRADE_LABELS = {
    "excellent": gettext_lazy("优秀"),
    "good": gettext_lazy("良好"),
    "pass": gettext_lazy("合格"),
    "fail": gettext_lazy("不合格"),
}


def item_rows(items: list[dict], methods: dict[str, str]) -> list[dict]:
    """A scorecard's items as text: the actual in its unit, the target, completion, weight and
    points, the same on the web page and in the PDF. `methods` maps each item to how the scheme
    scores it (ratio, band, score)."""
    rows = []
    for item in items:
        code = item["code"]
        method = methods.get(code, "ratio")
        assessed = bool(item.get("assessed"))
        actual = item.get("actual")
        if code == "satisfaction":
            actual_text = percent(actual)
        elif method == "ratio" and code != "deposits":
            actual_text = short(actual)
        else:
            actual_text = fixed(actual)
        if method == "ratio":
            target_text = fixed(item.get("target")) if code == "deposits" else short(item.get("target"))
        elif method == "band":
            target_text = "80%–100%"
        else:
            target_text = _("满分100")
        rows.append(
            {
                "label": str(ITEM_LABELS.get(code, code)),
                "actual": actual_text if actual is not None else "—",
                "target": target_text,
                "completion": percent(item.get("completion")) if assessed else "—",
                "weight": short(item.get("weight")),
                "points": fixed(item.get("points")) if assessed else _("不考核"),
                "assessed": assessed,
            }
        )
    return rows
