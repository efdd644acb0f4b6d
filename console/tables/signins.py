"""HR's list of sign-ins (django-tables2)."""

import django_tables2 as tables
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

ATTRS = {"class": "table"}


class SigninTable(tables.Table):
    username = tables.Column(_("用户名"))
    role = tables.Column(_("角色"), accessor="membership__role", order_by=("membership__role",), default="—")
    scope = tables.Column(_("范围"), accessor="pk", orderable=False)
    is_active = tables.BooleanColumn(verbose_name=_("可登录"))
    last_login = tables.DateTimeColumn(verbose_name=_("最近登录"), format="Y-m-d H:i", default="—")

    class Meta:
        model = get_user_model()
        fields = ()
        sequence = ("username", "role", "scope", "is_active", "last_login")
        attrs = ATTRS
        empty_text = _("没有符合条件的登录账号。")

    def render_username(self, record, value):
        return format_html('<a href="{}">{}</a>', reverse("console:signin", args=[record.pk]), value)

    def render_role(self, record, value):
        return record.membership.get_role_display()

    def render_scope(self, record, value):
        membership = getattr(record, "membership", None)
        if membership is None:
            return _("超级用户（等同人力资源部）") if record.is_superuser else "—"
        if membership.branch_id:
            return f"{membership.branch.name}（{membership.branch.code}）"
        if membership.staff_id:
            return str(membership.staff)
        return _("全行")
