"""The words of each kind of notice, in the active language: a subject, a body, and for the
kinds a branch group is told of, the 企业微信 group message. Built from a notice's `params`
(plain JSON), so the inbox shows them in the reader's language whatever they were sent in."""

from django.utils.translation import gettext as _

from core.months import month_label, month_parse
from notices.models import NoticeKind


def _month(params: dict) -> str:
    return month_label(month_parse(params["month"])) if params.get("month") else ""


def _outcome(params: dict) -> str:
    return _("申诉成立") if params.get("outcome") == "upheld" else _("申诉不成立")


def notice_words(kind: str, params: dict) -> tuple[str, str]:
    """(subject, body) of a notice, in the active language."""
    values = {**params, "month": _month(params)}
    if kind == NoticeKind.PERIOD_PUBLISHED:
        return (
            _("%(month)s 考核结果已发布") % values,
            _("您 %(month)s 的考核结果已发布，请登录查看并确认；如有异议，可在结果页提出申诉。") % values,
        )
    if kind == NoticeKind.SIGNOFF_REMINDER:
        return (
            _("%(month)s 考核结果待签核") % values,
            _("%(month)s 的考核结果已计算，%(branches)s尚未签核。请登录核对本机构的考核结果并签核。") % values,
        )
    if kind == NoticeKind.APPEAL_CREATED:
        return (
            _("新申诉：%(name)s（%(month)s）") % values,
            _("%(name)s（%(employee_no)s）对 %(month)s 的考核结果提出申诉，请及时处理。") % values,
        )
    if kind == NoticeKind.APPEAL_RESOLVED:
        values["outcome"] = _outcome(params)
        return (
            _("您的申诉已处理（%(month)s）") % values,
            _("您对 %(month)s 考核结果的申诉已处理：%(outcome)s。处理意见请登录查看。") % values,
        )
    if kind == NoticeKind.CASE_OPENED:
        return (
            _("改进程序已启动"),
            _(
                "根据 %(month)s 及此前两个月的考核结果，已为您启动改进计划（第一阶段）。"
                "后续每一步均由人作出决定，如有疑问请联系人力资源部。"
            )
            % values,
        )
    if kind == NoticeKind.CASE_ADVANCED:
        return (
            _("改进程序进入第 %(stage)d 阶段") % values,
            _("您的改进程序已进入第 %(stage)d 阶段。如有疑问请联系人力资源部。") % values,
        )
    if kind == NoticeKind.CASE_CLOSED:
        return _("改进程序已结案"), _("您的改进程序已结案。如有疑问请联系人力资源部。")
    raise ValueError(f"unknown kind of notice: {kind}")


def group_words(kind: str, params: dict) -> str:
    """The short branch notice posted to the 企业微信 group robot."""
    values = {**params, "month": _month(params)}
    if kind == NoticeKind.PERIOD_PUBLISHED:
        return _("【大堂之星】%(month)s 考核结果已发布，请各位大堂经理登录查看并确认。") % values
    if kind == NoticeKind.SIGNOFF_REMINDER:
        return _("【大堂之星】%(month)s 考核结果已计算，待签核：%(branches)s。请机构负责人登录签核。") % values
    raise ValueError(f"no group message for a notice of kind {kind}")
