"""Sign-ins: HR creates them, changes their role or scope, disables them and resets passwords;
everyone changes their own password. Every change is in the history (staff.roles)."""

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth import views as auth_views
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig

from audit.selectors import history_for_object
from console.access import anyone, hr_only
from console.filters.signins import SigninFilter
from console.forms.signins import PasswordResetForm, ScopeForm, SigninCreateForm
from console.tables.signins import SigninTable
from core.errors import LobbyStarError
from staff import roles


@hr_only
def signin_list(request):
    filterset = SigninFilter(request.GET, queryset=roles.signins())
    table = SigninTable(filterset.qs)
    RequestConfig(request, paginate={"per_page": 50}).configure(table)
    return render(request, "console/signins/list.html", {"filter": filterset, "table": table})


@hr_only
def signin_new(request):
    form = SigninCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user = roles.signin_create(
                username=data["username"],
                role=data["role"],
                branch_code=data["branch_code"],
                employee_no=data["employee_no"],
                password=data["password1"],
                by=request.user,
            )
        except LobbyStarError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("登录账号 %(username)s 已创建。") % {"username": user.username})
            return redirect("console:signin", pk=user.pk)
    return render(request, "console/signins/new.html", {"form": form})


@hr_only
def signin_detail(request, pk):
    user = get_object_or_404(roles.signins(), pk=pk)
    membership = getattr(user, "membership", None)
    initial = {}
    if membership is not None:
        initial = {
            "role": membership.role,
            "branch_code": membership.branch.code if membership.branch_id else "",
            "employee_no": membership.staff.employee_no if membership.staff_id else "",
        }
    context = {
        "account": user,
        "membership": membership,
        "scope_form": ScopeForm(initial=initial),
        "password_form": PasswordResetForm(user=user),
        "history": history_for_object(membership) if membership else [],
        "is_self": user.pk == request.user.pk,
    }
    return render(request, "console/signins/detail.html", context)


@require_POST
@hr_only
def signin_scope(request, pk):
    user = get_object_or_404(roles.signins(), pk=pk)
    form = ScopeForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(" ".join(errors) for errors in form.errors.values()))
        return redirect("console:signin", pk=pk)
    roles.membership_change(user=user, by=request.user, **form.cleaned_data)
    messages.success(request, _("角色和范围已更新。"))
    return redirect("console:signin", pk=pk)


@require_POST
@hr_only
def signin_password(request, pk):
    user = get_object_or_404(roles.signins(), pk=pk)
    form = PasswordResetForm(request.POST, user=user)
    if not form.is_valid():
        messages.error(request, " ".join(" ".join(errors) for errors in form.errors.values()))
        return redirect("console:signin", pk=pk)
    roles.password_reset(user=user, password=form.cleaned_data["password1"], by=request.user)
    if user.pk == request.user.pk:
        update_session_auth_hash(request, user)
    messages.success(request, _("密码已重置，请通过安全的方式告知本人。"))
    return redirect("console:signin", pk=pk)


@require_POST
@hr_only
def signin_active(request, pk):
    user = get_object_or_404(roles.signins(), pk=pk)
    active = request.POST.get("active") == "1"
    roles.signin_set_active(user=user, active=active, by=request.user)
    messages.success(request, _("账号已启用。") if active else _("账号已停用，不能再登录。"))
    return redirect("console:signin", pk=pk)


@method_decorator(anyone, name="dispatch")
class PasswordChangeView(auth_views.PasswordChangeView):
    """A person changes their own password (Django's form: the old one, then the new one twice,
    checked by AUTH_PASSWORD_VALIDATORS); the history says it happened."""

    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("console:dashboard")

    def form_valid(self, form):
        response = super().form_valid(form)
        roles.password_changed_record(user=self.request.user)
        messages.success(self.request, _("密码已修改。"))
        return response
