"""The console's facts: browsing records, importing files (dry run, then confirm), and adding or
correcting one record by hand with a reason."""

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django_tables2 import RequestConfig

from audit.selectors import history_for_object
from console.access import anyone, hr_only
from console.filters.records import RECORD_FILTERS, ImportBatchFilter
from console.forms.records import ImportUploadForm, record_form_class
from console.tables.records import RECORD_TABLES, ImportBatchTable
from core.errors import LobbyStarError
from metrics import services
from metrics.models import RECORD_MODELS, ImportBatch
from metrics.selectors import records_for_user
from staff.selectors import branches_for_user

RECORD_LABELS = {kind: model._meta.verbose_name for kind, model in RECORD_MODELS.items()}


@anyone
def record_list(request, kind):
    query = records_for_user(user=request.user, kind=kind)
    filterset = RECORD_FILTERS[kind](request.GET, queryset=query, branches=branches_for_user(user=request.user))
    table = RECORD_TABLES[kind](filterset.qs, kind=kind, can_edit=request.access.can_manage)
    RequestConfig(request, paginate={"per_page": 50}).configure(table)
    context = {"kind": kind, "kinds": RECORD_LABELS, "filter": filterset, "table": table}
    return render(request, "console/records/list.html", context)


@hr_only
def record_edit(request, kind, pk=None):
    query = records_for_user(user=request.user, kind=kind)
    record = get_object_or_404(query, pk=pk) if pk else None
    form = record_form_class(kind)(request.POST or None, instance=record)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_save(
                kind=kind,
                record=record,
                values=form.service_values(),
                reason=form.cleaned_data["reason"],
                user=request.user,
            )
            messages.success(request, _("记录已保存，原因已记入历史。"))
            return redirect("console:records", kind=kind)
        except (LobbyStarError, ValidationError) as error:
            messages.error(request, " ".join(getattr(error, "messages", [str(error)])))
    elif request.method == "POST":
        messages.error(request, _("未保存：请更正下面标出的错误。"))
    context = {
        "kind": kind,
        "label": RECORD_LABELS[kind],
        "form": form,
        "record": record,
        "history": history_for_object(record) if record else [],
    }
    return render(request, "console/records/edit.html", context)


# ─── imports ────────────────────────────────────────────────────────────────────────────


@hr_only
def import_list(request):
    kinds = services.import_kinds()
    form = ImportUploadForm(request.POST or None, request.FILES or None, kinds=kinds)
    if request.method == "POST" and form.is_valid():
        stored = services.import_upload_store(uploaded=form.cleaned_data["file"])
        data = form.cleaned_data
        pending = {
            "kind": data["kind"],
            "stored": stored,
            "filename": data["file"].name,
            "update": data["update"],
        }
        result = services.import_check(user=request.user, **pending)
        token = uuid.uuid4().hex
        request.session.setdefault("imports", {})[token] = {**pending, "batch": result.batch_id}
        request.session.modified = True
        return redirect("console:import_check", token=token)
    filterset = ImportBatchFilter(request.GET, queryset=ImportBatch.objects.select_related("user"))
    table = ImportBatchTable(filterset.qs)
    RequestConfig(request, paginate={"per_page": 25}).configure(table)
    context = {"form": form, "filter": filterset, "table": table}
    return render(request, "console/imports/list.html", context)


@hr_only
def import_check(request, token):
    pending = request.session.get("imports", {}).get(token)
    if pending is None:
        messages.warning(request, _("这次上传已确认或已过期，请重新上传文件。"))
        return redirect("console:imports")
    batch = get_object_or_404(ImportBatch, pk=pending["batch"])
    if request.method == "POST" and not batch.errors:
        try:
            result = services.import_confirm(
                user=request.user, **{k: pending[k] for k in ("kind", "stored", "filename", "update")}
            )
        except LobbyStarError as error:
            messages.error(request, str(error))
            return redirect("console:imports")
        request.session["imports"].pop(token, None)
        request.session.modified = True
        if result.ok:
            messages.success(request, _("导入完成：%(summary)s。") % {"summary": result.summary})
        else:
            messages.error(
                request,
                _("导入被拒绝：文件在检查后发生了变化，共 %(n)d 处错误。") % {"n": len(result.errors)},
            )
        return redirect("console:imports")
    form = ImportUploadForm(initial={"kind": pending["kind"]}, kinds=services.import_kinds())
    return render(
        request,
        "console/imports/check.html",
        {"batch": batch, "pending": pending, "token": token, "form": form},
    )
