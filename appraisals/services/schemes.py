"""Schemes as data: drafts HR edits, files HR keeps, adoption from a month onward.

The rules of what a scheme may hold live in the pure `scoring.scheme`
(`scheme_parse`, `scheme_problems`); this module puts their problems into the person's language,
keeps a version immutable once a month has used it, and writes every change to the history.
"""

import datetime

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from appraisals import selectors
from appraisals.models import Item as ItemChoice
from appraisals.models import Period, PeriodStatus, Scheme, SchemeAdoption, SchemeStatus
from audit.models import Change
from audit.services import change_record
from core.errors import LobbyStarError
from scoring import Scheme as SchemeData
from scoring.scheme import Problem, SchemeInvalid, scheme_differences, scheme_parse, scheme_to_json

# The parameters of a scheme as HR reads them (SCORING.md, section by section).
PARAMETER_LABELS = {
    "code": gettext_lazy("方案代码"),
    "version": gettext_lazy("版本"),
    "position": gettext_lazy("适用岗位"),
    "items": gettext_lazy("考核项目"),
    "effective_threshold": gettext_lazy("有效客户资产门槛（元）"),
    "satisfaction_m": gettext_lazy("满意度平滑权数 m"),
    "satisfaction_prior": gettext_lazy("满意度先验值"),
    "satisfaction_good_rating": gettext_lazy("满意评分下限"),
    "praise_bonus": gettext_lazy("每次表扬加分"),
    "bonus_cap": gettext_lazy("加分上限"),
    "complaint_deduction": gettext_lazy("每次有效投诉扣分"),
    "grade_excellent": gettext_lazy("优秀分数线"),
    "grade_good": gettext_lazy("良好分数线"),
    "grade_pass": gettext_lazy("合格分数线"),
    "exempt_min_present": gettext_lazy("免排名出勤天数（少于）"),
    "probation_months": gettext_lazy("试岗月数"),
    "rolling_months": gettext_lazy("滚动平均月数"),
    "min_group": gettext_lazy("最小考核组人数"),
    "bottom_share_tenths": gettext_lazy("末位比例（十分之几）"),
    "absolute_floor": gettext_lazy("绝对线"),
    "median_factor": gettext_lazy("中位数系数"),
    "case_consecutive": gettext_lazy("启动改进程序的连续预警月数"),
    "veto_major_complaints": gettext_lazy("一票否决的重大投诉次数（0 为不否决）"),
    "scheme": gettext_lazy("方案文件"),
}
ITEM_FIELD_LABELS = {
    "weight": gettext_lazy("权重"),
    "target": gettext_lazy("默认目标"),
    "cap": gettext_lazy("封顶系数"),
    "floor": gettext_lazy("起点"),
    "span": gettext_lazy("区间"),
    "metric": gettext_lazy("指标"),
    "method": gettext_lazy("计分方式"),
    "code": gettext_lazy("代码"),
}


class SchemeError(LobbyStarError):
    """A scheme cannot be saved, imported or adopted; the message says why, field by field."""

    def __init__(self, message: str, problems: list[Problem] | None = None):
        super().__init__(message)
        self.problems = problems or []


def field_label(field: str) -> str:
    """`items.accounts.weight` → 开户数权重; `grade_good` → 良好分数线."""
    if field.startswith("items."):
        _items, code, *rest = field.split(".")
        item = _item_label(code)
        return f"{item}{ITEM_FIELD_LABELS.get(rest[0], rest[0])}" if rest else item
    if field.startswith("items["):
        return f"{PARAMETER_LABELS['items']} {field[5:]}"
    label = PARAMETER_LABELS.get(field)
    return f"{label}（{field}）" if label else field


def _item_label(code: str) -> str:
    try:
        return str(ItemChoice(code).label)
    except ValueError:
        return code


def problem_text(problem: Problem) -> str:
    """One problem as a sentence in the person's language, naming the field."""
    values = problem.values
    field = field_label(problem.field)
    texts = {
        "not_an_object": _("%(field)s 必须是 JSON 对象。"),
        "missing": _("缺少 %(field)s。"),
        "unknown_field": _("%(field)s 不是考核方案的参数。"),
        "not_a_number": _("%(field)s 必须是数字。"),
        "not_a_whole_number": _("%(field)s 必须是整数。"),
        "not_text": _("%(field)s 必须是文字。"),
        "not_a_list": _("%(field)s 必须是项目列表。"),
        "negative": _("%(field)s 不能小于 0。"),
        "cap_below_one": _("%(field)s 不能小于 1。"),
        "band_needs_span": _("%(field)s 需要起点和大于 0 的区间。"),
    }
    if problem.code in texts:
        return texts[problem.code] % {"field": field}
    if problem.code == "unknown_item":
        return _("没有考核项目“%(item)s”（可用的项目：%(known)s）。") % values
    if problem.code == "missing_item":
        return _("缺少考核项目 %(item)s（%(label)s）。") % {**values, "label": _item_label(values["item"])}
    if problem.code == "duplicate_item":
        return _("考核项目 %(item)s 出现了不止一次。") % values
    if problem.code == "weights_sum":
        return _("各项权重合计为 %(total)s，应为 100。") % values
    if problem.code == "at_least":
        return _("%(field)s 不能小于 %(minimum)s。") % {"field": field, **values}
    if problem.code == "between":
        return _("%(field)s 应在 %(low)s 到 %(high)s 之间。") % {"field": field, **values}
    if problem.code == "grade_order":
        return _("等次分数线应从高到低：优秀 %(excellent)s > 良好 %(good)s > 合格 %(passing)s ≥ 0。") % values
    if problem.code == "unknown_metric":
        return _("%(field)s：没有指标“%(value)s”。") % {"field": field, **values}
    if problem.code == "unknown_method":
        return _("%(field)s 只能是 ratio、band 或 score。") % {"field": field}
    return f"{field}: {problem}"


def scheme_validate(data) -> SchemeData:
    """The scheme in `data`, or a SchemeError listing every problem in words."""
    try:
        return scheme_parse(data)
    except SchemeInvalid as invalid:
        message = " ".join(problem_text(problem) for problem in invalid.problems)
        raise SchemeError(message, invalid.problems) from None


def _is_editable(scheme: Scheme) -> bool:
    return scheme.status == SchemeStatus.DRAFT and not selectors.scheme_is_used(scheme)


def _next_version(code: str) -> int:
    return (Scheme.objects.filter(code=code).aggregate(top=Max("version"))["top"] or 0) + 1


@transaction.atomic
def scheme_draft_create(*, source: Scheme, user, name: str = "") -> Scheme:
    """A new draft version of `source`'s code with `source`'s parameters, for HR to edit."""
    version = _next_version(source.code)
    parameters = {**source.parameters, "version": version}
    draft = Scheme.objects.create(
        code=source.code,
        version=version,
        name=name or source.name,
        position=source.position,
        parameters=SchemeData.from_dict(parameters).to_dict(),
        active=False,
        status=SchemeStatus.DRAFT,
        note=_("由 %(source)s 复制。") % {"source": source.label},
        created_by=user,
    )
    change_record(
        obj=draft,
        action=Change.Action.CREATE,
        user=user,
        fields={"copied_from": [None, source.label]},
        source="console",
    )
    return draft


@transaction.atomic
def scheme_draft_save(*, scheme: Scheme, parameters: dict, user, name: str | None = None, note: str | None = None):
    """Changes a draft's parameters (checked by `scheme_parse`), with every change in the history.

    Refused for a version that is not a draft or that a computed month has used.
    """
    scheme = Scheme.objects.select_for_update().get(pk=scheme.pk)
    if not _is_editable(scheme):
        raise SchemeError(_("%(scheme)s 不是未使用的草稿，不能修改；请复制为新草稿。") % {"scheme": scheme.label})
    new = scheme_validate({**parameters, "code": scheme.code, "version": scheme.version})
    old = selectors.scheme_data(scheme)
    fields = {name_: [_shown(was), _shown(now)] for name_, was, now in scheme_differences(old, new)}
    scheme.parameters = new.to_dict()
    if name is not None and name != scheme.name:
        fields["name"] = [scheme.name, name]
        scheme.name = name
    if note is not None and note != scheme.note:
        fields["note"] = [scheme.note, note]
        scheme.note = note
    if fields:
        scheme.save(update_fields=["parameters", "name", "note"])
        change_record(obj=scheme, action=Change.Action.UPDATE, user=user, fields=fields, source="console")
    return scheme


def _shown(value):
    return None if value is None else str(value)


@transaction.atomic
def scheme_adopt(*, scheme: Scheme, from_month: datetime.date, reason: str, user) -> SchemeAdoption:
    """Adopts a version from `from_month` onward (never for a finalized month), with a reason.

    Months from then on are computed with it; months already computed keep their scorecards
    until HR recomputes them.
    """
    from_month = from_month.replace(day=1)
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise SchemeError(_("启用考核方案必须写明原因（至少 4 个字）。"))
    if scheme.status == SchemeStatus.RETIRED:
        raise SchemeError(_("%(scheme)s 已停用，不能再启用。") % {"scheme": scheme.label})
    scheme_validate(scheme.parameters)
    finalized = Period.objects.filter(month__gte=from_month, status=PeriodStatus.FINALIZED).order_by("month").first()
    if finalized is not None:
        raise SchemeError(
            _("%(month)s 已定稿，不能从 %(from)s 起启用新方案；请选择定稿月份之后的月份。")
            % {"month": finalized.label, "from": f"{from_month:%Y-%m}"}
        )
    Scheme.objects.filter(pk=scheme.pk).update(status=SchemeStatus.ACTIVE, active=True)
    adoption = SchemeAdoption.objects.create(scheme=scheme, from_month=from_month, reason=reason, created_by=user)
    change_record(
        obj=scheme,
        action=Change.Action.TRANSITION,
        user=user,
        reason=reason,
        fields={"status": [scheme.status, SchemeStatus.ACTIVE], "from_month": [None, f"{from_month:%Y-%m}"]},
        source="console",
    )
    scheme.refresh_from_db()
    return adoption


def months_to_recompute(*, from_month: datetime.date) -> list[datetime.date]:
    """Computed or reviewed months from `from_month` on, which still show the old scheme."""
    return list(
        Period.objects.filter(month__gte=from_month, status__in=[PeriodStatus.COMPUTED, PeriodStatus.REVIEWED])
        .order_by("month")
        .values_list("month", flat=True)
    )


def scheme_export(*, scheme: Scheme) -> dict:
    """The scheme as a file HR can keep (CONTRACT.md §2): its parameters, name and note."""
    data = scheme_to_json(selectors.scheme_data(scheme))
    return {**data, "name": scheme.name, "note": scheme.note}


@transaction.atomic
def scheme_import(*, data, user=None) -> tuple[Scheme, str]:
    """A scheme file into the database: a new draft, or an unused draft of that version updated.

    Returns the scheme and what happened: "created", "updated" or "unchanged". Importing a file
    that `scheme_export` wrote gives the same scheme.
    """
    parsed = scheme_validate(data)
    name = str(data.get("name") or f"{parsed.code} v{parsed.version}")
    note = str(data.get("note") or "")
    existing = Scheme.objects.filter(code=parsed.code, version=parsed.version).first()
    if existing is None:
        scheme = Scheme.objects.create(
            code=parsed.code,
            version=parsed.version,
            name=name,
            position=parsed.position,
            parameters=parsed.to_dict(),
            active=False,
            status=SchemeStatus.DRAFT,
            note=note,
            created_by=user,
        )
        change_record(obj=scheme, action=Change.Action.CREATE, user=user, source="import_scheme")
        return scheme, "created"
    if selectors.scheme_data(existing) == parsed:
        return existing, "unchanged"
    if not _is_editable(existing):
        raise SchemeError(
            _("%(scheme)s 已存在且内容不同，并且已启用或已使用，不能覆盖；请在文件中改用新的版本号（version）。")
            % {"scheme": existing.label}
        )
    scheme_draft_save(scheme=existing, parameters=parsed.to_dict(), user=user, name=name, note=note)
    existing.refresh_from_db()
    return existing, "updated"


def scheme_change_sentence(*, base: SchemeData, scheme: SchemeData, limit: int = 6) -> str:
    """What `scheme` changes from `base`, in one sentence: 开户数权重 15 → 30；加分上限 5 → 8."""
    changes = [
        (field, was, now)
        for field, was, now in scheme_differences(base, scheme)
        if field not in ("position",) and not field.endswith((".metric", ".method"))
    ]
    if not changes:
        return _("与原方案相比没有参数变化。")
    parts = [f"{field_label(field).split('（')[0]} {_plain(was)} → {_plain(now)}" for field, was, now in changes]
    if len(parts) > limit:
        parts = parts[:limit] + [_("等共 %(count)d 处变化") % {"count": len(changes)}]
    return "；".join(parts) + "。"


def _plain(value) -> str:
    if value is None:
        return "—"
    text = str(value)
    if "." in text and "E" not in text:
        text = text.rstrip("0").rstrip(".")
    return text
