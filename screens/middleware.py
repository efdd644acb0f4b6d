"""A screen's polls, answered before the console's middleware runs.

A lobby TV asks for its `data.json` every 30 seconds all day, and almost every answer is a 304.
Such a request has no session, no sign-in, no form, no message and no language of its own (the
screen speaks the site's), so the console's middleware — sessions, locale, CSRF, sign-in,
messages, lockouts, page sizes, and resolving the URL against every route — is work for
nothing: it was most of what a 304 cost (docs/benchmarks.md, "Display screens").

This middleware sits right after the security ones (SecurityMiddleware: the HTTPS redirect and
its headers; the Content-Security-Policy) and answers those requests itself with the very view
the URL names; every other request goes on as before. tests/screens/test_screens.py checks
that the path it recognises is the route's and that the answer is the same.
"""

import re

from django.conf import settings
from django.utils import translation

from screens.views import screen_data


class ScreenDataMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        # screens/urls.py's "<str:token>/data.json" under config/urls.py's "screens/"
        self.path = re.compile(r"^/screens/(?P<token>[^/]+)/data\.json$")

    def __call__(self, request):
        match = self.path.match(request.path_info)
        if match is None:
            return self.get_response(request)
        request.get_host()  # ALLOWED_HOSTS, as CommonMiddleware would check it
        with translation.override(settings.LANGUAGE_CODE):
            response = screen_data(request, match["token"])
        response.headers.setdefault("X-Frame-Options", settings.X_FRAME_OPTIONS)  # XFrameOptionsMiddleware
        return response
