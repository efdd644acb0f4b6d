"""Forms for schemes: a draft's parameters, a range of months to simulate, an adoption.

The rules of what a scheme may hold are not repeated here: `SchemeForm.clean()` hands the
whole scheme to `appraisals.services.schemes.scheme_validate` (the pure module's rules) and
puts each problem on the field it names.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from appraisals.models import Item as ItemChoice
from appraisals.services.schemes import ITEM_FIELD_LABELS, PARAMETER_LABELS, SchemeError, problem_text, scheme_validate
from console.forms.appraisals import MonthField
from scoring import Scheme as SchemeData
from scoring.scheme import scheme_to_json

# The scalar parameters, in the order of SCORING.md, grouped as the form shows them.
PARAMETER_GROUPS = [
    (
        _("实绩口径（第 1 节）"),
        ["effective_threshold", "satisfaction_m", "satisfaction_prior", "satisfaction_good_rating"],
    ),
    (_("加减分与一票否决（第 2 节）"), ["praise_bonus", "bonus_cap", "complaint_deduction", "veto_major_complaints"]),
    (_("等次分数线（第 3 节）"), ["grade_excellent", "grade_good", "grade_pass"]),
    (_("排名与免考核（第 4 节）"), ["exempt_min_present", "probation_months"]),
    (
        _("末位预警（第 5 节）"),
        ["rolling_months", "min_group", "bottom_share_tenths", "absolute_floor", "median_factor", "case_consecutive"],
    ),
]
_INTEGERS = {
    "satisfaction_m",
    "satisfaction_good_rating",
    "exempt_min_present",
    "probation_months",
    "rolling_months",
    "min_group",
    "bottom_share_tenths",
    "case_consecutive",
    "veto_major_complaints",
}
# Which numbers each kind of item has (SCORING.md §2).
ITEM_FIELDS = {"ratio": ["weight", "target", "cap"], "band": ["weight", "floor", "span"], "score": ["weight", "cap"]}


def _number_field(label, *, integer: bool, required: bool = True):
    # The checks are the scheme module's, so a field only has to hold a number.
    if integer:
        return forms.IntegerField(label=label, required=required)
    return forms.DecimalField(label=label, required=required, max_digits=14, decimal_places=4)


class SchemeForm(forms.Form):
    """Every parameter of a draft; `parameters()` is what `scheme_draft_save` takes."""

    name = forms.CharField(label=_("名称"), max_length=100)
    note = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, scheme: SchemeData, **kwargs):
        self.scheme = scheme
        super().__init__(*args, **kwargs)
        self.item_rows = []
        for item in scheme.items:
            names = []
            for field in ITEM_FIELDS[item.method]:
                name = f"{item.code}_{field}"
                self.fields[name] = _number_field(
                    ITEM_FIELD_LABELS[field], integer=False, required=not (field == "target")
                )
                self.initial.setdefault(name, getattr(item, field))
                names.append(name)
            self.item_rows.append((ItemChoice(item.code).label, item.method, names))
        self.parameter_groups = []
        for title, names in PARAMETER_GROUPS:
            for name in names:
                self.fields[name] = _number_field(PARAMETER_LABELS[name], integer=name in _INTEGERS)
                self.initial.setdefault(name, getattr(scheme, name))
            self.parameter_groups.append((title, names))

    def item_fields(self):
        return [(label, method, [self[name] for name in names]) for label, method, names in self.item_rows]

    def groups(self):
        return [(title, [self[name] for name in names]) for title, names in self.parameter_groups]

    def parameters(self) -> dict:
        data = scheme_to_json(self.scheme)
        for item in data["items"]:
            for field in ITEM_FIELDS[item["method"]]:
                value = self.cleaned_data.get(f"{item['code']}_{field}")
                item[field] = None if value is None else str(value)
        for _title, names in PARAMETER_GROUPS:
            for name in names:
                data[name] = str(self.cleaned_data[name])
        return data

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            scheme_validate(self.parameters())
        except SchemeError as error:
            for problem in error.problems:
                parts = problem.field.split(".")
                field = f"{parts[1]}_{parts[2]}" if len(parts) == 3 else problem.field
                self.add_error(field if field in self.fields else None, problem_text(problem))
        return cleaned


class SimulateForm(forms.Form):
    first = MonthField(label=_("起始月份"))
    last = MonthField(label=_("截止月份"), required=False, help_text=_("留空则只模拟起始月份"))


class AdoptForm(forms.Form):
    from_month = MonthField(
        label=_("自哪个月起启用"), help_text=_("该月及以后的月份按此方案计算；已定稿的月份不能启用")
    )
    reason = forms.CharField(label=_("原因"), min_length=4, widget=forms.Textarea(attrs={"rows": 2}))


class SimulationFilterForm(forms.Form):
    """The person-by-person table's filters (GET)."""

    month = MonthField(label=_("月份"), required=False)
    peer_group = forms.CharField(label=_("考核组（分行代码）"), required=False)
    q = forms.CharField(label=_("员工编号或姓名"), required=False)
    changed = forms.BooleanField(label=_("只看等次或预警有变化的"), required=False)
