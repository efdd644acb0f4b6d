"""The columns of each list the console hands out (reports.downloads writes them).

Each function takes the list's query exactly as the page has it — scoped to the sign-in and
filtered by the page's filter — and returns a `Download` whose rows are read as plain values,
a couple of thousand at a time, so the longest list costs no more memory than a short one.
"""

from __future__ import annotations

from django.db.models import F
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from appraisals.models import AppealStatus, CaseStage, CaseStatus, Period, WriteUpScope, WriteUpStatus
from audit.models import Change
from audit.selectors import change_fields
from metrics.models import Channel, EbankingProduct, FeedbackKind, Severity
from reports.downloads import Column, Download
from reports.scorecards import GRADE_LABELS, ITEM_LABELS
from staff.models import Position, Status

CHUNK = 2000


def _download(title, columns: list[Column], query) -> Download:
    """The query's rows, each column read by its key, with the query's count (an XLSX asks it
    first: reports.downloads.xlsx_refusal)."""
    rows = query.values(*[column.key for column in columns]).iterator(chunk_size=CHUNK)
    return Download(title, columns, rows, count=query.count)


def _person(prefix: str = "staff__") -> list[Column]:
    return [
        Column(f"{prefix}employee_no", _("员工编号"), "code"),
        Column(f"{prefix}name", _("姓名"), width=10),
        Column(f"{prefix}branch__code", _("机构号"), "code"),
        Column(f"{prefix}branch__name", _("机构"), width=20),
    ]


# --- staff -------------------------------------------------------------------------------------


def staff_download(query) -> Download:
    columns = [
        *_person(prefix=""),
        Column("position", _("岗位"), choices=Position.choices),
        Column("position_since", _("任职日期"), "date"),
        Column("hired_on", _("入职日期"), "date"),
        Column("status", _("状态"), choices=Status.choices, width=8),
    ]
    return _download(_("员工"), columns, query)


# --- records -----------------------------------------------------------------------------------

_RECORD_COLUMNS = {
    "accounts": [
        Column("account_type", _("账户类型")),
        Column("avg_assets", _("日均资产（元）"), "yuan"),
    ],
    "deposits": [
        Column("amount", _("金额（万元）"), "wan", value=lambda row: row["amount"] / 10000),
        Column("product", _("产品")),
    ],
    "ebanking": [
        Column("product", _("产品"), choices=EbankingProduct.choices),
        Column("activated", _("是否激活"), "flag"),
    ],
    "feedback": [
        Column("channel", _("渠道"), choices=Channel.choices),
        Column("kind", _("类型"), choices=FeedbackKind.choices, width=8),
        Column("rating", _("评分"), "count"),
        Column("score", _("得分"), "score"),
        Column("upheld", _("是否属实"), "flag"),
        Column("severity", _("严重程度"), choices=Severity.choices),
    ],
}


def records_download(query, *, kind: str, title) -> Download:
    """One kind of record (`title` is its name, e.g. 开户); the customer's hashed number stays out."""
    columns = [
        Column("ref", _("流水号"), "code", width=18),
        Column("date", _("日期"), "date"),
        *_person(),
        *_RECORD_COLUMNS[kind],
    ]
    return _download(title, columns, query)


# --- scorecards --------------------------------------------------------------------------------

_SCORE_KINDS = {
    "accounts": "count",
    "effective": "count",
    "ebanking": "count",
    "deposits": "wan",
    "satisfaction": "percent",
    "mystery": "score",
}


def _points(code: str):
    return _("%(item)s得分") % {"item": _SHORT_ITEMS[code]}


_SHORT_ITEMS = {
    "accounts": _("开户"),
    "effective": _("有效客户"),
    "ebanking": _("电子银行"),
    "deposits": _("存款日均"),
    "satisfaction": _("满意度"),
    "mystery": _("暗访"),
}


def scorecard_columns(*, under_review: bool) -> list[Column]:
    """The people's version of CONTRACT.md §3: the same columns in the same order, labelled,
    with the figures as the page shows them; `under_review` adds 复核中 (an open appeal)."""
    items = list(_SCORE_KINDS)
    columns = [
        Column("period", _("考核月份"), "month"),
        *_person(),
        Column("peer_group__name", _("考核组"), width=16),
        *[Column(code, ITEM_LABELS[code], _SCORE_KINDS[code]) for code in items],
        Column("praise", _("客户表扬（次）"), "count"),
        Column("complaints", _("一般投诉（起）"), "count"),
        Column("major_complaints", _("重大投诉（起）"), "count"),
        *[Column(f"points_{code}", _points(code), "score") for code in items],
        Column("base", _("基础分"), "score"),
        Column("bonus", _("加分"), "score"),
        Column("deduction", _("扣分"), "score"),
        Column("score", _("总分"), "score"),
        Column("grade", _("等次"), choices=GRADE_LABELS.items(), width=8),
        Column("veto", _("一票否决"), "flag"),
        Column("exempt", _("免考核排名"), "flag"),
        Column("probation", _("试用期"), "flag"),
        Column("rank", _("名次"), "count"),
        Column("group_size", _("组内人数"), "count"),
        Column("percentile", _("百分位"), "percent", places=0),
        Column("rolling", _("近三月平均"), "score"),
        Column("bottom_flag", _("末位预警"), "flag"),
        Column("case_opened", _("启动改进程序"), "flag"),
    ]
    if under_review:
        columns.insert(-1, Column("under_review", _("复核中"), "flag"))
    return columns


def scorecards_download(query, *, period: Period) -> Download:
    """A month's scorecards for people, in the export's order (group, rank with the exempt
    last, employee number). `query` may carry `under_review` (scorecards_with_review)."""
    under_review = "under_review" in query.query.annotations
    columns = scorecard_columns(under_review=under_review)
    names = [c.key for c in columns if c.key != "period"]
    ordered = query.order_by("peer_group__code", F("rank").asc(nulls_last=True), "staff__employee_no")

    def rows():
        for row in ordered.values(*names).iterator(chunk_size=CHUNK):
            row["period"] = period.month
            yield row

    return Download(_("考核表"), columns, rows(), stem=period.label, count=query.count)


# --- improvement cases, appeals, write-ups ----------------------------------------------------


def cases_download(query) -> Download:
    columns = [
        *_person(),
        Column("opened_period__month", _("启动月份"), "month"),
        Column("stage", _("阶段"), choices=CaseStage.choices, width=20),
        Column("status", _("状态"), choices=CaseStatus.choices, width=8),
        Column("opened_at", _("启动时间"), "datetime"),
        Column("closed_at", _("结案时间"), "datetime"),
        Column("outcome_note", _("结论"), "long"),
    ]
    return _download(_("改进程序"), columns, query)


def appeals_download(query) -> Download:
    columns = [
        *_person(),
        Column("period__month", _("考核月份"), "month"),
        Column("status", _("状态"), choices=AppealStatus.choices, width=8),
        Column("created_at", _("申诉时间"), "datetime"),
        Column("text", _("申诉内容"), "long"),
        Column("resolution", _("处理意见"), "long"),
        Column("resolved_at", _("处理时间"), "datetime"),
    ]
    return _download(_("申诉"), columns, query)


def writeups_download(query) -> Download:
    """Write-ups with their text in the reader's language."""
    english = (translation.get_language() or "").startswith("en")
    text = "text_en" if english else "text_zh"
    columns = [
        *_person(),
        Column("period__month", _("考核月份"), "month"),
        Column("scope", _("范围"), choices=WriteUpScope.choices, width=8),
        Column("status", _("状态"), choices=WriteUpStatus.choices, width=8),
        Column(text, _("评语"), "long", width=60),
        Column("generated_at", _("生成时间"), "datetime"),
        Column("approved_at", _("审定时间"), "datetime"),
    ]
    return _download(_("考核评语"), columns, query)


# --- the history of changes --------------------------------------------------------------------


def _object_type(change: Change) -> str:
    model = change.content_type.model_class() if change.content_type_id else None
    return str(model._meta.verbose_name) if model else change.content_type.model


def changes_download(query) -> Download:
    """The change history, each change's fields as a person reads them (audit.change_fields)."""
    related: dict = {}
    english = (translation.get_language() or "").startswith("en")
    between, colon = ("; ", ": ") if english else ("；", "：")

    def rows():
        for change in query.select_related("user", "content_type").iterator(chunk_size=CHUNK):
            lines = change_fields(change, related)
            yield {
                "at": change.at,
                "user": change.user.get_username() if change.user_id else _("系统"),
                "type": _object_type(change),
                "object": change.object_repr,
                "action": change.get_action_display(),
                "fields": between.join(f"{line.label}{colon}{line.old} → {line.new}" for line in lines),
                "reason": change.reason,
                "source": change.source,
            }

    columns = [
        Column("at", _("时间"), "datetime"),
        Column("user", _("操作人"), width=12),
        Column("type", _("对象类型"), width=12),
        Column("object", _("对象"), width=24),
        Column("action", _("操作"), width=8),
        Column("fields", _("变更内容"), "long", width=60),
        Column("reason", _("原因"), "long", width=30),
        Column("source", _("来源"), width=20),
    ]
    return Download(_("变更历史"), columns, rows(), count=query.count)
