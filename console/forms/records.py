"""Console forms for the facts: uploading an import, and one record by hand."""

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.imports.files import max_bytes, too_large_error
from metrics.models import RECORD_MODELS
from staff.models import Staff


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(label=_("数据类型"), choices=())
    file = forms.FileField(label=_("文件"), help_text=_("CSV（UTF-8 或 GB18030）或 XLSX，第一行为表头"))
    update = forms.BooleanField(
        label=_("允许更新已有记录"), required=False, help_text=_("流水号相同但内容不同的行将被更新并记入历史")
    )

    def __init__(self, *args, kinds=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = list(kinds)

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        if not uploaded.name.lower().endswith((".csv", ".xlsx", ".txt")):
            raise forms.ValidationError(_("只接受 CSV 或 XLSX 文件。"))
        if uploaded.size > max_bytes():
            raise forms.ValidationError(too_large_error().errors[0].message)
        return uploaded


# The fields a person may set by hand, per kind; `staff` is given as an employee number.
RECORD_FIELDS = {
    "accounts": ["date", "account_type", "avg_assets"],
    "deposits": ["date", "amount", "product"],
    "ebanking": ["date", "product", "activated"],
    "feedback": ["date", "channel", "kind", "rating", "score", "upheld", "severity", "text"],
}


def record_form_class(kind: str) -> type[forms.ModelForm]:
    """A form for one kind of record: its own fields, plus employee number, customer and reason."""
    model = RECORD_MODELS[kind]
    has_customer = hasattr(model, "customer_hash")

    class RecordForm(forms.ModelForm):
        employee_no = forms.CharField(label=_("员工编号"), max_length=32)
        reason = forms.CharField(
            label=_("原因"),
            min_length=4,
            widget=forms.Textarea(attrs={"rows": 2}),
            help_text=_("将记入变更历史"),
        )
        if has_customer:
            customer_ref = forms.CharField(
                label=_("客户号"),
                max_length=64,
                required=False,
                help_text=_("只保存密文；更正时留空表示不变"),
            )

        class Meta:
            fields = ["ref", *RECORD_FIELDS[kind]]
            widgets = {"date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}  # ISO, whatever the language

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            if self.instance.pk:
                self.fields["ref"].disabled = True
                self.fields["employee_no"].initial = self.instance.staff.employee_no
            elif has_customer:
                self.fields["customer_ref"].required = True

        def clean_employee_no(self):
            number = self.cleaned_data["employee_no"].strip()
            staff = Staff.objects.filter(employee_no=number).first()
            if staff is None:
                raise forms.ValidationError(_("找不到员工编号 %(no)s。") % {"no": number})
            return staff

        def clean_date(self):
            day = self.cleaned_data["date"]
            if day > timezone.localdate():
                raise forms.ValidationError(_("记录日期不能晚于今天。"))
            return day

        def service_values(self) -> dict:
            data = dict(self.cleaned_data)
            data.pop("reason")
            data["staff"] = data.pop("employee_no")
            if self.instance.pk:
                data.pop("ref", None)
            if not data.get("customer_ref"):
                data.pop("customer_ref", None)
            return data

    return forms.modelform_factory(model, form=RecordForm, fields=["ref", *RECORD_FIELDS[kind]])
