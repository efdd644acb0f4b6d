from __future__ import annotations

import io

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework.parsers import JSONParser

from api.exceptions import PayloadTooLarge


def body_limit() -> int:
    return settings.API_MAX_BODY_MB * 1024 * 1024


def too_large() -> PayloadTooLarge:
    return PayloadTooLarge(_("请求体超过 %(mb)s MB 的上限；请分批发送。") % {"mb": settings.API_MAX_BODY_MB})


class LimitedJSONParser(JSONParser):
    """JSON, read only up to API_MAX_BODY_MB (whatever Content-Length says)."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = body_limit()
        data = stream.read(limit + 1) if stream is not None else b""
        if len(data) > limit:
            raise too_large()
        return super().parse(io.BytesIO(data), media_type, parser_context)
