"""Shows the product's own errors as a message on the page the person came from.

A service refuses with a `LobbyStarError` whose text is already in the person's language; a
console view that lets it through gets this: the message, and a redirect to the page the
action belongs to, never a 500 page. Every action of the console is a POST to a path one
segment below its page (`/months/2026-10/finalize/` acts on `/months/2026-10/`).
"""

from django.contrib import messages
from django.shortcuts import redirect

from core.errors import LobbyStarError


class LobbyStarErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, LobbyStarError):
            return None
        messages.error(request, str(exception))
        if request.method != "POST":
            return redirect("/")
        return redirect(request.path.rstrip("/").rsplit("/", 1)[0] + "/")


MAX_PER_PAGE = 200


class PageSizeMiddleware:
    """Tables take `?per_page=` from the address; no page is larger than MAX_PER_PAGE rows, so
    a hand-typed `per_page=1000000` cannot make one request render a whole bank."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        keys = [key for key in request.GET if key.endswith("per_page")]
        if keys:
            query = request.GET.copy()
            for key in keys:
                value = query.get(key, "")
                query[key] = str(min(int(value), MAX_PER_PAGE)) if value.isdigit() and int(value) > 0 else "50"
            request.GET = query
        return self.get_response(request)
