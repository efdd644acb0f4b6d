"""Filters of the console's appraisal lists (django-filter)."""

import django_filters
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from appraisals.models import AppealStatus, CaseStatus, Grade, WriteUpStatus
from audit.models import Change
from console.forms.widgets import QuickSelect

FLAG_CHOICES = [
    ("bottom_flag", _("末位预警")),
    ("veto", _("一票否决")),
    ("exempt", _("免考核排名")),
    ("probation", _("试用期")),
    ("case_opened", _("启动改进程序")),
    ("under_review", _("复核中")),
]


class BranchSubtreeFilter(django_filters.ModelChoiceFilter):
    """Keeps rows whose branch lies in the chosen branch's subtree (materialised path)."""

    def __init__(self, *args, path_field: str, **kwargs):
        self.path_field = path_field
        kwargs.setdefault("empty_label", _("全部"))
        kwargs.setdefault("widget", QuickSelect)  # every branch above the outlets: hundreds of options
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(**{f"{self.path_field}__startswith": value.path})


class ScorecardFilter(django_filters.FilterSet):
    branch = BranchSubtreeFilter(label=_("机构（含下级）"), path_field="branch_path", queryset=None)
    grade = django_filters.ChoiceFilter(label=_("等次"), choices=Grade.choices, widget=QuickSelect)
    flag = django_filters.ChoiceFilter(label=_("标记"), choices=FLAG_CHOICES, method="filter_flag", widget=QuickSelect)
    q = django_filters.CharFilter(label=_("姓名或编号"), method="filter_text")

    def __init__(self, *args, branches=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["branch"].queryset = branches

    def filter_flag(self, qs, name, value):
        return qs.filter(**{value: True}) if value else qs

    def filter_text(self, qs, name, value):
        value = value.strip()
        if not value:
            return qs
        return qs.filter(Q(staff__name__contains=value) | Q(staff__employee_no__startswith=value))


class CaseFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("状态"), choices=CaseStatus.choices)
    q = django_filters.CharFilter(label=_("姓名或编号"), method="filter_text")

    def filter_text(self, qs, name, value):
        value = value.strip()
        return qs.filter(Q(staff__name__contains=value) | Q(staff__employee_no__startswith=value)) if value else qs


class AppealFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("状态"), choices=AppealStatus.choices)


class WriteUpFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(label=_("状态"), choices=WriteUpStatus.choices)
    q = django_filters.CharFilter(label=_("姓名或编号"), method="filter_text")

    def filter_text(self, qs, name, value):
        value = value.strip()
        return qs.filter(Q(staff__name__contains=value) | Q(staff__employee_no__startswith=value)) if value else qs


class ChangeFilter(django_filters.FilterSet):
    content_type = django_filters.ModelChoiceFilter(
        empty_label=_("全部"), label=_("对象类型"), queryset=ContentType.objects.none()
    )
    action = django_filters.ChoiceFilter(label=_("操作"), choices=Change.Action.choices)
    source = django_filters.CharFilter(label=_("来源"), lookup_expr="startswith")
    q = django_filters.CharFilter(label=_("对象或原因"), method="filter_text")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        used = Change.objects.values("content_type_id").distinct()
        self.filters["content_type"].queryset = ContentType.objects.filter(pk__in=used).order_by("app_label", "model")

    def filter_text(self, qs, name, value):
        value = value.strip()
        return qs.filter(Q(object_repr__contains=value) | Q(reason__contains=value)) if value else qs
