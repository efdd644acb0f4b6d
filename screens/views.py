"""The display screen's page and its JSON (CONTRACT.md §4): no sign-in, the token is the key.

Neither view touches the session or the signed-in user, so a screen polling all day costs a
query and a dictionary look-up per request (see docs/benchmarks.md, "Display screens").
"""

from functools import wraps

from django.conf import settings
from django.db import DatabaseError
from django.http import HttpResponse, HttpResponseNotModified, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.http import parse_etags
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from screens.selectors import SCREEN_VERSION, screen_live, screen_payload
from screens.services import screen_seen


def _no_cache(response):
    # Revalidate every time: the ETag makes that a 304 with no body.
    response["Cache-Control"] = "no-cache"
    return response


def _labels() -> dict:
    # The script's words; {time} and {count} are filled in by the script.
    return {
        "newcomer": _("新上榜"),
        "data_time": _("数据时间"),
        "offline": _("离线 · 显示 {time} 的数据"),
        "top": _("前 {count} 名"),
        "compared": _("▲▼ 为较上月名次变化"),
        "no_month": _("本月榜单尚未发布"),
        "no_month_text": _("考核结果计算完成后，这里将自动显示。"),
        "no_entries": _("暂无上榜人员"),
        "no_entries_text": _("考核结果更新后，这里将自动显示。"),
    }


def _offline_page(request):
    with translation.override(settings.LANGUAGE_CODE):
        return render(request, "screens/offline.html", status=503)


def _offline_data(request):
    return JsonResponse({"error": "database unavailable"}, status=503)


def _when_the_database_is_down(answer):
    """A database that does not answer gives the screen a 503 (the offline page, which retries by
    itself; for data.json a JSON error, on which a running screen keeps its last boards), not a 500."""

    def decorate(view):
        @wraps(view)
        def wrapped(request, token):
            try:
                return view(request, token)
            except DatabaseError:
                return _no_cache(answer(request))

        return wrapped

    return decorate


@require_safe
@_when_the_database_is_down(_offline_page)
def screen_page(request, token):
    # In the site's language whatever the TV's browser asks for, like the JSON.
    with translation.override(settings.LANGUAGE_CODE):
        screen = screen_live(token)
        if screen is None:
            return _no_cache(render(request, "screens/disabled.html", status=404))
        screen_seen(screen=screen)
        payload = screen_payload(screen)
        context = {
            "payload_json": mark_safe(payload.body.decode()),  # <, > and & escaped, as json_script does
            "config": {
                "etag": payload.etag,
                "version": SCREEN_VERSION,
                "time_zone": settings.TIME_ZONE,
                "data_url": reverse("screens:data", args=[token]),
                "labels": _labels(),
            },
        }
        return _no_cache(render(request, "screens/screen.html", context))


@require_safe
@_when_the_database_is_down(_offline_data)
def screen_data(request, token):
    screen = screen_live(token)
    if screen is None:
        return _no_cache(JsonResponse({"error": "screen disabled"}, status=404))
    screen_seen(screen=screen)
    payload = screen_payload(screen)
    if _matches(request.META.get("HTTP_IF_NONE_MATCH", ""), payload.etag):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(payload.body, content_type="application/json")
    response["ETag"] = payload.etag
    return _no_cache(response)


def _matches(header: str, etag: str) -> bool:
    """If-None-Match uses the weak comparison (RFC 9110 §13.1.2)."""
    if not header:
        return False
    tags = parse_etags(header)
    return "*" in tags or etag in {tag.removeprefix("W/") for tag in tags}
