"""Filters of HR's list of sign-ins."""

import django_filters
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from staff.models import Role


class SigninFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("用户名"), field_name="username", lookup_expr="icontains")
    role = django_filters.ChoiceFilter(label=_("角色"), field_name="membership__role", choices=Role.choices)
    is_active = django_filters.BooleanFilter(label=_("可登录"), field_name="is_active")

    class Meta:
        model = get_user_model()
        fields = ()
