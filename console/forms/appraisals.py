"""Console forms: they validate, and their cleaned data is handed to one service."""

from django import forms
from django.utils.translation import gettext_lazy as _

from appraisals.models import AppealStatus, Item, NameStyle, ScopeKind
from appraisals.services.periods import PeriodError
from core.months import month_parse
from staff.models import Branch, Staff


class MonthField(forms.CharField):
    """`YYYY-MM` → the first day of that month."""

    def __init__(self, **kwargs):
        attrs = {"placeholder": "2026-10", "inputmode": "numeric", "maxlength": "7"}
        kwargs.setdefault("widget", forms.TextInput(attrs=attrs))
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        try:
            return month_parse(value)
        except PeriodError as error:
            raise forms.ValidationError(str(error)) from None


class ConfirmForm(forms.Form):
    confirm = forms.BooleanField(label=_("我已核对，确认执行此操作（不可撤销）"), required=True)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("原因"), min_length=4, widget=forms.Textarea(attrs={"rows": 3}), help_text=_("将记入变更历史")
    )


class SignoffForm(forms.Form):
    note = forms.CharField(label=_("签核意见"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class AppealForm(forms.Form):
    text = forms.CharField(
        label=_("申诉理由"),
        min_length=10,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("请写明哪一项数据或结果有误，以及依据。"),
    )


class AppealResolveForm(forms.Form):
    status = forms.ChoiceField(
        label=_("处理结果"),
        choices=[
            (AppealStatus.UPHELD, AppealStatus.UPHELD.label),
            (AppealStatus.REJECTED, AppealStatus.REJECTED.label),
        ],
        widget=forms.RadioSelect,
    )
    resolution = forms.CharField(label=_("处理意见"), widget=forms.Textarea(attrs={"rows": 3}))


class CaseNoteForm(forms.Form):
    note = forms.CharField(label=_("记录内容"), widget=forms.Textarea(attrs={"rows": 3}))
    evidence = forms.FileField(label=_("证据材料"), required=False)


class CaseAdvanceForm(CaseNoteForm):
    pass


class CaseCloseForm(forms.Form):
    note = forms.CharField(label=_("结论"), widget=forms.Textarea(attrs={"rows": 3}))


class TargetForm(forms.Form):
    month = MonthField(label=_("考核月份"))
    scope = forms.CharField(
        label=_("范围"),
        max_length=32,
        help_text=_("填 bank（全行）、机构号或员工编号"),
        widget=forms.TextInput(attrs={"placeholder": "bank"}),
    )
    item = forms.ChoiceField(label=_("指标"), choices=Item.choices[:4])
    target = forms.DecimalField(
        label=_("目标值"), min_value=0, max_digits=14, decimal_places=2, help_text=_("存款日均以万元计")
    )
    reason = forms.CharField(label=_("原因"), required=False, max_length=500)

    def clean_scope(self):
        """A scope is `bank`, a branch code (the head office's means bank), or an employee number
        (CONTRACT.md §1); one that is both a branch code and an employee number is ambiguous."""
        scope = self.cleaned_data["scope"].strip()
        if scope.lower() == "bank":
            return {"scope_kind": ScopeKind.BANK, "branch": None, "staff": None}
        branch = Branch.objects.filter(code=scope).first()
        staff = Staff.objects.filter(employee_no=scope).first()
        if branch and staff:
            raise forms.ValidationError(_("%(scope)s 既是机构号又是员工编号，无法判断范围。") % {"scope": scope})
        if branch:
            if branch.parent_id is None:
                return {"scope_kind": ScopeKind.BANK, "branch": None, "staff": None}
            return {"scope_kind": ScopeKind.BRANCH, "branch": branch, "staff": None}
        if staff:
            return {"scope_kind": ScopeKind.STAFF, "branch": None, "staff": staff}
        raise forms.ValidationError(_("找不到机构号或员工编号 %(scope)s。") % {"scope": scope})

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        return {**data.pop("scope"), **data}


class WriteUpForm(forms.Form):
    text_zh = forms.CharField(label=_("评语（中文）"), widget=forms.Textarea(attrs={"rows": 8}))
    text_en = forms.CharField(label=_("评语（英文）"), widget=forms.Textarea(attrs={"rows": 8}))
    reason = forms.CharField(label=_("修改原因"), required=False, max_length=500)


class ScreenForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100)
    branch = forms.ModelChoiceField(label=_("机构"), queryset=Branch.objects.none())
    top_n = forms.IntegerField(label=_("上榜人数"), min_value=3, max_value=30, initial=10)
    rotate_seconds = forms.IntegerField(label=_("轮播间隔（秒）"), min_value=5, max_value=300, initial=15)
    poll_seconds = forms.IntegerField(label=_("刷新间隔（秒）"), min_value=10, max_value=3600, initial=30)
    show_deposits = forms.BooleanField(
        label=_("显示存款榜"), required=False, help_text=_("监管不鼓励存款竞赛，默认关闭")
    )
    name_style = forms.ChoiceField(label=_("姓名显示"), choices=NameStyle.choices, initial=NameStyle.FULL)

    def __init__(self, *args, branches=None, **kwargs):
        super().__init__(*args, **kwargs)
        if branches is not None:
            self.fields["branch"].queryset = branches
