"""The console's facts: browsing records, importing files (dry run, then confirm), and adding or
correcting one record by hand with a reason."""

import uuid

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tables2 import RequestConfig

from appraisals.models import Job
from appraisals.tasks import job_start
from audit.selectors import history_for_object
from console.access import anyone, hr_only
from console.downloads import download_response, filter_data
from console.filters.records import RECORD_FILTERS, ImportBatchFilter
from console.forms.records import ImportUploadForm, record_form_class
from console.tables.records import RECORD_TABLES, ImportBatchTable
from core.errors import LobbyStarError
from core.imports.files import max_bytes, too_large_error
from metrics import services
from metrics.models import RECORD_MODELS, ImportBatch
from metrics.selectors import records_for_user
from reports import lists
from staff.selectors import branches_for_user

RECORD_LABELS = {kind: model._meta.verbose_name for kind, model in RECORD_MODELS.items()}


@anyone
def record_list(request, kind):
    query = records_for_user(user=request.user, kind=kind)
    data = filter_data(request)
    filterset = RECORD_FILTERS[kind](data, queryset=query, branches=branches_for_user(user=request.user))
    download = download_response(
        request, lambda: lists.records_download(filterset.qs, kind=kind, title=RECORD_LABELS[kind])
    )
    if download is not None:
        return download
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


def _start_check(request, data) -> str:
    """Stores the upload (encrypted) and checks it: in the request when it is small, in a
    background job when it is large. Returns the token of the pending check."""
    uploaded = data["file"]
    stored = services.import_upload_store(uploaded=uploaded)
    pending = {"kind": data["kind"], "stored": stored, "filename": uploaded.name, "update": data["update"]}
    if uploaded.size > settings.IMPORT_BACKGROUND_MB * 1024 * 1024:
        job = job_start(
            kind="import_check",
            month=timezone.localdate().replace(day=1),
            user=request.user,
            import_kind=pending["kind"],
            stored=stored,
            filename=pending["filename"],
            update=pending["update"],
        )
        pending["job"] = job.pk
    else:
        pending["batch"] = services.import_check(user=request.user, **pending).batch_id
    token = uuid.uuid4().hex
    request.session.setdefault("imports", {})[token] = pending
    request.session.modified = True
    return token


@hr_only
def import_list(request):
    if request.method == "POST" and int(request.META.get("CONTENT_LENGTH") or 0) > max_bytes() + 1024 * 1024:
        # Refused before Django reads the body into a temporary file.
        messages.error(request, too_large_error().errors[0].message)
        return redirect("console:imports")
    kinds = services.import_kinds()
    form = ImportUploadForm(request.POST or None, request.FILES or None, kinds=kinds)
    if request.method == "POST" and form.is_valid():
        return redirect("console:import_check", token=_start_check(request, form.cleaned_data))
    filterset = ImportBatchFilter(request.GET, queryset=ImportBatch.objects.select_related("user"))
    table = ImportBatchTable(filterset.qs)
    RequestConfig(request, paginate={"per_page": 25}).configure(table)
    context = {"form": form, "filter": filterset, "table": table}
    return render(request, "console/imports/list.html", context)


def _pending_batch(request, token, pending):
    """The batch of a pending check, or None while its background job runs."""
    if "batch" not in pending:
        job = get_object_or_404(Job, pk=pending["job"], kind="import_check")
        if job.state == Job.State.FAILED:
            raise LobbyStarError(_("检查文件时出错：%(message)s") % {"message": job.message})
        if "batch" not in job.params:
            return None
        pending["batch"] = job.params["batch"]
        request.session.modified = True
    return get_object_or_404(ImportBatch, pk=pending["batch"])


@hr_only
def import_check(request, token):
    pending = request.session.get("imports", {}).get(token)
    if pending is None:
        messages.warning(request, _("这次上传已确认或已过期，请重新上传文件。"))
        return redirect("console:imports")
    try:
        batch = _pending_batch(request, token, pending)
    except LobbyStarError as error:
        request.session["imports"].pop(token, None)
        request.session.modified = True
        messages.error(request, str(error))
        return redirect("console:imports")
    if batch is None:
        job = Job.objects.get(pk=pending["job"])
        return render(request, "console/imports/checking.html", {"job": job, "pending": pending})
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
            messages.success(request, result.summary)
        else:
            messages.error(
                request,
                _("导入被拒绝：文件在检查后发生了变化，共 %(n)d 处错误。") % {"n": result.error_count},
            )
        return redirect("console:imports")
    form = ImportUploadForm(initial={"kind": pending["kind"]}, kinds=services.import_kinds())
    return render(
        request,
        "console/imports/check.html",
        {"batch": batch, "pending": pending, "token": token, "form": form},
    )
