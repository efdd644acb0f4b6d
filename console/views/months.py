"""A month's workflow: compute (as a background job), branch sign-offs, review, finalize, reopen,
void. A step that cannot be taken now shows as disabled, with why beside it."""

from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig

from appraisals.models import Job, Period
from appraisals.selectors import (
    compute_blocker,
    finalize_blocker,
    periods_recent,
    review_blocker,
    signoff_state,
    signoff_state_for_user,
    void_blocker,
)
from appraisals.services.jobs import jobs_expire_stale
from appraisals.services.periods import PeriodError, period_finalize, period_reopen, period_review, period_void
from appraisals.services.signoffs import branch_signoff
from appraisals.tasks import job_start
from audit.models import Change
from console.access import hr_only, hr_or_head, month_from_url, period_from_url
from console.forms.appraisals import ConfirmForm, MonthField, ReasonForm, SignoffForm
from console.tables.appraisals import PeriodTable


@hr_or_head
def month_list(request):
    table = PeriodTable(periods_recent())
    RequestConfig(request, paginate={"per_page": 24}).configure(table)
    return render(request, "console/months/list.html", {"table": table})


@hr_or_head
def month_detail(request, month):
    day = month_from_url(month)
    period = Period.objects.filter(month=day).first()
    if period is None and not request.access.is_hr:
        return render(request, "console/months/detail.html", {"month": day, "period": None})
    context = {
        "month": day,
        "period": period,
        "label": f"{day:%Y-%m}",
        "compute_blocked": compute_blocker(month=day, status=period.status if period else None),
    }
    if period is not None:
        context.update(
            signoff=signoff_state_for_user(period=period, user=request.user),
            jobs=Job.objects.filter(kind="compute", params__month=day.isoformat())[:5],
            changes=Change.objects.filter(source=f"recompute {period.label}").select_related("user")[:50],
            finalize_form=ConfirmForm(),
            reopen_form=ReasonForm(),
            # Prefixed: three reason fields may share the page, each with its own id.
            review_form=ReasonForm(prefix="review"),
            void_form=ReasonForm(prefix="void"),
            signoff_form=SignoffForm(),
        )
        if request.access.is_hr:
            missing = len(signoff_state(period=period)["missing"]) if period.status == "computed" else 0
            context.update(
                review_blocked=review_blocker(period=period, missing=missing),
                finalize_blocked=finalize_blocker(period=period, user=request.user),
                void_blocked=void_blocker(period=period),
            )
        if request.access.can_sign_off:
            context["my_signoff"] = period.signoffs.filter(branch=request.access.membership.branch).first()
    return render(request, "console/months/detail.html", context)


@require_POST
@hr_only
def month_compute(request, month=None):
    text = month or request.POST.get("month", "")
    try:
        day = MonthField().clean(text)
    except ValidationError:
        messages.error(request, _("月份格式应为 YYYY-MM，例如 2026-10。"))
        return redirect("console:months")
    period = Period.objects.filter(month=day).first()
    refusal = compute_blocker(month=day, status=period.status if period else None)
    if refusal:  # refused here, so no job is queued only to fail
        raise PeriodError(refusal)
    job = job_start(kind="compute", month=day, user=request.user)
    messages.info(request, _("已开始计算 %(month)s。") % {"month": f"{day:%Y-%m}"})
    return redirect("console:job", pk=job.pk)


@require_POST
@hr_only
def month_writeups(request, month):
    period = period_from_url(month)
    job = job_start(kind="writeups", month=period.month, user=request.user)
    messages.info(request, _("已开始生成 %(month)s 的评语草稿。") % {"month": period.label})
    return redirect("console:job", pk=job.pk)


@require_POST
@hr_only
def month_pdf_zip(request, month):
    period = period_from_url(month)
    language = "en" if (translation.get_language() or "").startswith("en") else "zh-hans"
    job = job_start(kind="pdf_zip", month=period.month, user=request.user, language=language)
    messages.info(request, _("已开始在后台打包 %(month)s 的全部 PDF。") % {"month": period.label})
    return redirect("console:job", pk=job.pk)


@hr_only
def job_download(request, pk):
    job = get_object_or_404(Job, pk=pk, state=Job.State.DONE)
    if not job.result_file:
        raise Http404
    path = Path(settings.MEDIA_ROOT) / job.result_file
    return FileResponse(path.open("rb"), as_attachment=True, filename=path.name)


@hr_only
def job_detail(request, pk):
    jobs_expire_stale(job_ids=[pk])  # a job whose worker vanished is shown as failed, not queued forever
    job = get_object_or_404(Job, pk=pk)
    if request.GET.get("format") == "json":
        return JsonResponse(
            {
                "state": job.state,
                "state_label": job.get_state_display(),
                "done": job.done,
                "total": job.total,
                "percent": job.percent,
                "message": job.message,
            }
        )
    return render(request, "console/months/job.html", {"job": job, "month": job.params.get("month", "")[:7]})


@require_POST
@hr_or_head
def month_signoff(request, month):
    period = period_from_url(month)
    form = SignoffForm(request.POST)
    if not request.access.can_sign_off:
        messages.error(request, _("只有机构负责人可以签核本机构的考核结果。"))
    elif form.is_valid():
        branch = request.access.membership.branch
        branch_signoff(period=period, branch=branch, user=request.user, **form.cleaned_data)
        messages.success(request, _("已签核 %(branch)s 的考核结果。") % {"branch": branch.name})
    return redirect("console:month", month=month)


@require_POST
@hr_only
def month_review(request, month):
    """Publishes the month; with sign-offs missing, only with the written reason of the form."""
    period = period_from_url(month)
    reason = request.POST.get("review-reason", "")
    period_review(month=period.month, user=request.user, without_signoffs=bool(reason.strip()), reason=reason)
    messages.success(request, _("%(month)s 已标记为已复核。") % {"month": month})
    return redirect("console:month", month=month)


@require_POST
@hr_only
def month_finalize(request, month):
    period = period_from_url(month)
    form = ConfirmForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("定稿前请勾选确认。定稿后该月数据将被锁定。"))
        return redirect("console:month", month=month)
    period_finalize(month=period.month, user=request.user)
    messages.success(request, _("%(month)s 已定稿，该月数据已锁定。") % {"month": month})
    return redirect("console:month", month=month)


@require_POST
@hr_only
def month_reopen(request, month):
    period = period_from_url(month)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("重开已定稿月份必须填写原因（至少 4 个字）。"))
        return redirect("console:month", month=month)
    period_reopen(month=period.month, reason=form.cleaned_data["reason"], user=request.user)
    messages.success(request, _("%(month)s 已重开，更正数据后请重新计算。") % {"month": month})
    return redirect("console:month", month=month)


@require_POST
@hr_only
def month_void(request, month):
    period = period_from_url(month)
    form = ReasonForm(request.POST, prefix="void")
    if not form.is_valid():
        messages.error(request, _("作废考核结果必须填写原因（至少 4 个字）。"))
        return redirect("console:month", month=month)
    result = period_void(month=period.month, reason=form.cleaned_data["reason"], user=request.user)
    messages.success(
        request,
        _("%(month)s 的考核结果已作废：删除考核表 %(count)d 张，撤销改进程序 %(cases)d 个。该月可重新计算。")
        % {"month": month, "count": result.scorecards, "cases": len(result.cases_withdrawn)},
    )
    return redirect("console:month", month=month)
