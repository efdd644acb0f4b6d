"""The console's staff lists (django-tables2)."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from staff.models import Absence, Assignment, Staff

ATTRS = {"class": "table"}


class StaffTable(tables.Table):
    employee_no = tables.Column(_("员工编号"))
    name = tables.Column(_("姓名"))
    branch = tables.Column(_("机构"), accessor="branch__name", order_by=("branch__path",))
    position = tables.Column(_("岗位"))
    position_since = tables.DateColumn(verbose_name=_("任职日期"), format="Y-m-d")
    status = tables.Column(_("状态"))

    class Meta:
        model = Staff
        fields = ()
        sequence = ("employee_no", "name", "branch", "position", "position_since", "status")
        attrs = ATTRS
        empty_text = _("没有符合条件的员工。员工名单通过“数据导入”中的员工文件导入。")

    def render_name(self, record, value):
        return format_html('<a href="{}">{}</a>', reverse("console:staff_detail", args=[record.employee_no]), value)


class AssignmentTable(tables.Table):
    valid_from = tables.DateColumn(verbose_name=_("生效日期"), format="Y-m-d")
    valid_to = tables.DateColumn(verbose_name=_("截止日期（不含）"), format="Y-m-d", default="—")
    branch = tables.Column(_("机构"), accessor="branch__name")
    position = tables.Column(_("岗位"))
    status = tables.Column(_("状态"))

    class Meta:
        model = Assignment
        fields = ()
        sequence = ("valid_from", "valid_to", "branch", "position", "status")
        attrs = ATTRS
        orderable = False
        empty_text = _("没有任职记录。")

    def render_valid_from(self, value):
        return "—" if value.year <= 1900 else value.strftime("%Y-%m-%d")


class AbsenceTable(tables.Table):
    start = tables.DateColumn(verbose_name=_("开始日期"), format="Y-m-d")
    end = tables.DateColumn(verbose_name=_("结束日期"), format="Y-m-d")
    kind = tables.Column(_("类型"))

    class Meta:
        model = Absence
        fields = ()
        sequence = ("start", "end", "kind")
        attrs = ATTRS
        orderable = False
        empty_text = _("没有缺勤记录。")
