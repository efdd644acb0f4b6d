"""Filters of the console's staff list."""

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from staff.models import Position, Status


class StaffFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("姓名或编号"), method="filter_text")
    branch = django_filters.ModelChoiceFilter(
        empty_label=_("全部"), label=_("机构（含下级）"), queryset=None, method="filter_branch"
    )
    position = django_filters.ChoiceFilter(label=_("岗位"), choices=Position.choices)
    status = django_filters.ChoiceFilter(label=_("状态"), choices=Status.choices)

    def __init__(self, *args, branches=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["branch"].queryset = branches

    def filter_text(self, qs, name, value):
        value = value.strip()
        return qs.filter(Q(name__contains=value) | Q(employee_no__startswith=value)) if value else qs

    def filter_branch(self, qs, name, value):
        return qs.filter(branch__path__startswith=value.path) if value else qs
