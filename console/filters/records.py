"""Filters of the console's record lists and import history."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from metrics.models import Channel, EbankingProduct, FeedbackKind, ImportBatch

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")  # ISO, whatever the language


class RecordFilter(django_filters.FilterSet):
    """What every kind of record can be filtered by: dates, the staff member, the branch."""

    date_from = django_filters.DateFilter(label=_("起始日期"), field_name="date", lookup_expr="gte", widget=DATE_INPUT)
    date_to = django_filters.DateFilter(label=_("截止日期"), field_name="date", lookup_expr="lte", widget=DATE_INPUT)
    q = django_filters.CharFilter(label=_("流水号、姓名或编号"), method="filter_text")
    branch = django_filters.ModelChoiceFilter(
        empty_label=_("全部"), label=_("机构（含下级）"), queryset=None, method="filter_branch"
    )

    def __init__(self, *args, branches=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["branch"].queryset = branches

    def filter_text(self, qs, name, value):
        value = value.strip()
        if not value:
            return qs
        return qs.filter(
            Q(ref__startswith=value) | Q(staff__name__contains=value) | Q(staff__employee_no__startswith=value)
        )

    def filter_branch(self, qs, name, value):
        return qs.filter(staff__branch__path__startswith=value.path) if value else qs


class EbankingFilter(RecordFilter):
    product = django_filters.ChoiceFilter(label=_("产品"), choices=EbankingProduct.choices)
    activated = django_filters.BooleanFilter(label=_("是否激活"))


class FeedbackFilter(RecordFilter):
    kind = django_filters.ChoiceFilter(label=_("类型"), choices=FeedbackKind.choices)
    channel = django_filters.ChoiceFilter(label=_("渠道"), choices=Channel.choices)


RECORD_FILTERS = {
    "accounts": RecordFilter,
    "deposits": RecordFilter,
    "ebanking": EbankingFilter,
    "feedback": FeedbackFilter,
}


class ImportBatchFilter(django_filters.FilterSet):
    kind = django_filters.CharFilter(label=_("数据类型"))
    outcome = django_filters.ChoiceFilter(label=_("结果"), choices=ImportBatch.Outcome.choices)
