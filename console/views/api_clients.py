"""The API's clients, for HR: who may call the API, with which scopes, from where; a new
client's token is shown once."""

import django_tables2 as tables
from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig

from api.models import ApiClient, Scope
from api.services import ApiClientError, api_client_create, api_client_revoke
from console.access import hr_only


class ApiClientForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("名称"), max_length=60, help_text=gettext_lazy("如 core-banking，不含空格")
    )
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("权限范围"), choices=Scope.choices, widget=forms.CheckboxSelectMultiple
    )
    allow_from = forms.CharField(
        label=gettext_lazy("允许的来源地址"),
        required=False,
        help_text=gettext_lazy("IP 地址或网段，用逗号分隔，如 10.1.0.0/16；留空表示不限"),
    )


class ApiClientTable(tables.Table):
    name = tables.Column(gettext_lazy("名称"))
    scopes = tables.Column(gettext_lazy("权限范围"), orderable=False)
    allowed_from = tables.Column(gettext_lazy("允许的来源地址"), orderable=False)
    created_at = tables.DateTimeColumn(verbose_name=gettext_lazy("创建时间"), format="Y-m-d H:i")
    last_used_at = tables.DateTimeColumn(verbose_name=gettext_lazy("最近使用"), format="Y-m-d H:i", default="—")
    revoked_at = tables.Column(gettext_lazy("状态"), empty_values=())
    actions = tables.TemplateColumn(template_name="console/api_clients/_actions.html", verbose_name="", orderable=False)

    class Meta:
        attrs = {"class": "table"}
        empty_text = gettext_lazy("还没有接口客户端。为行内系统创建一个，令牌只显示一次。")

    def render_scopes(self, value):
        return ", ".join(value)

    def render_allowed_from(self, value):
        return ", ".join(value) or _("不限")

    def render_revoked_at(self, value):
        return _("已停用") if value else _("使用中")


@hr_only
def api_client_list(request):
    form = ApiClientForm(request.POST or None)
    new_token = None
    if request.method == "POST" and form.is_valid():
        try:
            client, new_token = api_client_create(user=request.user, **form.cleaned_data)
            messages.success(
                request, _("接口客户端“%(name)s”已创建。令牌只显示这一次，请立即复制。") % {"name": client.name}
            )
            form = ApiClientForm()
        except ApiClientError as error:
            messages.error(request, str(error))
    table = ApiClientTable(ApiClient.objects.all())
    RequestConfig(request, paginate={"per_page": 50}).configure(table)
    return render(request, "console/api_clients/list.html", {"table": table, "form": form, "new_token": new_token})


@require_POST
@hr_only
def api_client_revoke_view(request, pk):
    client = get_object_or_404(ApiClient, pk=pk)
    try:
        api_client_revoke(client=client, user=request.user)
        messages.success(request, _("接口客户端“%(name)s”已停用，令牌立即失效。") % {"name": client.name})
    except ApiClientError as error:
        messages.error(request, str(error))
    return redirect("console:api_clients")
