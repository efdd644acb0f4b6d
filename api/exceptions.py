"""Every answer of the API is JSON with a message, in the caller's language (Accept-Language,
Chinese by default): refusals, unknown paths and even a failure of our own."""

from __future__ import annotations

import logging

from django.http import JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

logger = logging.getLogger("api")


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "payload_too_large"


def _message(exc) -> str:
    if isinstance(exc, exceptions.NotAuthenticated):
        return _("需要令牌：请在请求头中加入 Authorization: Bearer <令牌>。")
    if isinstance(exc, exceptions.NotFound):
        return _("未找到。") if str(exc.detail) == str(exceptions.NotFound.default_detail) else str(exc.detail)
    if isinstance(exc, exceptions.MethodNotAllowed):
        return _("不支持的请求方法。")
    if isinstance(exc, exceptions.Throttled):
        return _("请求过于频繁，请在 %(seconds)s 秒后重试。") % {"seconds": int(exc.wait or 1)}
    if isinstance(exc, exceptions.ParseError):
        return _("请求体不是有效的 JSON。")
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return _("请求体应为 JSON（Content-Type: application/json）。")
    if isinstance(exc, exceptions.NotAcceptable):
        return _("只提供 JSON（Accept: application/json）。")
    detail = getattr(exc, "detail", None)
    if isinstance(detail, list) and detail and all(isinstance(item, str) for item in detail):
        return " ".join(detail)
    if isinstance(detail, (list, dict)):
        return _("请求无效。")
    return str(detail) if detail else _("请求无效。")


def api_exception_handler(exc, context):
    response = exception_handler(exc, context)
    if response is None:
        # Not ours to explain: say so in JSON, never with a traceback, and keep it in the log.
        logger.exception("API failure", exc_info=exc)
        return Response({"message": _("服务器内部错误，请稍后重试或联系管理员。")}, status=500)
    data = {"message": _message(exc)}
    detail = getattr(exc, "detail", None)
    if isinstance(exc, exceptions.ValidationError) and isinstance(detail, dict):
        data["detail"] = response.data
    response.data = data
    return response


def not_found(request, *args, **kwargs):
    """Any path under /api/ that names nothing."""
    return JsonResponse({"message": _("未找到：%(path)s") % {"path": request.path}}, status=404)
