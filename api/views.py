"""The API's endpoints (CONTRACT.md §5): thin, as the console's views are — check, call one
service or selector, answer JSON."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from api import selectors
from api.models import Scope
from api.pagination import ScorecardPagination
from api.parsers import body_limit, too_large
from api.serializers import (
    BatchResultSerializer,
    BatchSerializer,
    ErrorSerializer,
    MonthSerializer,
    ScorecardSerializer,
)
from api.services import BatchRefused, batch_import, storable
from appraisals.models import Grade
from core.errors import LobbyStarError
from core.imports.kinds import KINDS
from core.months import month_parse
from staff.models import Staff

ORGANISATION_KINDS = ("branches", "staff", "absences")
RECORD_KINDS = ("accounts", "deposits", "ebanking", "feedback", "targets")

ERRORS = {
    401: OpenApiResponse(ErrorSerializer, description="no token, or a bad or revoked one"),
    403: OpenApiResponse(ErrorSerializer, description="the token lacks the scope, or the address is not allowed"),
    429: OpenApiResponse(ErrorSerializer, description="too many requests; see Retry-After"),
}


class ApiView(APIView):
    required_scope = Scope.SCORECARDS_READ

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        length = request.META.get("CONTENT_LENGTH") or "0"
        if length.isdigit() and int(length) > body_limit():
            raise too_large()
        # Text no database can hold (a NUL, broken Unicode) names nothing and filters nothing.
        if not all(storable(value) for value in kwargs.values()):
            raise exceptions.NotFound()
        if not all(storable(value) for value in request.query_params.values()):
            raise exceptions.ValidationError(_("请求参数含有无效字符。"))


def _flag(request, name: str) -> bool | None:
    text = request.query_params.get(name)
    if text is None or text == "":
        return None
    if text.lower() in ("true", "1"):
        return True
    if text.lower() in ("false", "0"):
        return False
    raise exceptions.ValidationError(_("参数 %(name)s 应为 true 或 false。") % {"name": name})


def _paginated(view, request, queryset):
    paginator = ScorecardPagination()
    page = paginator.paginate_queryset(queryset.values_list("pk", flat=True), request, view=view)
    return paginator.get_paginated_response(selectors.scorecard_results(page))


def _paginated_month(view, request, scorecards: selectors.MonthScorecards):
    paginator = ScorecardPagination()
    return paginator.get_paginated_response(paginator.paginate_queryset(scorecards, request, view=view))


PAGE = [
    OpenApiParameter("page", OpenApiTypes.INT, description="1 is the first page"),
    OpenApiParameter("page_size", OpenApiTypes.INT, description="500 by default, at most 5000"),
]
PAGE_RESPONSE = inline_serializer(
    "ScorecardPage",
    {
        "count": serializers.IntegerField(),
        "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "results": ScorecardSerializer(many=True),
    },
)


class MonthList(ApiView):
    @extend_schema(
        summary="The months and their status",
        responses={200: MonthSerializer(many=True), **ERRORS},
    )
    def get(self, request):
        return Response(
            [
                {
                    "month": period.label,
                    "status": period.status,
                    "published": period.status in selectors.PUBLISHED,
                    "scorecards": period.scorecard_count,
                }
                for period in selectors.periods_listed()
            ]
        )


class MonthScorecards(ApiView):
    @extend_schema(
        summary="A published month's scorecards, with the names and values of the CSV export (§3)",
        parameters=[
            *PAGE,
            OpenApiParameter("peer_group", str, description="the peer group's (tier-1 branch's) code"),
            OpenApiParameter("branch_code", str, description="the scorecard's own branch"),
            OpenApiParameter("grade", str, enum=Grade.values),
            OpenApiParameter("bottom_flag", OpenApiTypes.BOOL, description="末位预警"),
        ],
        responses={
            200: PAGE_RESPONSE,
            400: ErrorSerializer,
            404: OpenApiResponse(ErrorSerializer, description="no such month, or not published"),
            **ERRORS,
        },
    )
    def get(self, request, month: str):
        try:
            period = selectors.period_published(month_parse(month))
        except LobbyStarError:
            period = None
        if period is None:
            raise exceptions.NotFound(_("%(month)s 没有已发布（已复核或已定稿）的考核结果。") % {"month": month})
        grade = request.query_params.get("grade") or None
        if grade is not None and grade not in Grade.values:
            raise exceptions.ValidationError(
                _("参数 grade 应为 %(choices)s 之一。") % {"choices": ", ".join(Grade.values)}
            )
        filters = {
            "peer_group": request.query_params.get("peer_group"),
            "branch_code": request.query_params.get("branch_code"),
            "grade": grade,
            "bottom_flag": _flag(request, "bottom_flag"),
        }
        return _paginated_month(self, request, selectors.MonthScorecards(period=period, filters=filters))


class StaffScorecards(ApiView):
    @extend_schema(
        summary="One person's scorecards over the published months, the latest first",
        parameters=PAGE,
        responses={200: PAGE_RESPONSE, 404: OpenApiResponse(ErrorSerializer, description="no such employee"), **ERRORS},
    )
    def get(self, request, employee_no: str):
        if not Staff.objects.filter(employee_no=employee_no).exists():
            raise exceptions.NotFound(_("没有员工编号为 %(no)s 的员工。") % {"no": employee_no})
        return _paginated(self, request, selectors.scorecards_of_staff(employee_no=employee_no))


class Records(ApiView):
    """A batch of rows of one kind of CONTRACT.md §1, whole or not at all."""

    def get_required_scope(self) -> str:
        kind = self.kwargs.get("kind")
        return Scope.ORGANISATION_WRITE if kind in ORGANISATION_KINDS else Scope.RECORDS_WRITE

    @extend_schema(
        summary="Import a batch of rows whole or not at all, idempotent by ref",
        parameters=[
            OpenApiParameter("kind", str, OpenApiParameter.PATH, enum=[*ORGANISATION_KINDS, *RECORD_KINDS]),
            OpenApiParameter("dry_run", OpenApiTypes.BOOL, description="check everything, write nothing"),
            OpenApiParameter("update", OpenApiTypes.BOOL, description="change records whose content differs"),
        ],
        request=BatchSerializer,
        responses={
            200: OpenApiResponse(BatchResultSerializer, description="nothing created (all unchanged, or a dry run)"),
            201: OpenApiResponse(BatchResultSerializer, description="imported, with new records"),
            400: OpenApiResponse(ErrorSerializer, description="bad rows: nothing was written"),
            404: OpenApiResponse(ErrorSerializer, description="no such kind"),
            413: OpenApiResponse(ErrorSerializer, description="more than 10,000 rows, or a body over the size limit"),
            **ERRORS,
        },
    )
    def post(self, request, kind: str):
        if kind not in KINDS:
            raise exceptions.NotFound(_("没有这种数据：%(kind)s") % {"kind": kind})
        dry_run, update = bool(_flag(request, "dry_run")), bool(_flag(request, "update"))
        try:
            result = batch_import(client=request.auth, kind=kind, body=request.data, dry_run=dry_run, update=update)
        except BatchRefused as refused:
            return Response({"message": str(refused)}, status=refused.status)
        if result.errors:
            # A file counts its header as row 1; a batch's first row is row 1; null: the whole batch.
            errors = [{**error.as_dict(), "row": error.row - 1 if error.row > 1 else None} for error in result.errors]
            message = _("这一批有 %(count)s 处错误，什么也没有写入。") % {"count": len(errors)}
            return Response({"message": message, "errors": errors}, status=400)
        body = {
            "kind": kind,
            "rows": result.rows,
            "created": result.created,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "batch": result.batch_id,
            "dry_run": result.dry_run,
        }
        return Response(body, status=201 if result.created and not dry_run else 200)
