"""The console's appraisal lists (django-tables2). Each is fed by one query with select_related,
so a page costs the same whatever its length."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import conditional_escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from appraisals.models import Appeal, Grade, ImprovementCase, Period, Scorecard, Screen, Target, WriteUp, WriteUpStatus
from audit.models import Change
from audit.selectors import change_fields
from core.months import month_label
from core.numbers import fixed

ATTRS = {"class": "table"}


class MonthColumn(tables.Column):
    def render(self, value):
        return month_label(value)


class ScorecardTable(tables.Table):
    employee_no = tables.Column(_("员工编号"), accessor="staff__employee_no")
    name = tables.Column(_("姓名"), accessor="staff__name", linkify=False)
    branch = tables.Column(_("机构"), accessor="branch__name", order_by=("branch_path",))
    peer_group = tables.Column(_("考核组"), accessor="peer_group__name", order_by=("peer_group__code",))
    score = tables.Column(_("总分"), attrs={"td": {"class": "num"}})
    grade = tables.Column(_("等次"))
    rank = tables.Column(_("名次"), attrs={"td": {"class": "num"}})
    rolling = tables.Column(_("近三月平均"), attrs={"td": {"class": "num"}})
    deposits = tables.Column(_("存款日均（万元）"), attrs={"td": {"class": "num"}})
    satisfaction = tables.Column(_("满意度"), attrs={"td": {"class": "num"}})
    bottom_flag = tables.Column(_("标记"), empty_values=())

    class Meta:
        model = Scorecard
        fields = ()
        sequence = (
            "employee_no", "name", "branch", "peer_group", "score", "grade", "rank",
            "rolling", "deposits", "satisfaction", "bottom_flag",
        )  # fmt: skip
        attrs = ATTRS
        order_by = ("-score",)
        empty_text = _("没有符合条件的考核表。可以放宽筛选条件，或先计算该月。")
        template_name = "console/scorecards/_table.html"

    def render_name(self, record, value):
        url = reverse("console:scorecard", args=[record.period.label, record.staff.employee_no])
        return format_html('<a href="{}">{}</a>', url, value)

    def render_score(self, value):
        return fixed(value)

    def render_rolling(self, value):
        return fixed(value)

    def render_deposits(self, value):
        return fixed(value)

    def render_satisfaction(self, value):
        return f"{value * 100:.1f}%"

    def render_rank(self, record, value):
        return f"{value} / {record.group_size}"

    def render_grade(self, record):
        return format_html('<span class="grade grade-{}">{}</span>', record.grade, grade_label(record.grade))

    def render_bottom_flag(self, record):
        return flags_html(record)

    # The page's rows are written here rather than by django-tables2's template, which resolves
    # every cell through its accessor, its render_FOO (inspecting its signature each time) and a
    # template: 550 cells cost more than the rest of the page. Same markup, the same render_FOO
    # methods (tests/console/test_scorecard_page.py renders both ways and compares them).
    _CELLS = {
        "employee_no": lambda card: card.staff.employee_no,
        "name": lambda card: card.staff.name,
        "branch": lambda card: card.branch.name,
        "peer_group": lambda card: card.peer_group.name if card.peer_group_id else None,
    }

    # The columns the rows above read (the cells, render_FOO, flags_html), and nothing else:
    # a scorecard has 47 columns, two of them JSON, and its related rows a dozen more, all loaded
    # into Python for each row and, on SQLite, copied into the sort of the whole month's rows.
    FIELDS = (
        "staff__employee_no", "staff__name", "branch__name", "peer_group__name", "period__month",
        "score", "grade", "rank", "group_size", "rolling", "deposits", "satisfaction",
        "bottom_flag", "veto", "exempt", "probation", "case_opened",
    )  # fmt: skip

    def body_html(self) -> str:
        return _body_html(self, (row.record for row in self.paginated_rows))


def _body_html(table, records) -> str:
    """The table's rows as django-tables2 writes them, without its per-cell machinery: each
    column's cell from `table._CELLS` (or the attribute of its name), through its render_FOO
    method when it has one, escaped; empty values show the column's default."""
    columns = []
    for column in table.columns:
        td = column.attrs["td"].as_html()
        value = table._CELLS.get(column.name) or (lambda card, name=column.name: getattr(card, name))
        render = getattr(table, f"render_{column.name}", None)
        wants = _arguments(render) if render else ()
        columns.append((f"<td {td}>", value, render, wants, column.column.empty_values, column.default))
    rows = []
    for number, card in enumerate(records):
        cells = []
        for opening, value_of, render, wants, empty_values, default in columns:
            value = value_of(card)
            if value in empty_values:
                cell = default
            elif render is None:
                cell = value
            else:
                given = {"record": card, "value": value}
                cell = render(**{name: given[name] for name in wants})
            cells.append(f"{opening}{conditional_escape(cell)}</td>")
        rows.append(f'<tr class="{"odd" if number % 2 else "even"}">{"".join(cells)}</tr>')
    return mark_safe("".join(rows))


def _arguments(method) -> tuple[str, ...]:
    """The names a render_FOO method takes, of record and value."""
    code = method.__func__.__code__
    return tuple(name for name in code.co_varnames[1 : code.co_argcount] if name in ("record", "value"))


_GRADE_LABELS = dict(Grade.choices)


def grade_label(grade: str) -> str:
    """What `Scorecard.get_grade_display()` says, without rebuilding the field's choices for each
    row (50 µs a row on a busy page)."""
    return str(_GRADE_LABELS.get(grade, grade))


def flags_html(card) -> str:
    """The small badges of a scorecard; an open appeal turns the bottom flag into 复核中."""
    badges = []
    if card.bottom_flag:
        if getattr(card, "under_review", False):
            badges.append(("review", _("复核中")))
        else:
            badges.append(("bottom", _("末位预警")))
    if card.veto:
        badges.append(("veto", _("一票否决")))
    if card.exempt:
        badges.append(("muted", _("免排名")))
    if card.probation:
        badges.append(("muted", _("试用期")))
    if card.case_opened:
        badges.append(("case", pgettext_lazy("badge", "改进程序")))
    return format_html_join("", '<span class="badge badge-{}">{}</span>', badges)


class PeriodTable(tables.Table):
    month = tables.Column(_("考核月份"))
    status = tables.Column(_("状态"))
    scorecard_count = tables.Column(_("考核人数"), attrs={"td": {"class": "num"}})
    computed_at = tables.DateTimeColumn(verbose_name=_("计算时间"), format="Y-m-d H:i")

    class Meta:
        model = Period
        fields = ("month", "status", "scorecard_count", "computed_at")
        attrs = ATTRS
        empty_text = _("还没有考核月份。导入当月数据后，在下方输入月份开始计算。")

    def render_month(self, record):
        return format_html(
            '<a href="{}">{}</a>', reverse("console:month", args=[record.label]), month_label(record.month)
        )


class StaffScorecardTable(tables.Table):
    """One person's months (staff detail, self-service history)."""

    month = tables.Column(_("考核月份"), accessor="period__month")
    score = tables.Column(_("总分"), attrs={"td": {"class": "num"}})
    grade = tables.Column(_("等次"))
    rank = tables.Column(_("名次"), attrs={"td": {"class": "num"}})
    rolling = tables.Column(_("近三月平均"), attrs={"td": {"class": "num"}})
    bottom_flag = tables.Column(_("标记"), empty_values=())

    class Meta:
        model = Scorecard
        fields = ()
        sequence = ("month", "score", "grade", "rank", "rolling", "bottom_flag")
        attrs = ATTRS
        order_by = ("-month",)
        empty_text = _("还没有考核结果。")

    def render_month(self, record, value):
        url = reverse("console:scorecard", args=[record.period.label, record.staff.employee_no])
        return format_html('<a href="{}">{}</a>', url, month_label(value))

    def render_score(self, value):
        return fixed(value)

    def render_rolling(self, value):
        return fixed(value)

    def render_rank(self, record, value):
        return f"{value} / {record.group_size}"

    def render_grade(self, record):
        return format_html('<span class="grade grade-{}">{}</span>', record.grade, grade_label(record.grade))

    def render_bottom_flag(self, record):
        return flags_html(record)

    # The page's rows are written here rather than by django-tables2's template, which resolves
    # every cell through its accessor, its render_FOO (inspecting its signature each time) and a
    # template: 550 cells cost more than the rest of the page. Same markup, the same render_FOO
    # methods (tests/console/test_scorecard_page.py renders both ways and compares them).
    _CELLS = {
        "employee_no": lambda card: card.staff.employee_no,
        "name": lambda card: card.staff.name,
        "branch": lambda card: card.branch.name,
        "peer_group": lambda card: card.peer_group.name if card.peer_group_id else None,
    }

    def body_html(self) -> str:
        return _body_html(self, self.page.object_list if hasattr(self, "page") else self.data)


class StaffRowTable(tables.Table):
    """A list of things that each belong to one staff member: number, and the name linking to
    the thing itself through the console URL named by `detail_view`."""

    detail_view = ""
    employee_no = tables.Column(_("员工编号"), accessor="staff__employee_no")
    name = tables.Column(_("姓名"), accessor="staff__name")

    def render_name(self, record, value):
        return format_html('<a href="{}">{}</a>', reverse(self.detail_view, args=[record.pk]), value)


class CaseTable(StaffRowTable):
    detail_view = "console:case"
    branch = tables.Column(_("机构"), accessor="staff__branch__name")
    opened = MonthColumn(_("启动月份"), accessor="opened_period__month")
    stage = tables.Column(_("阶段"))
    status = tables.Column(_("状态"))

    class Meta:
        model = ImprovementCase
        fields = ()
        sequence = ("employee_no", "name", "branch", "opened", "stage", "status")
        attrs = ATTRS
        empty_text = _("没有改进程序。连续三个月末位预警时系统会自动启动第一阶段。")


class AppealTable(StaffRowTable):
    detail_view = "console:appeal"
    month = MonthColumn(_("考核月份"), accessor="period__month")
    status = tables.Column(_("状态"))
    created_at = tables.DateTimeColumn(verbose_name=_("申诉时间"), format="Y-m-d H:i")

    class Meta:
        model = Appeal
        fields = ()
        sequence = ("employee_no", "name", "month", "status", "created_at")
        attrs = ATTRS
        empty_text = _("没有申诉。")


class WriteUpTable(StaffRowTable):
    """With `selectable`, a draft's row has a box to tick for the bulk approval form
    (`form="bulk-approve"`: the table need not sit inside that form)."""

    detail_view = "console:writeup"
    select = tables.Column(
        _("选择"), empty_values=(), orderable=False, attrs={"th": {"class": "select"}, "td": {"class": "select"}}
    )
    month = MonthColumn(_("考核月份"), accessor="period__month")
    scope = tables.Column(_("范围"))
    status = tables.Column(_("状态"))

    class Meta:
        model = WriteUp
        fields = ()
        sequence = ("select", "employee_no", "name", "month", "scope", "status")
        attrs = ATTRS
        empty_text = _("还没有考核评语。月份计算后可生成评语草稿。")

    def __init__(self, *args, selectable: bool = False, **kwargs):
        if not selectable:
            kwargs["exclude"] = ("select",)
        super().__init__(*args, **kwargs)

    def render_select(self, record):
        if record.status != WriteUpStatus.DRAFT:
            return ""
        label = _("选择 %(name)s %(month)s 的评语") % {
            "name": record.staff.name,
            "month": month_label(record.period.month),
        }
        return format_html(
            '<input type="checkbox" name="ids" value="{}" form="bulk-approve" aria-label="{}">', record.pk, label
        )


class TargetTable(tables.Table):
    month = MonthColumn(_("考核月份"))
    scope = tables.Column(_("范围"), empty_values=(), order_by=("scope_kind", "branch__code", "staff__employee_no"))
    item = tables.Column(_("指标"))
    target = tables.Column(_("目标值"), attrs={"td": {"class": "num"}})
    edit = tables.Column("", empty_values=(), orderable=False)

    class Meta:
        model = Target
        fields = ()
        sequence = ("month", "scope", "item", "target", "edit")
        attrs = ATTRS
        empty_text = _("该月还没有设定目标，计算时将使用方案默认目标。")

    def render_scope(self, record):
        if record.branch_id:
            return str(record.branch)
        if record.staff_id:
            return str(record.staff)
        return _("全行")

    def render_target(self, record, value):
        return f"{value:.2f} {_('万元')}" if record.item == "deposits" else f"{value:.2f}"

    def render_edit(self, record):
        return format_html('<a href="{}">{}</a>', reverse("console:target_edit", args=[record.pk]), _("修改"))


class ScreenTable(tables.Table):
    name = tables.Column(_("名称"))
    branch = tables.Column(_("机构"), accessor="branch__name")
    created_at = tables.DateTimeColumn(verbose_name=_("创建时间"), format="Y-m-d H:i")
    last_seen_at = tables.DateTimeColumn(verbose_name=_("最近访问"), format="Y-m-d H:i", default=_("从未"))
    revoked_at = tables.Column(_("状态"), empty_values=())
    actions = tables.TemplateColumn(template_name="console/screens/_actions.html", verbose_name="", orderable=False)

    class Meta:
        model = Screen
        fields = ()
        sequence = ("name", "branch", "created_at", "last_seen_at", "revoked_at", "actions")
        attrs = ATTRS
        empty_text = _("还没有大屏。为一个支行创建大屏，把显示的网址打开在营业厅的屏幕上。")

    def render_revoked_at(self, value):
        return _("已停用") if value else _("使用中")


class ChangeTable(tables.Table):
    at = tables.DateTimeColumn(verbose_name=_("时间"), format="Y-m-d H:i")
    user = tables.Column(_("操作人"), default=_("系统"))
    content_type = tables.Column(_("对象类型"))
    object_repr = tables.Column(_("对象"))
    action = tables.Column(_("操作"))
    fields = tables.Column(_("变更内容"), orderable=False)
    reason = tables.Column(_("原因"))
    source = tables.Column(_("来源"))

    class Meta:
        model = Change
        fields = ()
        sequence = ("at", "user", "content_type", "object_repr", "action", "fields", "reason", "source")
        attrs = ATTRS
        empty_text = _("没有变更记录。")

    def render_content_type(self, value):
        return value.model_class()._meta.verbose_name if value.model_class() else value.model

    def render_fields(self, record):
        lines = change_fields(record, self._related)
        return format_html_join(
            "", '<span class="change-line">{}：{} → {}</span>', ((line.label, line.old, line.new) for line in lines)
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._related = {}  # names looked up once per page
