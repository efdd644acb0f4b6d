"""Schemes in the console: versions, drafts HR edits, what-if simulations and their comparison,
and adoption from a month onward (issue 13)."""

import json

import pandas as pd
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig

from appraisals import selectors
from appraisals.models import Grade, Period, Scheme, SchemeStatus, Simulation
from appraisals.services import schemes as services
from appraisals.services.simulations import (
    simulation_comparison,
    simulation_create,
    simulation_frame,
    simulation_rows_under,
)
from appraisals.tasks import job_start
from audit.selectors import history_for_object
from console.access import hr_only, hr_or_head
from console.forms.schemes import PARAMETER_GROUPS, AdoptForm, SchemeForm, SimulateForm, SimulationFilterForm
from console.tables.schemes import SchemeTable, SimulationExport, SimulationRowTable, SimulationTable
from core.errors import LobbyStarError
from reports.charts import grade_distribution_svg
from scoring.scheme import scheme_to_json
from staff.models import Branch

GRADE_LABELS = {grade.value: str(grade.label) for grade in Grade}


@hr_only
def scheme_list(request):
    table = SchemeTable(selectors.schemes_all())
    RequestConfig(request, paginate={"per_page": 50}).configure(table)
    return render(request, "console/schemes/list.html", {"table": table})


def _parameters(data) -> dict:
    shown = scheme_to_json(data)
    groups = [
        (title, [(services.PARAMETER_LABELS[name], shown[name]) for name in names]) for title, names in PARAMETER_GROUPS
    ]
    items = [{**item, "label": services.field_label(f"items.{item['code']}")} for item in shown["items"]]
    return {"items": items, "groups": groups}


@hr_only
def scheme_detail(request, pk):
    scheme = get_object_or_404(Scheme, pk=pk)
    data = selectors.scheme_data(scheme)
    simulations = SimulationTable(scheme.simulations.all())
    RequestConfig(request, paginate={"per_page": 20}).configure(simulations)
    context = {
        "scheme": scheme,
        "parameters": _parameters(data),
        "editable": scheme.status == SchemeStatus.DRAFT and not selectors.scheme_is_used(scheme),
        "used": selectors.scheme_is_used(scheme),
        "simulate_form": SimulateForm(),
        "adopt_form": AdoptForm(),
        "simulations": simulations,
        "adoptions": scheme.adoptions.select_related("created_by"),
        "history": history_for_object(scheme),
    }
    return render(request, "console/schemes/detail.html", context)


@require_POST
@hr_only
def scheme_copy(request, pk):
    source = get_object_or_404(Scheme, pk=pk)
    draft = services.scheme_draft_create(source=source, user=request.user)
    messages.success(request, _("已复制为草稿 %(scheme)s。") % {"scheme": draft.label})
    return redirect("console:scheme_edit", pk=draft.pk)


@hr_only
def scheme_edit(request, pk):
    scheme = get_object_or_404(Scheme, pk=pk)
    if scheme.status != SchemeStatus.DRAFT or selectors.scheme_is_used(scheme):
        messages.error(request, _("%(scheme)s 不是未使用的草稿，不能修改；请复制为新草稿。") % {"scheme": scheme.label})
        return redirect("console:scheme", pk=pk)
    form = SchemeForm(
        request.POST or None,
        scheme=selectors.scheme_data(scheme),
        initial={"name": scheme.name, "note": scheme.note},
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.scheme_draft_save(
                scheme=scheme,
                parameters=form.parameters(),
                name=form.cleaned_data["name"],
                note=form.cleaned_data["note"],
                user=request.user,
            )
            messages.success(request, _("草稿已保存。"))
            return redirect("console:scheme", pk=pk)
        except LobbyStarError as error:
            messages.error(request, str(error))
    return render(request, "console/schemes/edit.html", {"scheme": scheme, "form": form})


@hr_only
def scheme_download(request, pk):
    scheme = get_object_or_404(Scheme, pk=pk)
    body = json.dumps(services.scheme_export(scheme=scheme), ensure_ascii=False, indent=2) + "\n"
    response = HttpResponse(body.encode(), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{scheme.code}-v{scheme.version}.json"'
    return response


@require_POST
@hr_only
def scheme_simulate(request, pk):
    scheme = get_object_or_404(Scheme, pk=pk)
    form = SimulateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写要模拟的月份（YYYY-MM）。"))
        return redirect("console:scheme", pk=pk)
    first = form.cleaned_data["first"]
    simulation = simulation_create(
        scheme=scheme, first=first, last=form.cleaned_data["last"] or first, user=request.user
    )
    job = job_start(kind="simulate", month=simulation.first, user=request.user, simulation=simulation.pk)
    Simulation.objects.filter(pk=simulation.pk).update(job=job)
    messages.info(request, _("已开始模拟，完成后可查看对比结果。"))
    return redirect("console:job", pk=job.pk)


@require_POST
@hr_only
def scheme_adopt(request, pk):
    scheme = get_object_or_404(Scheme, pk=pk)
    form = AdoptForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("启用考核方案必须填写起始月份和原因（至少 4 个字）。"))
        return redirect("console:scheme", pk=pk)
    adoption = services.scheme_adopt(scheme=scheme, user=request.user, **form.cleaned_data)
    messages.success(
        request,
        _("%(scheme)s 自 %(month)s 起启用。") % {"scheme": scheme.label, "month": f"{adoption.from_month:%Y-%m}"},
    )
    later = services.months_to_recompute(from_month=adoption.from_month)
    if later:
        months = "、".join(f"{month:%Y-%m}" for month in later)
        messages.warning(request, _("已计算的月份（%(months)s）仍是原方案的结果，请重新计算。") % {"months": months})
    return redirect("console:scheme", pk=pk)


# ─── the comparison ─────────────────────────────────────────────────────────────────────


def _simulation_for_user(request, pk) -> tuple[Simulation, str | None]:
    """The simulation and the subtree the sign-in may see (None: all, for HR)."""
    simulation = get_object_or_404(Simulation.objects.select_related("scheme", "job"), pk=pk)
    if request.access.is_hr:
        return simulation, None
    branch = request.access.membership.branch if request.access.membership else None
    if branch is None:
        raise PermissionDenied
    return simulation, branch.path


def _filtered(frame: pd.DataFrame, form: SimulationFilterForm) -> pd.DataFrame:
    if not form.is_valid():
        return frame
    data = form.cleaned_data
    if data["month"]:
        frame = frame[frame["period"] == pd.Timestamp(data["month"])]
    if data["peer_group"]:
        frame = frame[frame["peer_group"] == data["peer_group"].strip()]
    if data["q"]:
        text = data["q"].strip()
        frame = frame[(frame["employee_no"] == text) | frame["name"].fillna("").str.contains(text, regex=False)]
    if data["changed"]:
        grade = frame["grade_before"].fillna("") != frame["grade_after"].fillna("")
        flag = frame["bottom_flag_before"].fillna(False) != frame["bottom_flag_after"].fillna(False)
        frame = frame[grade | flag]
    return frame


def _records(frame: pd.DataFrame) -> list[dict]:
    columns = list(SimulationRowTable.base_columns)
    rows = frame[columns].astype(object).where(frame[columns].notna(), None)
    return rows.to_dict("records")


def _charts(figures: dict, *, width: int = 320) -> tuple[str, str]:
    return (
        grade_distribution_svg(figures["grades_before"], labels=GRADE_LABELS, width=width, title=_("原方案")),
        grade_distribution_svg(figures["grades_after"], labels=GRADE_LABELS, width=width, title=_("新方案")),
    )


@hr_or_head
def simulation_detail(request, pk):
    simulation, subtree = _simulation_for_user(request, pk)
    frame = simulation_rows_under(simulation_frame(simulation), branch_path=subtree)
    form = SimulationFilterForm(request.GET or None)
    shown = _filtered(frame, form)
    if request.GET.get("export") == "xlsx":
        filename, content_type, body = SimulationExport(simulation=simulation, rows=_records(shown)).render("xlsx")
        response = HttpResponse(body, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    comparison = simulation_comparison(frame)
    names = dict(
        Branch.objects.filter(code__in=[row["code"] for row in comparison["range"]["branches"]]).values_list(
            "code", "name"
        )
    )
    for row in comparison["range"]["branches"]:
        row["name"] = names.get(row["code"], row["code"])
    for month in comparison["months"]:
        month["charts"] = _charts(month, width=260)
    # Only the page's rows become dicts: a year of a large bank is 240,000 rows.
    page = Paginator(range(len(shown)), 50).get_page(request.GET.get("page"))
    table = SimulationRowTable(_records(shown.iloc[page.start_index() - 1 : page.end_index()]) if len(shown) else [])
    used = Period.objects.filter(month=simulation.last).select_related("scheme").first()
    sentence = ""
    if used is not None and used.scheme is not None:
        sentence = services.scheme_change_sentence(
            base=selectors.scheme_data(used.scheme), scheme=selectors.scheme_data(simulation.scheme)
        )
    context = {
        "simulation": simulation,
        "base_scheme": used.scheme if used else None,
        "sentence": sentence,
        "comparison": comparison,
        "range_charts": _charts(comparison["range"]),
        "grade_labels": GRADE_LABELS,
        "filter_form": form,
        "table": table,
        "page": page,
        "query": request.GET.copy(),
        "subtree": subtree,
    }
    return render(request, "console/schemes/simulation.html", context)
