"""The console's record lists and import history (django-tables2)."""

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from core.imports.kinds import KINDS
from metrics.models import AccountOpening, Deposit, EbankingSale, Feedback, ImportBatch

ATTRS = {"class": "table"}


class RecordTable(tables.Table):
    ref = tables.Column(_("流水号"))
    date = tables.DateColumn(verbose_name=_("日期"), format="Y-m-d")
    employee_no = tables.Column(_("员工编号"), accessor="staff__employee_no")
    name = tables.Column(_("姓名"), accessor="staff__name")
    edit = tables.Column("", empty_values=(), orderable=False)

    class Meta:
        attrs = ATTRS
        order_by = ("-date",)
        empty_text = _("没有符合条件的记录。可以调整筛选条件，或在“数据导入”上传文件。")

    def __init__(self, *args, kind: str, can_edit: bool, **kwargs):
        self.kind = kind
        super().__init__(*args, **kwargs)
        if not can_edit:
            self.columns.hide("edit")
            # Only HR can import: nobody else is sent to a page they cannot open.
            self.empty_text = _("没有符合条件的记录。可以调整筛选条件。")

    def render_edit(self, record):
        return format_html(
            '<a href="{}">{}</a>', reverse("console:record_edit", args=[self.kind, record.pk]), _("更正")
        )


class AccountTable(RecordTable):
    account_type = tables.Column(_("账户类型"))
    avg_assets = tables.Column(_("日均资产（元）"), attrs={"td": {"class": "num"}})

    class Meta(RecordTable.Meta):
        model = AccountOpening
        fields = ()
        sequence = ("ref", "date", "employee_no", "name", "account_type", "avg_assets", "edit")

    def render_avg_assets(self, value):
        return f"{value:,.2f}"


class DepositTable(RecordTable):
    amount = tables.Column(_("金额（万元）"), attrs={"td": {"class": "num"}})
    product = tables.Column(_("产品"))

    class Meta(RecordTable.Meta):
        model = Deposit
        fields = ()
        sequence = ("ref", "date", "employee_no", "name", "amount", "product", "edit")

    def render_amount(self, value):
        return f"{value / 10000:,.2f}"


class EbankingTable(RecordTable):
    product = tables.Column(_("产品"))
    activated = tables.BooleanColumn(verbose_name=_("是否激活"), yesno=(_("是"), _("否")))

    class Meta(RecordTable.Meta):
        model = EbankingSale
        fields = ()
        sequence = ("ref", "date", "employee_no", "name", "product", "activated", "edit")


class FeedbackTable(RecordTable):
    channel = tables.Column(_("渠道"))
    kind = tables.Column(_("类型"))
    rating = tables.Column(_("评分"), default="—")
    score = tables.Column(_("得分"), default="—")
    upheld = tables.BooleanColumn(verbose_name=_("是否属实"), yesno=(_("是"), _("否")))
    severity = tables.Column(_("严重程度"))

    class Meta(RecordTable.Meta):
        model = Feedback
        fields = ()
        sequence = (
            "ref",
            "date",
            "employee_no",
            "name",
            "channel",
            "kind",
            "rating",
            "score",
            "upheld",
            "severity",
            "edit",
        )


RECORD_TABLES = {
    "accounts": AccountTable,
    "deposits": DepositTable,
    "ebanking": EbankingTable,
    "feedback": FeedbackTable,
}


class ImportBatchTable(tables.Table):
    started_at = tables.DateTimeColumn(verbose_name=_("开始时间"), format="Y-m-d H:i")
    kind = tables.Column(_("数据类型"))
    filename = tables.Column(_("文件名"))
    outcome = tables.Column(_("结果"))
    summary = tables.Column(_("摘要"), empty_values=(), orderable=False)
    user = tables.Column(_("操作人"), default="—")

    class Meta:
        model = ImportBatch
        fields = ()
        sequence = ("started_at", "kind", "filename", "outcome", "summary", "user")
        attrs = ATTRS
        empty_text = _("还没有导入过数据。从上面的表单上传第一个文件。")

    def render_kind(self, value):
        return KINDS[value].label if value in KINDS else value

    def render_summary(self, record):
        if record.errors:
            return _("%(rows)d 行，%(errors)d 处错误") % {"rows": record.rows, "errors": len(record.errors)}
        return _("%(rows)d 行：新增 %(created)d，更新 %(updated)d，未变 %(unchanged)d") % {
            "rows": record.rows,
            "created": record.created,
            "updated": record.updated,
            "unchanged": record.unchanged,
        }
