"""The console's scheme lists (django-tables2): versions, simulations, and a simulation's people."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from appraisals.models import Grade, Scheme, Simulation
from reports.exports import TabularExport

ATTRS = {"class": "table"}
GRADE_LABELS = dict(Grade.choices)


class SchemeTable(tables.Table):
    label = tables.Column(_("版本"), accessor="code", order_by=("code", "version"))
    name = tables.Column(_("名称"))
    status = tables.Column(_("状态"))
    created_at = tables.DateTimeColumn(verbose_name=_("创建时间"), format="Y-m-d H:i")

    class Meta:
        model = Scheme
        fields = ()
        sequence = ("label", "name", "status", "created_at")
        attrs = ATTRS
        empty_text = _("还没有考核方案。")

    def render_label(self, record):
        return format_html('<a href="{}">{}</a>', reverse("console:scheme", args=[record.pk]), record.label)


class SimulationTable(tables.Table):
    range = tables.Column(_("模拟月份"), accessor="first", orderable=False)
    row_count = tables.Column(_("行数"), attrs={"td": {"class": "num"}})
    created_at = tables.DateTimeColumn(verbose_name=_("发起时间"), format="Y-m-d H:i")
    finished_at = tables.DateTimeColumn(verbose_name=_("完成时间"), format="Y-m-d H:i", default="—")

    class Meta:
        model = Simulation
        fields = ()
        sequence = ("range", "row_count", "created_at", "finished_at")
        attrs = ATTRS
        empty_text = _("还没有模拟。")

    def render_range(self, record):
        text = f"{record.first:%Y-%m} – {record.last:%Y-%m}"
        return format_html('<a href="{}">{}</a>', reverse("console:simulation", args=[record.pk]), text)


def _score(value):
    return "—" if value is None else f"{value:.2f}"


def _grade(value):
    return GRADE_LABELS.get(value, "—")


def _flag(value):
    return "●" if value else ""


class SimulationRowTable(tables.Table):
    """A simulation's people, before and after (rows are dicts from the stored table)."""

    period = tables.Column(_("月份"))
    employee_no = tables.Column(_("员工编号"))
    name = tables.Column(_("姓名"))
    peer_group = tables.Column(_("考核组"))
    score_before = tables.Column(_("原得分"), attrs={"td": {"class": "num"}})
    score_after = tables.Column(_("新得分"), attrs={"td": {"class": "num"}})
    grade_before = tables.Column(_("原等次"))
    grade_after = tables.Column(_("新等次"))
    rank_before = tables.Column(_("原名次"), attrs={"td": {"class": "num"}})
    rank_after = tables.Column(_("新名次"), attrs={"td": {"class": "num"}})
    bottom_flag_before = tables.Column(_("原末位预警"))
    bottom_flag_after = tables.Column(_("新末位预警"))

    class Meta:
        attrs = ATTRS
        orderable = False  # the rows come in the order of the scorecard export, a page at a time
        empty_text = _("没有符合条件的人员。")

    def render_period(self, value):
        return f"{value:%Y-%m}"

    def render_score_before(self, value):
        return _score(value)

    def render_score_after(self, value):
        return _score(value)

    def render_grade_before(self, value):
        return _grade(value)

    def render_grade_after(self, value):
        return _grade(value)

    def render_bottom_flag_before(self, value):
        return _flag(value)

    def render_bottom_flag_after(self, value):
        return _flag(value)


class SimulationExport(TabularExport):
    """The person-by-person comparison as shown (scoped, filtered), with Chinese headers."""

    identifier = "simulation"

    def __init__(self, *, simulation: Simulation, rows: list[dict]):
        self.simulation, self.records = simulation, rows

    def filename(self, extension: str) -> str:
        scheme, first, last = self.simulation.scheme, self.simulation.first, self.simulation.last
        return f"simulation-{scheme.code}-v{scheme.version}-{first:%Y-%m}-{last:%Y-%m}.{extension}"

    def header(self) -> list[str]:
        return [str(column.verbose_name) for column in SimulationRowTable.base_columns.values()]

    def rows(self):
        for row in self.records:
            yield [
                f"{row['period']:%Y-%m}",
                row["employee_no"] or "",
                row["name"] or "",
                row["peer_group"] or "",
                "" if row["score_before"] is None else f"{row['score_before']:.2f}",
                "" if row["score_after"] is None else f"{row['score_after']:.2f}",
                str(_grade(row["grade_before"])) if row["grade_before"] else "",
                str(_grade(row["grade_after"])) if row["grade_after"] else "",
                "" if row["rank_before"] is None else str(int(row["rank_before"])),
                "" if row["rank_after"] is None else str(int(row["rank_after"])),
                _yes(row["bottom_flag_before"]),
                _yes(row["bottom_flag_after"]),
            ]


def _yes(value) -> str:
    if value is None:
        return ""
    return str(_("是")) if value else str(_("否"))
