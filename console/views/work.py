"""Improvement cases, targets, write-ups, display screens and the history of changes."""

from pathlib import PurePath

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig

from appraisals.models import CaseStatus, Screen, Target
from appraisals.selectors import cases_for_user, writeups_for_user
from appraisals.services import writeups
from appraisals.services.cases import case_advance, case_close, case_note, evidence_content_type
from appraisals.services.targets import target_save
from audit.models import Change
from audit.selectors import history_for_object
from console.access import anyone, hr_only, month_from_url
from console.downloads import download_response, filter_data
from console.filters.appraisals import CaseFilter, ChangeFilter, WriteUpFilter
from console.forms.appraisals import (
    CaseAdvanceForm,
    CaseCloseForm,
    CaseNoteForm,
    ScreenForm,
    TargetForm,
    WriteUpForm,
)
from console.tables.appraisals import CaseTable, ChangeTable, ScreenTable, TargetTable, WriteUpTable
from core.errors import LobbyStarError
from core.months import month_label
from reports import lists
from screens import services as screens
from screens.selectors import screen_url
from staff.selectors import branches_for_user

# ─── improvement cases (HR only: only HR moves a stage) ─────────────────────────────────


@hr_only
def case_list(request):
    data = filter_data(request) or {"status": CaseStatus.OPEN}
    filterset = CaseFilter(data, queryset=cases_for_user(user=request.user))
    download = download_response(request, lambda: lists.cases_download(filterset.qs))
    if download is not None:
        return download
    table = CaseTable(filterset.qs)
    RequestConfig(request, paginate={"per_page": 50}).configure(table)
    return render(request, "console/cases/list.html", {"filter": filterset, "table": table})


@hr_only
def case_detail(request, pk):
    case = get_object_or_404(cases_for_user(user=request.user), pk=pk)
    context = {
        "case": case,
        "events": case.events.select_related("user"),
        "next_stage": case.stage + 1 if case.stage < 3 and case.status == CaseStatus.OPEN else None,
        "advance_form": CaseAdvanceForm(),
        "note_form": CaseNoteForm(),
        "close_form": CaseCloseForm(),
    }
    return render(request, "console/cases/detail.html", context)


def _case_action(request, pk, form_class, act, done):
    case = get_object_or_404(cases_for_user(user=request.user), pk=pk)
    form = form_class(request.POST, request.FILES)
    if form.is_valid():
        try:
            act(case, form.cleaned_data)
            messages.success(request, done)
        except LobbyStarError as error:
            messages.error(request, str(error))
    else:
        messages.error(request, _("请填写说明。"))
    return redirect("console:case", pk=pk)


@anyone
def case_evidence(request, pk, event_pk):
    """One piece of evidence, always as a download. Who may: HR; the branch head whose subtree the
    person works in, who runs the retraining of stage 2 (SCORING.md §5); and the person themself,
    whom the evidence concerns. Nobody else, and never through /media/ (cases_for_user, else 404)."""
    case = get_object_or_404(cases_for_user(user=request.user), pk=pk)
    event = get_object_or_404(case.events.exclude(evidence=""), pk=event_pk)
    name = PurePath(event.evidence.name).name
    response = FileResponse(
        event.evidence.open("rb"), as_attachment=True, filename=name, content_type=evidence_content_type(name)
    )
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@hr_only
def case_advance_view(request, pk):
    def act(case, data):
        case_advance(case=case, stage=case.stage + 1, note=data["note"], evidence=data["evidence"], user=request.user)

    return _case_action(request, pk, CaseAdvanceForm, act, _("已进入下一阶段。"))


@require_POST
@hr_only
def case_note_view(request, pk):
    def act(case, data):
        case_note(case=case, note=data["note"], evidence=data["evidence"], user=request.user)

    return _case_action(request, pk, CaseNoteForm, act, _("记录已保存。"))


@require_POST
@hr_only
def case_close_view(request, pk):
    def act(case, data):
        case_close(case=case, note=data["note"], user=request.user)

    return _case_action(request, pk, CaseCloseForm, act, _("改进程序已结案。"))


# ─── targets ────────────────────────────────────────────────────────────────────────────


@hr_only
def target_list(request):
    query = Target.objects.select_related("branch", "staff")
    month = request.GET.get("month")
    if month:
        query = query.filter(month=month_from_url(month))
    table = TargetTable(query)
    RequestConfig(request, paginate={"per_page": 50}).configure(table)
    return render(request, "console/targets/list.html", {"table": table, "month": month or ""})


@hr_only
def target_edit(request, pk=None):
    target = get_object_or_404(Target.objects.select_related("branch", "staff"), pk=pk) if pk else None
    initial = {}
    if target is not None:
        scope = target.branch.code if target.branch_id else target.staff.employee_no if target.staff_id else "bank"
        initial = {
            "month": f"{target.month:%Y-%m}",
            "scope": scope,
            "item": target.item,
            "target": target.target,
        }
    form = TargetForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = target_save(user=request.user, **form.service_kwargs())
            messages.success(request, _("目标已保存。"))
            return redirect(f"{reverse('console:targets')}?month={saved.month:%Y-%m}")
        except LobbyStarError as error:
            messages.error(request, str(error))
    history = history_for_object(target) if target else []
    return render(request, "console/targets/edit.html", {"form": form, "target": target, "history": history})


# ─── write-ups ──────────────────────────────────────────────────────────────────────────


@anyone
def writeup_list(request):
    filterset = WriteUpFilter(filter_data(request), queryset=writeups_for_user(user=request.user))
    download = download_response(request, lambda: lists.writeups_download(filterset.qs))
    if download is not None:
        return download
    table = WriteUpTable(filterset.qs, selectable=request.access.is_hr)
    RequestConfig(request, paginate={"per_page": 50}).configure(table)
    context = {"filter": filterset, "table": table}
    return render(request, "console/writeups/list.html", context)


@require_POST
@hr_only
def writeups_approve_view(request):
    """Approves the write-ups ticked on the list; names those that could not be approved."""
    ids = [int(value) for value in request.POST.getlist("ids") if value.isdigit() and len(value) < 10]
    chosen = list(writeups_for_user(user=request.user).filter(pk__in=ids).order_by("staff__employee_no", "period"))
    back = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}) or not back.startswith("/"):
        back = reverse("console:writeups")
    if not chosen:
        messages.error(request, _("请先勾选要审定的评语。"))
        return redirect(back)
    approved, refused = writeups.writeups_approve(writeups=chosen, user=request.user)
    if approved:
        messages.success(request, _("已审定 %(count)d 条评语。") % {"count": len(approved)})
    if refused:
        names = "、".join(f"{item.staff.name}（{month_label(item.period.month)}）" for item in refused)
        messages.error(request, _("以下评语已审定过或刚被他人修改，未再审定：%(names)s") % {"names": names})
    return redirect(back)


@anyone
def writeup_detail(request, pk):
    writeup = get_object_or_404(writeups_for_user(user=request.user), pk=pk)
    form = WriteUpForm(request.POST or None, initial={"text_zh": writeup.text_zh, "text_en": writeup.text_en})
    if request.method == "POST":
        if not request.access.is_hr:
            raise PermissionDenied
        if form.is_valid():
            try:
                writeups.writeup_edit(writeup=writeup, user=request.user, **form.cleaned_data)
                messages.success(request, _("评语已保存。"))
                return redirect("console:writeup", pk=pk)
            except LobbyStarError as error:
                messages.error(request, str(error))
    context = {
        "writeup": writeup,
        "form": form,
        "history": history_for_object(writeup),
    }
    return render(request, "console/writeups/detail.html", context)


@require_POST
@hr_only
def writeup_approve(request, pk):
    writeup = get_object_or_404(writeups_for_user(user=request.user), pk=pk)
    try:
        writeups.writeup_approve(writeup=writeup, user=request.user)
        messages.success(request, _("评语已审定。"))
    except LobbyStarError as error:
        messages.error(request, str(error))
    return redirect("console:writeup", pk=pk)


# ─── display screens ────────────────────────────────────────────────────────────────────


@hr_only
def screen_list(request):
    form = ScreenForm(request.POST or None, branches=branches_for_user(user=request.user))
    new_url = None
    if request.method == "POST":
        if form.is_valid():
            try:
                screen, token = screens.screen_create(user=request.user, **form.cleaned_data)
                new_url = screen_url(token)
                messages.success(
                    request, _("大屏“%(name)s”已创建。网址只显示这一次，请立即复制。") % {"name": screen.name}
                )
                form = ScreenForm(branches=branches_for_user(user=request.user))
            except LobbyStarError as error:
                messages.error(request, str(error))
    table = ScreenTable(Screen.objects.select_related("branch"))
    RequestConfig(request, paginate={"per_page": 50}).configure(table)
    context = {"table": table, "form": form, "new_url": new_url}
    return render(request, "console/screens/list.html", context)


@require_POST
@hr_only
def screen_revoke(request, pk):
    screen = get_object_or_404(Screen, pk=pk)
    try:
        screens.screen_revoke(screen=screen, user=request.user)
        messages.success(request, _("大屏“%(name)s”已停用，原网址立即失效。") % {"name": screen.name})
    except LobbyStarError as error:
        messages.error(request, str(error))
    return redirect("console:screens")


# ─── history ────────────────────────────────────────────────────────────────────────────


@hr_only
def history(request):
    filterset = ChangeFilter(filter_data(request), queryset=Change.objects.select_related("user", "content_type"))
    download = download_response(request, lambda: lists.changes_download(filterset.qs))
    if download is not None:
        return download
    table = ChangeTable(filterset.qs)
    RequestConfig(request, paginate={"per_page": 50}).configure(table)
    return render(request, "console/history.html", {"filter": filterset, "table": table})
