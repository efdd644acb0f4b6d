"""Scorecards: the month's table with filters and exports, one scorecard, and self-service
(a lobby manager acknowledges or appeals their own)."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_tables2 import RequestConfig

from appraisals.models import Acknowledgement, AppealStatus
from appraisals.selectors import (
    appeals_for_user,
    period_version,
    periods_recent,
    scheme_data,
    scorecards_for_user,
    scorecards_with_review,
)
from appraisals.services import appeals
from console.access import anyone, hr_only, hr_or_head, period_from_url, scorecard_for_user
from console.downloads import download_response, filter_data
from console.filters.appraisals import AppealFilter, ScorecardFilter
from console.forms.appraisals import AppealForm, AppealResolveForm
from console.tables.appraisals import AppealTable, ScorecardTable, StaffScorecardTable
from core.cache import version_cached
from core.months import month_add
from reports import lists, pdf
from reports.charts import TREND_MONTHS, completion_chart, score_trend_chart, scorecard_trend_chart
from reports.scorecards import CHART_LABELS, item_rows
from staff.selectors import branches_for_user, scope_key


def _filtered(request, period):
    query = scorecards_with_review(scorecards_for_user(user=request.user, period=period))
    query = query.select_related("staff", "branch", "peer_group", "period")
    chosen = request.GET.get("branch", "")
    branches = branches_for_user(
        user=request.user, including=int(chosen) if chosen.isdigit() and len(chosen) < 10 else None
    )
    return ScorecardFilter(filter_data(request), queryset=query, branches=branches)


@anyone
def scorecard_list(request, month):
    period = period_from_url(month)
    if request.access.is_lobby_manager:
        return redirect("console:scorecard", month=month, employee_no=request.access.staff.employee_no)
    filterset = _filtered(request, period)
    # Exactly what is shown: the same scoped, filtered rows (all pages), in the export's order.
    download = download_response(request, lambda: lists.scorecards_download(filterset.qs, period=period))
    if download is not None:
        return download
    table = ScorecardTable(filterset.qs.only(*ScorecardTable.FIELDS))
    paginate = {"per_page": 50, "paginator_class": CountedPaginator, "count": _count(request, period, filterset)}
    RequestConfig(request, paginate=paginate).configure(table)
    return render(request, "console/scorecards/list.html", {"period": period, "filter": filterset, "table": table})


# Filters on what only computing the month writes (the scorecard's own columns, its branch path):
# the number of rows they keep is counted once per computation of the month (core.cache). A name
# (staff can be renamed) or "under review" (appeals open and close) is counted every time.
_MONTH_CONSTANT_FILTERS = {"branch", "grade", "flag"}


def _count(request, period, filterset) -> int | None:
    if not filterset.is_valid():
        return None
    chosen = {name: value for name, value in filterset.form.cleaned_data.items() if value not in (None, "")}
    if set(chosen) - _MONTH_CONSTANT_FILTERS or chosen.get("flag") == "under_review":
        return None
    key = sorted((name, getattr(value, "path", value)) for name, value in chosen.items())
    return version_cached(period_version(period), "scorecards_count", filterset.qs.count, scope_key(request.user), key)


class CountedPaginator(Paginator):
    """A Paginator told the number of rows when it is already known, instead of counting them."""

    def __init__(self, object_list, per_page, *args, count: int | None = None, **kwargs):
        super().__init__(object_list, per_page, *args, **kwargs)
        if count is not None:
            self.__dict__["count"] = count  # Paginator.count is a cached_property


def _methods(card) -> dict[str, str]:
    """How the card's scheme scores each item (ratio, band, score)."""
    return {item.code: item.method for item in scheme_data(card.scheme).items} if card.scheme_id else {}


def _is_self(access, card) -> bool:
    return access.staff is not None and access.staff.pk == card.staff_id


@anyone
def scorecard_detail(request, month, employee_no):
    card, access = scorecard_for_user(request, month, employee_no)
    card_appeals = appeals_for_user(user=request.user).filter(period=card.period, staff=card.staff)
    context = {
        "card": card,
        "items": item_rows(card.items, _methods(card)),
        "period": card.period,
        "is_self": _is_self(access, card),
        "acknowledgement": Acknowledgement.objects.filter(period=card.period, staff=card.staff).first(),
        "appeals": card_appeals,
        "open_appeal": next((a for a in card_appeals if a.status == AppealStatus.OPEN), None),
        "appeal_form": AppealForm(),
        "trend_chart": scorecard_trend_chart(_scores_to(request.user, card), month=card.period.month),
        "completion_chart": completion_chart(card.items, labels=CHART_LABELS),
    }
    return render(request, "console/scorecards/detail.html", context)


def _scores_to(user, card) -> dict:
    """The person's scores of the 12 months up to the card's, as far as the sign-in may see them."""
    first = month_add(card.period.month, -(TREND_MONTHS - 1))
    rows = scorecards_for_user(user=user).filter(
        staff_id=card.staff_id, period__month__gte=first, period__month__lt=card.period.month
    )
    return {**dict(rows.values_list("period__month", "score")), card.period.month: card.score}


@require_POST
@anyone
def scorecard_acknowledge(request, month, employee_no):
    card, access = scorecard_for_user(request, month, employee_no)
    if not _is_self(access, card):
        raise Http404
    appeals.scorecard_acknowledge(period=card.period, staff=card.staff, user=request.user)
    messages.success(request, _("已确认 %(month)s 的考核结果。") % {"month": month})
    return redirect("console:scorecard", month=month, employee_no=employee_no)


@require_POST
@anyone
def scorecard_appeal(request, month, employee_no):
    card, access = scorecard_for_user(request, month, employee_no)
    if not _is_self(access, card):
        raise Http404
    form = AppealForm(request.POST)
    if form.is_valid():
        appeals.appeal_create(period=card.period, staff=card.staff, user=request.user, **form.cleaned_data)
        messages.success(request, _("申诉已提交，人力资源部处理前您的末位预警显示为“复核中”。"))
    else:
        messages.error(request, _("请写明申诉理由（至少 10 个字）。"))
    return redirect("console:scorecard", month=month, employee_no=employee_no)


@anyone
def me(request):
    """A lobby manager's own page: the latest scorecard and the history. Others go to the dashboard."""
    if not request.access.is_lobby_manager:
        return redirect("console:dashboard")
    cards = scorecards_for_user(user=request.user).select_related("period", "staff")
    cards = scorecards_with_review(cards)
    table = StaffScorecardTable(cards)
    RequestConfig(request, paginate={"per_page": 24}).configure(table)
    latest = cards.order_by("-period__month").first()
    context = {
        "staff": request.access.staff,
        "latest": latest,
        "table": table,
        "chart": score_trend_chart(list(cards.order_by("-period__month")[:12])[::-1], width=640, height=200),
    }
    return render(request, "console/me.html", context)


# ─── appeals (HR resolves) ──────────────────────────────────────────────────────────────


@anyone
def appeal_list(request):
    filterset = AppealFilter(filter_data(request), queryset=appeals_for_user(user=request.user))
    download = download_response(request, lambda: lists.appeals_download(filterset.qs))
    if download is not None:
        return download
    table = AppealTable(filterset.qs)
    RequestConfig(request, paginate={"per_page": 50}).configure(table)
    return render(request, "console/appeals/list.html", {"filter": filterset, "table": table})


@anyone
def appeal_detail(request, pk):
    appeal = get_object_or_404(appeals_for_user(user=request.user), pk=pk)
    return render(request, "console/appeals/detail.html", {"appeal": appeal, "form": AppealResolveForm()})


@require_POST
@hr_only
def appeal_resolve(request, pk):
    appeal = get_object_or_404(appeals_for_user(user=request.user), pk=pk)
    form = AppealResolveForm(request.POST)
    if form.is_valid():
        appeals.appeal_resolve(appeal=appeal, user=request.user, **form.cleaned_data)
        messages.success(request, _("申诉已处理。"))
    else:
        messages.error(request, _("请选择处理结果并填写处理意见。"))
    return redirect("console:appeal", pk=pk)


# ─── PDFs ──────────────────────────────────────────────────────────────────────────────


def _pdf_language() -> str:
    return "en" if (translation.get_language() or "").startswith("en") else "zh-hans"


def _attachment(filename: str, content_type: str, body: bytes) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@anyone
def scorecard_pdf(request, month, employee_no):
    # The bottom flag is printed on the employee's own copy and HR's, never on the branch's.
    card, access = scorecard_for_user(request, month, employee_no)
    return _attachment(*pdf.scorecard_pdf(scorecard=card, audience=access.pdf_audience, language=_pdf_language()))


@hr_or_head
def branch_pack_pdf(request, month, code):
    period = period_from_url(month)
    branch = get_object_or_404(branches_for_user(user=request.user), code=code)
    return _attachment(*pdf.branch_pack_pdf(period=period, branch_code=branch.code, language=_pdf_language()))


def latest_month_label() -> str | None:
    period = periods_recent().first()
    return period.label if period else None
