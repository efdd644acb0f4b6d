"""HR's forms for sign-ins: the scope a role needs, and passwords checked by Django's validators."""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import password_validators_help_text_html, validate_password
from django.utils.translation import gettext_lazy as _

from staff.models import Branch, Role, Staff


class ScopeForm(forms.Form):
    role = forms.ChoiceField(label=_("角色"), choices=Role.choices)
    branch_code = forms.CharField(
        label=_("机构号"), required=False, max_length=32, help_text=_("机构负责人填写：可查看该机构及其下级")
    )
    employee_no = forms.CharField(
        label=_("员工编号"), required=False, max_length=32, help_text=_("大堂经理填写：只能查看本人")
    )

    def clean(self):
        data = super().clean()
        role = data.get("role")
        # Only the scope the role uses goes to the service; the other field is ignored.
        code, number = (data.get("branch_code") or "").strip(), (data.get("employee_no") or "").strip()
        if role != Role.BRANCH_HEAD:
            data["branch_code"] = None
        elif not code:
            self.add_error("branch_code", _("机构负责人需要填写机构号。"))
        elif not Branch.objects.filter(code=code).exists():
            self.add_error("branch_code", _("没有机构号为 %(code)s 的机构。") % {"code": code})
        if role != Role.LOBBY_MANAGER:
            data["employee_no"] = None
        elif not number:
            self.add_error("employee_no", _("大堂经理需要填写员工编号。"))
        elif not Staff.objects.filter(employee_no=number).exists():
            self.add_error("employee_no", _("没有员工编号为 %(number)s 的员工。") % {"number": number})
        return data


class PasswordPairForm(forms.Form):
    """A new password typed twice, checked against AUTH_PASSWORD_VALIDATORS for `username`."""

    password1 = forms.CharField(
        label=_("初始密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=password_validators_help_text_html,
    )
    password2 = forms.CharField(
        label=_("再次输入密码"), strip=False, widget=forms.PasswordInput(attrs={"autocomplete": "new-password"})
    )

    def username_for_validation(self) -> str:
        return self.user.username if getattr(self, "user", None) else ""

    def clean(self):
        data = super().clean()
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("两次输入的密码不一致。"))
        elif first:
            probe = getattr(self, "user", None) or get_user_model()(username=self.username_for_validation())
            try:
                validate_password(first, probe)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class SigninCreateForm(ScopeForm, PasswordPairForm):
    username = forms.CharField(label=_("用户名"), max_length=150)

    field_order = ["username", "role", "branch_code", "employee_no", "password1", "password2"]

    def username_for_validation(self) -> str:
        return (self.data.get("username") or "").strip()


class PasswordResetForm(PasswordPairForm):
    def __init__(self, *args, user, **kwargs):
        self.user = user
        super().__init__(*args, **kwargs)
        self.fields["password1"].label = _("新密码")
